// ROCA fingerprint (CVE-2017-15361): RSA moduli made by the vulnerable Infineon library have the
// form k*M + (65537^a mod M), so for every small prime p dividing M, n mod p lies in the subgroup
// that 65537 generates mod p. A random modulus passes this for all primes below with probability
// about 2^-150; a ROCA modulus always does. Such keys are factorable, so we refuse them.

/** The small primes the published detector (crocs-muni/roca) tests. */
const PRIMES: u32[] = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167];

/** n mod p for a big-endian byte string (Horner's rule; p < 2^8 keeps everything in u32). */
function modSmall(n: Uint8Array, p: u32): u32 {
  let r: u32 = 0;
  for (let i = 0; i < n.length; i++) r = ((r << 8) | <u32>n[i]) % p;
  return r;
}

/** True when `residue` is a power of 65537 modulo p. */
function inSubgroupOf65537(residue: u32, p: u32): bool {
  const g = <u32>(65537 % p);
  let x: u32 = 1;
  // The subgroup has at most p - 1 elements.
  for (let i: u32 = 0; i < p; i++) {
    if (x == residue) return true;
    x = (x * g) % p;
    if (x == 1) return false;
  }
  return false;
}

export function hasRocaFingerprint(modulus: Uint8Array): bool {
  if (modulus.length == 0) return false;
  for (let i = 0; i < PRIMES.length; i++) {
    const p = PRIMES[i];
    if (!inSubgroupOf65537(modSmall(modulus, p), p)) return false;
  }
  return true;
}
