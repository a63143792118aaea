// Arithmetic in GF(2^255 - 19) for Ed25519, after ref10 (SUPERCOP, Bernstein et al.): an element is
// 10 signed limbs in radix 2^25.5 (26, 25, 26, 25, ... bits), stored as i32 at a pointer (FE_BYTES
// bytes). Limb products are taken in i64, which wasm does natively. Operations work on pointers so
// callers can keep all temporaries in module-level scratch; every operation loads its inputs before
// storing, so the output may alias any input.
//
// Limb bounds follow ref10: add/sub/neg do not carry (outputs grow by one bit) and mul/sq accept
// such outputs; the point formulas in ed25519_point.ts keep to ref10's order of operations so its
// bound analysis carries over. Nothing here is constant time: only public data (keys, signatures)
// is processed, because the guest only verifies.

export const FE_BYTES: usize = 40;

// Limb i holds bits from position ceil(25.5 * i): 0, 26, 51, 77, 102, 128, 153, 179, 204, 230.

/** h = f + g */
export function feAdd(h: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < FE_BYTES; i += 4) {
    store<i32>(h + i, load<i32>(f + i) + load<i32>(g + i));
  }
}

/** h = f - g */
export function feSub(h: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < FE_BYTES; i += 4) {
    store<i32>(h + i, load<i32>(f + i) - load<i32>(g + i));
  }
}

/** h = -f */
export function feNeg(h: usize, f: usize): void {
  for (let i: usize = 0; i < FE_BYTES; i += 4) {
    store<i32>(h + i, -load<i32>(f + i));
  }
}

/** h = f */
export function feCopy(h: usize, f: usize): void {
  memory.copy(h, f, FE_BYTES);
}

/** h = n for a small non-negative n (< 2^25). */
export function feSetSmall(h: usize, n: i32): void {
  memory.fill(h, 0, FE_BYTES);
  store<i32>(h, n);
}

// @ts-ignore: decorator
@inline function load3(p: usize): i64 {
  return <i64>(<u32>load<u16>(p) | (<u32>load<u8>(p, 2) << 16));
}

// @ts-ignore: decorator
@inline function load4(p: usize): i64 {
  return <i64>load<u32>(p);
}

