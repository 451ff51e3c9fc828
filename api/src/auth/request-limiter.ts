import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Context } from "../context.ts";
import type { Env } from "../env.ts";

/** Who is counted, and how many requests a minute they may make. */
export interface RateSubject {
  key: string;
  perMinute: number;
}

/** The outcome of taking one request from a subject's budget (for the RateLimit-* response headers). */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the budget is full again (allowed) or the next request may be made (refused). */
  resetSeconds: number;
}

/**
 * Whose budget a request takes from (ARCHITECTURE "Protection"): an API key's own, at its tenant's
 * `apiKeyRateLimitPerMinute`; a user's in the acting tenant, at the tenant's `rateLimitPerMinute`; a user acting for
 * no tenant, at RATE_LIMIT_USER_PER_MINUTE; anonymous callers per client IP, at RATE_LIMIT_ANONYMOUS_PER_MINUTE.
 * Null for the system (it never calls over the wire).
 */
export function rateSubject(ctx: Pick<Context, "principal" | "tenant" | "ip">, env: Pick<Env, "RATE_LIMIT_ANONYMOUS_PER_MINUTE" | "RATE_LIMIT_USER_PER_MINUTE">): RateSubject | null {
  const p = ctx.principal;
  if (!p) return { key: `ip:${ctx.ip ?? "unknown"}`, perMinute: env.RATE_LIMIT_ANONYMOUS_PER_MINUTE };
  if (p.kind === "api_key") return { key: `key:${p.apiKeyId}`, perMinute: ctx.tenant?.config.apiKeyRateLimitPerMinute ?? env.RATE_LIMIT_USER_PER_MINUTE };
  if (p.kind === "user")
    return ctx.tenant
      ? { key: `user:${ctx.tenant.id}:${p.userId}`, perMinute: ctx.tenant.config.rateLimitPerMinute }
      : { key: `user:${p.userId}`, perMinute: env.RATE_LIMIT_USER_PER_MINUTE };
  return null;
}

/**
 * Fixed one-minute budgets per subject (rate-limiter-flexible), counted in Redis when there is one, so replicas share
 * them, and in memory otherwise. A Redis outage does not refuse or wave through every request: each replica falls back
 * to counting in memory (the insurance limiter) until Redis answers again.
 */
export class RequestLimiter {
  /** One limiter per budget size: a tenant's limit is configuration, read per request. */
  private readonly limiters = new Map<number, RateLimiterAbstract>();

  constructor(private readonly options: { redis?: Redis; keyPrefix?: string } = {}) {}

  async take(subject: RateSubject): Promise<RateDecision> {
    const limiter = this.limiterFor(subject.perMinute);
    try {
      const res = await limiter.consume(subject.key);
      return { allowed: true, limit: subject.perMinute, remaining: res.remainingPoints, resetSeconds: Math.ceil(res.msBeforeNext / 1000) };
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      return { allowed: false, limit: subject.perMinute, remaining: 0, resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
    }
  }

  private limiterFor(points: number): RateLimiterAbstract {
    let limiter = this.limiters.get(points);
    if (!limiter) {
      const keyPrefix = `${this.options.keyPrefix ?? ""}rate:${points}`;
      const memory = new RateLimiterMemory({ keyPrefix, points, duration: 60 });
      limiter = this.options.redis
        ? new RateLimiterRedis({ storeClient: this.options.redis, keyPrefix, points, duration: 60, useRedisPackage: false, insuranceLimiter: memory })
        : memory;
      this.limiters.set(points, limiter);
    }
    return limiter;
  }
}
