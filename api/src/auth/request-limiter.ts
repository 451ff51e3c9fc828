import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Context } from "../context.ts";
import { DEFAULT_QUERY_COST_BUDGET } from "../domain/tenants.ts";
import { tracing } from "../telemetry/hooks.ts";
import type { Env } from "../env.ts";

/** A bucket of query cost points: `maximum` when full, regaining `restoreRate` points a second. */
export interface CostBudget {
  maximum: number;
  restoreRate: number;
}

/** Who is counted: how many requests a minute they may make, and their bucket of query cost points. */
export interface RateSubject {
  key: string;
  perMinute: number;
  costBudget: CostBudget;
}

/** The outcome of taking a query's cost from a subject's bucket (`extensions.cost`, after Shopify's). */
export interface CostDecision {
  /** Whether the cost was taken (false also when the request limit refused the request first). */
  allowed: boolean;
  requested: number;
  maximumAvailable: number;
  /** Whole points left in the bucket, after this query's cost when it was taken. */
  currentlyAvailable: number;
  restoreRate: number;
  /** When refused for its cost: whole seconds until the bucket holds `requested` points again. */
  retryAfterSeconds: number;
}

/** The outcome of taking one request from a subject's budget (for the RateLimit-* response headers), and its cost. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the budget is full again (allowed) or the next request may be made (refused). */
  resetSeconds: number;
  /** Present when a cost was given to `take`. */
  cost?: CostDecision;
}

/**
 * Whose budget a request takes from (ARCHITECTURE "Protection"): an API key's own, at its tenant's
 * `apiKeyRateLimitPerMinute`; a user's in the acting tenant, at the tenant's `rateLimitPerMinute`; a user acting for
 * no tenant, at RATE_LIMIT_USER_PER_MINUTE; anonymous callers per client IP, at RATE_LIMIT_ANONYMOUS_PER_MINUTE.
 * Each has a cost bucket of the same key: the tenant's `queryCostBudget` and `queryCostRestoreRate`, or the
 * defaults for callers without a tenant. Null for the system (it never calls over the wire).
 */
export function rateSubject(ctx: Pick<Context, "principal" | "tenant" | "ip">, env: Pick<Env, "RATE_LIMIT_ANONYMOUS_PER_MINUTE" | "RATE_LIMIT_USER_PER_MINUTE">): RateSubject | null {
  const p = ctx.principal;
  const config = ctx.tenant?.config;
  const costBudget = config ? { maximum: config.queryCostBudget, restoreRate: config.queryCostRestoreRate } : DEFAULT_QUERY_COST_BUDGET;
  if (!p) return { key: `ip:${ctx.ip ?? "unknown"}`, perMinute: env.RATE_LIMIT_ANONYMOUS_PER_MINUTE, costBudget };
  if (p.kind === "api_key") return { key: `key:${p.apiKeyId}`, perMinute: config?.apiKeyRateLimitPerMinute ?? env.RATE_LIMIT_USER_PER_MINUTE, costBudget };
  if (p.kind === "user")
    return ctx.tenant
      ? { key: `user:${ctx.tenant.id}:${p.userId}`, perMinute: ctx.tenant.config.rateLimitPerMinute, costBudget }
      : { key: `user:${p.userId}`, perMinute: env.RATE_LIMIT_USER_PER_MINUTE, costBudget };
  return null;
}

const WINDOW_SECONDS = 60;

/**
 * One round trip for both budgets of a request: the fixed one-minute request counter (rate-limiter-flexible's
 * semantics and key) and, unless the cost is negative, the cost bucket, refilled from Redis's own clock, so replicas
 * with skewed clocks agree. The cost is taken only when the request counter allowed the request and the bucket holds
 * it. A lease (RequestLimiter): points a replica returns unused go back into the bucket first; when the request was
 * allowed, up to `wantRequests` more requests and `wantPoints` more points are taken for the replica to serve
 * locally, the requests only while the window has room for them all, the points only while they leave the bucket at
 * least as many for the other replicas. Returns { requests, msUntilWindowEnds, leasedRequests[, taken, available,
 * leasedPoints] }, `requests` counting this request but not the leased ones.
 */
