// The smallest http-wasm guest Traefik accepts, for the control scenario of bench:traefik: it
// exports a memory, `handle_request` returning 1 (continue to the next handler, request context 0)
// and an empty `handle_response`, and imports nothing. Traefik through this guest costs what
// Traefik's wasm machinery (http-wasm-host-go, wazero, the guest pool) costs per request, so the
// difference to the mcpauth plugin is the plugin's own work.
const I32 = 0x7f;
const I64 = 0x7e;

const name = (text: string) => [text.length, ...Buffer.from(text)];
const section = (id: number, body: number[]) => [id, body.length, ...body];

export function noopGuestWasm(): Uint8Array {
  // types: 0 = () -> i64, 1 = (i32, i32) -> ()
  const types = [2, 0x60, 0, 1, I64, 0x60, 2, I32, I32, 0];
  const functions = [2, 0, 1];
  const memory = [1, 0x00, 1]; // one memory, min 1 page, no max
  const exports = [3, ...name('memory'), 0x02, 0, ...name('handle_request'), 0x00, 0, ...name('handle_response'), 0x00, 1];
  const requestBody = [4, 0, 0x42, 1, 0x0b]; // no locals; i64.const 1; end
  const responseBody = [2, 0, 0x0b]; // no locals; end
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, functions),
    ...section(5, memory),
    ...section(7, exports),
    ...section(10, [2, ...requestBody, ...responseBody]),
  ]);
}

export const NOOP_MANIFEST = [
  'displayName: bench no-op guest',
  'type: middleware',
  'runtime: wasm',
  'wasmPath: plugin.wasm',
  'summary: Continues every request; a control for npm run bench:traefik.',
  'testData:',
  '  unused: true',
  '',
].join('\n');
