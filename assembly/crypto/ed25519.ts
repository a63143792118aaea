// Ed25519 signature verification (RFC 8032 section 5.1.7; JWS alg "EdDSA" with crv "Ed25519").
//
// Policy, chosen to agree with node:crypto / OpenSSL and Go's crypto/ed25519 on every signature
// they can be given, and to pass Wycheproof:
// - A signature is exactly 64 bytes R || S, and S must be canonical (S < L); otherwise invalid
//   (this is what stops S + L malleability).
// - The check is the cofactorless equation [S]B = R + [k]A with k = SHA-512(R || A || M) mod L,
//   evaluated as encode([S]B + [k](-A)) == R byte for byte. A byte match means R is the canonical
//   encoding of a curve point, so non-canonical R encodings (y >= p, or x = 0 with the sign bit
//   set) never verify, exactly like ref10 / OpenSSL.
// - Public keys are refused (Ed25519PublicKey.fromBytes returns null) when they are not 32 bytes,
//   not a canonical point encoding (y >= p, no square root, or x = 0 with the sign bit set), or of
//   small order ([8]A = identity: the 8 torsion points, for which a signature can verify for
//   many messages with no private key behind it). This is stricter than OpenSSL, which accepts
//   such keys, but no honest key is affected and no Wycheproof group uses one. Keys of mixed order
//   (torsion component plus a large prime-order part) are accepted, as everywhere else.
// Verification is variable time: it handles public data only.
import { Sha512 } from './sha512';
import { scIsCanonical, scReduce512, scWnaf, WNAF_DIGITS, WNAF_INPUT_BYTES } from './ed25519_scalar';
import {
  BASE_WINDOW, CACHED_BYTES, KEY_WINDOW, P3_BYTES, geDecode, geDoubleScalarMultEncode, geIsSmallOrder, geNegP3,
  geOddMultiplesP3, geP3ToCached, oddMultipleCount,
} from './ed25519_point';

export const ED25519_PUBLIC_KEY_BYTES: i32 = 32;
export const ED25519_SIGNATURE_BYTES: i32 = 64;

// @ts-ignore: decorator
@lazy const decoded: usize = memory.data(<i32>P3_BYTES, 8);
// @ts-ignore: decorator
@lazy const multiples: usize = memory.data((1 << (KEY_WINDOW - 2)) * <i32>P3_BYTES, 8);

/** A validated Ed25519 public key with its per-key precomputation (build with `fromBytes`). */
export class Ed25519PublicKey {
  /** The 32-byte encoding, as hashed into every challenge k. */
  readonly encoded: StaticArray<u8>;
  /** CACHED odd multiples -A, -3A, ..., -15A for the KEY_WINDOW signed-window multiplication. */
  readonly negatedMultiples: StaticArray<u8>;

  constructor(encoded: StaticArray<u8>, negatedMultiples: StaticArray<u8>) {
    this.encoded = encoded;
    this.negatedMultiples = negatedMultiples;
  }

  /**
   * Parses a raw 32-byte public key (the JWK "x" member, base64url-decoded). Returns null for
   * anything that is not a canonical encoding of a curve point of more than small order.
   */
  static fromBytes(a: Uint8Array): Ed25519PublicKey | null {
    if (a.length != ED25519_PUBLIC_KEY_BYTES) return null;
    const src = a.dataStart;
    if (!geDecode(decoded, src)) return null;
    if (geIsSmallOrder(decoded)) return null;
    geNegP3(decoded, decoded);
    const count = oddMultipleCount(KEY_WINDOW);
    geOddMultiplesP3(multiples, decoded, count);
    const table = new StaticArray<u8>(count * <i32>CACHED_BYTES);
    const tablePtr = changetype<usize>(table);
    for (let i = 0; i < count; i++) {
      geP3ToCached(tablePtr + <usize>i * CACHED_BYTES, multiples + <usize>i * P3_BYTES);
    }
    const encoded = new StaticArray<u8>(ED25519_PUBLIC_KEY_BYTES);
    memory.copy(changetype<usize>(encoded), src, <usize>ED25519_PUBLIC_KEY_BYTES);
    return new Ed25519PublicKey(encoded, table);
  }
}

// Per-verify scratch. Scalar buffers carry WNAF_INPUT_BYTES - 32 zero bytes of read slack that
// are never written.
// @ts-ignore: decorator
@lazy const challengeHash: usize = memory.data(64, 8);
// @ts-ignore: decorator
@lazy const kScalar: usize = memory.data(<i32>WNAF_INPUT_BYTES, 8);
// @ts-ignore: decorator
@lazy const sScalar: usize = memory.data(<i32>WNAF_INPUT_BYTES, 8);
// @ts-ignore: decorator
@lazy const kDigits: usize = memory.data(WNAF_DIGITS, 8);
// @ts-ignore: decorator
@lazy const sDigits: usize = memory.data(WNAF_DIGITS, 8);
// @ts-ignore: decorator
@lazy const recomputedR: usize = memory.data(32, 8);

const hasher = new Sha512();

/**
 * True when `signature` is a valid Ed25519 signature of `message` under `key` (cofactorless
 * check, canonical S required; see the policy at the top of this file). Never traps.
 */
export function ed25519Verify(key: Ed25519PublicKey, message: Uint8Array, signature: Uint8Array): bool {
  if (signature.length != ED25519_SIGNATURE_BYTES) return false;
  const sig = signature.dataStart;
  const r = sig;
  const s = sig + 32;
  if (!scIsCanonical(s)) return false;
  hasher.reset();
  hasher.updateUnsafe(r, 32);
  hasher.updateUnsafe(changetype<usize>(key.encoded), ED25519_PUBLIC_KEY_BYTES);
  hasher.updateUnsafe(message.dataStart, message.length);
  hasher.digestInto(challengeHash);
  scReduce512(kScalar, challengeHash);
  memory.copy(sScalar, s, 32);
  scWnaf(kDigits, kScalar, KEY_WINDOW);
  scWnaf(sDigits, sScalar, BASE_WINDOW);
  // [S]B + [k](-A) must be R.
  geDoubleScalarMultEncode(recomputedR, kDigits, changetype<usize>(key.negatedMultiples), sDigits);
  return memory.compare(recomputedR, r, 32) == 0;
}
