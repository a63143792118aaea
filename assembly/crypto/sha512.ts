// SHA-512 (FIPS 180-4), one-shot and streaming. Ed25519 hashes R || A || M with it; the streaming
// form lets the verifier feed the three parts without concatenating copies.

const BLOCK_BYTES: i32 = 128;
const DIGEST_BYTES: i32 = 64;

// Round constants K[0..79] (FIPS 180-4 section 4.2.3).
// @ts-ignore: decorator
@lazy const K: usize = memory.data<u64>([
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
]);

// Message schedule W[0..79], shared by every hasher: compression is not re-entrant, and the
// guest is single-threaded, so one module-level scratch avoids a per-block allocation.
// @ts-ignore: decorator
@lazy const W: usize = memory.data(80 * 8, 8);

/** Compresses `blocks` consecutive 128-byte blocks at `src` into the 8-word state at `state`. */
function compressUnsafe(state: usize, src: usize, blocks: i32): void {
  let h0 = load<u64>(state, 0), h1 = load<u64>(state, 8), h2 = load<u64>(state, 16), h3 = load<u64>(state, 24);
  let h4 = load<u64>(state, 32), h5 = load<u64>(state, 40), h6 = load<u64>(state, 48), h7 = load<u64>(state, 56);
  const w = W;
  const k = K;
  while (blocks > 0) {
    for (let t: usize = 0; t < 16; t++) {
      store<u64>(w + (t << 3), bswap<u64>(load<u64>(src + (t << 3))));
    }
    for (let t: usize = 16; t < 80; t++) {
      const x15 = load<u64>(w + ((t - 15) << 3));
      const x2 = load<u64>(w + ((t - 2) << 3));
      const s0 = rotr<u64>(x15, 1) ^ rotr<u64>(x15, 8) ^ (x15 >> 7);
      const s1 = rotr<u64>(x2, 19) ^ rotr<u64>(x2, 61) ^ (x2 >> 6);
      store<u64>(w + (t << 3), load<u64>(w + ((t - 16) << 3)) + s0 + load<u64>(w + ((t - 7) << 3)) + s1);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t: usize = 0; t < 80; t++) {
      const bigSigma1 = rotr<u64>(e, 14) ^ rotr<u64>(e, 18) ^ rotr<u64>(e, 41);
      const ch = (e & f) ^ (~e & g);
      const t1 = h + bigSigma1 + ch + load<u64>(k + (t << 3)) + load<u64>(w + (t << 3));
      const bigSigma0 = rotr<u64>(a, 28) ^ rotr<u64>(a, 34) ^ rotr<u64>(a, 39);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = bigSigma0 + maj;
      h = g; g = f; f = e; e = d + t1;
      d = c; c = b; b = a; a = t1 + t2;
    }
    h0 += a; h1 += b; h2 += c; h3 += d; h4 += e; h5 += f; h6 += g; h7 += h;
    src += BLOCK_BYTES;
    blocks--;
  }
  store<u64>(state, h0, 0); store<u64>(state, h1, 8); store<u64>(state, h2, 16); store<u64>(state, h3, 24);
  store<u64>(state, h4, 32); store<u64>(state, h5, 40); store<u64>(state, h6, 48); store<u64>(state, h7, 56);
}

/**
 * Streaming SHA-512. `update` may be called any number of times with any split of the input;
 * `digestInto`/`digest` finish the hash and reset the hasher, so one instance can be reused.
 */
export class Sha512 {
  private state: StaticArray<u64> = new StaticArray<u64>(8);
  /** Partial block awaiting more input; `pending` bytes of it are filled. */
  private block: StaticArray<u8> = new StaticArray<u8>(BLOCK_BYTES);
  private pending: i32 = 0;
  /** Total bytes hashed so far (the 128-bit length field's upper 61 bits are always zero here). */
  private total: u64 = 0;

  constructor() {
    this.reset();
  }

  reset(): void {
    const s = changetype<usize>(this.state);
    store<u64>(s, 0x6a09e667f3bcc908, 0);
    store<u64>(s, 0xbb67ae8584caa73b, 8);
    store<u64>(s, 0x3c6ef372fe94f82b, 16);
    store<u64>(s, 0xa54ff53a5f1d36f1, 24);
    store<u64>(s, 0x510e527fade682d1, 32);
    store<u64>(s, 0x9b05688c2b3e6c1f, 40);
    store<u64>(s, 0x1f83d9abfb41bd6b, 48);
    store<u64>(s, 0x5be0cd19137e2179, 56);
    this.pending = 0;
    this.total = 0;
  }

  update(data: Uint8Array): void {
    this.updateUnsafe(data.dataStart, data.length);
  }

  /** Hashes `len` bytes at `ptr`; the caller guarantees the range is readable. `len <= 0` is a no-op. */
  updateUnsafe(ptr: usize, len: i32): void {
    if (len <= 0) return;
    this.total += <u64>len;
    const state = changetype<usize>(this.state);
    const block = changetype<usize>(this.block);
    let remaining = len;
    if (this.pending > 0) {
      const room = BLOCK_BYTES - this.pending;
      const take = remaining < room ? remaining : room;
      memory.copy(block + <usize>this.pending, ptr, <usize>take);
      this.pending += take;
      ptr += <usize>take;
      remaining -= take;
      if (this.pending < BLOCK_BYTES) return;
      compressUnsafe(state, block, 1);
      this.pending = 0;
    }
    const whole = remaining / BLOCK_BYTES;
    if (whole > 0) {
      compressUnsafe(state, ptr, whole);
      const consumed = whole * BLOCK_BYTES;
      ptr += <usize>consumed;
      remaining -= consumed;
    }
    if (remaining > 0) {
      memory.copy(block, ptr, <usize>remaining);
      this.pending = remaining;
    }
  }

  /** Writes the 64-byte digest to `out` (caller guarantees 64 writable bytes), then resets. */
  digestInto(out: usize): void {
    const state = changetype<usize>(this.state);
    const block = changetype<usize>(this.block);
    const bitLenLow = this.total << 3;
    const bitLenHigh = this.total >> 61;
    let used = this.pending;
    store<u8>(block + <usize>used, 0x80);
    used++;
    if (used > BLOCK_BYTES - 16) {
      memory.fill(block + <usize>used, 0, <usize>(BLOCK_BYTES - used));
      compressUnsafe(state, block, 1);
      used = 0;
    }
    memory.fill(block + <usize>used, 0, <usize>(BLOCK_BYTES - 16 - used));
    store<u64>(block, bswap<u64>(bitLenHigh), BLOCK_BYTES - 16);
    store<u64>(block, bswap<u64>(bitLenLow), BLOCK_BYTES - 8);
    compressUnsafe(state, block, 1);
    for (let i: usize = 0; i < 8; i++) {
      store<u64>(out + (i << 3), bswap<u64>(load<u64>(state + (i << 3))));
    }
    this.reset();
  }

  digest(): Uint8Array {
    const out = new Uint8Array(DIGEST_BYTES);
    this.digestInto(out.dataStart);
    return out;
  }
}

// @ts-ignore: decorator
@lazy const oneShot = new Sha512();

/** SHA-512 of `data` (64 bytes). */
export function sha512(data: Uint8Array): Uint8Array {
  oneShot.reset();
  oneShot.update(data);
  return oneShot.digest();
}
