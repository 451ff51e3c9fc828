import { createHash, createHmac, randomBytes } from "node:crypto";
import { serveStandin, type Answer, type StandinControls, type StandinRequest } from "./standin-server.ts";

/**
 * A local stand-in for the Meta endpoints the Facebook and Instagram providers call (PROVIDERS.md §1, §2).
 *
 * Facebook, under `/v25.0`: the consent dialog (it consents at once and redirects back with `code` and the
 * unchanged `state`, remembering the PKCE S256 challenge), `POST|GET /oauth/access_token` (authorization code with
 * the verifier checked against the challenge; `fb_exchange_token` for a long-lived token), `GET /me/accounts` (the
 * user's Pages with their Page tokens and tasks), `POST /{page}/feed`, `POST /{page}/photos`, `GET /{page}/feed`,
 * `GET /me` (the user with a user token, the Page with a Page token), `DELETE /me/permissions` (user tokens only:
 * the app's permissions are revoked, so the user's tokens and the Page tokens derived from them stop working,
 * `{"success":true}`).
 *
 * Instagram (Instagram Login), under `/instagram`: `GET /oauth/authorize` (www.instagram.com; consents at once, the
 * challenge remembered when sent), `POST /oauth/access_token` (api.instagram.com: form `client_id, client_secret,
 * grant_type=authorization_code, redirect_uri, code` (+`code_verifier`, checked), `{access_token, user_id,
 * permissions}` for one hour, errors `{error_type, code, error_message}`), and graph.instagram.com under
 * `/instagram/v25.0`: `GET /access_token?grant_type=ig_exchange_token` (60 days), `GET /refresh_access_token?
 * grant_type=ig_refresh_token`, `GET /me?fields=user_id,username`, `POST /{ig-user}/media` (a container,
 * IN_PROGRESS for `igProcessingLooks` looks at its `status_code`, then FINISHED), `GET /{container}?fields=
 * status_code`, `POST /{ig-user}/media_publish` (`creation_id`), `GET /{ig-user}/media`, `GET /{media}?fields=
 * permalink`.
 *
 * Graph errors have Meta's shape `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`: 190 for a bad
 * or expired token, 100 for a bad parameter, 2 with 503 for an outage. Throttling, as tests queue it: Meta documents
 * codes 4/17/32/613 with HTTP 400/403 and `X-Business-Use-Case-Usage` (no Retry-After; PROVIDERS.md §1), and the
 * generic 429 with Retry-After is tested as well. `faults`
 * queue responses for the next matching calls (`METHOD path`, the path without its `/v25.0`).
 * `signWebhook(body, secret)` signs a webhook body as Meta does (`X-Hub-Signature-256`).
 */
export interface MetaStandin extends StandinControls {
  readonly url: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly igAppId: string;
  readonly igAppSecret: string;
  /** Pages the consenting user manages: id → name. */
  pages: Map<string, string>;
  /** The Facebook user who consents (`GET /me`): the app-scoped id Meta's deauthorize callback names. */
  fbUser: { id: string };
  /** The Instagram professional account that consents. */
  igUser: { id: string; username: string };
  /**
   * Does what Meta does when a user removes the app: POSTs `signed_request` (form) to the app's deauthorize
   * callback URL, signed with the app secret (the Instagram app's for `instagram`), or with `secret` when given.
   */
  deauthorize(callbackUrl: string, userId: string, platform?: "facebook" | "instagram", secret?: string): Promise<Response>;
  /**
   * Does what Meta does when a user removes the app and asks for their data to be deleted: the same signed form POST
   * (`signed_request`, with `expires`) to the app's Data Deletion Request URL; Meta expects `{ url, confirmation_code }`.
   */
  requestDataDeletion(callbackUrl: string, userId: string, platform?: "facebook" | "instagram", secret?: string): Promise<Response>;
  /** User tokens with which the app's permissions were revoked (`DELETE /me/permissions`). */
  readonly revoked: string[];
  /** Every token ever issued (to look for them where they must not be). */
  readonly issued: string[];
  /** Facebook posts made, in order. */
  readonly posts: Array<{ id: string; pageId: string; message: string; image: string | null; createdAt: Date }>;
  /** Instagram media containers made, in order. */
  readonly containers: Array<{ id: string; igUserId: string; imageUrl: string; caption: string; status: "IN_PROGRESS" | "FINISHED" | "ERROR" | "EXPIRED" | "PUBLISHED"; looks: number }>;
  /** Instagram media published, in order. */
  readonly igMedia: Array<{ id: string; igUserId: string; containerId: string; caption: string; createdAt: Date }>;
  /** How many looks at a new container's status_code answer IN_PROGRESS before FINISHED. */
  igProcessingLooks: number;
  /** Makes every token issued so far invalid (code 190), as when a user changes their password. */
  expireAllTokens(): void;
  /** Refuses `fb_exchange_token` from now on (the user token expired: reconnect needed). */
  refuseExchange: boolean;
  /** Refuses `ig_refresh_token` from now on (the token expired). */
  refuseIgRefresh: boolean;
  close(): Promise<void>;
}

