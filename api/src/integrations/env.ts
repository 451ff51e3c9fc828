import { z } from "zod";

const optional = z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional());
const url = (def: string) => z.preprocess((v) => (v === "" ? undefined : v), z.url().default(def));
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);

/**
 * The marketing module's configuration, spread into env.ts's schema (env.ts stays the only reader of process.env).
 * A platform is available to tenants only when its client id and secret are set; base URLs are configuration so
 * tests and staging point them at stand-ins.
 */
export const marketingEnvShape = {
  /** Previous ENCRYPTION_KEYs (comma-separated hex), still accepted for opening tokens until `tokens:reencrypt`. */
  ENCRYPTION_KEY_PREVIOUS: z.preprocess((v) => (v === "" || v === undefined ? [] : String(v).split(",").map((s) => s.trim())), z.array(z.string().regex(/^[0-9a-f]{64}$/i, "must be 64 hex characters"))),
  /** OAuth redirect URIs are `<PUBLIC_API_URL>/integrations/<platform>/callback` (env.ts). The dashboard's origin: where the browser returns after connecting an account. */
  PUBLIC_WEB_URL: url("http://127.0.0.1:3000"),
  META_APP_ID: optional,
  META_APP_SECRET: optional,
  META_OAUTH_URL: url("https://www.facebook.com/v25.0/dialog/oauth"),
  META_GRAPH_URL: url("https://graph.facebook.com/v25.0"),
  INSTAGRAM_APP_ID: optional,
  INSTAGRAM_APP_SECRET: optional,
  INSTAGRAM_OAUTH_URL: url("https://www.instagram.com/oauth/authorize"),
  INSTAGRAM_TOKEN_URL: url("https://api.instagram.com/oauth/access_token"),
  INSTAGRAM_GRAPH_URL: url("https://graph.instagram.com/v25.0"),
  /** Between two looks at an Instagram media container's status while it is processed (up to 30 looks per job run). */
  INSTAGRAM_CONTAINER_POLL_MS: int(1_000, 10, 60_000),
  GOOGLE_CLIENT_ID: optional,
  GOOGLE_CLIENT_SECRET: optional,
  GOOGLE_OAUTH_URL: url("https://accounts.google.com/o/oauth2/v2/auth"),
  GOOGLE_TOKEN_URL: url("https://oauth2.googleapis.com/token"),
  GOOGLE_REVOKE_URL: url("https://oauth2.googleapis.com/revoke"),
  GOOGLE_BUSINESS_URL: url("https://mybusiness.googleapis.com/v4"),
  GOOGLE_ACCOUNT_URL: url("https://mybusinessaccountmanagement.googleapis.com/v1"),
  GOOGLE_BUSINESS_INFO_URL: url("https://mybusinessbusinessinformation.googleapis.com/v1"),
  /** Meta's webhook handshake token (Pages and Instagram): `/integrations/<facebook|instagram>/webhook` answers `hub.challenge` only with it; unset: no Meta webhooks. */
  META_WEBHOOK_VERIFY_TOKEN: optional,
  /** The token in the Pub/Sub push endpoint `/integrations/google_business/webhook?token=…`; unset: no Google notifications. */
  GOOGLE_PUBSUB_VERIFICATION_TOKEN: optional,
  /** Every outbound platform call is abandoned after this long. */
  MARKETING_HTTP_TIMEOUT_MS: int(10_000, 50, 120_000),
  /** Attempts of one call within a job run (429, 5xx, network), with exponential backoff and jitter. */
  MARKETING_HTTP_ATTEMPTS: int(3, 1, 10),
  /** First backoff delay; doubled each attempt, with jitter. A longer Retry-After reschedules the job instead. */
  MARKETING_HTTP_BACKOFF_MS: int(500, 1, 60_000),
  /** A Retry-After up to this long is waited out in the job; a longer one reschedules the job. */
  MARKETING_MAX_INLINE_WAIT_MS: int(5_000, 0, 60_000),
  /** After a platform accepted a post it still reviews (Google: PROCESSING), how long until the worker looks again (doubling, 8 looks). */
  MARKETING_STATUS_CHECK_MS: int(60_000, 10, 86_400_000),
  /** Consecutive failures of one account's calls that open its circuit breaker. */
  MARKETING_BREAKER_THRESHOLD: int(5, 1, 1_000),
  /** How long an open breaker waits before letting one trial call through. */
  MARKETING_BREAKER_HALF_OPEN_MS: int(30_000, 10, 3_600_000),
} as const;
