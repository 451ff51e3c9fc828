import type { ChannelPlatform } from "../generated/prisma/enums.ts";

/** Tokens as a platform returned them (plaintext: only ever held in memory, sealed before they are stored). */
export interface TokenSet {
  accessToken: string;
  /** A refresh token, or for Meta the long-lived user token page tokens are derived from. */
  refreshToken: string | null;
  expiresAt: Date | null;
}

/** A page, account or location the user may connect, as listed after consent. */
export interface Candidate {
  externalId: string;
  name: string;
  /** The platform's id of the user who consented (kept with the account: Meta's deauthorization names the user). */
  grantUserId?: string;
}

/** What a provider needs of a connected account for a call. */
export interface AccountCredentials {
  /** The circuit breaker this account's calls go through (`<platform>:<tenant>:<account>`). */
  breakerKey: string;
  accountId: string;
  externalId: string;
  accessToken: string;
  refreshToken: string | null;
}

/** A post, as a provider publishes it. */
export interface PublishRequest {
  text: string;
  mediaUrls: string[];
  /** Recorded before the call; sent where the platform accepts an idempotency key. */
  idempotencyKey: string;
  /** When the first attempt started: `findExisting` looks for posts from then on. */
  since: Date;
  /** An Instagram media container made by an earlier attempt, to publish instead of a new one. */
  containerId: string | null;
}

export interface Published {
  externalPostId: string;
  url: string | null;
  /** The platform accepted the post but still reviews it (Google: PROCESSING): `fetchStatus` tells its fate. */
  processing?: boolean;
}

/** Where a post the platform accepted stands. */
export type PostState = "live" | "processing" | "rejected";

/**
 * The one interface of a social platform (one implementation per platform in this folder). Every call goes
 * through `resilient` (resilience.ts): timeout, retries with backoff and jitter honouring Retry-After, and the
 * account's circuit breaker. Calls throw ProviderError with a kind the caller acts on.
 */
export interface SocialProvider {
  readonly platform: ChannelPlatform;
  /** OAuth scopes asked for at consent. */
  readonly scopes: string[];
  /** The consent URL (authorization code with PKCE S256 and `state`). */
  authorizationUrl(state: string, codeVerifier: string): URL;
  /** Code → tokens (the verifier must match the challenge sent), then the longest-lived token the platform gives. */
  exchangeCode(code: string, codeVerifier: string): Promise<TokenSet>;
  /** What the user may connect with these tokens. */
  listCandidates(tokens: TokenSet): Promise<Candidate[]>;
  /** The tokens of one candidate (Meta: the Page's own token). */
  accountTokens(tokens: TokenSet, externalId: string): Promise<TokenSet>;
  /** New tokens before the current ones expire; ProviderError("auth") when the platform refuses. */
  refresh(account: AccountCredentials): Promise<TokenSet>;
  /** Revokes the grant where the platform allows it (no-op elsewhere). */
  revoke(account: AccountCredentials): Promise<void>;
  /**
   * A post this account published since `request.since` that is this request's (same text): how a retry after a
   * timeout or a crash avoids posting twice on a platform without idempotency keys. Null when there is none.
   */
  findExisting(account: AccountCredentials, request: PublishRequest): Promise<Published | null>;
  /** Publishes; `onContainer` records an intermediate id (Instagram) before the final call. */
  publish(account: AccountCredentials, request: PublishRequest, onContainer?: (id: string) => Promise<void>): Promise<Published>;
  /** Where an accepted post stands now (Meta's are live once accepted; Google reviews local posts). */
  fetchStatus(account: AccountCredentials, externalPostId: string): Promise<PostState>;
  /** How the platform's inbound notifications are checked and read; null when it sends none or no secret is configured. */
  readonly webhooks: InboundWebhooks | null;
  /** The platform's call when a user removes the app (Meta's deauthorize callback); null when it has none. */
  readonly deauthorization: Deauthorization | null;
}

/** A verified "the user removed the app" call: whose consent ended, and when the platform issued it. */
export interface Deauthorized {
  /** The platform's id of the user (channel accounts keep it as `grantUserId`). */
  userId: string;
  issuedAt: number;
}

/** The receiving side of a platform's deauthorization call (marketing/inbound.ts `receiveDeauthorization`). */
export interface Deauthorization {
  /** The form body's fields as received; the user, or null when unsigned or badly signed (refused). */
  verify(form: URLSearchParams): Deauthorized | null;
}

/** An inbound notification request as the receiver got it (the raw body is what signatures cover). */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
  rawBody: Buffer;
}

/** One thing a platform says happened to an account (a page, Instagram account or location). */
export interface InboundNotice {
  /** The platform's id of the account, as channel accounts store it in `externalId`. */
  externalId: string;
  /** What happened, in the platform's words (`feed`, `comments`, `mentions`, `NEW_REVIEW`, ...). */
  kind: string;
  /** A short detail (`comment add`), or null. */
  detail: string | null;
}

/** The receiving side of a platform's webhooks (marketing/inbound.ts). */
export interface InboundWebhooks {
  /** The subscription handshake (Meta's `hub.challenge`): the body to answer with, or null to refuse (403). */
  challenge?(query: URLSearchParams): string | null;
  /** Whether the request is genuine (signature or verification token): its deduplication key, or null to refuse. */
  verify(request: WebhookRequest): string | null;
  /** The notices a verified body carries (unknown shapes yield none). */
  parse(body: unknown): InboundNotice[];
}

/** How a failed platform call should be handled. */
export type ProviderErrorKind =
  /** 429, 5xx, network, timeout: try again (after `retryAfterMs` when the platform said). */
  | "retryable"
  /** The token is expired, revoked or lacks permission: the account needs reconnecting. */
  | "auth"
  /** The request itself is refused (bad content, unknown page): retrying does not help. */
  | "permanent";

export class ProviderError extends Error {
  override name = "ProviderError";
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

export const isRetryable = (err: unknown) => err instanceof ProviderError && err.kind === "retryable";
