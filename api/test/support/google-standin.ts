import { createHash, randomBytes } from "node:crypto";
import { serveStandin, type Answer, type StandinControls, type StandinRequest } from "./standin-server.ts";

/**
 * A local stand-in for the Google endpoints the Google Business Profile provider calls (PROVIDERS.md §3):
 * - OAuth: `GET /o/oauth2/v2/auth` (consents at once; requires `code_challenge_method=S256` and a challenge, and
 *   gives a refresh token only with `access_type=offline`), `POST /token` (form; client credentials by HTTP Basic or
 *   in the form; `authorization_code` with the verifier checked against the challenge, `refresh_token` without a
 *   new refresh token), `POST /revoke` (`token=`: an access token takes its refresh token along). OAuth errors are
 *   `{"error":"invalid_grant","error_description":…}` with 400.
 * - Account Management `GET /accountmanagement/v1/accounts`, Business Information
 *   `GET /businessinformation/v1/accounts/{a}/locations?readMask=…`.
 * - Local posts under `/v4`: `POST /accounts/{a}/locations/{l}/localPosts` (a LocalPost: `summary`, `topicType`
 *   required; answered with `name`, `state` (`newPostState`: LIVE, or PROCESSING until a test sets it), `searchUrl`,
 *   `createTime`), `GET` the same path (list), `GET …/localPosts/{p}` (one).
 * API errors have Google's shape `{"error":{"code","message","status"}}`: 401 UNAUTHENTICATED for a bad token,
 * 400 INVALID_ARGUMENT, 403 PERMISSION_DENIED, 404 NOT_FOUND; tests queue 429 RESOURCE_EXHAUSTED or 503
 * UNAVAILABLE through `faults` (`METHOD path`).
 */
export interface GoogleStandin extends StandinControls {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The consenting user's accounts and their locations. */
  accounts: Array<{ id: string; name: string; locations: Array<{ id: string; title: string }> }>;
  readonly issued: string[];
  readonly posts: Array<{ name: string; location: string; summary: string; media: string[]; createTime: Date; state: "LIVE" | "PROCESSING" | "REJECTED" }>;
  /** The state a new local post starts in (Google reviews some: PROCESSING, then LIVE or REJECTED). */
  newPostState: "LIVE" | "PROCESSING";
  /** Tokens revoked through `/revoke`. */
  readonly revoked: string[];
  /** Refuses the refresh grant (invalid_grant: the grant was revoked or lapsed). */
  refuseRefresh: boolean;
  close(): Promise<void>;
}

export const googleError = (code: number, status: string, message: string): Answer => ({ status: code, body: { error: { code, message, status } } });
const oauthError = (error: string, description: string): Answer => ({ status: 400, body: { error, error_description: description } });

