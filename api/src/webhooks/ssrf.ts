import { lookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { AppError, ErrorCode } from "../errors.ts";

/** A resolved address, as `dns.lookup(host, { all: true })` gives it. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves every address of a host name; `dns.lookup` (the system resolver, as connections use) by default. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** Which webhook URLs are allowed. Everything outside public unicast addresses is refused, whatever the flags. */
export interface UrlPolicy {
  /** `http:` URLs; production refuses them unless explicitly configured. */
  allowHttp: boolean;
  /** Hosts resolving to 127.0.0.0/8 or ::1 (a development/test allowance; other private ranges stay refused). */
  allowLoopback: boolean;
  /** Replaces the system resolver (tests simulate DNS answers, including rebinding, with it). */
  resolve?: Resolver;
}

export type UrlRejectionReason = "invalid_url" | "scheme" | "unresolvable" | "metadata" | "loopback" | "non_public_address";

/** A webhook URL refused by the {@link UrlPolicy}; a BAD_USER_INPUT on the `url` field when it reaches GraphQL. */
export class WebhookUrlRejectedError extends AppError {
  constructor(
    readonly reason: UrlRejectionReason,
    message: string,
    readonly address?: string,
  ) {
    super(ErrorCode.BAD_USER_INPUT, message, { field: "url", details: { reason: `WEBHOOK_URL_${reason.toUpperCase()}` } });
    this.name = "WebhookUrlRejectedError";
  }
}

/** Cloud instance-metadata services: refused with their own reason so the log says what was attempted. */
const metadataAddresses = new Set(["169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2"]);

/**
 * The ipaddr.js range name of `ip` ("unicast" for a public address), with IPv4-mapped IPv6 (`::ffff:a.b.c.d`)
 * judged as the IPv4 address it carries.
 */
export function addressRange(ip: string): string {
  return ipaddr.process(ip).range();
}

/** Throws {@link WebhookUrlRejectedError} unless `ip` is a public unicast address (or loopback, when allowed). */
export function assertAddressAllowed(ip: string, policy: UrlPolicy, host = ip): void {
  if (!ipaddr.isValid(ip)) throw new WebhookUrlRejectedError("unresolvable", `${host}: not an IP address: ${ip}`);
  const normalized = ipaddr.process(ip).toString();
  if (metadataAddresses.has(normalized)) throw new WebhookUrlRejectedError("metadata", `${host} resolves to a metadata service address`, normalized);
  const range = addressRange(ip);
  if (range === "unicast") return;
  if (range === "loopback") {
    if (policy.allowLoopback) return;
    throw new WebhookUrlRejectedError("loopback", `${host} resolves to a loopback address`, normalized);
  }
  throw new WebhookUrlRejectedError("non_public_address", `${host} resolves to a non-public address (${range})`, normalized);
}

/**
 * The synchronous part of the policy: a parseable http(s) URL (https unless `allowHttp`) whose host, when it
 * is an IP literal, is allowed. Host names still need {@link checkWebhookUrl} or {@link guardedLookup}.
 */
export function parseWebhookUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRejectedError("invalid_url", "not a valid URL");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowHttp))
    throw new WebhookUrlRejectedError("scheme", policy.allowHttp ? "the URL must use http or https" : "the URL must use https");
  const literal = ipLiteral(url);
  if (literal) assertAddressAllowed(literal, policy, url.hostname);
  return url;
}

/**
 * The whole policy, for when an endpoint is created or its URL changed: the scheme, then every address the
 * host resolves to (one refused address refuses the URL). Resolves to the checked addresses.
 */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<{ url: URL; addresses: string[] }> {
  const url = parseWebhookUrl(raw, policy);
  const literal = ipLiteral(url);
  if (literal) return { url, addresses: [literal] };
  const addresses = await resolveChecked(url.hostname, policy);
  return { url, addresses: addresses.map((a) => a.address) };
}

/**
 * A `lookup` for `http.request` / `net.connect` that resolves the host, refuses the connection unless every
 * address passes the policy, and hands exactly the checked addresses to the socket. The check and the
 * connection use one DNS answer, so DNS rebinding between them is impossible. (IP literals skip `lookup`:
 * check them with {@link parseWebhookUrl} first.)
 */
export function guardedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, policy).then(
      (all) => {
        const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        const first = wanted[0];
        if (!first) return callback(asErrno(new WebhookUrlRejectedError("unresolvable", `${hostname}: no IPv${options.family} address`)), "", 0);
        if (options.all) callback(null, wanted);
        else callback(null, first.address, first.family);
      },
      (err: Error) => callback(asErrno(err), "", 0),
    );
  };
}

async function resolveChecked(hostname: string, policy: UrlPolicy): Promise<ResolvedAddress[]> {
  const host = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  let addresses: ResolvedAddress[];
  try {
    addresses = await (policy.resolve ?? systemResolve)(host);
  } catch {
    throw new WebhookUrlRejectedError("unresolvable", `${host} does not resolve`);
  }
  if (addresses.length === 0) throw new WebhookUrlRejectedError("unresolvable", `${host} does not resolve`);
  for (const a of addresses) assertAddressAllowed(a.address, policy, host);
  return addresses;
}

const systemResolve: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

function ipLiteral(url: URL): string | null {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return ipaddr.isValid(host) ? host : null;
}

/** `lookup` callbacks are typed for errno errors; ours (an AppError) reaches the request's "error" event as is. */
const asErrno = (err: Error) => err as NodeJS.ErrnoException;
