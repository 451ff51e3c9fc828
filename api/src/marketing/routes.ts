import type { IncomingMessage, ServerResponse } from "node:http";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { handleCallback } from "./connect.ts";
import { platforms } from "./runtime.ts";

const CALLBACK = /^\/integrations\/(facebook|instagram|google_business)\/callback$/;

/**
 * The marketing module's HTTP routes under `/integrations/` (server.ts hands every such request here):
 * `GET /integrations/<platform>/callback`: the OAuth redirect target (connect.ts `handleCallback`); success and
 * platform-side failures redirect to the dashboard, an unknown or reused `state` is a 400 that changes nothing.
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
  return false;
}
