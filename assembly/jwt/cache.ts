// Verified-token cache, one per guest instance (Traefik pools instances; each has its own).
// Keyed on the full token string, so a hit means byte-for-byte the same token that was verified.
// Only fully verified tokens go in; the time window is re-checked on every hit by the caller;
// the whole cache is dropped when any key set changes. Bounded in entries and in bytes, evicting
// the oldest entry first.
import { Identity } from './verifier';

export const CACHE_MAX_ENTRIES: i32 = 256;
export const CACHE_MAX_BYTES: i32 = 256 * 1024;

export class TokenCache {
  private entries: Map<string, Identity> = new Map<string, Identity>();
  /** Insertion order, oldest first: a ring over `order` from `head`. */
  private order: string[] = [];
  private head: i32 = 0;
  private bytes: i32 = 0;
  hits: i64 = 0;
  misses: i64 = 0;

  constructor(public maxEntries: i32 = CACHE_MAX_ENTRIES, public maxBytes: i32 = CACHE_MAX_BYTES) {}

  get size(): i32 {
    return this.entries.size;
  }

  get byteSize(): i32 {
    return this.bytes;
  }

  lookup(token: string): Identity | null {
    if (this.entries.has(token)) {
      this.hits++;
      return this.entries.get(token);
    }
    this.misses++;
    return null;
  }

  store(token: string, identity: Identity): void {
    const cost = entryCost(token, identity);
    if (cost > this.maxBytes || this.maxEntries <= 0) return;
    if (this.entries.has(token)) return;
    while (this.entries.size >= this.maxEntries || this.bytes + cost > this.maxBytes) {
      if (!this.evictOldest()) break;
    }
    this.entries.set(token, identity);
    this.order.push(token);
    this.bytes += cost;
    if (this.order.length - this.head > this.maxEntries * 2) this.rebuildOrder();
  }

  /** Removed entries leave stale slots in `order`; drop them (and duplicates) so it stays bounded. */
  private rebuildOrder(): void {
    const seen = new Set<string>();
    const live = new Array<string>();
    for (let i = this.order.length - 1; i >= this.head; i--) {
      const t = this.order[i];
      if (this.entries.has(t) && !seen.has(t)) {
        seen.add(t);
        live.push(t);
      }
    }
    live.reverse();
    this.order = live;
    this.head = 0;
  }

  /** Drops a token (e.g. found expired on a hit). */
  remove(token: string): void {
    if (!this.entries.has(token)) return;
    this.bytes -= entryCost(token, this.entries.get(token));
    this.entries.delete(token);
    // Its slot in `order` is skipped lazily by evictOldest.
  }

  clear(): void {
    this.entries.clear();
    this.order = [];
    this.head = 0;
    this.bytes = 0;
  }

  private evictOldest(): bool {
    while (this.head < this.order.length) {
      const token = this.order[this.head];
      this.head++;
      if (this.entries.has(token)) {
        this.bytes -= entryCost(token, this.entries.get(token));
        this.entries.delete(token);
        this.compact();
        return true;
      }
    }
    this.compact();
    return false;
  }

  /** Keeps `order` from growing without bound as the head advances. */
  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}

function entryCost(token: string, identity: Identity): i32 {
  // UTF-16 string storage plus the identity's strings and a fixed overhead for the objects.
  let strings = token.length + identity.subject.length + identity.email.length + identity.scope.length + identity.clientId.length;
  for (let i = 0; i < identity.scopes.length; i++) strings += identity.scopes[i].length;
  return strings * 2 + 160;
}
