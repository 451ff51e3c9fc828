import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

export interface LoginLimiterOptions {
  /** failures per account before it is locked out (with growing backoff) */
  perAccount?: number;
  /** failures per client IP before it is locked out */
  perIp?: number;
  /** seconds a failure is remembered; also the first lockout */
  windowSeconds?: number;
  redis?: Redis;
}

/**
 * Brute-force protection for login: consecutive failures per account and per IP, counted in Redis when there is
 * one (shared by replicas) and in memory otherwise. Lockouts double with every further failure (capped at a day).
 */
export class LoginLimiter {
  private readonly account: RateLimiterAbstract;
  private readonly ip: RateLimiterAbstract;
  private readonly base: number;

  constructor({ perAccount = 5, perIp = 50, windowSeconds = 15 * 60, redis }: LoginLimiterOptions = {}) {
    this.base = windowSeconds;
    const make = (keyPrefix: string, points: number) =>
      redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration: windowSeconds, blockDuration: windowSeconds, useRedisPackage: false })
        : new RateLimiterMemory({ keyPrefix, points, duration: windowSeconds, blockDuration: windowSeconds });
    this.account = make("login:acct", perAccount);
    this.ip = make("login:ip", perIp);
  }

  /** Seconds until a login for this account from this IP may be tried again; 0 when it may be tried now. */
  async retryAfter(email: string, ip: string | null): Promise<number> {
    const [a, i] = await Promise.all([this.account.get(email.toLowerCase()), ip ? this.ip.get(ip) : null]);
    const wait = (r: RateLimiterRes | null, limiter: RateLimiterAbstract) => (r && r.consumedPoints > limiter.points ? Math.ceil(r.msBeforeNext / 1000) : 0);
    return Math.max(wait(a, this.account), wait(i, this.ip));
  }

  async recordFailure(email: string, ip: string | null): Promise<void> {
    await Promise.all([this.penalize(this.account, email.toLowerCase()), ip ? this.penalize(this.ip, ip) : null]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.account.delete(email.toLowerCase());
  }

  private async penalize(limiter: RateLimiterAbstract, key: string) {
    try {
      await limiter.consume(key);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      // over the limit: each further failure doubles the lockout
      const over = res.consumedPoints - limiter.points;
      await limiter.block(key, Math.min(this.base * 2 ** Math.max(0, over - 1), 24 * 3600));
    }
  }
}
