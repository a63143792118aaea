/**
 * Lenient readers for option values. Traefik's label providers turn every value into a string,
 * so booleans and integers may arrive as `"true"` / `"42"` and lists as `"a, b"`; keys arrive in
 * whatever casing the user typed. Every reader throws PolicyConfigError naming the option.
 */
import { PolicyConfigError } from './errors.js';

export type RawObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is RawObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Looks keys up case-insensitively and reports keys nobody asked for, so a typo such as
 * `requiredScope` fails loudly instead of silently disabling a check.
 */
export class OptionReader {
  private readonly byLower = new Map<string, { key: string; value: unknown }>();
  private readonly used = new Set<string>();

  constructor(raw: RawObject, private readonly path: string) {
    for (const [key, value] of Object.entries(raw)) {
      const lower = key.toLowerCase();
      if (this.byLower.has(lower)) {
        throw new PolicyConfigError(this.name(key), `given twice (as "${this.byLower.get(lower)!.key}" and "${key}")`);
      }
      this.byLower.set(lower, { key, value });
    }
  }

  name(option: string): string {
    return this.path ? `${this.path}.${option}` : option;
  }

  /** The raw value of `option` (matched case-insensitively), or undefined when absent/null. */
  get(option: string): unknown {
    const lower = option.toLowerCase();
    this.used.add(lower);
    const found = this.byLower.get(lower);
    return found === undefined || found.value === null ? undefined : found.value;
  }

  /** Throws on the first key that no reader asked for. */
  rejectUnknown(): void {
    for (const [lower, { key }] of this.byLower) {
      if (!this.used.has(lower)) throw new PolicyConfigError(this.name(key), 'unknown option');
    }
  }
}

export function readString(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new PolicyConfigError(option, 'must be a string');
  return value;
}

export function readBool(value: unknown, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw new PolicyConfigError(option, 'must be true or false');
}

export function readInt(value: unknown, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value)) n = Number(value.trim());
  else throw new PolicyConfigError(option, `must be an integer between ${min} and ${max}`);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new PolicyConfigError(option, `must be an integer between ${min} and ${max}`);
  }
  return n;
}

/** A list of strings: a JSON array of strings or a comma-separated string; blanks dropped. */
export function readStringList(value: unknown, option: string): string[] | undefined {
  if (value === undefined) return undefined;
  let items: unknown[];
  if (typeof value === 'string') items = value.split(',');
  else if (Array.isArray(value)) items = value;
  else if (isIndexObject(value)) items = indexObjectToArray(value);
  else throw new PolicyConfigError(option, 'must be a list or a comma-separated string');
  const out: string[] = [];
  items.forEach((item, i) => {
    if (typeof item !== 'string') throw new PolicyConfigError(`${option}[${i}]`, 'must be a string');
    const trimmed = item.trim();
    if (trimmed !== '') out.push(trimmed);
  });
  return out;
}

/**
 * Some providers hand lists over as objects keyed "0", "1", ...; accept those as arrays.
 */
export function isIndexObject(value: unknown): value is RawObject {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => /^(0|[1-9]\d{0,3})$/.test(k));
}

export function indexObjectToArray(value: RawObject): unknown[] {
  return Object.keys(value)
    .map(Number)
    .sort((a, b) => a - b)
    .map((k) => value[String(k)]);
}

/** A value that may be given as an object/array or as a JSON string of one. */
export function readJsonish(value: unknown, option: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new PolicyConfigError(option, 'is a string but not valid JSON');
  }
}

/** An absolute http(s) URL without a fragment, returned as given. */
export function readHttpUrl(value: unknown, option: string): string | undefined {
  const s = readString(value, option);
  if (s === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new PolicyConfigError(option, 'must be an absolute http or https URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PolicyConfigError(option, 'must be an absolute http or https URL');
  }
  if (s.includes('#')) throw new PolicyConfigError(option, 'must not contain a fragment');
  return s;
}
