import { parse as parseCookies } from "cookie";
import { prisma } from "../db/client.ts";
import { findActingTenant, type ActingTenant } from "../domain/tenants.ts";
import { AppError, ErrorCode, invalidCredentials } from "../errors.ts";
import { recordKeyUse } from "./api-key-usage.ts";
import { parseApiKey } from "./api-keys.ts";
import { rolePermissions, scopePermissions, type Action, isRole, type Role } from "./permissions.ts";
import { principalCache, type Lookup } from "./principal-cache.ts";
import { ACCESS_COOKIE, type Principal } from "./principal.ts";
import { safeEqualHex } from "./secrets.ts";
import { looksLikeJwt, verifyAccessToken } from "./tokens.ts";

export interface Authentication {
  principal: Principal | null;
  tenant: ActingTenant | null;
  permissions: ReadonlySet<Action>;
  /** When the credentials stop being valid (access token expiry), for long-lived WebSocket connections. */
  expiresAt: Date | null;
  /** Why presented credentials were refused; fields that need a principal answer with it. */
  error: AppError | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const none = (error: AppError | null = null): Authentication => ({ principal: null, tenant: null, permissions: new Set(), expiresAt: null, error });

/**
 * Authenticates a request (or a WebSocket connection, whose connectionParams arrive as headers): an API key
 * (`Authorization: Bearer h2okey_…` or `X-Api-Key`), else a user's access token (`Authorization: Bearer <jwt>`
 * or the `h2o_access` cookie). The acting tenant is the API key's, or for a user the one named by `X-Tenant-Id`
 * (id or slug), the token's, or the only one they belong to.
 * What the credentials stand for (session live, user active, membership and role, tenant active and its
 * configuration, API key not revoked, with its scopes) comes from the process's principal cache
 * (principal-cache.ts): no SQL on a warm request; the key's hash and every expiry are checked on each request.
 * A revocation reaches the cache through `invalidatePrincipals` (principal-invalidation.ts) within a second on
 * every replica; entries are never trusted longer than PRINCIPAL_CACHE_MAX_AGE_MS, nor longer than
 * PRINCIPAL_CACHE_OUTAGE_MS while the invalidation channel is down.
 * Never throws for bad credentials: it returns them refused, with one undetailed error.
 */
export async function authenticate(headers: Headers, jwtSecret: string): Promise<Authentication> {
  const { bearer, apiKey } = presented(headers);
  if (apiKey) return authenticateApiKey(apiKey);
  const token = bearer ?? parseCookies(headers.get("cookie") ?? "")[ACCESS_COOKIE];
  if (!token) return none();
  return authenticateUser(token, headers.get("x-tenant-id"), jwtSecret);
}

/** The bearer token and the API key a request presents (`X-Api-Key`, or a bearer that is not a JWT). */
function presented(headers: Headers): { bearer?: string; apiKey?: string } {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "")?.[1];
  return { bearer, apiKey: headers.get("x-api-key") ?? (bearer && !looksLikeJwt(bearer) ? bearer : undefined) };
}

/**
 * Whether the request presents an API key, valid or not, without looking it up: authentication then goes by the key
 * alone, so a refused one refuses the operation whatever else the request carries.
 */
export const presentsApiKey = (headers: Headers): boolean => presented(headers).apiKey !== undefined;

interface CachedApiKey {
  keyHash: string;
  expiresAt: Date | null;
  principal: Principal & { kind: "api_key" };
  tenant: ActingTenant;
  permissions: ReadonlySet<Action>;
}

async function authenticateApiKey(presented: string): Promise<Authentication> {
  // made only when refusing: an error captures a stack trace, a cost every accepted request would pay
  const refused = () => none(invalidCredentials("invalid, expired or revoked API key"));
  const parsed = parseApiKey(presented.trim());
  if (!parsed) return refused();
  const key = await principalCache.resolve(`k:${parsed.prefix}`, () => lookUpApiKey(parsed.prefix));
  // the hash and the expiry are checked on every request, cached or not
  if (!key || !safeEqualHex(key.keyHash, parsed.hash) || (key.expiresAt && key.expiresAt <= new Date())) return refused();
  recordKeyUse(key.principal.apiKeyId);
  return { principal: key.principal, tenant: key.tenant, permissions: key.permissions, expiresAt: key.expiresAt, error: null };
}

