// RSASSA-PKCS1-v1_5 signature verification with SHA-256 (JWS "RS256"), public key side only.
//
// Policy (the project's security checklist): modulus odd and 2048..4096 bits, e = 65537 (e = 3 only
// when the caller opts in), signature exactly as long as the modulus, s < n. The padding is never
// parsed: the whole expected block 00 01 FF..FF 00 || DigestInfo(SHA-256) || digest is built from
// scratch and compared with s^e mod n in full, so there is no ASN.1 parser to fool (the
// CVE-2006-4339 family of forgeries).

import {
  MAX_LIMBS, compareLimbs, differenceLimbs, limbsForBytes, limbsFromBytesBE, limbsToBytesBE,
  montMul, montSquare, montgomeryN0Inv, montgomeryRSquared,
} from './bignum';

const MIN_BITS: i32 = 2048;
const MAX_BITS: i32 = 4096;
const DIGEST_BYTES: i32 = 32;

// DER of DigestInfo { AlgorithmIdentifier { id-sha256, NULL }, OCTET STRING (32 bytes) } without
// the digest itself (RFC 8017 section 9.2, note 1).
const DIGEST_INFO_SHA256_LENGTH: i32 = 19;
const DIGEST_INFO_SHA256: usize = memory.data<u8>([
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
  0x00, 0x04, 0x20,
]);

// Per-verification scratch, sized for the largest modulus (module-level: verify never allocates).
const SIGNATURE: usize = memory.data(MAX_LIMBS * 4); // s as limbs
const RESULT: usize = memory.data(MAX_LIMBS * 4); // s^e mod n as limbs
const EXPECTED: usize = memory.data(MAX_LIMBS * 4); // expected encoded block as limbs
const ENCODED: usize = memory.data(MAX_BITS / 8); // expected encoded block, big-endian bytes

/** An RSA public key checked against the policy above, with its Montgomery constants. */
export class RsaPublicKey {
  /** Modulus size in bits (the position of its top set bit). */
  readonly bits: i32;
  /** Modulus size in bytes: the required signature length. */
  readonly byteLength: i32;
  /** Limbs used for arithmetic: enough for byteLength bytes, so any signature-length value fits. */
  private limbs: i32;
  /** n as `limbs` little-endian limbs. */
  private modulus: StaticArray<u32>;
  /** R^2 mod n, R = 2^(27 * limbs). */
  private rSquared: StaticArray<u32>;
  /** -n^-1 mod 2^27. */
  private n0inv: u32;
  /** e = 2^squarings + 1 (16 for 65537, 1 for 3). */
  private squarings: i32;

  private constructor(bits: i32, byteLength: i32, limbs: i32, squarings: i32) {
    this.bits = bits;
    this.byteLength = byteLength;
    this.limbs = limbs;
    this.modulus = new StaticArray<u32>(limbs);
    this.rSquared = new StaticArray<u32>(limbs);
    this.n0inv = 0;
    this.squarings = squarings;
  }

  /**
   * Builds a key from the big-endian bytes of a JWK's decoded `n` and `e`. Leading zero bytes are
   * ignored. Returns null unless n is odd and 2048..4096 bits and e is 65537 (or 3 when
   * `allowExponent3` is set).
   */
  static fromJwk(n: Uint8Array, e: Uint8Array, allowExponent3: bool = false): RsaPublicKey | null {
    const squarings = exponentSquarings(e.dataStart, e.byteLength, allowExponent3);
    if (squarings < 0) return null;

    let start = n.dataStart;
    let length = n.byteLength;
    while (length > 0 && load<u8>(start) == 0) {
      start++;
      length--;
    }
    if (length == 0) return null;
    const bits = ((length - 1) << 3) + (32 - clz<u32>(<u32>load<u8>(start)));
    if (bits < MIN_BITS || bits > MAX_BITS) return null;
    if ((load<u8>(start + <usize>length - 1) & 1) == 0) return null;

    const limbs = limbsForBytes(length); // <= MAX_LIMBS since length <= 512
    const key = new RsaPublicKey(bits, length, limbs, squarings);
    const modulus = changetype<usize>(key.modulus);
    limbsFromBytesBE(modulus, limbs, start, length);
    key.n0inv = montgomeryN0Inv(load<u32>(modulus));
    montgomeryRSquared(changetype<usize>(key.rSquared), modulus, key.n0inv, limbs, bits);
    return key;
  }

