import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";

/**
 * The client's address for one request: the connection's peer, or, when that peer is a trusted proxy (TRUST_PROXY:
 * `loopback`, `linklocal`, `uniquelocal`, addresses and CIDRs, comma-separated; `none` trusts nobody), the address
 * it forwarded in `X-Forwarded-For` (proxy-addr, Express's implementation, walking the chain of trusted hops). The
 * dashboard's server signs users in and renews their sessions on their behalf, and a load balancer sits before the
 * API in production: without this every user would share the proxy's address, for the audit trail, the per-IP
 * rate limit and the sign-in lockout alike.
 */
export function clientIpResolver(trustProxy: string): (req: IncomingMessage) => string | null {
  const list = trustProxy.split(",").map((s) => s.trim()).filter((s) => s && s !== "none");
  const trust = proxyaddr.compile(list);
  return (req) => (req.socket.remoteAddress ? proxyaddr(req, trust) : null);
}
