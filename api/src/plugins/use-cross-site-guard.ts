import type { Plugin } from "graphql-yoga";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "../auth/principal.ts";
import { ErrorCode } from "../errors.ts";

/** Bodies a browser sends cross-site without a CORS preflight (the "CORS-safelisted" content types), or none. */
const SIMPLE_BODIES = new Set(["", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const AUTH_COOKIE = new RegExp(`(^|;)\\s*(${ACCESS_COOKIE}|${REFRESH_COOKIE})=`);

/**
 * CSRF: a request that carries the dashboard's auth cookies must be one a browser cannot send from another site
 * without a preflight (which CORS then refuses): a POST with a JSON body. A cookie-carrying POST with a form,
 * multipart or text/plain body (or none) is refused with 415 and `extensions.code` FORBIDDEN before anything runs.
 * GET requests run queries only (yoga refuses mutations over GET), whose answers a cross-site page cannot read.
 * Bearer tokens and API keys are not affected: a browser never attaches them by itself.
 */
export function useCrossSiteGuard(): Plugin {
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (SAFE_METHODS.has(request.method.toUpperCase()) || !AUTH_COOKIE.test(request.headers.get("cookie") ?? "")) return;
      const media = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (!SIMPLE_BODIES.has(media)) return;
      endResponse(
        fetchAPI.Response.json(
          { errors: [{ message: "a cookie-authenticated request must send its operation as JSON (content-type: application/json)", extensions: { code: ErrorCode.FORBIDDEN } }] },
          { status: 415 },
        ),
      );
    },
    onResponse({ response }) {
      response.headers.append("vary", "Origin"); // the CORS answer depends on it: shared caches must not mix origins
    },
  };
}

/**
 * CORS for the configured origins only: an allowed Origin gets itself back with credentials; any other origin gets no
 * CORS header at all (never `Access-Control-Allow-Origin: null` with credentials), so the browser withholds the
 * response. Responses vary by Origin either way.
 */
export function corsFor(origins: readonly string[]) {
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get("origin");
    return origin !== null && allowed.has(origin) ? { origin, credentials: true } : false;
  };
}