/** Stores ten i64 limbs after ref10's carry chain, which leaves |h_i| within about 2^25 / 2^24. */
// @ts-ignore: decorator
@inline function carryStore(
  out: usize, h0: i64, h1: i64, h2: i64, h3: i64, h4: i64, h5: i64, h6: i64, h7: i64, h8: i64, h9: i64,
): void {
  let c: i64;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h1 + (1 << 24)) >> 25; h2 += c; h1 -= c << 25;
  c = (h5 + (1 << 24)) >> 25; h6 += c; h5 -= c << 25;
  c = (h2 + (1 << 25)) >> 26; h3 += c; h2 -= c << 26;
  c = (h6 + (1 << 25)) >> 26; h7 += c; h6 -= c << 26;
  c = (h3 + (1 << 24)) >> 25; h4 += c; h3 -= c << 25;
  c = (h7 + (1 << 24)) >> 25; h8 += c; h7 -= c << 25;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h8 + (1 << 25)) >> 26; h9 += c; h8 -= c << 26;
  c = (h9 + (1 << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  store<i32>(out, <i32>h0, 0); store<i32>(out, <i32>h1, 4); store<i32>(out, <i32>h2, 8);
  store<i32>(out, <i32>h3, 12); store<i32>(out, <i32>h4, 16); store<i32>(out, <i32>h5, 20);
  store<i32>(out, <i32>h6, 24); store<i32>(out, <i32>h7, 28); store<i32>(out, <i32>h8, 32);
  store<i32>(out, <i32>h9, 36);
}

/**
 * Loads a 32-byte little-endian encoding, ignoring bit 255 (the x sign bit of a point encoding).
 * Values in [p, 2^255) are accepted and reduced; callers that need canonical input check
 * `isCanonicalEncoding` first.
 */
export function feFromBytes(h: usize, s: usize): void {
  carryFromBytes(
    h,
    load4(s),
    load3(s + 4) << 6,
    load3(s + 7) << 5,
    load3(s + 10) << 3,
    load3(s + 13) << 2,
    load4(s + 16),
    load3(s + 20) << 7,
    load3(s + 23) << 5,
    load3(s + 26) << 4,
    (load3(s + 29) & 0x7fffff) << 2,
  );
}

// @ts-ignore: decorator
@inline function carryFromBytes(
  out: usize, h0: i64, h1: i64, h2: i64, h3: i64, h4: i64, h5: i64, h6: i64, h7: i64, h8: i64, h9: i64,
): void {
  let c: i64;
  c = (h9 + (1 << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h1 + (1 << 24)) >> 25; h2 += c; h1 -= c << 25;
  c = (h3 + (1 << 24)) >> 25; h4 += c; h3 -= c << 25;
  c = (h5 + (1 << 24)) >> 25; h6 += c; h5 -= c << 25;
  c = (h7 + (1 << 24)) >> 25; h8 += c; h7 -= c << 25;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  c = (h2 + (1 << 25)) >> 26; h3 += c; h2 -= c << 26;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h6 + (1 << 25)) >> 26; h7 += c; h6 -= c << 26;
  c = (h8 + (1 << 25)) >> 26; h9 += c; h8 -= c << 26;
  store<i32>(out, <i32>h0, 0); store<i32>(out, <i32>h1, 4); store<i32>(out, <i32>h2, 8);
  store<i32>(out, <i32>h3, 12); store<i32>(out, <i32>h4, 16); store<i32>(out, <i32>h5, 20);
  store<i32>(out, <i32>h6, 24); store<i32>(out, <i32>h7, 28); store<i32>(out, <i32>h8, 32);
  store<i32>(out, <i32>h9, 36);
}

/** True when the 255-bit value in `s` (bit 255 ignored) is below p = 2^255 - 19. */
export function isCanonicalEncoding(s: usize): bool {
  // Only 2^255 - 19 .. 2^255 - 1 are non-canonical: top byte 0x7f (ignoring bit 255), bytes
  // 1..30 all 0xff, and byte 0 >= 0xed.
  if ((load<u8>(s, 31) & 0x7f) != 0x7f) return true;
  for (let i: usize = 1; i < 31; i++) {
    if (load<u8>(s + i) != 0xff) return true;
  }
  return load<u8>(s) < 0xed;
}

// @ts-ignore: decorator
@lazy const carried: usize = memory.data(<i32>FE_BYTES, 8);

/** Writes the canonical 32-byte little-endian encoding of f (fully reduced mod p). */
export function feToBytes(s: usize, f: usize): void {
  // Carry first so that any limb bounds reachable by add/sub chains meet ref10's precondition
  // for the reduction below (|h_i| at most about 2^25 / 2^24).
  carryStore(
    carried,
    <i64>load<i32>(f, 0), <i64>load<i32>(f, 4), <i64>load<i32>(f, 8), <i64>load<i32>(f, 12), <i64>load<i32>(f, 16),
    <i64>load<i32>(f, 20), <i64>load<i32>(f, 24), <i64>load<i32>(f, 28), <i64>load<i32>(f, 32), <i64>load<i32>(f, 36),
  );
  f = carried;
  let h0 = load<i32>(f, 0), h1 = load<i32>(f, 4), h2 = load<i32>(f, 8), h3 = load<i32>(f, 12);
  let h4 = load<i32>(f, 16), h5 = load<i32>(f, 20), h6 = load<i32>(f, 24), h7 = load<i32>(f, 28);
  let h8 = load<i32>(f, 32), h9 = load<i32>(f, 36);
  // q = floor(h / p), found by carrying 19*h9's contribution through every limb (ref10 fe_tobytes).
  let q = (19 * h9 + (1 << 24)) >> 25;
  q = (h0 + q) >> 26; q = (h1 + q) >> 25; q = (h2 + q) >> 26; q = (h3 + q) >> 25; q = (h4 + q) >> 26;
  q = (h5 + q) >> 25; q = (h6 + q) >> 26; q = (h7 + q) >> 25; q = (h8 + q) >> 26; q = (h9 + q) >> 25;
  // h - q*p = h + 19q - q*2^255: add 19q, carry, and drop the 2^255 bit.
  h0 += 19 * q;
  let c: i32;
  c = h0 >> 26; h1 += c; h0 -= c << 26;
  c = h1 >> 25; h2 += c; h1 -= c << 25;
  c = h2 >> 26; h3 += c; h2 -= c << 26;
  c = h3 >> 25; h4 += c; h3 -= c << 25;
  c = h4 >> 26; h5 += c; h4 -= c << 26;
  c = h5 >> 25; h6 += c; h5 -= c << 25;
  c = h6 >> 26; h7 += c; h6 -= c << 26;
  c = h7 >> 25; h8 += c; h7 -= c << 25;
  c = h8 >> 26; h9 += c; h8 -= c << 26;
  c = h9 >> 25; h9 -= c << 25;
  // Every limb is now non-negative and within its width; pack bit positions 0, 26, 51, 77, 102,
  // 128, 153, 179, 204, 230 into four little-endian 64-bit words.
  const l0 = <u64>h0, l1 = <u64>h1, l2 = <u64>h2, l3 = <u64>h3, l4 = <u64>h4;
  const l5 = <u64>h5, l6 = <u64>h6, l7 = <u64>h7, l8 = <u64>h8, l9 = <u64>h9;
  store<u64>(s, l0 | (l1 << 26) | (l2 << 51), 0);
  store<u64>(s, (l2 >> 13) | (l3 << 13) | (l4 << 38), 8);
  store<u64>(s, l5 | (l6 << 25) | (l7 << 51), 16);
  store<u64>(s, (l7 >> 13) | (l8 << 12) | (l9 << 38), 24);
}

// @ts-ignore: decorator
@lazy const bytesScratch: usize = memory.data(32);

/** True when f is odd once fully reduced: the "negative" x of RFC 8032's point encoding. */
export function feIsNegative(f: usize): bool {
  feToBytes(bytesScratch, f);
  return (load<u8>(bytesScratch) & 1) != 0;
}

/** True when f != 0 mod p. */
export function feIsNonZero(f: usize): bool {
  feToBytes(bytesScratch, f);
  return (load<u64>(bytesScratch, 0) | load<u64>(bytesScratch, 8) | load<u64>(bytesScratch, 16) | load<u64>(bytesScratch, 24)) != 0;
}

/** h = f * g */
export function feMul(h: usize, f: usize, g: usize): void {
  const f0 = <i64>load<i32>(f, 0), f1 = <i64>load<i32>(f, 4), f2 = <i64>load<i32>(f, 8), f3 = <i64>load<i32>(f, 12);
  const f4 = <i64>load<i32>(f, 16), f5 = <i64>load<i32>(f, 20), f6 = <i64>load<i32>(f, 24), f7 = <i64>load<i32>(f, 28);
  const f8 = <i64>load<i32>(f, 32), f9 = <i64>load<i32>(f, 36);
  const g0 = <i64>load<i32>(g, 0), g1 = <i64>load<i32>(g, 4), g2 = <i64>load<i32>(g, 8), g3 = <i64>load<i32>(g, 12);
  const g4 = <i64>load<i32>(g, 16), g5 = <i64>load<i32>(g, 20), g6 = <i64>load<i32>(g, 24), g7 = <i64>load<i32>(g, 28);
  const g8 = <i64>load<i32>(g, 32), g9 = <i64>load<i32>(g, 36);
  // Limb i times limb j lands in limb i + j; past limb 9 it wraps with a factor 19 (2^255 = 19),
  // and odd times odd needs a factor 2 because both limbs sit half a bit above their 25.5 slot.
  const f1_2 = f1 * 2;
  const f3_2 = f3 * 2;
  const f5_2 = f5 * 2;
  const f7_2 = f7 * 2;
  const f9_2 = f9 * 2;
  const g1_19 = g1 * 19;
  const g2_19 = g2 * 19;
  const g3_19 = g3 * 19;
  const g4_19 = g4 * 19;
  const g5_19 = g5 * 19;
  const g6_19 = g6 * 19;
  const g7_19 = g7 * 19;
  const g8_19 = g8 * 19;
  const g9_19 = g9 * 19;
  const h0 = f0 * g0 + f1_2 * g9_19 + f2 * g8_19 + f3_2 * g7_19 + f4 * g6_19 + f5_2 * g5_19 + f6 * g4_19 + f7_2 * g3_19 + f8 * g2_19 + f9_2 * g1_19;
  const h1 = f0 * g1 + f1 * g0 + f2 * g9_19 + f3 * g8_19 + f4 * g7_19 + f5 * g6_19 + f6 * g5_19 + f7 * g4_19 + f8 * g3_19 + f9 * g2_19;
  const h2 = f0 * g2 + f1_2 * g1 + f2 * g0 + f3_2 * g9_19 + f4 * g8_19 + f5_2 * g7_19 + f6 * g6_19 + f7_2 * g5_19 + f8 * g4_19 + f9_2 * g3_19;
  const h3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + f4 * g9_19 + f5 * g8_19 + f6 * g7_19 + f7 * g6_19 + f8 * g5_19 + f9 * g4_19;
  const h4 = f0 * g4 + f1_2 * g3 + f2 * g2 + f3_2 * g1 + f4 * g0 + f5_2 * g9_19 + f6 * g8_19 + f7_2 * g7_19 + f8 * g6_19 + f9_2 * g5_19;
  const h5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1 + f5 * g0 + f6 * g9_19 + f7 * g8_19 + f8 * g7_19 + f9 * g6_19;
  const h6 = f0 * g6 + f1_2 * g5 + f2 * g4 + f3_2 * g3 + f4 * g2 + f5_2 * g1 + f6 * g0 + f7_2 * g9_19 + f8 * g8_19 + f9_2 * g7_19;
  const h7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3 + f5 * g2 + f6 * g1 + f7 * g0 + f8 * g9_19 + f9 * g8_19;
  const h8 = f0 * g8 + f1_2 * g7 + f2 * g6 + f3_2 * g5 + f4 * g4 + f5_2 * g3 + f6 * g2 + f7_2 * g1 + f8 * g0 + f9_2 * g9_19;
  const h9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5 + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1 + f9 * g0;
  carryStore(h, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/** h = f^2 */
export function feSq(h: usize, f: usize): void {
  const f0 = <i64>load<i32>(f, 0), f1 = <i64>load<i32>(f, 4), f2 = <i64>load<i32>(f, 8), f3 = <i64>load<i32>(f, 12);
  const f4 = <i64>load<i32>(f, 16), f5 = <i64>load<i32>(f, 20), f6 = <i64>load<i32>(f, 24), f7 = <i64>load<i32>(f, 28);
  const f8 = <i64>load<i32>(f, 32), f9 = <i64>load<i32>(f, 36);
  // feMul's terms with f = g: each cross product i != j appears twice.
  const f0_2 = f0 * 2;
  const f1_2 = f1 * 2;
  const f1_4 = f1 * 4;
  const f2_2 = f2 * 2;
  const f3_2 = f3 * 2;
  const f3_4 = f3 * 4;
  const f4_2 = f4 * 2;
  const f5_2 = f5 * 2;
  const f5_4 = f5 * 4;
  const f5_19 = f5 * 19;
  const f6_2 = f6 * 2;
  const f6_19 = f6 * 19;
  const f7_2 = f7 * 2;
  const f7_4 = f7 * 4;
  const f7_19 = f7 * 19;
  const f8_2 = f8 * 2;
  const f8_19 = f8 * 19;
  const f9_2 = f9 * 2;
  const f9_19 = f9 * 19;
  const h0 = f0 * f0 + f1_4 * f9_19 + f2_2 * f8_19 + f3_4 * f7_19 + f4_2 * f6_19 + f5_2 * f5_19;
  const h1 = f0_2 * f1 + f2_2 * f9_19 + f3_2 * f8_19 + f4_2 * f7_19 + f5_2 * f6_19;
  const h2 = f0_2 * f2 + f1_2 * f1 + f3_4 * f9_19 + f4_2 * f8_19 + f5_4 * f7_19 + f6 * f6_19;
  const h3 = f0_2 * f3 + f1_2 * f2 + f4_2 * f9_19 + f5_2 * f8_19 + f6_2 * f7_19;
  const h4 = f0_2 * f4 + f1_4 * f3 + f2 * f2 + f5_4 * f9_19 + f6_2 * f8_19 + f7_2 * f7_19;
  const h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6_2 * f9_19 + f7_2 * f8_19;
  const h6 = f0_2 * f6 + f1_4 * f5 + f2_2 * f4 + f3_2 * f3 + f7_4 * f9_19 + f8 * f8_19;
  const h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8_2 * f9_19;
  const h8 = f0_2 * f8 + f1_4 * f7 + f2_2 * f6 + f3_4 * f5 + f4 * f4 + f9_2 * f9_19;
  const h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
  carryStore(h, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/** h = 2 * f^2 (ref10 fe_sq2, used by point doubling). */
export function feSq2(h: usize, f: usize): void {
  const f0 = <i64>load<i32>(f, 0), f1 = <i64>load<i32>(f, 4), f2 = <i64>load<i32>(f, 8), f3 = <i64>load<i32>(f, 12);
  const f4 = <i64>load<i32>(f, 16), f5 = <i64>load<i32>(f, 20), f6 = <i64>load<i32>(f, 24), f7 = <i64>load<i32>(f, 28);
  const f8 = <i64>load<i32>(f, 32), f9 = <i64>load<i32>(f, 36);
  const f0_2 = f0 * 2;
  const f1_2 = f1 * 2;
  const f1_4 = f1 * 4;
  const f2_2 = f2 * 2;
  const f3_2 = f3 * 2;
  const f3_4 = f3 * 4;
  const f4_2 = f4 * 2;
  const f5_2 = f5 * 2;
  const f5_4 = f5 * 4;
  const f5_19 = f5 * 19;
  const f6_2 = f6 * 2;
  const f6_19 = f6 * 19;
  const f7_2 = f7 * 2;
  const f7_4 = f7 * 4;
  const f7_19 = f7 * 19;
  const f8_2 = f8 * 2;
  const f8_19 = f8 * 19;
  const f9_2 = f9 * 2;
  const f9_19 = f9 * 19;
  const h0 = 2 * (f0 * f0 + f1_4 * f9_19 + f2_2 * f8_19 + f3_4 * f7_19 + f4_2 * f6_19 + f5_2 * f5_19);
  const h1 = 2 * (f0_2 * f1 + f2_2 * f9_19 + f3_2 * f8_19 + f4_2 * f7_19 + f5_2 * f6_19);
  const h2 = 2 * (f0_2 * f2 + f1_2 * f1 + f3_4 * f9_19 + f4_2 * f8_19 + f5_4 * f7_19 + f6 * f6_19);
  const h3 = 2 * (f0_2 * f3 + f1_2 * f2 + f4_2 * f9_19 + f5_2 * f8_19 + f6_2 * f7_19);
  const h4 = 2 * (f0_2 * f4 + f1_4 * f3 + f2 * f2 + f5_4 * f9_19 + f6_2 * f8_19 + f7_2 * f7_19);
  const h5 = 2 * (f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6_2 * f9_19 + f7_2 * f8_19);
  const h6 = 2 * (f0_2 * f6 + f1_4 * f5 + f2_2 * f4 + f3_2 * f3 + f7_4 * f9_19 + f8 * f8_19);
  const h7 = 2 * (f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8_2 * f9_19);
  const h8 = 2 * (f0_2 * f8 + f1_4 * f7 + f2_2 * f6 + f3_4 * f5 + f4 * f4 + f9_2 * f9_19);
  const h9 = 2 * (f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5);
  carryStore(h, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/** h = f^(2^n) for n >= 1. */
function feSqN(h: usize, f: usize, n: i32): void {
  feSq(h, f);
  for (let i = 1; i < n; i++) feSq(h, h);
}

// Scratch for the exponentiation chains below (not re-entrant; the guest is single-threaded).
// @ts-ignore: decorator
@lazy const t0: usize = memory.data(<i32>FE_BYTES, 8);
// @ts-ignore: decorator
@lazy const t1: usize = memory.data(<i32>FE_BYTES, 8);
// @ts-ignore: decorator
@lazy const t2: usize = memory.data(<i32>FE_BYTES, 8);
// @ts-ignore: decorator
@lazy const t3: usize = memory.data(<i32>FE_BYTES, 8);

/**
 * Leaves z^(2^250 - 1) in t1 and z^11 in t0 (the shared prefix of ref10's inversion and
 * square-root addition chains).
 */
function pow2_250_1(z: usize): void {
  feSq(t0, z); //                      z^2
  feSqN(t1, t0, 2); //                 z^8
  feMul(t1, z, t1); //                 z^9
  feMul(t0, t0, t1); //                z^11
  feSq(t2, t0); //                     z^22
  feMul(t1, t1, t2); //                z^31 = z^(2^5 - 1)
  feSqN(t2, t1, 5);
  feMul(t1, t2, t1); //                z^(2^10 - 1)
  feSqN(t2, t1, 10);
  feMul(t2, t2, t1); //                z^(2^20 - 1)
  feSqN(t3, t2, 20);
  feMul(t2, t3, t2); //                z^(2^40 - 1)
  feSqN(t2, t2, 10);
  feMul(t1, t2, t1); //                z^(2^50 - 1)
  feSqN(t2, t1, 50);
  feMul(t2, t2, t1); //                z^(2^100 - 1)
  feSqN(t3, t2, 100);
  feMul(t2, t3, t2); //                z^(2^200 - 1)
  feSqN(t2, t2, 50);
  feMul(t1, t2, t1); //                z^(2^250 - 1)
}

/** out = z^(p - 2) = 1/z (0 maps to 0). */
export function feInvert(out: usize, z: usize): void {
  pow2_250_1(z);
  feSqN(t1, t1, 5); //                 z^(2^255 - 32)
  feMul(out, t1, t0); //               z^(2^255 - 21) = z^(p - 2)
}

/** out = z^((p - 5) / 8) = z^(2^252 - 3), the core of the square root in point decoding. */
export function fePow22523(out: usize, z: usize): void {
  pow2_250_1(z);
  feSqN(t1, t1, 2); //                 z^(2^252 - 4)
  feMul(out, t1, z); //                z^(2^252 - 3)
}
