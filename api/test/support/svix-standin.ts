import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "svix";

/**
 * A local stand-in for the parts of the Svix REST API (https://api.svix.com/docs) that the `svix` client calls
 * for applications, endpoints, messages and app-portal access: same paths and methods, same JSON field names,
 * same status codes (201 created, 202 message accepted, 204 deleted, 401, 404, 409, 422), bearer auth and
 * idempotency keys (a repeated key replays the first 2xx response, with `idempotent-replayed: true`).
 * With `deliver: true` it also POSTs each message to the matching endpoints, signed like Svix.
 */
export interface SvixStandin {
  readonly url: string;
  readonly token: string;
  readonly apps: Map<string, StandinApp>;
  /** The organisation's event types, by name. */
  readonly eventTypes: Map<string, StandinEventType>;
  /** Every request, in order (to assert what the client really sent). */
  readonly log: Array<{ method: string; path: string; idempotencyKey: string | undefined; body: unknown; status: number }>;
  /** Requests to paths the stand-in does not implement (should stay empty). */
  readonly unhandled: string[];
  close(): Promise<void>;
}

export interface StandinApp {
  id: string;
  uid: string | null;
  name: string;
  metadata: Record<string, string>;
  throttleRate: number | null;
  createdAt: string;
  updatedAt: string;
  endpoints: Map<string, StandinEndpoint>;
  messages: StandinMessage[];
}

export interface StandinEndpoint {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  filterTypes: string[] | null;
  channels: string[] | null;
  throttleRate: number | null;
  disabled: boolean;
  metadata: Record<string, string>;
  version: number;
  secrets: Array<{ key: string; expiresAt: number | null }>;
  createdAt: string;
  updatedAt: string;
}

export interface StandinEventType {
  name: string;
  description: string;
  schemas: Record<string, unknown> | null;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface StandinMessage {
  id: string;
  eventId: string | null;
  eventType: string;
  payload: unknown;
  channels: string[] | null;
  tags: string[] | null;
  timestamp: string;
  deliveries: Array<{ endpointId: string; status: number | null }>;
}

type Json = Record<string, unknown>;
class HttpError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(`HTTP ${status}`);
  }
}
const notFound = () => new HttpError(404, { code: "not_found", detail: "Entity not found" });
const conflict = (detail: string) => new HttpError(409, { code: "conflict", detail });
const invalid = (field: string, msg: string) => new HttpError(422, { detail: [{ loc: ["body", field], msg, type: "value_error" }] });

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const svixId = (prefix: string) => `${prefix}_${Array.from(randomBytes(27), (b) => base62[b % 62]).join("")}`;
const now = () => new Date().toISOString();
const UID = /^[a-zA-Z0-9\-_.]{1,256}$/;

