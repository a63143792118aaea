// Test harness: exposes SHA-512, scalar reduction and Ed25519 verification to host-tests
// (host-tests/crypto/sha512.test.ts, host-tests/crypto/ed25519.test.ts) and to the speed script
// host-tests/bench/ed25519-speed.mjs.
import { Sha512, sha512 as sha512OneShot } from '../crypto/sha512';
import { scReduce512 } from '../crypto/ed25519_scalar';
import { P3_BYTES, geDecode } from '../crypto/ed25519_point';
import { Ed25519PublicKey, ed25519Verify as verify } from '../crypto/ed25519';

export function sha512(data: Uint8Array): Uint8Array {
  return sha512OneShot(data);
}

// One long-lived hasher: digest() must leave it reset for the next call.
const streaming = new Sha512();

/**
 * Hashes `data` fed in pieces: `cuts` are ascending offsets where a new update() starts. Pieces
 * alternate between update() (a copied subarray) and updateUnsafe() when `mixUnsafe` is non-zero.
 */
export function sha512Chunked(data: Uint8Array, cuts: Int32Array, mixUnsafe: i32): Uint8Array {
  let start = 0;
  for (let i = 0; i <= cuts.length; i++) {
    let end = i < cuts.length ? cuts[i] : data.length;
    if (end < start) end = start;
    if (end > data.length) end = data.length;
    if (mixUnsafe != 0 && (i & 1) != 0) {
      streaming.updateUnsafe(data.dataStart + <usize>start, end - start);
    } else {
      streaming.update(data.slice(start, end));
    }
    start = end;
  }
  return streaming.digest();
}

/** x mod L for a 64-byte little-endian x (empty result for any other length). */
export function scReduce(x: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  if (x.length != 64) return new Uint8Array(0);
  scReduce512(out.dataStart, x.dataStart);
  return out;
}

const decodedPoint = new StaticArray<u8>(<i32>P3_BYTES);

/** 1 when the 32 bytes decode to a curve point under RFC 8032 5.1.3's strict rules, else 0. */
export function pointDecodes(encoding: Uint8Array): i32 {
  if (encoding.length != 32) return 0;
  return geDecode(changetype<usize>(decodedPoint), encoding.dataStart) ? 1 : 0;
}

/** -1 when the key is refused, 0 when the signature is invalid, 1 when valid. */
export function ed25519Verify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): i32 {
  const key = Ed25519PublicKey.fromBytes(pk);
  if (key === null) return -1;
  return verify(key, msg, sig) ? 1 : 0;
}

/** 1 when Ed25519PublicKey.fromBytes accepts the bytes, 0 when it refuses them. */
export function ed25519KeyAccepted(pk: Uint8Array): i32 {
  return Ed25519PublicKey.fromBytes(pk) === null ? 0 : 1;
}

let loadedKey: Ed25519PublicKey | null = null;

/** Parses and keeps a key for ed25519VerifyLoaded (the plugin's cached-JWKS pattern). */
export function ed25519LoadKey(pk: Uint8Array): i32 {
  loadedKey = Ed25519PublicKey.fromBytes(pk);
  return loadedKey === null ? 0 : 1;
}

/** Verifies `times` times against the loaded key (for timing); -1 without a key. */
export function ed25519VerifyLoaded(msg: Uint8Array, sig: Uint8Array, times: i32): i32 {
  const key = loadedKey;
  if (key === null) return -1;
  let ok = 0;
  for (let i = 0; i < times; i++) ok = verify(key, msg, sig) ? 1 : 0;
  return ok;
}