export async function startGoogleStandin(): Promise<GoogleStandin> {
  const clientId = `${randomBytes(6).toString("hex")}.apps.googleusercontent.com`;
  const clientSecret = `GOCSPX-${randomBytes(12).toString("base64url")}`;
  const codes = new Map<string, { challenge: string; redirectUri: string; offline: boolean }>();
  const access = new Map<string, { refresh: string | null }>();
  const refresh = new Set<string>();
  let counter = 0;
  const issue = (prefix: string) => {
    const token = `${prefix}${randomBytes(20).toString("base64url")}`;
    stand.issued.push(token);
    return token;
  };
  const stand = {
    url: "",
    clientId,
    clientSecret,
    accounts: [{ id: "111", name: "All County Plumbing LLC", locations: [{ id: "222", title: "All County Plumbing - Main St" }, { id: "333", title: "All County Plumbing - Harbor" }] }],
    issued: [],
    posts: [],
    revoked: [],
    refuseRefresh: false,
    newPostState: "LIVE",
    log: [],
    faults: [],
    delays: [],
    close: async () => undefined,
  } as GoogleStandin;

  const clientOk = (req: StandinRequest) => {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
    const [id, secret] = basic ? Buffer.from(basic[1]!, "base64").toString().split(":") : [req.param("client_id"), req.param("client_secret")];
    return id === clientId && secret === clientSecret;
  };

  function oauth(req: StandinRequest): Answer | null {
    const { method, path, param } = req;
    if (path === "/o/oauth2/v2/auth" && method === "GET") {
      if (param("client_id") !== clientId) return { status: 400, body: { error: "invalid_client", error_description: "The OAuth client was not found." } };
      if (param("response_type") !== "code") return oauthError("unsupported_response_type", "response_type must be code");
      if (param("code_challenge_method") !== "S256" || !param("code_challenge")) return oauthError("invalid_request", "code_challenge with S256 is required");
      const redirect = new URL(param("redirect_uri")!);
      const code = `4/${randomBytes(16).toString("base64url")}`;
      codes.set(code, { challenge: param("code_challenge")!, redirectUri: redirect.toString(), offline: param("access_type") === "offline" });
      redirect.searchParams.set("code", code);
      redirect.searchParams.set("state", param("state") ?? "");
      redirect.searchParams.set("scope", param("scope") ?? "");
      return { status: 302, body: null, headers: { location: redirect.toString() } };
    }
    if (path === "/token" && method === "POST") {
      if (!clientOk(req)) return { status: 401, body: { error: "invalid_client", error_description: "Unauthorized" } };
      if (param("grant_type") === "authorization_code") {
        const code = codes.get(param("code") ?? "");
        codes.delete(param("code") ?? "");
        if (!code) return oauthError("invalid_grant", "Malformed auth code.");
        if (code.redirectUri !== param("redirect_uri")) return oauthError("redirect_uri_mismatch", "Bad Request");
        if (createHash("sha256").update(param("code_verifier") ?? "").digest("base64url") !== code.challenge) return oauthError("invalid_grant", "Invalid code verifier.");
        const refreshToken = code.offline ? issue("1//") : null;
        if (refreshToken) refresh.add(refreshToken);
        const accessToken = issue("ya29.");
        access.set(accessToken, { refresh: refreshToken });
        return { status: 200, body: { access_token: accessToken, expires_in: 3599, ...(refreshToken ? { refresh_token: refreshToken } : {}), scope: "https://www.googleapis.com/auth/business.manage", token_type: "Bearer" } };
      }
      if (param("grant_type") === "refresh_token") {
        const token = param("refresh_token") ?? "";
        if (stand.refuseRefresh || !refresh.has(token)) return oauthError("invalid_grant", "Token has been expired or revoked.");
        const accessToken = issue("ya29.");
        access.set(accessToken, { refresh: token });
        return { status: 200, body: { access_token: accessToken, expires_in: 3599, scope: "https://www.googleapis.com/auth/business.manage", token_type: "Bearer" } };
      }
      return oauthError("unsupported_grant_type", "Invalid grant_type");
    }
    if (path === "/revoke" && method === "POST") {
      const token = param("token") ?? "";
      const family = refresh.has(token) ? token : (access.get(token)?.refresh ?? null);
      if (!family && !access.has(token)) return oauthError("invalid_token", "Token expired or revoked");
      stand.revoked.push(token);
      if (family) {
        refresh.delete(family);
        for (const [a, v] of access) if (v.refresh === family) access.delete(a);
      }
      access.delete(token);
      return { status: 200, body: {} };
    }
    return null;
  }

  function api(req: StandinRequest): Answer {
    const { method, path } = req;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!bearer || !access.has(bearer))
      return googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
    if (path === "/accountmanagement/v1/accounts" && method === "GET")
      return { status: 200, body: { accounts: stand.accounts.map((a) => ({ name: `accounts/${a.id}`, accountName: a.name, type: "LOCATION_GROUP" })) } };
    const locations = /^\/businessinformation\/v1\/accounts\/(\d+)\/locations$/.exec(path);
    if (locations && method === "GET") {
      if (!req.param("readMask")) return googleError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.");
      const account = stand.accounts.find((a) => a.id === locations[1]);
      if (!account) return googleError(403, "PERMISSION_DENIED", "The caller does not have permission");
      return { status: 200, body: { locations: account.locations.map((l) => ({ name: `locations/${l.id}`, title: l.title })) } };
    }
    const posts = /^\/v4\/(accounts\/(\d+)\/locations\/(\d+))\/localPosts$/.exec(path);
    if (posts) {
      const [, location, accountId, locationId] = posts;
      if (!stand.accounts.some((a) => a.id === accountId && a.locations.some((l) => l.id === locationId))) return googleError(404, "NOT_FOUND", "Requested entity was not found.");
      if (method === "GET") return { status: 200, body: { localPosts: stand.posts.filter((p) => p.location === location).reverse().map(view) } };
      if (method === "POST") {
        let body: { summary?: unknown; topicType?: unknown; languageCode?: unknown; media?: Array<{ mediaFormat?: string; sourceUrl?: string }> };
        try {
          body = JSON.parse(req.rawBody.toString("utf8"));
        } catch {
          return googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
        }
        if (!["STANDARD", "EVENT", "OFFER", "ALERT"].includes(String(body.topicType))) return googleError(400, "INVALID_ARGUMENT", "Request contains an invalid argument: topicType");
        if (typeof body.summary !== "string" || body.summary.length > 1500) return googleError(400, "INVALID_ARGUMENT", "Request contains an invalid argument: summary");
        if ((body.media ?? []).some((m) => m.mediaFormat !== "PHOTO" || !m.sourceUrl)) return googleError(400, "INVALID_ARGUMENT", "Request contains an invalid argument: media");
        const post = { name: `${location}/localPosts/${++counter}${randomBytes(4).toString("hex")}`, location: location!, summary: body.summary, media: (body.media ?? []).map((m) => m.sourceUrl!), createTime: new Date(), state: stand.newPostState };
        stand.posts.push(post);
        return { status: 200, body: view(post) };
      }
    }
    const one = /^\/v4\/(accounts\/\d+\/locations\/\d+\/localPosts\/[A-Za-z0-9]+)$/.exec(path);
    if (one && method === "GET") {
      const post = stand.posts.find((p) => p.name === one[1]);
      return post ? { status: 200, body: view(post) } : googleError(404, "NOT_FOUND", "Requested entity was not found.");
    }
    return googleError(404, "NOT_FOUND", `Method not found: ${method} ${path}`);
  }

  const view = (p: GoogleStandin["posts"][number]) => ({
    name: p.name, languageCode: "en", summary: p.summary, topicType: "STANDARD", state: p.state,
    searchUrl: `https://local.google.com/place?id=${p.location.split("/")[3]}&use=posts&lpsid=${p.name.split("/").at(-1)}`,
    createTime: p.createTime.toISOString(), updateTime: p.createTime.toISOString(),
    ...(p.media.length ? { media: p.media.map((sourceUrl) => ({ mediaFormat: "PHOTO", sourceUrl, googleUrl: sourceUrl })) } : {}),
  });

  const server = await serveStandin(stand, (req) => oauth(req) ?? api(req));
  (stand as { url: string }).url = server.url;
  stand.close = server.close;
  return stand;
}

/** The env that points the API and worker at the Google stand-in. */
export const googleEnv = (s: GoogleStandin) => ({
  GOOGLE_CLIENT_ID: s.clientId,
  GOOGLE_CLIENT_SECRET: s.clientSecret,
  GOOGLE_OAUTH_URL: `${s.url}/o/oauth2/v2/auth`,
  GOOGLE_TOKEN_URL: `${s.url}/token`,
  GOOGLE_REVOKE_URL: `${s.url}/revoke`,
  GOOGLE_BUSINESS_URL: `${s.url}/v4`,
  GOOGLE_ACCOUNT_URL: `${s.url}/accountmanagement/v1`,
  GOOGLE_BUSINESS_INFO_URL: `${s.url}/businessinformation/v1`,
});