  /**
   * Leaves s^e mod n in RESULT for the signature bytes at `sig` (exactly byteLength of them).
   * Returns false, computing nothing, when s >= n.
   */
  @inline private publicOperation(sig: usize): bool {
    const limbs = this.limbs;
    const n = changetype<usize>(this.modulus);
    limbsFromBytesBE(SIGNATURE, limbs, sig, this.byteLength);
    if (compareLimbs(SIGNATURE, n, limbs) >= 0) return false;
    // x = s * R (Montgomery form); squaring k times gives s^(2^k) * R; one multiplication by the
    // plain s then yields s^(2^k + 1) * R * R^-1 = s^e, already out of Montgomery form.
    montMul(RESULT, SIGNATURE, changetype<usize>(this.rSquared), n, this.n0inv, limbs);
    for (let i = 0, k = this.squarings; i < k; i++) {
      montSquare(RESULT, RESULT, n, this.n0inv, limbs);
    }
    montMul(RESULT, RESULT, SIGNATURE, n, this.n0inv, limbs);
    return true;
  }

  /** Fills EXPECTED with EM = 00 01 FF..FF 00 || DigestInfo || digest as `limbs` limbs. */
  @inline private encodeExpected(digest: usize): void {
    const k = this.byteLength; // >= 256, so the FF run is always far longer than the required 8
    const tail = DIGEST_INFO_SHA256_LENGTH + DIGEST_BYTES;
    const em = ENCODED;
    store<u8>(em, 0x00);
    store<u8>(em, 0x01, 1);
    memory.fill(em + 2, 0xff, <usize>(k - 3 - tail));
    store<u8>(em + <usize>(k - tail - 1), 0x00);
    memory.copy(em + <usize>(k - tail), DIGEST_INFO_SHA256, DIGEST_INFO_SHA256_LENGTH);
    memory.copy(em + <usize>(k - DIGEST_BYTES), digest, DIGEST_BYTES);
    limbsFromBytesBE(EXPECTED, this.limbs, em, k);
  }

  /**
   * rsaVerifyPkcs1Sha256 without the length checks: the caller guarantees 32 readable bytes at
   * `digest` and byteLength at `sig`.
   */
  verifyUnsafe(digest: usize, sig: usize): bool {
    if (!this.publicOperation(sig)) return false;
    this.encodeExpected(digest);
    return differenceLimbs(RESULT, EXPECTED, this.limbs) == 0;
  }

  /**
   * Raw s^e mod n as byteLength big-endian bytes into `out`, or false (out untouched) when the
   * signature has the wrong length or s >= n. For tests of the arithmetic; verification uses
   * rsaVerifyPkcs1Sha256.
   */
  publicOperationInto(signature: Uint8Array, out: Uint8Array): bool {
    if (signature.byteLength != this.byteLength || out.byteLength != this.byteLength) return false;
    if (!this.publicOperation(signature.dataStart)) return false;
    limbsToBytesBE(out.dataStart, this.byteLength, RESULT, this.limbs);
    return true;
  }
}

/**
 * Reads e (big-endian, leading zeros ignored) and returns k with e = 2^k + 1 for the exponents the
 * policy accepts, or -1.
 */
function exponentSquarings(ptr: usize, len: i32, allowExponent3: bool): i32 {
  while (len > 0 && load<u8>(ptr) == 0) {
    ptr++;
    len--;
  }
  if (len > 3) return -1; // above 2^24: not 65537 (and would not fit the value below anyway)
  let value: u32 = 0;
  for (let i = 0; i < len; i++) value = (value << 8) | load<u8>(ptr + <usize>i);
  if (value == 65537) return 16;
  if (value == 3 && allowExponent3) return 1;
  return -1;
}

/**
 * True when `signature` is a valid RSASSA-PKCS1-v1_5 signature by `key` over a message whose
 * SHA-256 is `digest`. False for any malformed input (digest not 32 bytes, signature length not the
 * modulus length, s >= n); never traps.
 */
export function rsaVerifyPkcs1Sha256(
  key: RsaPublicKey, digest: Uint8Array, signature: Uint8Array,
): bool {
  if (digest.byteLength != DIGEST_BYTES) return false;
  if (signature.byteLength != key.byteLength) return false;
  return key.verifyUnsafe(digest.dataStart, signature.dataStart);
}
