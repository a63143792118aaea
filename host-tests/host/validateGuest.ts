// Refuses a guest module the way wazero and http-wasm-host-go do before running it.
import {
  HTTP_HANDLER_MODULE, HTTP_HANDLER_SIGNATURES, REQUIRED_EXPORTS, WASI_MODULE, WASI_SIGNATURES,
} from './abiSignatures.js';
import { formatSignature, readModuleInfo, sameSignature } from './wasmModuleInfo.js';

/** Instantiation or linking failed the way Traefik would refuse the plugin. */
export class GuestLoadError extends Error {
  readonly code = 'ERR_GUEST_LOAD';
}

/** Refuses a module the way wazero/http-wasm-host-go would, with a message naming the culprit. */
export function validateGuest(bytes: Uint8Array): void {
  let info;
  try {
    info = readModuleInfo(bytes);
  } catch (e) {
    throw new GuestLoadError(`wasm: error compiling guest: ${(e as Error).message}`);
  }
  for (const imp of info.imports) {
    const table = imp.module === HTTP_HANDLER_MODULE ? HTTP_HANDLER_SIGNATURES
      : imp.module === WASI_MODULE ? WASI_SIGNATURES : null;
    if (!table) {
      throw new GuestLoadError(
        `wasm: error instantiating guest: module[${imp.module}] not instantiated (import ${imp.module}.${imp.name}; `
        + `Traefik links only ${HTTP_HANDLER_MODULE} and ${WASI_MODULE}: build with --use abort=... and no trace/Date/Math.random)`,
      );
    }
    const want = table[imp.name];
    if (imp.kind !== 'function' || !want) {
      throw new GuestLoadError(`wasm: error instantiating guest: "${imp.name}" is not exported in module "${imp.module}"`);
    }
    if (!sameSignature(imp.type, want)) {
      throw new GuestLoadError(
        `wasm: error instantiating guest: import func[${imp.module}.${imp.name}]: signature mismatch: `
        + `${formatSignature(want)} != ${formatSignature(imp.type)}`,
      );
    }
  }
  for (const [name, want] of Object.entries(REQUIRED_EXPORTS)) {
    const exp = info.exports.find((e) => e.name === name && e.kind === 'function');
    if (!exp) throw new GuestLoadError(`wasm: guest doesn't export func[${name}]`);
    if (!sameSignature(exp.type, want)) {
      throw new GuestLoadError(`wasm: guest exports the wrong signature for func[${name}]. should be ${formatSignature(want)}`);
    }
  }
  if (!info.exports.some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw new GuestLoadError("wasm: guest doesn't export memory[memory]");
  }
}