const TAKE_SCRIPT = `
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local wantRequests, wantPoints, returned = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
redis.call('set', KEYS[1], 0, 'EX', window, 'NX')
local requests = redis.call('incr', KEYS[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], window)
  ttl = window * 1000
end
local leasedRequests = 0
if wantRequests > 0 and requests + wantRequests <= limit then
  redis.call('incrby', KEYS[1], wantRequests)
  leasedRequests = wantRequests
end
if cost < 0 then return {requests, ttl, leasedRequests} end
local maximum, rate = tonumber(ARGV[4]), tonumber(ARGV[5])
local time = redis.call('time')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('hmget', KEYS[2], 'a', 't')
local available = maximum
if state[1] then
  available = math.min(maximum, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate / 1000)
end
available = math.min(maximum, available + returned)
local taken, leasedPoints = 0, 0
if requests <= limit and cost <= available then
  available = available - cost
  taken = 1
  if wantPoints > 0 and available >= 2 * wantPoints then
    available = available - wantPoints
    leasedPoints = wantPoints
  end
end
if taken == 1 or returned > 0 then
  redis.call('hset', KEYS[2], 'a', tostring(available), 't', tostring(now))
  redis.call('pexpire', KEYS[2], math.ceil((maximum - available) * 1000 / rate) + 1000)
end
return {requests, ttl, leasedRequests, taken, tostring(available), leasedPoints}
`;

type TakeReply = [number, number, number] | [number, number, number, number, string, number];
type ScriptedRedis = Redis & { h2oTakeBudgets(requestKey: string, bucketKey: string, ...args: Array<string | number>): Promise<TakeReply> };

/** How long a replica may serve a lease before it asks Redis again. */
const LEASE_MS = 1_000;
/** At most this many requests, and this many times a query's cost, are leased at once. */
const LEASE_REQUESTS = 50;
/** A subject is leased to only after this replica served it at least this many requests in the previous second. */
const LEASE_MIN_RATE = 10;

/** How many requests of a subject this replica served in the current second and in the one before. */
interface Demand {
  second: number;
  count: number;
  previous: number;
}

/** Requests and cost points a replica took from Redis ahead of use, served locally until it expires. */
interface Lease {
  requests: number;
  points: number;
  /** The subject's requests left in the window, and points in the bucket, beside this lease when it was granted. */
  remainingBeside: number;
  availableBeside: number;
  expiresAt: number;
  windowEndsAt: number;
}

/**
 * The request and cost budgets of every subject, in Redis when there is one (shared by replicas), in memory
 * otherwise. A Redis outage does not refuse or wave through every request: each replica falls back to counting in
 * memory (the insurance) until Redis answers again.
 *
 * Requests: fixed one-minute windows per subject. Cost: a token bucket per subject (the model of Shopify's and
 * GitHub's GraphQL APIs): full at `maximum`, regaining `restoreRate` points a second, a query's cost taken when it
 * fits; one that does not fit is refused with the time until it would.
 *
 * With Redis, a busy subject does not cost a round trip per request: once this replica served it LEASE_MIN_RATE or
 * more requests in the previous second, it leases, in the same script call, as many requests as that second's
 * (up to LEASE_REQUESTS, and a twentieth of the minute's limit) and points for as many queries of the cost it was
 * asked for (a twentieth of the bucket and a quarter second of its refill at most, and only while as many stay in
 * the bucket), and serves them locally for LEASE_MS. A person on the dashboard (a few requests at a time) gets no
 * lease and is counted exactly. The imprecision this buys, per replica and busy subject: another replica may see up
 * to one lease less than is truly left (refused or reported a little early), requests leased and unused (at most
 * about a second of the subject's own demand) are lost when the lease expires, and the reported
 * `remaining`/`currentlyAvailable` are what was left when the lease was granted, less what this replica used
 * since. Points leased and unused go back into the bucket with the replica's next call, so a refusal, decided in
 * Redis, counts every point this replica holds. Small budgets (the tests', a bucket refilling a point a second) get
 * no lease and stay exact.
 */
export class RequestLimiter {
  /** The in-memory request counters, one per budget size (a tenant's limit is configuration, read per request). */
  private readonly counters = new Map<number, RateLimiterMemory>();
  private readonly buckets = new MemoryBuckets();
  private readonly leases = new Map<string, Lease>();
  private readonly demand = new Map<string, Demand>();
  private leasesSweptAt = Date.now();
  private readonly redis?: ScriptedRedis;

  constructor(private readonly options: { redis?: Redis; keyPrefix?: string } = {}) {
    const redis = options.redis as ScriptedRedis | undefined;
    if (redis && typeof redis.h2oTakeBudgets !== "function") redis.defineCommand("h2oTakeBudgets", { numberOfKeys: 2, lua: TAKE_SCRIPT });
    this.redis = redis;
  }

