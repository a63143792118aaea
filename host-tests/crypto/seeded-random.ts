// Deterministic pseudo-random inputs for crypto tests (xorshift128+), so a failure reproduces
// from the seed printed in its test. Not for keys that need secrecy: test data only.
export interface SeededRandom {
  /** Uniform integer in [0, n). */
  int(n: number): number;
  bytes(n: number): Uint8Array;
}

export function seededRandom(seed: number): SeededRandom {
  let s0 = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  let s1 = BigInt(seed) ^ 0xbf58476d1ce4e5b9n;
  const mask = (1n << 64n) - 1n;
  s0 &= mask;
  s1 &= mask;
  function next(): bigint {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= (x << 23n) & mask;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (s1 + y) & mask;
  }
  for (let i = 0; i < 8; i++) next();
  return {
    int(n: number): number {
      return Number((next() >> 11n) % BigInt(Math.max(1, n)));
    },
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 8) {
        let v = next();
        for (let j = i; j < Math.min(n, i + 8); j++) {
          out[j] = Number(v & 0xffn);
          v >>= 8n;
        }
      }
      return out;
    },
  };
}
