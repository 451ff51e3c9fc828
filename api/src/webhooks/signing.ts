import { randomBytes } from "node:crypto";
import { Webhook } from "svix";
import { SECRET_ROTATION_GRACE_MS } from "./config.ts";

/** The Standard Webhooks headers of one delivery attempt. */
export interface SignatureHeaders {
  "webhook-id": string;
  /** Unix seconds of signing; a receiver refuses it outside its tolerance (5 minutes by default). */
  "webhook-timestamp": string;
  /** One `v1,<base64 HMAC-SHA256>` per active secret, separated by spaces. */
  "webhook-signature": string;
}

/** A signing secret of an endpoint; `expiresAt` is set on a secret that was rotated out. */
export interface EndpointSecret {
  secret: string;
  expiresAt: Date | null;
}

const SECRET_PREFIX = "whsec_";

/** A new `whsec_` secret: 32 random bytes, base64, as Svix and Standard Webhooks libraries expect. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

/** Whether `secret` is a `whsec_` secret of 24 to 64 bytes (what {@link signPayload} accepts). */
export function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return false;
  const bytes = Buffer.from(b64, "base64").length;
  return bytes >= 24 && bytes <= 64;
}

/**
 * Signs `payload` (the exact body bytes) with every secret in `secrets`, using the `svix` package's own
 * `Webhook.sign`, so any Svix or Standard Webhooks library verifies it with any one of those secrets.
 * `id` stays the same across attempts of one message; `timestamp` is the time of this attempt.
 */
export function signPayload(id: string, timestamp: Date, payload: string, secrets: readonly string[]): SignatureHeaders {
  if (secrets.length === 0) throw new Error("signPayload: no active secret");
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, timestamp, payload));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}

/** The secrets that still sign at `now`: the current one and rotated-out ones within their grace period. */
export function activeSecrets(secrets: readonly EndpointSecret[], now: Date): string[] {
  return secrets.filter((s) => s.expiresAt === null || s.expiresAt.getTime() > now.getTime()).map((s) => s.secret);
}

/**
 * Rotation: `next` (a new secret unless given) becomes current and every other still-active secret expires
 * after `graceMs` (24 h by default, never later than it already would), so receivers holding the old secret
 * keep verifying until they switch. Already expired secrets are dropped. Pure: the caller stores the result.
 */
export function rotateSecrets(
  secrets: readonly EndpointSecret[],
  now: Date,
  next: string = generateWebhookSecret(),
  graceMs: number = SECRET_ROTATION_GRACE_MS,
): EndpointSecret[] {
  const until = new Date(now.getTime() + graceMs);
  const kept = secrets
    .filter((s) => s.expiresAt === null || s.expiresAt.getTime() > now.getTime())
    .map((s) => ({ secret: s.secret, expiresAt: s.expiresAt && s.expiresAt < until ? s.expiresAt : until }));
  return [{ secret: next, expiresAt: null }, ...kept];
}
