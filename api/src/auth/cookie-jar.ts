import { parse as parseCookies } from "cookie";
import type { CookieJar } from "../context.ts";

type CookieStoreRequest = Request & {
  cookieStore?: {
    set(c: { name: string; value: string; path: string; expires: number; httpOnly: boolean; secure: boolean; sameSite: "lax"; domain: null }): Promise<void>;
    delete(c: { name: string; path: string; domain: null }): Promise<void>;
  };
};

/**
 * The response's auth cookies, through the cookie store of @whatwg-node/server-plugin-cookies: httpOnly,
 * SameSite=Lax, Path=/, Secure in production. Null when the request has no cookie store (WebSocket, tests).
 */
export function cookieJar(request: Request, secure: boolean): CookieJar | null {
  const store = (request as CookieStoreRequest).cookieStore;
  if (!store) return null;
  // parsed when first read (refresh and logout read one cookie; every other request reads none)
  let sent: Record<string, string | undefined> | undefined;
  return {
    get: (name) => (sent ??= parseCookies(request.headers.get("cookie") ?? ""))[name],
    set: (name, value, { maxAgeSeconds }) =>
      store.set({ name, value, path: "/", expires: Date.now() + maxAgeSeconds * 1000, httpOnly: true, secure, sameSite: "lax", domain: null }),
    clear: (name) => store.delete({ name, path: "/", domain: null }),
  };
}
