import { ProviderError } from "./provider.ts";

/** Seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Classifies a platform's error response (Meta's `{error:{code,...}}`, Google's `{error:{status,...}}`). */
export type ErrorClassifier = (status: number, body: unknown) => "retryable" | "auth" | "permanent" | null;

/**
 * One HTTP call to a platform: JSON in, JSON out. Network failures and aborts (the timeout policy's signal) are
 * retryable ProviderErrors; an error response is classified by the platform's own error shape, then by status
 * (429 and 5xx retryable, 401 auth, other 4xx permanent), with Retry-After kept. The message carries the
 * platform's error message, never the request (which may hold a token).
 */
export async function callJson<T>(url: URL | string, init: RequestInit & { signal: AbortSignal }, classify: ErrorClassifier): Promise<T> {
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
  throw new ProviderError(kind, `${init.method ?? "GET"} ${new URL(url).pathname}: ${res.status} ${message}`, res.status, retryAfterMs(res.headers.get("retry-after")));
}

/** A form body (what Meta and Google token endpoints take). */
export const form = (fields: Record<string, string>) => new URLSearchParams(fields);