  /** Takes one request, and `cost` points when given, from the subject's budgets. */
  async take(subject: RateSubject, cost?: number): Promise<RateDecision> {
    if (this.redis) {
      const leaseKey = `${subject.perMinute}:${subject.key}`; // the keys of its request counter and cost bucket
      this.count(leaseKey);
      const leased = this.takeLeased(leaseKey, subject, cost);
      if (leased) return leased;
      try {
        const redis = this.redis;
        const ask = () => this.takeInRedis(redis, leaseKey, subject, cost);
        return await (tracing.span ? tracing.span("redis h2oTakeBudgets", { "db.system": "redis", "db.operation.name": "EVALSHA" }, undefined, ask) : ask());
      } catch {
        // Redis unreachable or failing: this replica counts alone until it answers again
      }
    }
    return this.takeInMemory(subject, cost);
  }

  /** Serves the request from this replica's lease when it holds a request and the cost; null to ask Redis. */
  private takeLeased(leaseKey: string, subject: RateSubject, cost: number | undefined): RateDecision | null {
    const lease = this.leases.get(leaseKey);
    if (!lease || lease.requests < 1 || (cost ?? 0) > lease.points) return null;
    const now = Date.now();
    if (now >= lease.expiresAt || now >= lease.windowEndsAt) return null;
    lease.requests -= 1;
    lease.points -= cost ?? 0;
    const decision = requestDecision(subject.perMinute, subject.perMinute - lease.remainingBeside - lease.requests, lease.windowEndsAt - now);
    if (cost === undefined) return decision;
    return { ...decision, cost: costDecision(subject.costBudget, cost, true, lease.availableBeside + lease.points) };
  }

  private async takeInRedis(redis: ScriptedRedis, leaseKey: string, subject: RateSubject, cost: number | undefined): Promise<RateDecision> {
    const prefix = this.options.keyPrefix ?? "";
    const { perMinute, costBudget } = subject;
    const lastSecond = this.demand.get(leaseKey)?.previous ?? 0;
    const wantRequests = lastSecond >= LEASE_MIN_RATE ? Math.min(LEASE_REQUESTS, Math.floor(perMinute / 20), lastSecond) : 0;
    const pointsCap = Math.floor(Math.min(costBudget.maximum / 20, costBudget.restoreRate / 4));
    // a lease smaller than one query of this cost would never serve one
    const leasable = cost && wantRequests > 0 ? Math.min(pointsCap, cost * wantRequests) : 0;
    const wantPoints = cost && leasable >= cost ? leasable : 0;
    // this replica's unused points go back with this call (taken out now, so a concurrent call cannot return them too)
    const held = this.leases.get(leaseKey);
    const returned = cost === undefined || !held ? 0 : held.points;
    if (held) held.points -= returned;
    // one hash slot for both keys (Redis Cluster): the subject's key is the hash tag
    const reply = await redis.h2oTakeBudgets(
      `${prefix}rate:${perMinute}:{${subject.key}}`,
      `${prefix}cost:{${subject.key}}`,
      perMinute,
      WINDOW_SECONDS,
      cost ?? -1,
      costBudget.maximum,
      costBudget.restoreRate,
      wantRequests,
      wantPoints,
      returned,
    );
    const [requests, ttl, leasedRequests] = reply;
    const available = reply.length > 3 ? Number(reply[4]) : 0;
    const lease = this.lease(leaseKey, { requests, ttl, leasedRequests, leasedPoints: reply.length > 3 ? Number(reply[5]) : 0, perMinute, available });
    const decision = requestDecision(perMinute, requests, ttl);
    if (decision.allowed) decision.remaining = lease.remainingBeside + lease.requests;
    if (cost === undefined || reply.length < 4) return decision;
    return { ...decision, cost: costDecision(costBudget, cost, reply[3] === 1, available + lease.points) };
  }

  /** Counts a request of the subject in this replica's demand (what sizes its leases). */
  private count(key: string) {
    const second = Math.floor(Date.now() / 1000);
    const demand = this.demand.get(key);
    if (!demand) return void this.demand.set(key, { second, count: 1, previous: 0 });
    if (demand.second !== second) {
      demand.previous = demand.second === second - 1 ? demand.count : 0;
      demand.second = second;
      demand.count = 0;
    }
    demand.count += 1;
  }

