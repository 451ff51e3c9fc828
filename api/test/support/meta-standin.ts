import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the Facebook Login and Graph API endpoints the Facebook provider calls (PROVIDERS.md §1),
 * under `/v25.0`: the consent dialog (it consents at once and redirects back with `code` and the unchanged `state`,
 * remembering the PKCE S256 challenge), `POST|GET /oauth/access_token` (authorization code with the verifier
 * checked against the challenge; `fb_exchange_token` for a long-lived token), `GET /me/accounts` (the user's Pages
 * with their Page tokens and tasks), `POST /{page}/feed`, `POST /{page}/photos`, `GET /{page}/feed`,
 * `DELETE /me/permissions`. Errors have Meta's shape `{"error":{"message","type","code","error_subcode",
 * "fbtrace_id"}}`: 190 for a bad or expired token, 100 for a bad parameter, 4/32 with 429 for throttling, 2 with 503
 * for an outage. `faults` queues responses for the next matching calls (status, body, headers such as Retry-After).
 */
export interface MetaStandin {
  readonly url: string;
  readonly appId: string;
  readonly appSecret: string;
  /** Pages the consenting user manages: id → name. */
  pages: Map<string, string>;
  /** Every token ever issued (to look for them where they must not be). */
  readonly issued: string[];
  /** Posts made, in order. */
  readonly posts: Array<{ id: string; pageId: string; message: string; image: string | null; createdAt: Date }>;
  /** Every request, in order: method and path (never the tokens). */
  readonly log: Array<{ method: string; path: string; status: number }>;
  /** Responses to give instead of the real one to the next calls whose `METHOD path` matches (a RegExp). */
  faults: Array<{ match: RegExp; status: number; body: unknown; headers?: Record<string, string>; times: number }>;
  /** Milliseconds to wait before answering a matching call (after the post is made, for crash tests). */
  delays: Array<{ match: RegExp; ms: number }>;
  /** Makes every token issued so far invalid (code 190), as when a user changes their password. */
  expireAllTokens(): void;
  /** Refuses `fb_exchange_token` from now on (the user token expired: reconnect needed). */
  refuseExchange: boolean;
  close(): Promise<void>;
}

const metaError = (status: number, code: number, message: string, type = "OAuthException") => ({
  status,
  body: { error: { message, type, code, error_subcode: code === 190 ? 463 : undefined, fbtrace_id: randomBytes(8).toString("base64url") } },
});

async function body(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export async function startMetaStandin(): Promise<MetaStandin> {
  const appId = "1234567890";
  const appSecret = randomBytes(16).toString("hex");
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const tokens = new Map<string, { kind: "user" | "long" | "page"; pageId?: string }>();
  let counter = 100;
  const issue = (kind: "user" | "long" | "page", pageId?: string) => {
    const token = `EAA${kind}${randomBytes(18).toString("base64url")}`;
    tokens.set(token, { kind, pageId });
    stand.issued.push(token);
    return token;
  };

  const stand: MetaStandin = {
    url: "",
    appId,
    appSecret,
    pages: new Map([["1111", "All County Plumbing"], ["2222", "All County Careers"]]),
    posts: [],
    issued: [],
    log: [],
    faults: [],
    delays: [],
    refuseExchange: false,
    expireAllTokens: () => tokens.clear(),
    close: () => new Promise((r) => server.close(() => r())),
  };

  async function route(req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const path = url.pathname.replace(/^\/v\d+\.0/, "");
    const form = req.method === "POST" ? await body(req) : new URLSearchParams();
    const param = (k: string) => form.get(k) ?? url.searchParams.get(k);
    const fault = stand.faults.find((f) => f.times > 0 && f.match.test(`${req.method} ${path}`));
    if (fault) {
      fault.times--;
      return fault;
    }
    if (path === "/dialog/oauth") {
      const redirect = new URL(param("redirect_uri")!);
      if (param("client_id") !== appId) return metaError(400, 101, "Invalid app ID");
      if (param("code_challenge_method") !== "S256" || !param("code_challenge")) return metaError(400, 100, "code_challenge with S256 is required");
      const code = randomBytes(16).toString("base64url");
      codes.set(code, { challenge: param("code_challenge")!, redirectUri: redirect.toString() });
      redirect.searchParams.set("code", code);
      redirect.searchParams.set("state", param("state") ?? "");
      return { status: 302, body: null, headers: { location: redirect.toString() } };
    }
    if (path === "/oauth/access_token") {
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
      const [id, secret] = basic ? Buffer.from(basic[1]!, "base64").toString().split(":") : [param("client_id"), param("client_secret")];
      if (id !== appId || secret !== appSecret) return metaError(400, 1, "Error validating client secret.");
      if (param("grant_type") === "fb_exchange_token") {
        const known = tokens.get(param("fb_exchange_token") ?? "");
        if (!known || stand.refuseExchange) return metaError(400, 190, "Error validating access token: Session has expired.");
        return { status: 200, body: { access_token: issue("long"), token_type: "bearer", expires_in: 5_184_000 } };
      }
      const code = codes.get(param("code") ?? "");
      codes.delete(param("code") ?? "");
      if (!code) return metaError(400, 100, "This authorization code has been used.");
      if (code.redirectUri !== param("redirect_uri")) return metaError(400, 100, "redirect_uri is not identical to the one used in the OAuth dialog request");
      const challenge = createHash("sha256").update(param("code_verifier") ?? "").digest("base64url");
      if (challenge !== code.challenge) return metaError(400, 100, "Invalid code verifier");
      return { status: 200, body: { access_token: issue("user"), token_type: "bearer", expires_in: 5_183 } };
    }
    const token = tokens.get(param("access_token") ?? "");
    if (!token) return metaError(400, 190, "Invalid OAuth access token - Cannot parse access token");
    if (path === "/me/accounts" && req.method === "GET") {
      return {
        status: 200,
        body: { data: [...stand.pages].map(([id, name]) => ({ id, name, category: "Plumbing Service", access_token: issue("page", id), tasks: ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"] })), paging: {} },
      };
    }
    if (path === "/me/permissions" && req.method === "DELETE") return { status: 200, body: { success: true } };
    const page = /^\/(\d+)\/(feed|photos)$/.exec(path);
    if (page) {
      const [, pageId, edge] = page;
      if (token.kind !== "page" || token.pageId !== pageId) return metaError(403, 200, "(#200) The user hasn't authorized the application to perform this action");
      if (req.method === "GET" && edge === "feed") {
        const since = Number(param("since") ?? 0) * 1000;
        const data = stand.posts.filter((p) => p.pageId === pageId && p.createdAt.getTime() >= since).reverse()
          .map((p) => ({ id: p.id, message: p.message, created_time: p.createdAt.toISOString().replace(/\.\d+Z$/, "+0000") }));
        return { status: 200, body: { data } };
      }
      if (req.method === "POST") {
        const message = edge === "feed" ? param("message") : param("caption");
        if (!message && edge === "feed") return metaError(400, 100, "(#100) Missing message or attachment");
        const id = `${pageId}_${++counter}`;
        stand.posts.push({ id, pageId: pageId!, message: message ?? "", image: edge === "photos" ? param("url") : null, createdAt: new Date() });
        return { status: 200, body: edge === "feed" ? { id } : { id: String(counter), post_id: id } };
      }
    }
    return metaError(400, 100, `Unsupported ${req.method} request to ${path}`, "GraphMethodException");
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const out = await route(req, url);
    const delay = stand.delays.find((d) => d.match.test(`${req.method} ${url.pathname.replace(/^\/v\d+\.0/, "")}`));
    if (delay) await new Promise((r) => setTimeout(r, delay.ms));
    stand.log.push({ method: req.method ?? "GET", path: url.pathname, status: out.status });
    res.writeHead(out.status, { ...(out.body === null ? {} : { "content-type": "application/json" }), ...(out.headers ?? {}) });
    res.end(out.body === null ? undefined : JSON.stringify(out.body));
  }

  const server = createServer((req, res) => void handle(req, res).catch((err) => (res.writeHead(500), res.end(String(err)))));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  (stand as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stand;
}

/** The env that points the API and worker at a stand-in. */
export const metaEnv = (s: MetaStandin) => ({
  META_APP_ID: s.appId,
  META_APP_SECRET: s.appSecret,
  META_OAUTH_URL: `${s.url}/v25.0/dialog/oauth`,
  META_GRAPH_URL: `${s.url}/v25.0`,
});
