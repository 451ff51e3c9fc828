import { createHmac, timingSafeEqual } from "node:crypto";
import { platformApi, type ErrorClassifier, type WaitHint } from "./http.ts";
import type { InboundNotice, WebhookRequest } from "./provider.ts";
import type { Resilience } from "./resilience.ts";

/** Meta's error codes (graph-api/guides/error-handling): token problems need a reconnect, throttling is retryable. */
export const metaErrors: ErrorClassifier = (_status, body) => {
  const code = (body as { error?: { code?: number } } | null)?.error?.code;
  if (code === undefined) return null;
  if (code === 190 || code === 102 || code === 10 || (code >= 200 && code < 300)) return "auth";
  if ([1, 2, 4, 17, 32, 341, 368, 613, 80001, 80002].includes(code)) return "retryable";
  return "permanent";
};

/**
 * Meta's throttling answers carry no Retry-After: a throttled Page or Instagram call (codes 4, 17, 32, 613, 80001,
 * 80002; HTTP 400/403) comes with `X-Business-Use-Case-Usage: {"<business id>": [{ type, call_count, total_cputime,
 * total_time, estimated_time_to_regain_access }]}` (graph-api/overview/rate-limiting), the last in minutes
 * (PROVIDERS.md: UNCONF). The longest of them is how long to wait; null when none is above zero or the header is
 * absent or unreadable (then the exponential backoff decides).
 */
export const metaWaitHint: WaitHint = (headers) => {
  const raw = headers.get("x-business-use-case-usage");
  if (!raw) return null;
  let usage: unknown;
  try {
    usage = JSON.parse(raw);
  } catch {
    return null;
  }
  let minutes = 0;
  for (const entries of Object.values((usage ?? {}) as Record<string, unknown>)) {
    for (const e of Array.isArray(entries) ? entries : []) {
      const m = Number((e as { estimated_time_to_regain_access?: unknown })?.estimated_time_to_regain_access);
      if (Number.isFinite(m) && m > minutes) minutes = m;
    }
  }
  return minutes > 0 ? minutes * 60_000 : null;
};

/**
 * A Meta Graph API (graph.facebook.com or graph.instagram.com) with its token rule: the access token rides in the
 * query string of GET and DELETE calls and in the form of POST calls (as Meta's samples send it).
 */
export function metaGraph(resilience: Resilience, graphUrl: string) {
  const call = platformApi(resilience, graphUrl, metaErrors, metaWaitHint);
  return <T>(key: string, path: string, init: { method?: string; params?: Record<string, string>; token?: string; form?: Record<string, string> } = {}) => {
    const post = (init.method ?? "GET") === "POST";
    const token: Record<string, string> = init.token ? { access_token: init.token } : {};
    return call<T>(key, path, {
      method: init.method,
      params: { ...(init.params ?? {}), ...(post ? {} : token) },
      form: post ? { ...(init.form ?? {}), ...token } : undefined,
    });
  };
}

export const expiry = (expiresIn: unknown) => (typeof expiresIn === "number" ? new Date(Date.now() + expiresIn * 1000) : null);

const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Meta's webhooks (graph-api/webhooks/getting-started), for Pages and Instagram alike:
 * - the subscription handshake `GET ?hub.mode=subscribe&hub.challenge=&hub.verify_token=` is answered with the
 *   challenge only when the verify token matches (`challenge` returns null otherwise: 403);
 * - a notification is genuine when `X-Hub-Signature-256` is `sha256=` + the hex HMAC-SHA256 of the raw body under
 *   the app secret, compared in constant time;
 * - its `entry[]` are the notices, one per changed field, keyed by the page or Instagram account id (`entry.id`);
 *   the dedup key is the body's own HMAC (Meta sends no delivery id; a redelivery is byte-identical).
 */
export function metaWebhooks(appSecret: string, verifyToken: string | undefined) {
  return {
    challenge(query: URLSearchParams): string | null {
      if (!verifyToken || query.get("hub.mode") !== "subscribe") return null;
      const challenge = query.get("hub.challenge");
      return challenge !== null && safeEqual(query.get("hub.verify_token") ?? "", verifyToken) ? challenge : null;
    },
    verify(req: WebhookRequest): string | null {
      const header = req.headers["x-hub-signature-256"];
      const signature = (Array.isArray(header) ? header[0] : header) ?? "";
      const expected = `sha256=${createHmac("sha256", appSecret).update(req.rawBody).digest("hex")}`;
      return safeEqual(signature, expected) ? expected.slice(7) : null;
    },
    parse(body: unknown): InboundNotice[] {
      const entries = (body as { entry?: unknown[] } | null)?.entry;
      if (!Array.isArray(entries)) return [];
      const notices: InboundNotice[] = [];
      for (const e of entries as Array<{ id?: unknown; changes?: Array<{ field?: unknown; value?: { item?: unknown; verb?: unknown } }>; messaging?: unknown[] }>) {
        if (typeof e?.id !== "string" && typeof e?.id !== "number") continue;
        for (const c of e.changes ?? []) {
          const detail = [c.value?.item, c.value?.verb].filter((x) => typeof x === "string").join(" ");
          notices.push({ externalId: String(e.id), kind: String(c.field ?? "unknown"), detail: detail || null });
        }
        if (Array.isArray(e.messaging) && e.messaging.length) notices.push({ externalId: String(e.id), kind: "messaging", detail: null });
      }
      return notices;
    },
  };
}

/**
 * Meta's deauthorize callback (Facebook Login and Instagram Login: the app's "Deauthorize callback URL"): a form POST
 * with `signed_request` = `<signature>.<payload>`, both base64url; the signature is the HMAC-SHA256 of the payload
 * part (the base64url text, as sent) under the app secret, compared in constant time; the payload is JSON with
 * `algorithm: "HMAC-SHA256"`, `issued_at` (UNIX s) and `user_id` (the app-scoped id of the user who removed the
 * app). Anything else (no signature, another algorithm, no user) is refused. Not in PROVIDERS.md: Meta's Facebook
 * Login documentation (UNCONF here), so the route and the secret stay configuration like the rest.
 */
export function metaDeauthorization(appSecret: string) {
  return {
    verify(form: URLSearchParams): { userId: string; issuedAt: number } | null {
      const [signature, payload, ...rest] = (form.get("signed_request") ?? "").split(".");
      if (!signature || !payload || rest.length) return null;
      const expected = createHmac("sha256", appSecret).update(payload).digest("base64url");
      if (!safeEqual(signature.replace(/=+$/, ""), expected)) return null;
      let data: { algorithm?: unknown; user_id?: unknown; issued_at?: unknown };
      try {
        data = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      } catch {
        return null;
      }
      if (String(data?.algorithm).toUpperCase() !== "HMAC-SHA256") return null;
      if (typeof data.user_id !== "string" && typeof data.user_id !== "number") return null;
      return { userId: String(data.user_id), issuedAt: typeof data.issued_at === "number" ? data.issued_at : 0 };
    },
  };
}