async function lookUpApiKey(prefix: string): Promise<Lookup<CachedApiKey | null>> {
  const key = await prisma.apiKey.findUnique({ where: { prefix } });
  if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= new Date())) return { value: null, tags: null };
  const tenant = await findActingTenant(prisma, key.tenantId);
  if (!tenant) return { value: null, tags: null };
  return {
    value: {
      keyHash: key.keyHash,
      expiresAt: key.expiresAt,
      principal: { kind: "api_key", apiKeyId: key.id, prefix: key.prefix, name: key.name, scopes: key.scopes },
      tenant,
      permissions: scopePermissions(key.scopes),
    },
    tags: { apiKeyId: key.id, tenantId: tenant.id },
  };
}

/** A user's standing for one requested tenant: what `u:<user>:<requested tenant>` caches (refusals are not cached). */
type UserStanding =
  | { ok: true; email: string; name: string; role: Role | null; tenant: ActingTenant | null }
  | { ok: false; error: AppError };

async function authenticateUser(token: string, requestedTenant: string | null, jwtSecret: string): Promise<Authentication> {
  let claims: ReturnType<typeof verifyAccessToken>;
  try {
    claims = verifyAccessToken(token, jwtSecret);
  } catch (e) {
    return none(e as AppError);
  }
  if (!UUID.test(claims.sub) || !UUID.test(claims.sid)) return none(invalidCredentials("invalid or expired token"));
  const wanted = requestedTenant?.trim() || claims.tid || "";
  const [live, standing] = await Promise.all([
    principalCache.resolve(`s:${claims.sub}:${claims.sid}`, () => lookUpSession(claims.sub, claims.sid)),
    principalCache.resolve(`u:${claims.sub}:${wanted}`, () => lookUpStanding(claims.sub, wanted)),
  ]);
  if (!live) return none(invalidCredentials("invalid or expired token"));
  if (!standing.ok) return none(standing.error);
  return {
    principal: { kind: "user", userId: claims.sub, email: standing.email, name: standing.name, role: standing.role, sessionId: claims.sid },
    tenant: standing.tenant,
    permissions: standing.role ? rolePermissions[standing.role] : new Set(),
    expiresAt: new Date(claims.exp * 1000),
    error: null,
  };
}

/** Whether the session (refresh-token family) is still live: none of its tokens revoked (logout, reuse, reset). */
async function lookUpSession(userId: string, sessionId: string): Promise<Lookup<boolean>> {
  const revoked = await prisma.refreshToken.findFirst({ where: { familyId: sessionId, revokedAt: { not: null } }, select: { id: true } });
  return revoked ? { value: false, tags: null } : { value: true, tags: { userId, sessionId } };
}

/**
 * The acting tenant is the one requested (`X-Tenant-Id`: id or slug), else the token's, else the user's only one;
 * the user must be active and a member of it, and it must be active.
 */
async function lookUpStanding(userId: string, wanted: string): Promise<Lookup<UserStanding>> {
  const refused = (error: AppError): Lookup<UserStanding> => ({ value: { ok: false, error }, tags: null });
  const user = await prisma.user.findUnique({ where: { id: userId }, include: { memberships: { include: { tenant: { select: { id: true, slug: true } } } } } });
  if (!user || user.status !== "active") return refused(invalidCredentials("invalid or expired token"));
  const acting = wanted || (user.memberships.length === 1 ? user.memberships[0]!.tenantId : null);
  const membership = acting ? user.memberships.find((m) => m.tenantId === acting || m.tenant.slug === acting) : undefined;
  if (acting && !membership) return refused(new AppError(ErrorCode.FORBIDDEN, "you are not a member of the requested tenant"));
  const tenant = membership ? await findActingTenant(prisma, membership.tenantId) : null;
  if (membership && !tenant) return refused(new AppError(ErrorCode.FORBIDDEN, "the requested tenant is not active"));
  const role = membership && isRole(membership.role) ? membership.role : null;
  return { value: { ok: true, email: user.email, name: user.name, role, tenant }, tags: { userId, tenantId: tenant?.id ?? null } };
}
