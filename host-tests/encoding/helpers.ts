// Shared helpers for the encoding tests: the harness type, a seeded PRNG (failures reproduce),
// UTF-8 helpers and a strict deep comparison that tells 0 from -0 and ignores key order.
import { loadHarness } from '../lib/harness.js';

export interface EncodingHarness {
  b64Decode(s: string): Uint8Array | null;
  b64DecodeBytes(data: Uint8Array): Uint8Array | null;
  b64Encode(data: Uint8Array): string;
  utf8Check(data: Uint8Array): number;
  jsonRoundTrip(data: Uint8Array): string;
  jsonRoundTripLimits(data: Uint8Array, maxDepth: number, maxBytes: number): string;
  jsonNumber(data: Uint8Array): number;
  jsonNumberIsInteger(data: Uint8Array): number;
  jsonGet(data: Uint8Array, key: string): string;
  jsonGetIgnoreCase(data: Uint8Array, key: string): string;
  jsonAmbiguousKey(data: Uint8Array): string;
  jsonKindInfo(data: Uint8Array): string;
  jsonQuoteString(s: string): string;
  writerNumber(v: number): string;
  numberText(v: number): string;
  writerInteger(v: bigint): string;
  writerSample(s: string, n: number): string;
  writerMisuse(script: number): number;
}

export function loadEncoding(): Promise<EncodingHarness> {
  return loadHarness<EncodingHarness>('encoding');
}

const encoder = new TextEncoder();
export const utf8 = (s: string): Uint8Array => encoder.encode(s);

/** Strict UTF-8 decoding that keeps a BOM, so JSON.parse sees exactly the bytes we parsed. */
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
export function decodeStrict(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** JSON.parse over raw bytes; undefined when the bytes are not UTF-8 or not JSON. */
export function jsParse(bytes: Uint8Array): { value: unknown } | undefined {
  const text = decodeStrict(bytes);
  if (text === null) return undefined;
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (r: () => number, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[int(r, xs.length)];

/** Deep equality: numbers with Object.is (0 !== -0), objects as key sets (order-free). */
export function deepSame(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepSame(x, b[i]));
  }
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => deepSame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
