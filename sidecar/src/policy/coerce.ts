/**
 * Lenient option readers, as the wasm plugin reads its options (assembly/policy/config.ts).
 * Leniency exists because of how Traefik hands options over: keys keep whatever casing the
 * provider produced (keys match ASCII-case-insensitively), label providers turn every value into
 * a string (`"true"`, `"42"` and `"a,b"` are accepted) and may turn lists into objects keyed
 * "0", "1", .... Strictness exists because a typo in an auth policy must not silently drop a
 * requirement: an unknown option is an error. The first problem is kept, like the plugin does,
 * so both report the same option for the same document.
 */
import { asciiEqualsIgnoreCase, memberIgnoreCase, type JsonNode, type JsonObject } from './json.js';

export interface OptionProblem {
  option: string;
  problem: string;
}

function isDecimalInteger(s: string): boolean {
  return /^-?[0-9]+$/.test(s);
}

/** An object whose member names are all non-negative decimal integers (also `{}`). */
export function isIndexObject(v: JsonNode): v is JsonObject {
  return v.kind === 'object' && v.keys.every((k) => isDecimalInteger(k) && !k.startsWith('-'));
}

/**
 * The members of an index object in numeric order. (The plugin takes them in document order;
 * Go's json.Marshal sorts map keys as text, so "10" would come before "2" there.)
 */
export function indexObjectItems(v: JsonObject): JsonNode[] {
  return v.keys
    .map((k, i) => ({ n: BigInt(k), i }))
    .sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : a.i - b.i))
    .map(({ i }) => v.values[i]!);
}

/** Reads options of one JSON object, remembering the first problem found. */
export class OptionReader {
  error: OptionProblem | undefined;

  constructor(readonly obj: JsonObject, readonly prefix: string) {}

  fail(option: string, problem: string): void {
    this.error ??= { option: this.prefix + option, problem };
  }

  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Refuses member names nobody knows, and names given twice in different casing. */
  checkKnown(known: readonly string[]): void {
    const keys = this.obj.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (!known.some((k) => asciiEqualsIgnoreCase(k, key))) {
        this.fail(key, 'unknown option');
        return;
      }
      for (let j = 0; j < i; j++) {
        if (asciiEqualsIgnoreCase(keys[j]!, key)) {
          this.fail(key, 'given twice with different casing');
          return;
        }
      }
    }
  }

  find(name: string): JsonNode | undefined {
    return memberIgnoreCase(this.obj, name);
  }

  string(name: string, fallback: string): string {
    const v = this.find(name);
    if (v === undefined || v.kind === 'null') return fallback;
    if (v.kind !== 'string') {
      this.fail(name, 'must be a string');
      return fallback;
    }
    return v.value;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.find(name);
    if (v === undefined || v.kind === 'null') return fallback;
    if (v.kind === 'bool') return v.value;
    if (v.kind === 'string') {
      const s = v.value.trim().toLowerCase();
      if (s === 'true') return true;
      if (s === 'false') return false;
    }
    this.fail(name, 'must be true or false');
    return fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const v = this.find(name);
    if (v === undefined || v.kind === 'null') return fallback;
    const problem = `must be a whole number from ${min} to ${max}`;
    let n: number;
    if (v.kind === 'number' && v.isInteger) {
      n = Math.trunc(v.value) || 0;
    } else if (v.kind === 'string' && isDecimalInteger(v.value.trim())) {
      const s = v.value.trim();
      if (s.length > 12) {
        this.fail(name, problem);
        return fallback;
      }
      n = Number.parseInt(s, 10) || 0;
    } else {
      this.fail(name, problem);
      return fallback;
    }
    if (n < min || n > max) {
      this.fail(name, problem);
      return fallback;
    }
    return n;
  }

  /**
   * Like list(), but an option that is present must name at least one entry: an empty value (a
   * Traefik label left empty, say) would otherwise silently switch a check off.
   */
  nonEmptyList(name: string, fallback: string[], meaning: string): string[] {
    const v = this.find(name);
    const out = this.list(name, fallback);
    if (v !== undefined && v.kind !== 'null' && out.length === 0 && !this.failed) this.fail(name, `is empty; ${meaning}`);
    return out;
  }

  /** A list of strings: a JSON array of strings, a comma-separated string or an index object; blanks dropped. */
  list(name: string, fallback: string[]): string[] {
    const v = this.find(name);
    if (v === undefined || v.kind === 'null') return fallback;
    let items: JsonNode[];
    if (v.kind === 'string') return v.value.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
    if (v.kind === 'array') items = v.items;
    else if (isIndexObject(v)) items = indexObjectItems(v);
    else {
      this.fail(name, 'must be a list of strings or a comma-separated string');
      return fallback;
    }
    const out: string[] = [];
    for (const item of items) {
      if (item.kind !== 'string') {
        this.fail(name, 'must be a list of strings');
        return fallback;
      }
      const p = item.value.trim();
      if (p.length > 0) out.push(p);
    }
    return out;
  }
}
