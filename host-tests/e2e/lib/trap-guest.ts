// A hand-assembled http-wasm guest that traps on purpose (wasm `unreachable`), either in
// handle_request or, after passing the request on, in handle_response. It proves the trap checks
// of the end-to-end files (guestFailures) recognise a real trap in a real Traefik.

const I32 = 0x7f;
const I64 = 0x7e;
const UNREACHABLE = 0x00;
const END = 0x0b;

function name(text: string): number[] {
  return [text.length, ...Buffer.from(text, 'latin1')];
}

function section(id: number, body: number[]): number[] {
  if (body.length > 127) throw new Error('section too long for a one-byte size');
  return [id, body.length, ...body];
}

export function trappingGuest(where: 'handle_request' | 'handle_response'): Uint8Array {
  // Types: 0 = () -> i64 (handle_request), 1 = (i32, i32) -> () (handle_response).
  const types = [2, 0x60, 0, 1, I64, 0x60, 2, I32, I32, 0];
  const exports = [3, ...name('memory'), 0x02, 0, ...name('handle_request'), 0x00, 0, ...name('handle_response'), 0x00, 1];
  const passOn = [0x42, 1]; // i64.const 1: call the next handler
  const requestBody = where === 'handle_request' ? [UNREACHABLE, END] : [...passOn, END];
  const responseBody = where === 'handle_response' ? [UNREACHABLE, END] : [END];
  const code = [2, requestBody.length + 1, 0, ...requestBody, responseBody.length + 1, 0, ...responseBody];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, [2, 0, 1]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, exports),
    ...section(10, code),
  ]);
}
