import type { IncomingMessage, ServerResponse } from "node:http";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { handleCallback } from "./connect.ts";
import { receiveDeauthorization, receiveWebhook, webhookChallenge, type InboundOutcome } from "./inbound.ts";
import { platforms } from "./runtime.ts";

const CALLBACK = /^\/integrations\/(facebook|instagram|google_business)\/callback$/;
const WEBHOOK = /^\/integrations\/(facebook|instagram|google_business)\/webhook$/;
const DEAUTHORIZE = /^\/integrations\/(facebook|instagram)\/deauthorize$/;

/**
 * The marketing module's HTTP routes under `/integrations/` (server.ts hands every such request here):
 * `GET /integrations/<platform>/callback`: the OAuth redirect target (connect.ts `handleCallback`); success and
 * platform-side failures redirect to the dashboard, an unknown or reused `state` is a 400 that changes nothing.
 * `GET /integrations/<facebook|instagram>/webhook`: Meta's subscription handshake; `POST
 * /integrations/<platform>/webhook`: a platform notification (inbound.ts `receiveWebhook`: verified, stored,
 * answered; the worker does the rest). `POST /integrations/<facebook|instagram>/deauthorize`: Meta's deauthorize
 * callback (inbound.ts `receiveDeauthorization`: the user's accounts become NEEDS_RECONNECT).
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
  return false;
}
