import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { invalidCredentials } from "../errors.ts";

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const ALGORITHM = "HS256" as const;
const ISSUER = "h2o-acp";
const AUDIENCE = "h2o-acp-api";

/** What an access token says: who, for which tenant (optional), in which session (refresh-token family). */
export interface AccessClaims {
  sub: string;
  tid?: string;
  sid: string;
}

// jsonwebtoken turns a string secret into a KeyObject on every call (costly at WebSocket connection bursts):
// make it once per secret.
const keys = new Map<string, KeyObject>();
const keyOf = (secret: string) => keys.get(secret) ?? keys.set(secret, createSecretKey(Buffer.from(secret, "utf8"))).get(secret)!;

export function signAccessToken(claims: AccessClaims, secret: string, ttlSeconds = ACCESS_TOKEN_TTL_SECONDS): string {
  return jwt.sign({ tid: claims.tid, sid: claims.sid }, keyOf(secret), {
    algorithm: ALGORITHM,
    subject: claims.sub,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: ttlSeconds,
  });
}

/**
 * Verifies an access token: the algorithm is pinned (no `alg: none`, no RS/HS confusion), issuer and audience
 * are checked. Any failure is the same UNAUTHENTICATED error, without detail.
 *
 * A token already verified with the same secret is not verified again until it expires: its claims are kept in a
 * bounded map (the signature and claims of a given string never change; expiry is checked on every use). What a
 * token may do is decided elsewhere, per request, from its claims (the principal cache and its invalidations).
 */
export function verifyAccessToken(token: string, secret: string): AccessClaims & { exp: number } {
  const known = verified.get(secret)?.get(token);
  if (known && known.exp * 1000 > Date.now()) return known;
  try {
    const payload = jwt.verify(token, keyOf(secret), { algorithms: [ALGORITHM], issuer: ISSUER, audience: AUDIENCE });
    if (typeof payload === "string" || typeof payload.sub !== "string" || typeof payload.sid !== "string" || typeof payload.exp !== "number")
      throw new Error("malformed");
    const claims = Object.freeze({ sub: payload.sub, sid: payload.sid, tid: typeof payload.tid === "string" ? payload.tid : undefined, exp: payload.exp });
    remember(secret, token, claims);
    return claims;
  } catch {
    throw invalidCredentials("invalid or expired token");
  }
}

/** Verified tokens per secret, oldest first; at most MAX_VERIFIED in all (the oldest go first). */
const verified = new Map<string, Map<string, AccessClaims & { exp: number }>>();
const MAX_VERIFIED = 10_000;

function remember(secret: string, token: string, claims: AccessClaims & { exp: number }) {
  let tokens = verified.get(secret);
  if (!tokens) {
    verified.clear(); // a new secret (rotation): tokens verified with the old one are verified again
    verified.set(secret, (tokens = new Map()));
  }
  if (tokens.size >= MAX_VERIFIED) tokens.delete(tokens.keys().next().value!);
  tokens.set(token, claims);
}

/** A JWT has three base64url parts; an API key has our prefix. Lets the context pick the verifier without trying both. */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
