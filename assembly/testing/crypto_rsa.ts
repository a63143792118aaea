// Test harness: exposes SHA-256 and RS256 verification to host-tests/crypto and the speed script.
import { Sha256, sha256 as sha256OneShot } from '../crypto/sha256';
import { RsaPublicKey, rsaVerifyPkcs1Sha256 } from '../crypto/rsa';

export function sha256(data: Uint8Array): Uint8Array {
  return sha256OneShot(data);
}

// Reused across calls on purpose: every digest must leave it ready for the next message.
const streaming = new Sha256();

/**
 * Hashes `data` fed in chunks of the given lengths (the last chunk takes whatever is left).
 * viaPointers != 0 uses updateUnsafe/digestInto, otherwise update/digest.
 */
export function sha256Streamed(
  data: Uint8Array, chunkLengths: Int32Array, viaPointers: i32,
): Uint8Array {
  let offset = 0;
  for (let i = 0; i < chunkLengths.length && offset < data.length; i++) {
    const take = min(chunkLengths[i], data.length - offset);
    if (viaPointers) streaming.updateUnsafe(data.dataStart + <usize>offset, take);
    else streaming.update(data.subarray(offset, offset + take));
    offset += take;
  }
  if (offset < data.length) streaming.update(data.subarray(offset));
  if (!viaPointers) return streaming.digest();
  const out = new Uint8Array(32);
  streaming.digestInto(out.dataStart);
  return out;
}

/** Absorbs `discarded`, resets, then hashes `data`: reset() must forget the first part. */
export function sha256AfterReset(discarded: Uint8Array, data: Uint8Array): Uint8Array {
  streaming.update(discarded);
  streaming.reset();
  streaming.update(data);
  return streaming.digest();
}

/** Key size in bits, or -1 when the key is refused. */
export function rsaKeyBits(n: Uint8Array, e: Uint8Array, allowExponent3: i32): i32 {
  const key = RsaPublicKey.fromJwk(n, e, allowExponent3 != 0);
  return key === null ? -1 : key.bits;
}

/** -1 key refused, 0 invalid, 1 valid; the message is hashed with the guest SHA-256. */
export function rsaVerify(
  n: Uint8Array, e: Uint8Array, msg: Uint8Array, sig: Uint8Array, allowExponent3: i32,
): i32 {
  return rsaVerifyDigest(n, e, sha256OneShot(msg), sig, allowExponent3);
}

/** As rsaVerify, but with the digest given directly (any length). */
export function rsaVerifyDigest(
  n: Uint8Array, e: Uint8Array, digest: Uint8Array, sig: Uint8Array, allowExponent3: i32,
): i32 {
  const key = RsaPublicKey.fromJwk(n, e, allowExponent3 != 0);
  if (key === null) return -1;
  return rsaVerifyPkcs1Sha256(key, digest, sig) ? 1 : 0;
}

/**
 * s^e mod n as modulus-length big-endian bytes; empty when the key is refused, sig has the wrong
 * length or s >= n.
 */
export function rsaPublicOperation(
  n: Uint8Array, e: Uint8Array, sig: Uint8Array, allowExponent3: i32,
): Uint8Array {
  const key = RsaPublicKey.fromJwk(n, e, allowExponent3 != 0);
  if (key === null) return new Uint8Array(0);
  const out = new Uint8Array(key.byteLength);
  return key.publicOperationInto(sig, out) ? out : new Uint8Array(0);
}

// Speed script state: one key and signature, verified repeatedly without crossing the JS boundary.
let benchKey: RsaPublicKey | null = null;
let benchDigest = new Uint8Array(0);
let benchSignature = new Uint8Array(0);

/** Stores a key/digest/signature for benchVerify; returns the key bits or -1. */
export function benchSetup(n: Uint8Array, e: Uint8Array, digest: Uint8Array, sig: Uint8Array): i32 {
  benchKey = RsaPublicKey.fromJwk(n, e);
  benchDigest = digest;
  benchSignature = sig;
  const key = benchKey;
  return key === null ? -1 : key.bits;
}

/** Verifies the stored signature `iterations` times; returns how many verified. */
export function benchVerify(iterations: i32): i32 {
  const key = benchKey;
  if (key === null) return -1;
  let ok = 0;
  for (let i = 0; i < iterations; i++) {
    if (rsaVerifyPkcs1Sha256(key, benchDigest, benchSignature)) ok++;
  }
  return ok;
}

/** Builds a key from n/e `iterations` times (R^2 mod n precomputation cost); returns the bits. */
export function benchKeyImport(n: Uint8Array, e: Uint8Array, iterations: i32): i32 {
  let bits = -1;
  for (let i = 0; i < iterations; i++) {
    const key = RsaPublicKey.fromJwk(n, e);
    bits = key === null ? -1 : key.bits;
  }
  return bits;
}
