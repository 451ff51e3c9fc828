import type { Role } from "./permissions.ts";

/** Who is calling: a signed-in user, a partner's API key, or the system itself (CLI, worker). */
export type Principal =
  | { kind: "user"; userId: string; email: string; name: string; role: Role | null; sessionId: string }
  | { kind: "api_key"; apiKeyId: string; prefix: string; name: string; scopes: string[] }
  | { kind: "system"; name: string };

/** The cookies the API sets for browsers (the dashboard reads the same names). */
export const ACCESS_COOKIE = "h2o_access";
export const REFRESH_COOKIE = "h2o_refresh";
export const REFRESH_TOKEN_TTL_DAYS = 30;
