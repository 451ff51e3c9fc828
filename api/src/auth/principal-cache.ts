import { LRUCache } from "lru-cache";

/** What an entry is about, so that an invalidation finds every entry it concerns. */
export interface PrincipalTags {
  userId?: string;
  sessionId?: string;
  apiKeyId?: string;
  tenantId?: string | null;
}

/** One change that makes cached rights wrong (auth/principal-invalidation.ts sends them between replicas). */
export type PrincipalInvalidation = { userId: string } | { sessionId: string } | { apiKeyId: string } | { tenantId: string } | { all: true };

/** A lookup's answer: `tags` null means "do not cache" (refusals are never cached). */
export interface Lookup<V> {
  value: V;
  tags: PrincipalTags | null;
}

interface Entry {
  value: unknown;
  tags: PrincipalTags;
  /** When the lookup that produced it started: its data is at least this fresh. */
  since: number;
}

export interface PrincipalCacheOptions {
  maxEntries: number;
  /** The longest an entry is trusted. */
  maxAgeMs: number;
  /** The longest an entry is trusted while the invalidation channel is down. */
  outageMs: number;
}

/** How far the cache can rely on hearing invalidations: in-process only, or a Redis channel that is up or down. */
export type ChannelState = "local" | "up" | "down";

/**
 * What requests need to know about their principal (user, session, membership and role, tenant and its
 * configuration, API key), cached per process by key: `s:<user>:<session>`, `u:<user>:<requested tenant>`,
 * `k:<API key prefix>`, so that a different session or requested tenant never gets another's entry.
 * Guarantees:
 * 1. an entry is trusted at most `maxAgeMs` after its lookup started, and at most `outageMs` while the invalidation
 *    channel is down (`channelDown`); `channelUp` after an outage empties the cache (invalidations may have been
 *    missed);
 * 2. `invalidate` drops every entry whose tags match, synchronously;
 * 3. a lookup that was running when an invalidation (or a clear) happened is answered but not stored, so a read
 *    that raced a change never outlives it;
 * 4. refusals are never cached: a refused credential is looked up again on every request.
 */
export class PrincipalCache {
  readonly stats = { hits: 0, misses: 0, invalidations: 0 };
  #entries: LRUCache<string, Entry>;
  #generation = 0;
  #state: ChannelState = "local";
  #options: PrincipalCacheOptions;

  constructor(options: PrincipalCacheOptions) {
    this.#options = options;
    this.#entries = new LRUCache<string, Entry>({ max: options.maxEntries });
  }

  get channel(): ChannelState {
    return this.#state;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value of `key` when it is trusted now, else the lookup's (stored unless refused or raced). */
  async resolve<V>(key: string, lookup: () => Promise<Lookup<V>>): Promise<V> {
    const entry = this.#entries.get(key);
    if (entry && Date.now() - entry.since < this.#trustMs()) {
      this.stats.hits++;
      return entry.value as V;
    }
    this.stats.misses++;
    const generation = this.#generation;
    const since = Date.now();
    const found = await lookup();
    if (found.tags && generation === this.#generation && this.#options.maxAgeMs > 0) this.#entries.set(key, { value: found.value, tags: found.tags, since });
    return found.value;
  }

  invalidate(change: PrincipalInvalidation): void {
    this.#generation++;
    this.stats.invalidations++;
    if ("all" in change) return this.#entries.clear();
    for (const [key, entry] of this.#entries.entries()) if (matches(entry.tags, change)) this.#entries.delete(key);
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  /** The invalidation channel was lost: from now on entries older than `outageMs` are looked up again. */
  channelDown(): void {
    this.#state = "down";
  }

  /** The invalidation channel works (again): after an outage, what was missed is unknown, so everything goes. */
  channelUp(): void {
    if (this.#state === "down") this.clear();
    this.#state = "up";
  }

  #trustMs(): number {
    return this.#state === "down" ? Math.min(this.#options.outageMs, this.#options.maxAgeMs) : this.#options.maxAgeMs;
  }
}

function matches(tags: PrincipalTags, change: PrincipalInvalidation): boolean {
  if ("userId" in change) return tags.userId === change.userId;
  if ("sessionId" in change) return tags.sessionId === change.sessionId;
  if ("apiKeyId" in change) return tags.apiKeyId === change.apiKeyId;
  if ("tenantId" in change) return tags.tenantId === change.tenantId;
  return true;
}

/** The process's cache, replaced at start-up by `startPrincipalCache` (auth/principal-invalidation.ts) with the configured bounds. */
export let principalCache = new PrincipalCache({ maxEntries: 50_000, maxAgeMs: 60_000, outageMs: 5_000 });

export function usePrincipalCache(next: PrincipalCache): void {
  principalCache = next;
}
