import { parse as parseCookies } from "cookie";
import { prisma } from "../db/client.ts";
import { findActingTenant, type ActingTenant } from "../domain/tenants.ts";
import { AppError, ErrorCode, unauthenticated } from "../errors.ts";
import { parseApiKey } from "./api-keys.ts";
import { rolePermissions, scopePermissions, type Action, isRole } from "./permissions.ts";
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
 * (id or slug), the token's, or the only one they belong to; membership is checked on every request.
 * Never throws for bad credentials: it returns them refused, with one undetailed error.
 */
export async function authenticate(headers: Headers, jwtSecret: string): Promise<Authentication> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "")?.[1];
  const apiKey = headers.get("x-api-key") ?? (bearer && !looksLikeJwt(bearer) ? bearer : undefined);
  if (apiKey) return authenticateApiKey(apiKey);
  const token = bearer ?? parseCookies(headers.get("cookie") ?? "")[ACCESS_COOKIE];
  if (!token) return none();
  return authenticateUser(token, headers.get("x-tenant-id"), jwtSecret);
}

async function authenticateApiKey(presented: string): Promise<Authentication> {
  const refused = none(unauthenticated("invalid, expired or revoked API key"));
  const parsed = parseApiKey(presented.trim());
  if (!parsed) return refused;
  const key = await prisma.apiKey.findUnique({ where: { prefix: parsed.prefix } });
  if (!key || !safeEqualHex(key.keyHash, parsed.hash) || key.revokedAt || (key.expiresAt && key.expiresAt <= new Date())) return refused;
  const tenant = await findActingTenant(prisma, key.tenantId);
  if (!tenant) return refused;
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
    await prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } });
  }
  return {
    principal: { kind: "api_key", apiKeyId: key.id, prefix: key.prefix, name: key.name, scopes: key.scopes },
    tenant,
    permissions: scopePermissions(key.scopes),
    expiresAt: key.expiresAt,
    error: null,
  };
}

async function authenticateUser(token: string, requestedTenant: string | null, jwtSecret: string): Promise<Authentication> {
  let claims: ReturnType<typeof verifyAccessToken>;
  try {
    claims = verifyAccessToken(token, jwtSecret);
  } catch (e) {
    return none(e as AppError);
  }
  if (!UUID.test(claims.sub) || !UUID.test(claims.sid)) return none(unauthenticated("invalid or expired token"));
  const [user, revoked] = await Promise.all([
    prisma.user.findUnique({ where: { id: claims.sub }, include: { memberships: { include: { tenant: { select: { id: true, slug: true } } } } } }),
    prisma.refreshToken.findFirst({ where: { familyId: claims.sid, revokedAt: { not: null } }, select: { id: true } }),
  ]);
  if (!user || user.status !== "active" || revoked) return none(unauthenticated("invalid or expired token"));
  const wanted = requestedTenant?.trim() || claims.tid || (user.memberships.length === 1 ? user.memberships[0]!.tenantId : null);
  const membership = wanted ? user.memberships.find((m) => m.tenantId === wanted || m.tenant.slug === wanted) : undefined;
  if (wanted && !membership) return none(new AppError(ErrorCode.FORBIDDEN, "you are not a member of the requested tenant"));
  const tenant = membership ? await findActingTenant(prisma, membership.tenantId) : null;
  if (membership && !tenant) return none(new AppError(ErrorCode.FORBIDDEN, "the requested tenant is not active"));
  const role = membership && isRole(membership.role) ? membership.role : null;
  return {
    principal: { kind: "user", userId: user.id, email: user.email, name: user.name, role, sessionId: claims.sid },
    tenant,
    permissions: role ? rolePermissions[role] : new Set(),
    expiresAt: new Date(claims.exp * 1000),
    error: null,
  };
}
