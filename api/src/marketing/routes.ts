import type { IncomingMessage, ServerResponse } from "node:http";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { handleCallback } from "./connect.ts";
import { dataDeletionStatus, receiveDataDeletion, receiveDeauthorization, receiveWebhook, webhookChallenge, type DataDeletionStatus, type InboundOutcome } from "./inbound.ts";
import { platforms } from "./runtime.ts";

const CALLBACK = /^\/integrations\/(facebook|instagram|google_business)\/callback$/;
const WEBHOOK = /^\/integrations\/(facebook|instagram|google_business)\/webhook$/;
const DEAUTHORIZE = /^\/integrations\/(facebook|instagram)\/deauthorize$/;
const DATA_DELETION = /^\/integrations\/(facebook|instagram)\/data-deletion$/;
const DATA_DELETION_STATUS = /^\/integrations\/(facebook|instagram)\/data-deletion\/([^/]+)$/;

/**
 * The marketing module's HTTP routes under `/integrations/` (server.ts hands every such request here):
 * `GET /integrations/<platform>/callback`: the OAuth redirect target (connect.ts `handleCallback`); success and
 * platform-side failures redirect to the dashboard, an unknown or reused `state` is a 400 that changes nothing.
 * `GET /integrations/<facebook|instagram>/webhook`: Meta's subscription handshake; `POST
 * /integrations/<platform>/webhook`: a platform notification (inbound.ts `receiveWebhook`: verified, stored,
 * answered; the worker does the rest). `POST /integrations/<facebook|instagram>/deauthorize`: Meta's deauthorize
 * callback (inbound.ts `receiveDeauthorization`: the user's accounts become NEEDS_RECONNECT). `POST
 * /integrations/<facebook|instagram>/data-deletion`: Meta's data deletion request callback (inbound.ts
 * `receiveDataDeletion`: answers `{ url, confirmation_code }`; the worker erases the user's data), and `GET
 * /integrations/<facebook|instagram>/data-deletion/<code>`: that request's status, a page for the person (JSON when
 * asked for with `Accept: application/json`).
 * Returns false when the path is not one of them.
 */
export async function integrationRoute(req: IncomingMessage, res: ServerResponse, url: URL, env: Env, log: Logger): Promise<boolean> {
  const callback = CALLBACK.exec(url.pathname);
  if (callback && req.method === "GET") {
    const platform = callback[1] as (typeof platforms)[number];
    const outcome = await handleCallback(env, log, platform, url.searchParams);
    if (outcome.location) {
      res.writeHead(outcome.status, { location: outcome.location, "cache-control": "no-store" });
      res.end();
    } else {
      res.writeHead(outcome.status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ errors: [{ message: outcome.error, extensions: { code: "BAD_USER_INPUT" } }] }));
    }
    return true;
  }
  const webhook = WEBHOOK.exec(url.pathname);
  if (webhook && (req.method === "GET" || req.method === "POST")) {
    const platform = webhook[1] as (typeof platforms)[number];
    const out: InboundOutcome = req.method === "GET" ? webhookChallenge(env, platform, url.searchParams) : await receiveWebhook(env, platform, req, url.searchParams);
    if (out.status === 401) log.warn({ platform }, "platform webhook refused: bad signature");
    res.writeHead(out.status, { "content-type": out.contentType, "cache-control": "no-store" });
    res.end(out.body);
    return true;
  }
  const deauthorize = DEAUTHORIZE.exec(url.pathname);
  if (deauthorize && req.method === "POST") {
    const platform = deauthorize[1] as (typeof platforms)[number];
    const out = await receiveDeauthorization(env, platform, req);
    if (out.status === 401) log.warn({ platform }, "platform deauthorization refused: bad signed_request");
    res.writeHead(out.status, { "content-type": out.contentType, "cache-control": "no-store" });
    res.end(out.body);
    return true;
  }
  const deletion = DATA_DELETION.exec(url.pathname);
  if (deletion && req.method === "POST") {
    const platform = deletion[1] as (typeof platforms)[number];
    const out = await receiveDataDeletion(env, platform, req);
    if (out.status === 401) log.warn({ platform }, "platform data deletion request refused: bad signed_request");
    res.writeHead(out.status, { "content-type": out.contentType, "cache-control": "no-store" });
    res.end(out.body);
    return true;
  }
  const deletionStatus = DATA_DELETION_STATUS.exec(url.pathname);
  if (deletionStatus && req.method === "GET") {
    const platform = deletionStatus[1] as (typeof platforms)[number];
    const status = await dataDeletionStatus(platform, deletionStatus[2]!);
    const wantsJson = /application\/json/.test(req.headers.accept ?? "");
    res.writeHead(status ? 200 : 404, { "content-type": wantsJson ? "application/json" : "text/html; charset=utf-8", "cache-control": "no-store" });
    if (wantsJson) res.end(JSON.stringify(status ?? { errors: [{ message: "no such data deletion request", extensions: { code: "NOT_FOUND" } }] }));
    else res.end(statusPage(status));
    return true;
  }
  return false;
}

/** The human-readable status page Meta's `url` points the person to (nothing in it comes from the request but the code, which is 32 hex digits). */
function statusPage(s: DataDeletionStatus | null): string {
  const body = !s
    ? "<p>There is no data deletion request with this confirmation code.</p>"
    : s.status === "pending"
      ? `<p>Your request (confirmation code <code>${s.confirmationCode}</code>), received ${s.requestedAt}, is being processed: the access tokens your consent gave us and your ${s.platform === "instagram" ? "Instagram" : "Facebook"} user id are being erased.</p>`
      : `<p>Your request (confirmation code <code>${s.confirmationCode}</code>), received ${s.requestedAt}, was completed ${s.completedAt}: the access tokens your consent gave us and your ${s.platform === "instagram" ? "Instagram" : "Facebook"} user id were erased from ${s.accountsErased} connected account${s.accountsErased === 1 ? "" : "s"}. Posts already published stay on the platform, where you manage them.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Data deletion request</title></head><body><h1>Data deletion request</h1>${body}</body></html>`;
}
