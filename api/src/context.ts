import type { Logger } from "pino";

/**
 * What every resolver knows about the call, built once per HTTP request or per WebSocket connection by
 * `createContext` (one path for both). Later layers (identity, tenancy) add to it here, never in resolvers.
 */
export interface Context {
  requestId: string;
  log: Logger;
  ip: string | null;
  userAgent: string | null;
}

export interface ContextInput {
  requestId: string;
  log: Logger;
  headers: Headers;
  ip: string | null;
}

export async function createContext(input: ContextInput): Promise<Context> {
  return {
    requestId: input.requestId,
    log: input.log,
    ip: input.ip,
    userAgent: input.headers.get("user-agent"),
  };
}