export async function startSvixStandin(options: { token?: string; deliver?: boolean } = {}): Promise<SvixStandin> {
  const token = options.token ?? `testsk_${randomBytes(16).toString("hex")}`;
  const apps = new Map<string, StandinApp>();
  const eventTypes = new Map<string, StandinEventType>();
  const log: SvixStandin["log"] = [];
  const unhandled: string[] = [];
  const idempotent = new Map<string, { status: number; body: unknown }>();

  const findApp = (idOrUid: string) => apps.get(idOrUid) ?? [...apps.values()].find((a) => a.uid === idOrUid);
  const app = (idOrUid: string) => findApp(idOrUid) ?? throwIt(notFound());
  const endpoint = (a: StandinApp, idOrUid: string) =>
    a.endpoints.get(idOrUid) ?? [...a.endpoints.values()].find((e) => e.uid === idOrUid) ?? throwIt(notFound());

  function createApp(body: Json): StandinApp {
    if (typeof body.name !== "string" || !body.name) throw invalid("name", "field required");
    const uid = optionalUid(body.uid);
    if (uid && findApp(uid)) throw conflict("An application with this uid already exists");
    const a: StandinApp = {
      id: svixId("app"), uid, name: body.name, metadata: (body.metadata as Record<string, string>) ?? {},
      throttleRate: (body.throttleRate as number | null) ?? null, createdAt: now(), updatedAt: now(), endpoints: new Map(), messages: [],
    };
    apps.set(a.id, a);
    return a;
  }

  function writeEndpoint(a: StandinApp, body: Json, existing?: StandinEndpoint): StandinEndpoint {
    if (typeof body.url !== "string" || !/^https?:\/\/[^/]/.test(body.url)) throw invalid("url", "invalid or missing URL");
    const uid = optionalUid(body.uid);
    const clash = uid && [...a.endpoints.values()].find((e) => e.uid === uid && e !== existing);
    if (clash) throw conflict("An endpoint with this uid already exists");
    if (body.filterTypes != null) {
      if (!Array.isArray(body.filterTypes) || body.filterTypes.length === 0) throw invalid("filterTypes", "must be a non-empty list");
      const unknown = (body.filterTypes as string[]).filter((t) => !eventTypes.get(t) || eventTypes.get(t)!.archived);
      if (unknown.length) throw invalid("filterTypes", `The following event types don't exist: ${unknown.map((t) => `\`${t}\``).join(", ")}`);
    }
    const e: StandinEndpoint = existing ?? {
      id: svixId("ep"), uid: null, url: "", description: "", filterTypes: null, channels: null, throttleRate: null, disabled: false,
      metadata: {}, version: 1, secrets: [{ key: checkedSecret(body.secret) ?? generatedSecret(), expiresAt: null }], createdAt: now(), updatedAt: now(),
    };
    Object.assign(e, {
      uid, url: body.url, description: (body.description as string) ?? "", filterTypes: (body.filterTypes as string[] | null) ?? null,
      channels: (body.channels as string[] | null) ?? null, throttleRate: (body.throttleRate as number | null) ?? (body.rateLimit as number | null) ?? null,
      disabled: Boolean(body.disabled), metadata: (body.metadata as Record<string, string>) ?? {}, updatedAt: now(),
    });
    a.endpoints.set(e.id, e);
    return e;
  }

  function createMessage(a: StandinApp, body: Json): StandinMessage {
    if (typeof body.eventType !== "string" || !UID.test(body.eventType)) throw invalid("eventType", "invalid event type name");
    if (body.payload === undefined || body.payload === null || typeof body.payload !== "object") throw invalid("payload", "must be a JSON object");
    const eventId = body.eventId == null ? null : String(body.eventId);
    if (eventId && a.messages.some((m) => m.eventId === eventId)) throw conflict("A message with this eventId already exists");
    const m: StandinMessage = {
      id: svixId("msg"), eventId, eventType: body.eventType, payload: body.payload, channels: (body.channels as string[] | null) ?? null,
      tags: (body.tags as string[] | null) ?? null, timestamp: now(), deliveries: [],
    };
    a.messages.push(m);
    if (options.deliver) void deliver(a, m);
    return m;
  }

  async function deliver(a: StandinApp, m: StandinMessage) {
    const body = JSON.stringify(m.payload);
    for (const e of a.endpoints.values()) {
      if (e.disabled || (e.filterTypes && !e.filterTypes.includes(m.eventType))) continue;
      const at = new Date();
      const active = e.secrets.filter((s) => s.expiresAt === null || s.expiresAt > at.getTime());
      const signature = active.map((s) => new Webhook(s.key).sign(m.id, at, body)).join(" ");
      const headers = { "content-type": "application/json", "webhook-id": m.id, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": signature };
      const res = await fetch(e.url, { method: "POST", headers, body, redirect: "manual" }).catch(() => null);
      await res?.arrayBuffer().catch(() => undefined);
      m.deliveries.push({ endpointId: e.id, status: res?.status ?? null });
    }
  }

  const appOut = (a: StandinApp) => ({ id: a.id, uid: a.uid, name: a.name, metadata: a.metadata, throttleRate: a.throttleRate, rateLimit: a.throttleRate, createdAt: a.createdAt, updatedAt: a.updatedAt });
  const endpointOut = (e: StandinEndpoint) => {
    const { secrets: _secrets, ...out } = e;
    return { ...out, rateLimit: e.throttleRate };
  };
  const messageOut = (m: StandinMessage, withContent: boolean) => {
    const { deliveries: _d, payload, ...out } = m;
    return withContent ? { ...out, payload } : out;
  };
  const list = <T>(data: T[]) => ({ data, done: true, iterator: null, prevIterator: null });

  /** The routes: [method, path pattern, handler]; `p` holds the path parameters. */
  const routes: Array<[string, RegExp, (p: string[], body: Json, q: URLSearchParams) => [number, unknown]]> = [
    ["GET", /^\/api\/v1\/app$/, () => [200, list([...apps.values()].map(appOut))]],
    ["POST", /^\/api\/v1\/app$/, (_p, body, q) => {
      const uid = optionalUid(body.uid);
      const existing = uid ? findApp(uid) : undefined;
      if (existing && q.get("get_if_exists") === "true") return [200, appOut(existing)];
      return [201, appOut(createApp(body))];
    }],
    ["GET", /^\/api\/v1\/app\/([^/]+)$/, ([id]) => [200, appOut(app(id!))]],
    ["PUT", /^\/api\/v1\/app\/([^/]+)$/, ([id], body) => {
      const a = findApp(id!);
      if (!a) return [201, appOut(createApp({ ...body, uid: body.uid ?? id }))];
      if (typeof body.name !== "string") throw invalid("name", "field required");
      Object.assign(a, { name: body.name, metadata: body.metadata ?? {}, throttleRate: body.throttleRate ?? null, updatedAt: now() });
      return [200, appOut(a)];
    }],
    ["DELETE", /^\/api\/v1\/app\/([^/]+)$/, ([id]) => {
      apps.delete(app(id!).id);
      return [204, null];
    }],
    ["GET", /^\/api\/v1\/event-type$/, () => [200, list([...eventTypes.values()].filter((t) => !t.archived))]],
    ["PUT", /^\/api\/v1\/event-type\/([^/]+)$/, ([name], body) => {
      if (!UID.test(name!)) throw invalid("name", "invalid event type name");
      if (typeof body.description !== "string") throw invalid("description", "field required");
      const existing = eventTypes.get(name!);
      const t: StandinEventType = {
        name: name!, description: body.description, schemas: (body.schemas as Record<string, unknown> | null) ?? null,
        archived: Boolean(body.archived), createdAt: existing?.createdAt ?? now(), updatedAt: now(),
      };
      eventTypes.set(t.name, t);
      return [existing ? 200 : 201, t];
    }],
    ["GET", /^\/api\/v1\/app\/([^/]+)\/endpoint$/, ([id]) => [200, list([...app(id!).endpoints.values()].map(endpointOut))]],
    ["POST", /^\/api\/v1\/app\/([^/]+)\/endpoint$/, ([id], body) => [201, endpointOut(writeEndpoint(app(id!), body))]],
    ["GET", /^\/api\/v1\/app\/([^/]+)\/endpoint\/([^/]+)$/, ([id, ep]) => [200, endpointOut(endpoint(app(id!), ep!))]],
    ["PUT", /^\/api\/v1\/app\/([^/]+)\/endpoint\/([^/]+)$/, ([id, ep], body) => {
      const a = app(id!);
      const e = a.endpoints.get(ep!) ?? [...a.endpoints.values()].find((x) => x.uid === ep);
      return e ? [200, endpointOut(writeEndpoint(a, body, e))] : [201, endpointOut(writeEndpoint(a, { ...body, uid: body.uid ?? ep }))];
    }],
    ["PATCH", /^\/api\/v1\/app\/([^/]+)\/endpoint\/([^/]+)$/, ([id, ep], body) => {
      const a = app(id!);
      const e = endpoint(a, ep!);
      const merged = { ...endpointOut(e), ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) };
      return [200, endpointOut(writeEndpoint(a, merged, e))];
    }],
    ["DELETE", /^\/api\/v1\/app\/([^/]+)\/endpoint\/([^/]+)$/, ([id, ep]) => {
      const a = app(id!);
      a.endpoints.delete(endpoint(a, ep!).id);
      return [204, null];
    }],
    ["GET", /^\/api\/v1\/app\/([^/]+)\/endpoint\/([^/]+)\/secret$/, ([id, ep]) => [200, { key: endpoint(app(id!), ep!).secrets[0]!.key }]],
    ["POST", /^\/api\/v1\/app\/([^/]+)\/endpoint\/([^/]+)\/secret\/rotate$/, ([id, ep], body) => {
      const e = endpoint(app(id!), ep!);
      const grace = body.gracePeriodSeconds == null ? 24 * 3600 : Number(body.gracePeriodSeconds);
      if (!Number.isInteger(grace) || grace < 0 || grace > 7 * 24 * 3600) throw invalid("gracePeriodSeconds", "out of range");
      const until = Date.now() + grace * 1000;
      e.secrets = [{ key: checkedSecret(body.key) ?? generatedSecret(), expiresAt: null }, ...e.secrets.map((s) => ({ key: s.key, expiresAt: Math.min(s.expiresAt ?? until, until) }))];
      return [204, null];
    }],
    ["GET", /^\/api\/v1\/app\/([^/]+)\/msg$/, ([id], _b, q) => [200, list(app(id!).messages.map((m) => messageOut(m, q.get("with_content") !== "false")))]],
    ["POST", /^\/api\/v1\/app\/([^/]+)\/msg$/, ([id], body, q) => [202, messageOut(createMessage(app(id!), body), q.get("with_content") !== "false")]],
    ["GET", /^\/api\/v1\/app\/([^/]+)\/msg\/([^/]+)$/, ([id, msg], _b, q) => {
      const m = app(id!).messages.find((x) => x.id === msg || x.eventId === msg) ?? throwIt(notFound());
      return [200, messageOut(m, q.get("with_content") !== "false")];
    }],
    ["POST", /^\/api\/v1\/auth\/app-portal-access\/([^/]+)$/, ([id], body) => {
      const a = findApp(id!) ?? (body.application ? createApp({ ...(body.application as Json), uid: (body.application as Json).uid ?? id }) : throwIt(notFound()));
      const portalToken = `appsk_${randomBytes(24).toString("base64url")}`;
      const key = Buffer.from(JSON.stringify({ appId: a.id, token: portalToken })).toString("base64url");
      return [200, { url: `https://app.svix.com/login#key=${key}`, token: portalToken }];
    }],
  ];

  const server = createServer((req, res) => {
    readJson(req).then((body) => handle(req, res, body), () => send(res, 400, { code: "invalid_json", detail: "body is not JSON" }));
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: unknown) {
    const url = new URL(req.url ?? "/", "http://standin");
    const path = url.pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    const key = header(req, "idempotency-key");
    const entry = { method, path, idempotencyKey: key, body, status: 0 };
    log.push(entry);
    const respond = (status: number, out: unknown, extra: Record<string, string> = {}) => {
      entry.status = status;
      send(res, status, out, extra);
    };
    if (header(req, "authorization") !== `Bearer ${token}`) return respond(401, { code: "authentication_failed", detail: "Invalid token" });
    const idemKey = key && method === "POST" ? `${method} ${path} ${key}` : null;
    const replay = idemKey ? idempotent.get(idemKey) : undefined;
    if (replay) return respond(replay.status, replay.body, { "idempotent-replayed": "true" });
    for (const [m, pattern, fn] of routes) {
      const match = m === method ? pattern.exec(path) : null;
      if (!match) continue;
      try {
        const [status, out] = fn(match.slice(1).map(decodeURIComponent), (body ?? {}) as Json, url.searchParams);
        if (idemKey) idempotent.set(idemKey, { status, body: out });
        return respond(status, out);
      } catch (err) {
        if (err instanceof HttpError) return respond(err.status, err.body);
        return respond(500, { code: "internal", detail: String(err) });
      }
    }
    unhandled.push(`${method} ${path}`);
    respond(404, { code: "not_found", detail: "Route not found" });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token,
    apps,
    eventTypes,
    log,
    unhandled,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function throwIt(err: Error): never {
  throw err;
}

function optionalUid(value: unknown): string | null {
  if (value == null) return null;
  if (typeof value !== "string" || !UID.test(value)) throw invalid("uid", "must match ^[a-zA-Z0-9\\-_.]+$");
  return value;
}

function checkedSecret(value: unknown): string | null {
  if (value == null) return null;
  const b64 = typeof value === "string" ? value.replace(/^whsec_/, "") : "";
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, "base64").length : 0;
  if (bytes < 24 || bytes > 64) throw invalid("secret", "must be base64 of 24 to 64 bytes, optionally prefixed with whsec_");
  return value as string;
}

const generatedSecret = () => `whsec_${randomBytes(24).toString("base64")}`;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch (err) {
        reject(err);
      }
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
  if (status === 204) {
    res.writeHead(204, extra).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", ...extra }).end(JSON.stringify(body));
}
