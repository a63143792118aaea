// SHA-256 (FIPS 180-4): one-shot helpers and a streaming hasher.
//
// The compression function reads a 64-byte block straight from wherever it lives (caller's data or
// the hasher's own block buffer), so long inputs are hashed without copying. Nothing here allocates
// except the convenience wrappers that return a fresh Uint8Array.

/** Digest size in bytes. */
export const SHA256_DIGEST_BYTES: i32 = 32;

const BLOCK_BYTES: i32 = 64;

// Round constants: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// Initial hash value: first 32 bits of the fractional parts of the square roots of the first 8
// primes.
const H0: usize = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

// Message schedule scratch (64 words). Shared by every hasher: wasm is single-threaded and
// compress() never re-enters itself.
const W: usize = memory.data(64 * 4);

// @ts-ignore: decorator
@inline function ch(e: u32, f: u32, g: u32): u32 { return g ^ (e & (f ^ g)); }
// @ts-ignore: decorator
@inline function maj(a: u32, b: u32, c: u32): u32 { return (a & b) | (c & (a | b)); }

/** Folds one 64-byte block at `block` into the 8-word `state`. */
function compress(state: usize, block: usize): void {
  for (let i: usize = 0; i < 16; i++) {
    store<u32>(W + (i << 2), bswap<u32>(load<u32>(block + (i << 2))));
  }
  // p points at W[i - 16] while W[i] is computed (wasm load offsets are unsigned: a negative one
  // would address beyond 4 GiB and always trap).
  for (let p = W; p < W + 192; p += 4) {
    const w15 = load<u32>(p, 4); // W[i - 15]
    const w2 = load<u32>(p, 56); // W[i - 2]
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    store<u32>(p, load<u32>(p) + s0 + load<u32>(p, 36) + s1, 64); // W[i-16] + s0 + W[i-7] + s1
  }

  let a = load<u32>(state, 0);
  let b = load<u32>(state, 4);
  let c = load<u32>(state, 8);
  let d = load<u32>(state, 12);
  let e = load<u32>(state, 16);
  let f = load<u32>(state, 20);
  let g = load<u32>(state, 24);
  let h = load<u32>(state, 28);
  for (let i: usize = 0; i < 256; i += 4) {
    const t1 = h + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ch(e, f, g)
      + load<u32>(K + i) + load<u32>(W + i);
    const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + maj(a, b, c);
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  store<u32>(state, load<u32>(state, 0) + a, 0);
  store<u32>(state, load<u32>(state, 4) + b, 4);
  store<u32>(state, load<u32>(state, 8) + c, 8);
  store<u32>(state, load<u32>(state, 12) + d, 12);
  store<u32>(state, load<u32>(state, 16) + e, 16);
  store<u32>(state, load<u32>(state, 20) + f, 20);
  store<u32>(state, load<u32>(state, 24) + g, 24);
  store<u32>(state, load<u32>(state, 28) + h, 28);
}

/**
 * Streaming SHA-256. Feed bytes with update()/updateUnsafe() in any split; digest()/digestInto()
 * finish the hash and reset the hasher, so one instance can hash many messages in turn.
 */
export class Sha256 {
  private state: StaticArray<u32> = new StaticArray<u32>(8);
  private block: StaticArray<u8> = new StaticArray<u8>(BLOCK_BYTES);
  /** Bytes waiting in `block` (always < 64 between calls). */
  private pending: i32 = 0;
  /** Total bytes absorbed; 64-bit so the encoded bit length is right past 512 MiB. */
  private total: u64 = 0;

  constructor() {
    this.reset();
  }

  /** Forgets everything absorbed so far. */
  reset(): void {
    memory.copy(changetype<usize>(this.state), H0, 32);
    this.pending = 0;
    this.total = 0;
  }

  update(data: Uint8Array): void {
    this.updateUnsafe(data.dataStart, data.byteLength);
  }

  /** Absorbs `len` bytes at `ptr`; the caller guarantees they are readable. len <= 0 is a no-op. */
  updateUnsafe(ptr: usize, len: i32): void {
    if (len <= 0) return;
    this.total += <u64>len;
    const state = changetype<usize>(this.state);
    const block = changetype<usize>(this.block);
    let remaining = len;
    let pending = this.pending;
    if (pending > 0) {
      // Top up the partial block first; the input may not even fill it.
      const take = min(BLOCK_BYTES - pending, remaining);
      memory.copy(block + <usize>pending, ptr, <usize>take);
      pending += take;
      ptr += <usize>take;
      remaining -= take;
      if (pending < BLOCK_BYTES) {
        this.pending = pending;
        return;
      }
      compress(state, block);
    }
    while (remaining >= BLOCK_BYTES) {
      compress(state, ptr);
      ptr += <usize>BLOCK_BYTES;
      remaining -= BLOCK_BYTES;
    }
    if (remaining > 0) memory.copy(block, ptr, <usize>remaining);
    this.pending = remaining;
  }

  /** Writes the 32-byte digest to `out` and resets the hasher. */
  digestInto(out: usize): void {
    const state = changetype<usize>(this.state);
    const block = changetype<usize>(this.block);
    const bitLength = this.total << 3;
    let used = <usize>this.pending;
    store<u8>(block + used, 0x80);
    used++;
    if (used > 56) {
      // No room for the 8-byte length: pad out this block and use one more.
      memory.fill(block + used, 0, 64 - used);
      compress(state, block);
      used = 0;
    }
    memory.fill(block + used, 0, 56 - used);
    store<u64>(block, bswap<u64>(bitLength), 56);
    compress(state, block);
    for (let i: usize = 0; i < 32; i += 4) {
      store<u32>(out + i, bswap<u32>(load<u32>(state + i)));
    }
    this.reset();
  }

  /** Returns the digest as a new 32-byte array and resets the hasher. */
  digest(): Uint8Array {
    const out = new Uint8Array(SHA256_DIGEST_BYTES);
    this.digestInto(out.dataStart);
    return out;
  }
}

// The hasher behind the one-shot functions (module-level so one-shot hashing never allocates).
const oneShot = new Sha256();

/** Hashes `len` bytes at `ptr` into 32 bytes at `out`; the caller guarantees both ranges. */
export function sha256Unsafe(ptr: usize, len: i32, out: usize): void {
  oneShot.reset();
  oneShot.updateUnsafe(ptr, len);
  oneShot.digestInto(out);
}

/** SHA-256 of `data` as a new 32-byte array. */
export function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(SHA256_DIGEST_BYTES);
  sha256Unsafe(data.dataStart, data.byteLength, out.dataStart);
  return out;
}
