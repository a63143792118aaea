// Hand-assembled minimal guests for host tests: the smallest module shaped like an http-wasm
// guest, with chosen imports and a handle_request that returns a constant. Used to check what the
// host refuses (stray `env` imports, wrong signatures) without compiling AssemblyScript.
import type { ValType } from './wasmModuleInfo.js';

export interface FixtureImport {
  module: string;
  name: string;
  params: ValType[];
  results: ValType[];
}

export interface FixtureOptions {
  imports?: FixtureImport[];
  /** Value handle_request returns (reqCtx << 32 | next). Default 0n: answered, empty 200. */
  handleRequestResult?: bigint;
  /** Override handle_request's result type to build a wrong-signature guest. */
  handleRequestResultType?: ValType;
  exportMemory?: boolean;
  /**
   * Add a start function calling http_handler.log(0, ptr, 1): as a wasm start section (how
   * AssemblyScript runs top-level code without --exportStart) or as an exported `_start`.
   */
  startLog?: { via: 'start-section' | '_start'; ptr?: number };
}

const TYPE_CODES: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, externref: 0x6f };

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function str(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Assembles the module described by `options`. */
export function buildTestModule(options: FixtureOptions = {}): Uint8Array {
  const imports = [...(options.imports ?? [])];
  if (options.startLog) imports.push({ module: 'http_handler', name: 'log', params: ['i32', 'i32', 'i32'], results: [] });
  const resultType = options.handleRequestResultType ?? 'i64';
  const types: string[] = [];
  const typeIndex = (params: ValType[], results: ValType[]): number => {
    const key = JSON.stringify([params, results]);
    let i = types.indexOf(key);
    if (i < 0) i = types.push(key) - 1;
    return i;
  };
  const importEntries = imports.map((imp) => [...str(imp.module), ...str(imp.name), 0x00, ...uleb(typeIndex(imp.params, imp.results))]);
  const handleRequestType = typeIndex([], [resultType]);
  const handleResponseType = typeIndex(['i32', 'i32'], []);
  const start = options.startLog !== undefined;
  const startType = start ? typeIndex([], []) : -1;
  const typeSection = vec(types.map((key) => {
    const [params, results] = JSON.parse(key) as [ValType[], ValType[]];
    return [0x60, ...vec(params.map((p) => [TYPE_CODES[p]])), ...vec(results.map((r) => [TYPE_CODES[r]]))];
  }));
  const n = imports.length;
  const exports = [
    [...str('handle_request'), 0x00, ...uleb(n)],
    [...str('handle_response'), 0x00, ...uleb(n + 1)],
  ];
  if (options.exportMemory !== false) exports.push([...str('memory'), 0x02, 0x00]);
  if (options.startLog?.via === '_start') exports.push([...str('_start'), 0x00, ...uleb(n + 2)]);
  const value = options.handleRequestResult ?? 0n;
  const constInstr = resultType === 'i64' ? [0x42, ...sleb(BigInt.asIntN(64, value))] : [0x41, ...sleb(BigInt.asIntN(32, value))];
  const handleRequestBody = [0x00, ...constInstr, 0x0b]; // no locals; const; end
  const handleResponseBody = [0x00, 0x0b];
  // log(0, ptr, 1): i32.const 0; i32.const ptr; i32.const 1; call <log import>; end
  const startBody = [0x00, 0x41, 0x00, 0x41, ...sleb(BigInt(options.startLog?.ptr ?? 0)), 0x41, 0x01, 0x10, ...uleb(n - 1), 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, typeSection),
    ...(n ? section(2, vec(importEntries)) : []),
    ...section(3, vec([uleb(handleRequestType), uleb(handleResponseType), ...(start ? [uleb(startType)] : [])])),
    ...section(5, vec([[0x00, 0x01]])), // one memory, min 1 page
    ...section(7, vec(exports)),
    ...(options.startLog?.via === 'start-section' ? section(8, uleb(n + 2)) : []),
    ...section(10, vec([handleRequestBody, handleResponseBody, ...(start ? [startBody] : [])].map((b) => [...uleb(b.length), ...b]))),
  ]);
}
