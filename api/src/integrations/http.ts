import { ArcticFetchError, OAuth2RequestError, UnexpectedErrorResponseBodyError, UnexpectedResponseError } from "arctic";
import { ProviderError } from "./provider.ts";
import type { Resilience } from "./resilience.ts";

/** Seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * How long a platform asks to be left alone when it says so in its own headers rather than in Retry-After (Meta's
 * `X-Business-Use-Case-Usage`); null when it does not.
 */
export type WaitHint = (headers: Headers) => number | null;

/** Classifies a platform's error response (Meta's `{error:{code,...}}`, Google's `{error:{status,...}}`). */
export type ErrorClassifier = (status: number, body: unknown) => "retryable" | "auth" | "permanent" | null;

/**
 * One HTTP call to a platform: JSON in, JSON out. Network failures and aborts (the timeout policy's signal) are
 * retryable ProviderErrors; an error response is classified by the platform's own error shape, then by status
 * (429 and 5xx retryable, 401 auth, other 4xx permanent), with Retry-After kept (or, for a retryable one without it,
 * the platform's own hint: `waitHint`). The message carries the
 * platform's error message, never the request (which may hold a token).
 */
export async function callJson<T>(url: URL | string, init: RequestInit & { signal: AbortSignal }, classify: ErrorClassifier, waitHint?: WaitHint): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    const reason = init.signal.aborted ? "timed out" : (err as Error).message;
    throw new ProviderError("retryable", `${init.method ?? "GET"} ${new URL(url).pathname}: ${reason}`);
  }
  const text = await res.text().catch(() => "");
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (res.ok) return body as T;
  const platformKind = classify(res.status, body);
  const kind = platformKind ?? (res.status === 429 || res.status >= 500 ? "retryable" : res.status === 401 ? "auth" : "permanent");
  const message = (body as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${res.status}`;
  const wait = retryAfterMs(res.headers.get("retry-after")) ?? (kind === "retryable" ? (waitHint?.(res.headers) ?? null) : null);
  throw new ProviderError(kind, `${init.method ?? "GET"} ${new URL(url).pathname}: ${res.status} ${message}`, res.status, wait);
}

/** One call of a platform API: query parameters, a form or JSON body, a bearer token. */
export interface ApiCall {
  method?: string;
  params?: Record<string, string>;
  form?: Record<string, string>;
  json?: unknown;
  bearer?: string;
}

/**
 * A platform API at `baseUrl`: `call(breakerKey, path, init)` makes one JSON call through the account's (or the
 * connect flow's) resilience policies (timeout, retries, breaker: resilience.ts), errors classified by `classify`.
 */
export function platformApi(resilience: Resilience, baseUrl: string, classify: ErrorClassifier, waitHint?: WaitHint) {
  const base = baseUrl.replace(/\/$/, "");
  return <T>(key: string, path: string, init: ApiCall = {}): Promise<T> =>
    resilience.run(key, (signal) => {
      const url = new URL(`${base}${path}`);
      for (const [k, v] of Object.entries(init.params ?? {})) url.searchParams.set(k, v);
      const headers: Record<string, string> = { accept: "application/json" };
      if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
      if (init.json !== undefined) headers["content-type"] = "application/json";
      const body = init.form ? new URLSearchParams(init.form) : init.json !== undefined ? JSON.stringify(init.json) : undefined;
      return callJson<T>(url, { method: init.method ?? "GET", headers, body, signal }, classify, waitHint);
    });
}

/**
 * An OAuth call made by arctic (token endpoint, refresh, revoke) through the same policies, its failures as
 * ProviderErrors: the server's OAuth error (`invalid_grant`, ...) is "auth", an unreachable server or a 5xx/429
 * is retryable, anything else unreadable is permanent. Messages carry the OAuth error code, never a token.
 */
export function oauthCall<T>(resilience: Resilience, key: string, fn: () => Promise<T>): Promise<T> {
  return resilience.run(key, async () => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof OAuth2RequestError) throw new ProviderError("auth", `OAuth error ${err.code}${err.description ? `: ${err.description}` : ""}`);
      if (err instanceof ArcticFetchError) throw new ProviderError("retryable", `OAuth server unreachable: ${(err.cause as Error)?.message ?? err.message}`);
      if (err instanceof UnexpectedResponseError || err instanceof UnexpectedErrorResponseBodyError) {
        const status = err.status;
        throw new ProviderError(status === 429 || status >= 500 ? "retryable" : "permanent", `OAuth server answered HTTP ${status}`, status);
      }
      throw err;
    }
  });
}