const metaError = (status: number, code: number, message: string, type = "OAuthException"): Answer => ({
  status,
  body: { error: { message, type, code, error_subcode: code === 190 ? 463 : undefined, fbtrace_id: randomBytes(8).toString("base64url") } },
});

/** Meta's `signed_request`: base64url(HMAC-SHA256 of the payload part under the app secret) "." base64url(JSON payload). */
export function signedRequest(payload: Record<string, unknown>, appSecret: string): string {
  const body = Buffer.from(JSON.stringify({ algorithm: "HMAC-SHA256", issued_at: Math.floor(Date.now() / 1000), ...payload })).toString("base64url");
  return `${createHmac("sha256", appSecret).update(body).digest("base64url")}.${body}`;
}

/** The `X-Hub-Signature-256` header Meta sends with a webhook body. */
export const signWebhook = (body: string, appSecret: string) => `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;

type TokenKind = "user" | "long" | "page" | "ig-short" | "ig";

export async function startMetaStandin(): Promise<MetaStandin> {
  const appId = "1234567890";
  const appSecret = randomBytes(16).toString("hex");
  const igAppId = "9876543210";
  const igAppSecret = randomBytes(16).toString("hex");
  const codes = new Map<string, { challenge: string | null; redirectUri: string }>();
  const tokens = new Map<string, { kind: TokenKind; pageId?: string }>();
  let counter = 100;
  const issue = (kind: TokenKind, pageId?: string) => {
    const token = `${kind.startsWith("ig") ? "IGQ" : "EAA"}${kind}${randomBytes(18).toString("base64url")}`;
    tokens.set(token, { kind, pageId });
    stand.issued.push(token);
    return token;
  };
  const consent = (req: StandinRequest, requireChallenge: boolean): Answer | null => {
    const redirect = new URL(req.param("redirect_uri")!);
    const challenge = req.param("code_challenge");
    if (challenge && req.param("code_challenge_method") !== "S256") return metaError(400, 100, "code_challenge_method must be S256");
    if (requireChallenge && !challenge) return metaError(400, 100, "code_challenge with S256 is required");
    const code = randomBytes(16).toString("base64url");
    codes.set(code, { challenge, redirectUri: redirect.toString() });
    redirect.searchParams.set("code", code);
    redirect.searchParams.set("state", req.param("state") ?? "");
    return { status: 302, body: null, headers: { location: redirect.toString() } };
  };
  const clientOf = (req: StandinRequest) => {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
    return basic ? Buffer.from(basic[1]!, "base64").toString().split(":") : [req.param("client_id"), req.param("client_secret")];
  };
  /** The code's checks: single use, same redirect_uri, verifier matching the challenge. Null when they pass. */
  const redeem = (req: StandinRequest): string | null => {
    const code = codes.get(req.param("code") ?? "");
    codes.delete(req.param("code") ?? "");
    if (!code) return "This authorization code has been used.";
    if (code.redirectUri !== req.param("redirect_uri")) return "redirect_uri is not identical to the one used in the OAuth dialog request";
    const verifier = req.param("code_verifier");
    if (code.challenge && createHash("sha256").update(verifier ?? "").digest("base64url") !== code.challenge) return "Invalid code verifier";
    return null;
  };

  const stand = {
    url: "",
    appId,
    appSecret,
    igAppId,
    igAppSecret,
    pages: new Map([["1111", "All County Plumbing"], ["2222", "All County Careers"]]),
    fbUser: { id: "10158000000000042" },
    igUser: { id: "17841400000000001", username: "allcountyplumbing" },
    deauthorize: (callbackUrl: string, userId: string, platform = "facebook", secret?: string) =>
      fetch(callbackUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ signed_request: signedRequest({ user_id: userId }, secret ?? (platform === "instagram" ? igAppSecret : appSecret)) }).toString(),
      }),
    requestDataDeletion: (callbackUrl: string, userId: string, platform = "facebook", secret?: string) =>
      fetch(callbackUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ signed_request: signedRequest({ user_id: userId, expires: Math.floor(Date.now() / 1000) + 3600 }, secret ?? (platform === "instagram" ? igAppSecret : appSecret)) }).toString(),
      }),
    posts: [],
    containers: [],
    igMedia: [],
    igProcessingLooks: 1,
    issued: [],
    revoked: [],
    log: [],
    faults: [],
    delays: [],
    refuseExchange: false,
    refuseIgRefresh: false,
    expireAllTokens: () => tokens.clear(),
    close: async () => undefined,
  } as MetaStandin;

  function facebook(req: StandinRequest, path: string): Answer {
    const { method, param } = req;
    if (path === "/dialog/oauth") {
      if (param("client_id") !== appId) return metaError(400, 101, "Invalid app ID");
      return consent(req, true)!;
    }
    if (path === "/oauth/access_token") {
      const [id, secret] = clientOf(req);
      if (id !== appId || secret !== appSecret) return metaError(400, 1, "Error validating client secret.");
      if (param("grant_type") === "fb_exchange_token") {
        const known = tokens.get(param("fb_exchange_token") ?? "");
        if (!known || stand.refuseExchange) return metaError(400, 190, "Error validating access token: Session has expired.");
        return { status: 200, body: { access_token: issue("long"), token_type: "bearer", expires_in: 5_184_000 } };
      }
      const refused = redeem(req);
      if (refused) return metaError(400, 100, refused);
      return { status: 200, body: { access_token: issue("user"), token_type: "bearer", expires_in: 5_183 } };
    }
    const token = tokens.get(param("access_token") ?? "");
    if (!token) return metaError(400, 190, "Invalid OAuth access token - Cannot parse access token");
    if (path === "/me" && method === "GET") return { status: 200, body: token.kind === "page" ? { id: token.pageId, name: stand.pages.get(token.pageId!) } : { id: stand.fbUser.id } };
    if (path === "/me/accounts" && method === "GET") {
      return {
        status: 200,
        body: { data: [...stand.pages].map(([id, name]) => ({ id, name, category: "Plumbing Service", access_token: issue("page", id), tasks: ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"] })), paging: {} },
      };
    }
    if (path === "/me/permissions" && method === "DELETE") {
      if (token.kind !== "user" && token.kind !== "long") return metaError(400, 100, "(#100) Tried accessing nonexisting field (permissions) on node type (Page)", "GraphMethodException");
      stand.revoked.push(param("access_token")!);
      for (const [t, v] of tokens) if (v.kind === "user" || v.kind === "long" || v.kind === "page") tokens.delete(t);
      return { status: 200, body: { success: true } };
    }
    const page = /^\/(\d+)\/(feed|photos)$/.exec(path);
    if (page) {
      const [, pageId, edge] = page;
      if (token.kind !== "page" || token.pageId !== pageId) return metaError(403, 200, "(#200) The user hasn't authorized the application to perform this action");
      if (method === "GET" && edge === "feed") {
        const since = Number(param("since") ?? 0) * 1000;
        const data = stand.posts.filter((p) => p.pageId === pageId && p.createdAt.getTime() >= since).reverse()
          .map((p) => ({ id: p.id, message: p.message, created_time: p.createdAt.toISOString().replace(/\.\d+Z$/, "+0000") }));
        return { status: 200, body: { data } };
      }
      if (method === "POST") {
        const message = edge === "feed" ? param("message") : param("caption");
        if (!message && edge === "feed") return metaError(400, 100, "(#100) Missing message or attachment");
        const id = `${pageId}_${++counter}`;
        stand.posts.push({ id, pageId: pageId!, message: message ?? "", image: edge === "photos" ? param("url") : null, createdAt: new Date() });
        return { status: 200, body: edge === "feed" ? { id } : { id: String(counter), post_id: id } };
      }
    }
    return metaError(400, 100, `Unsupported ${method} request to ${path}`, "GraphMethodException");
  }

  function instagram(req: StandinRequest, path: string): Answer {
    const { method, param } = req;
    if (path === "/oauth/authorize") {
      if (param("client_id") !== igAppId) return { status: 400, body: { error_type: "OAuthException", code: 400, error_message: "Invalid platform app" } };
      return consent(req, false)!;
    }
    if (path === "/oauth/access_token" && method === "POST") {
      const [id, secret] = clientOf(req);
      if (id !== igAppId || secret !== igAppSecret) return { status: 400, body: { error_type: "OAuthException", code: 400, error_message: "Invalid platform app" } };
      if (param("grant_type") !== "authorization_code") return { status: 400, body: { error_type: "OAuthException", code: 400, error_message: "Unsupported grant_type" } };
      const refused = redeem(req);
      if (refused) return { status: 400, body: { error_type: "OAuthException", code: 400, error_message: refused } };
      return { status: 200, body: { access_token: issue("ig-short"), user_id: stand.igUser.id, permissions: "instagram_business_basic,instagram_business_content_publish" } };
    }
    const token = tokens.get(param("access_token") ?? "");
    if (!token || !token.kind.startsWith("ig")) return metaError(400, 190, "Invalid OAuth access token - Cannot parse access token");
    if (path === "/access_token" && method === "GET") {
      if (param("grant_type") !== "ig_exchange_token" || param("client_secret") !== igAppSecret) return metaError(400, 100, "Invalid grant_type or client_secret");
      if (token.kind !== "ig-short") return metaError(400, 100, "Only a short-lived token can be exchanged");
      return { status: 200, body: { access_token: issue("ig"), token_type: "bearer", expires_in: 5_184_000 } };
    }
    if (path === "/refresh_access_token" && method === "GET") {
      if (param("grant_type") !== "ig_refresh_token") return metaError(400, 100, "Invalid grant_type");
      if (stand.refuseIgRefresh || token.kind !== "ig") return metaError(400, 190, "Error validating access token: Session has expired.");
      return { status: 200, body: { access_token: issue("ig"), token_type: "bearer", expires_in: 5_184_000 } };
    }
    if (token.kind !== "ig") return metaError(400, 190, "Error validating access token: short-lived token expired");
    if (path === "/me" && method === "GET") return { status: 200, body: { user_id: stand.igUser.id, username: stand.igUser.username, id: stand.igUser.id } };
    const edge = /^\/(\d+)\/(media|media_publish)$/.exec(path);
    if (edge) {
      const [, igUserId, which] = edge;
      if (igUserId !== stand.igUser.id) return metaError(403, 10, "(#10) Application does not have permission for this action");
      if (which === "media" && method === "POST") {
        const imageUrl = param("image_url");
        if (!imageUrl) return metaError(400, 100, "(#100) The parameter image_url is required");
        const id = `18${String(++counter).padStart(15, "0")}`;
        stand.containers.push({ id, igUserId: igUserId!, imageUrl, caption: param("caption") ?? "", status: "IN_PROGRESS", looks: 0 });
        return { status: 200, body: { id } };
      }
      if (which === "media" && method === "GET") {
        const data = stand.igMedia.filter((m) => m.igUserId === igUserId).reverse()
          .map((m) => ({ id: m.id, caption: m.caption, timestamp: m.createdAt.toISOString().replace(/\.\d+Z$/, "+0000"), permalink: `https://www.instagram.com/p/${m.id}/` }));
        return { status: 200, body: { data } };
      }
      if (which === "media_publish" && method === "POST") {
        const container = stand.containers.find((c) => c.id === param("creation_id") && c.igUserId === igUserId);
        if (!container) return metaError(400, 100, "(#100) Param creation_id is not a valid media container");
        if (container.status !== "FINISHED") return metaError(400, 9007, "(#9007) The media is not ready for publishing, please wait for a moment", "OAuthException");
        container.status = "PUBLISHED";
        const id = `179${String(++counter).padStart(14, "0")}`;
        stand.igMedia.push({ id, igUserId: igUserId!, containerId: container.id, caption: container.caption, createdAt: new Date() });
        return { status: 200, body: { id } };
      }
    }
    const object = /^\/(\d+)$/.exec(path);
    if (object && method === "GET") {
      const container = stand.containers.find((c) => c.id === object[1]);
      if (container) {
        if (container.status === "IN_PROGRESS" && ++container.looks > stand.igProcessingLooks) container.status = "FINISHED";
        return { status: 200, body: { status_code: container.status, id: container.id } };
      }
      const media = stand.igMedia.find((m) => m.id === object[1]);
      if (media) return { status: 200, body: { permalink: `https://www.instagram.com/p/${media.id}/`, id: media.id } };
      return metaError(400, 100, `(#100) Object with ID '${object[1]}' does not exist`, "GraphMethodException");
    }
    return metaError(400, 100, `Unsupported ${method} request to ${path}`, "GraphMethodException");
  }

  const key = (pathname: string) => pathname.replace(/^(\/instagram)?\/v\d+\.0/, "$1");
  const server = await serveStandin(stand, (req) => (req.path.startsWith("/instagram/") ? instagram(req, req.path.slice("/instagram".length)) : facebook(req, req.path)), key);
  (stand as { url: string }).url = server.url;
  stand.close = server.close;
  return stand;
}

/** The env that points the API and worker at a stand-in (Facebook and Instagram). */
export const metaEnv = (s: MetaStandin) => ({
  META_APP_ID: s.appId,
  META_APP_SECRET: s.appSecret,
  META_OAUTH_URL: `${s.url}/v25.0/dialog/oauth`,
  META_GRAPH_URL: `${s.url}/v25.0`,
  INSTAGRAM_APP_ID: s.igAppId,
  INSTAGRAM_APP_SECRET: s.igAppSecret,
  INSTAGRAM_OAUTH_URL: `${s.url}/instagram/oauth/authorize`,
  INSTAGRAM_TOKEN_URL: `${s.url}/instagram/oauth/access_token`,
  INSTAGRAM_GRAPH_URL: `${s.url}/instagram/v25.0`,
  INSTAGRAM_CONTAINER_POLL_MS: "30",
});
