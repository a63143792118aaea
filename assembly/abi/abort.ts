// Replacement for AssemblyScript's `abort`, wired with `--use abort=assembly/abi/abort/guestAbort`.
//
// The default abort is an `env.abort` import, which Traefik refuses at instantiation. This one
// logs "guest abort: <message> at <file>:<line>:<col>" through http_handler.log at error level and
// then traps, so Traefik answers 500 and the reason is in its log.
//
// It must not allocate: abort is also how the runtime reports running out of memory. The message
// is assembled in a static buffer and cut when it does not fit.
import { log } from "./imports";

const ABORT_BUFFER_BYTES: usize = 1024;
const abortBuffer = memory.data(<i32>ABORT_BUFFER_BYTES);
const digitBuffer = memory.data(10); // u32 has at most 10 decimal digits
let cursor: usize = 0;

function putByte(b: u32): void {
  if (cursor < ABORT_BUFFER_BYTES) {
    store<u8>(abortBuffer + cursor, <u8>b);
    cursor++;
  }
}

// UTF-8 encodes `s` without allocating; a sequence that would not fit is dropped whole.
function putString(s: string): void {
  let len = s.length;
  for (let i = 0; i < len; i++) {
    let c = <u32>s.charCodeAt(i);
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < len) {
      let c2 = <u32>s.charCodeAt(i + 1);
      if (c2 >= 0xDC00 && c2 < 0xE000) {
        c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
        i++;
      }
    }
    if (c >= 0xD800 && c < 0xE000) c = 0xFFFD; // lone surrogate
    let need: usize = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (cursor + need > ABORT_BUFFER_BYTES) return;
    if (need == 1) {
      putByte(c);
    } else if (need == 2) {
      putByte(0xC0 | (c >> 6)); putByte(0x80 | (c & 0x3F));
    } else if (need == 3) {
      putByte(0xE0 | (c >> 12)); putByte(0x80 | ((c >> 6) & 0x3F)); putByte(0x80 | (c & 0x3F));
    } else {
      putByte(0xF0 | (c >> 18)); putByte(0x80 | ((c >> 12) & 0x3F));
      putByte(0x80 | ((c >> 6) & 0x3F)); putByte(0x80 | (c & 0x3F));
    }
  }
}

function putU32(n: u32): void {
  // Digits come out least significant first: stage them, then copy them forward.
  let digits = digitBuffer;
  let count = 0;
  do {
    store<u8>(digits + count, <u8>(0x30 + n % 10));
    n /= 10;
    count++;
  } while (n != 0);
  while (count > 0) {
    count--;
    putByte(load<u8>(digits + count));
  }
}

export function guestAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  cursor = 0;
  putString("guest abort: ");
  putString(message !== null ? message : "(no message)");
  putString(" at ");
  putString(fileName !== null ? fileName : "(unknown)");
  putByte(0x3A);
  putU32(line);
  putByte(0x3A);
  putU32(column);
  log(2 /* error */, abortBuffer, <u32>cursor);
  unreachable();
}