  /** Adds what Redis leased to this replica's lease of the subject (requests left from an earlier window are void). */
  private lease(key: string, granted: { requests: number; ttl: number; leasedRequests: number; leasedPoints: number; perMinute: number; available: number }): Lease {
    const now = Date.now();
    if (now - this.leasesSweptAt > 60_000) {
      this.leasesSweptAt = now;
      for (const [k, lease] of this.leases) if (lease.expiresAt <= now && lease.points === 0) this.leases.delete(k);
      const second = Math.floor(now / 1000);
      for (const [k, demand] of this.demand) if (demand.second < second - 1) this.demand.delete(k);
    }
    const windowEndsAt = now + granted.ttl;
    const held = this.leases.get(key);
    const sameWindow = held !== undefined && now < held.expiresAt && Math.abs(held.windowEndsAt - windowEndsAt) < 1_000;
    const lease: Lease = {
      requests: (sameWindow ? held.requests : 0) + granted.leasedRequests,
      points: (held?.points ?? 0) + granted.leasedPoints,
      remainingBeside: Math.max(0, granted.perMinute - granted.requests - granted.leasedRequests),
      availableBeside: granted.available,
      expiresAt: now + LEASE_MS,
      windowEndsAt,
    };
    if (lease.requests > 0 || lease.points > 0) this.leases.set(key, lease);
    else this.leases.delete(key);
    return lease;
  }

  private async takeInMemory(subject: RateSubject, cost: number | undefined): Promise<RateDecision> {
    let decision: RateDecision;
    try {
      const res = await this.counterFor(subject.perMinute).consume(subject.key);
      decision = requestDecision(subject.perMinute, res.consumedPoints, res.msBeforeNext);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      decision = requestDecision(subject.perMinute, res.consumedPoints, res.msBeforeNext);
    }
    if (cost === undefined) return decision;
    const { taken, available } = this.buckets.take(subject.key, subject.costBudget, decision.allowed ? cost : Infinity);
    return { ...decision, cost: costDecision(subject.costBudget, cost, taken, available) };
  }

  private counterFor(points: number): RateLimiterMemory {
    let counter = this.counters.get(points);
    if (!counter) this.counters.set(points, (counter = new RateLimiterMemory({ keyPrefix: `rate:${points}`, points, duration: WINDOW_SECONDS })));
    return counter;
  }
}

function requestDecision(limit: number, requests: number, msBeforeNext: number): RateDecision {
  const allowed = requests <= limit;
  const resetSeconds = Math.ceil(msBeforeNext / 1000);
  return { allowed, limit, remaining: Math.max(limit - requests, 0), resetSeconds: allowed ? resetSeconds : Math.max(1, resetSeconds) };
}

function costDecision(budget: CostBudget, requested: number, allowed: boolean, available: number): CostDecision {
  const shortfall = requested - available;
  return {
    allowed,
    requested,
    maximumAvailable: budget.maximum,
    currentlyAvailable: Math.max(0, Math.floor(available)),
    restoreRate: budget.restoreRate,
    retryAfterSeconds: allowed || shortfall <= 0 ? 0 : Math.max(1, Math.ceil(shortfall / budget.restoreRate)),
  };
}

/**
 * The cost buckets of one process (no Redis, or while it is away): the same arithmetic as TAKE_SCRIPT. A bucket that
 * has filled up again is the same as none, so such entries are dropped, at most once a minute.
 */
class MemoryBuckets {
  private readonly buckets = new Map<string, { available: number; at: number; fullAt: number }>();
  private sweptAt = Date.now();

  /** Takes `cost` when the bucket holds it (an infinite cost only reads it). */
  take(key: string, budget: CostBudget, cost: number): { taken: boolean; available: number } {
    const now = Date.now();
    if (now - this.sweptAt > 60_000) this.sweep(now);
    const state = this.buckets.get(key);
    let available = state ? Math.min(budget.maximum, state.available + (Math.max(0, now - state.at) * budget.restoreRate) / 1000) : budget.maximum;
    if (cost > available) return { taken: false, available };
    available -= cost;
    this.buckets.set(key, { available, at: now, fullAt: now + ((budget.maximum - available) * 1000) / budget.restoreRate });
    return { taken: true, available };
  }

  private sweep(now: number) {
    this.sweptAt = now;
    for (const [key, state] of this.buckets) if (state.fullAt <= now) this.buckets.delete(key);
  }
}
