// Verified-token cache, one per guest instance (Traefik pools instances; each has its own).
// Keyed on the token's exact bytes, so a hit means byte-for-byte the same token that was verified.
// The plugin looks tokens up straight from the bytes the host wrote (no string is made on a hit);
// a 64-bit hash only picks the slot, and the stored bytes are compared in full, so a collision is
// a miss, never a wrong identity. Only fully verified tokens go in; the time window is re-checked
// on every hit by the caller; the whole cache is dropped when any key set changes. Bounded in
// entries and in bytes, evicting the oldest entry first.
import { Identity } from './verifier';

export const CACHE_MAX_ENTRIES: i32 = 256;
export const CACHE_MAX_BYTES: i32 = 256 * 1024;

class CacheEntry {
  constructor(public hash: u64, public token: ArrayBuffer, public identity: Identity) {}
}

/** 64-bit hash of `len` bytes at `ptr` (FNV-1a over 8-byte words, then murmur3's fmix64). */
function hashBytes(ptr: usize, len: usize): u64 {
  let h: u64 = 0xcbf29ce484222325 ^ <u64>len;
  let p = ptr;
  let end = ptr + len;
  while (p + 8 <= end) {
    h = (h ^ load<u64>(p)) * 0x100000001b3;
    p += 8;
  }
  while (p < end) {
    h = (h ^ <u64>load<u8>(p)) * 0x100000001b3;
    p++;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >> 33;
  return h;
}

// Eight bytes at a time with unaligned loads: memory.compare goes byte by byte when the two
// pointers are aligned differently, which they are here (the token starts after "Bearer ").
function sameBytes(entry: CacheEntry, ptr: usize, len: usize): bool {
  if (<usize>entry.token.byteLength != len) return false;
  const stored = changetype<usize>(entry.token);
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) {
    if (load<u64>(stored + i) != load<u64>(ptr + i)) return false;
  }
  for (; i < len; i++) {
    if (load<u8>(stored + i) != load<u8>(ptr + i)) return false;
  }
  return true;
}

export class TokenCache {
  private entries: Map<u64, CacheEntry> = new Map<u64, CacheEntry>();
  /** Insertion order, oldest first: a ring over `order` from `head`; removed entries are skipped. */
  private order: CacheEntry[] = [];
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

  /** The identity verified for exactly the `len` bytes at `ptr`, or null. */
  lookup(ptr: usize, len: usize): Identity | null {
    const hash = hashBytes(ptr, len);
    if (this.entries.has(hash)) {
      const entry = this.entries.get(hash);
      if (sameBytes(entry, ptr, len)) {
        this.hits++;
        return entry.identity;
      }
    }
    this.misses++;
    return null;
  }

  store(ptr: usize, len: usize, identity: Identity): void {
    const cost = entryCost(<i32>len, identity);
    if (cost > this.maxBytes || this.maxEntries <= 0) return;
    const hash = hashBytes(ptr, len);
    if (this.entries.has(hash)) {
      const existing = this.entries.get(hash);
      if (sameBytes(existing, ptr, len)) return;
      // Another token in the same slot: the newer verified one takes it.
      this.drop(existing);
    }
    while (this.entries.size >= this.maxEntries || this.bytes + cost > this.maxBytes) {
      if (!this.evictOldest()) break;
    }
    const token = new ArrayBuffer(<i32>len);
    memory.copy(changetype<usize>(token), ptr, len);
    const entry = new CacheEntry(hash, token, identity);
    this.entries.set(hash, entry);
    this.order.push(entry);
    this.bytes += cost;
    if (this.order.length - this.head > this.maxEntries * 2) this.rebuildOrder();
  }

  /** Drops the token of `len` bytes at `ptr` (e.g. found expired on a hit). */
  remove(ptr: usize, len: usize): void {
    const hash = hashBytes(ptr, len);
    if (!this.entries.has(hash)) return;
    const entry = this.entries.get(hash);
    if (sameBytes(entry, ptr, len)) this.drop(entry);
  }

  clear(): void {
    this.entries.clear();
    this.order = [];
    this.head = 0;
    this.bytes = 0;
  }

  private live(entry: CacheEntry): bool {
    return this.entries.has(entry.hash) && this.entries.get(entry.hash) == entry;
  }

  // Its slot in `order` is skipped lazily by evictOldest.
  private drop(entry: CacheEntry): void {
    this.bytes -= entryCost(entry.token.byteLength, entry.identity);
    this.entries.delete(entry.hash);
  }

  /** Removed entries leave stale slots in `order`; drop them so it stays bounded. */
  private rebuildOrder(): void {
    const live = new Array<CacheEntry>();
    for (let i = this.head; i < this.order.length; i++) {
      const entry = this.order[i];
      if (this.live(entry)) live.push(entry);
    }
    this.order = live;
    this.head = 0;
  }

  private evictOldest(): bool {
    while (this.head < this.order.length) {
      const entry = this.order[this.head];
      this.head++;
      if (this.live(entry)) {
        this.drop(entry);
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

function entryCost(tokenBytes: i32, identity: Identity): i32 {
  // The token's bytes, the identity's UTF-16 strings and a fixed overhead for the objects.
  let strings = identity.subject.length + identity.email.length + identity.scope.length + identity.clientId.length;
  for (let i = 0; i < identity.scopes.length; i++) strings += identity.scopes[i].length;
  return tokenBytes + strings * 2 + 176;
}
