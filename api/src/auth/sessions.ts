import { randomUUID } from "node:crypto";
import { prisma } from "../db/client.ts";
import { AppError, ErrorCode, unauthenticated } from "../errors.ts";
import type { LoginLimiter } from "./login-limiter.ts";
import { invalidatePrincipals } from "./principal-invalidation.ts";
import { hashPassword, MAX_PASSWORD_LENGTH, verifyPassword } from "./passwords.ts";
import { REFRESH_TOKEN_TTL_DAYS } from "./principal.ts";
import { randomToken, sha256 } from "./secrets.ts";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "./tokens.ts";

export interface IssuedSession {
  userId: string;
  accessToken: string;
  accessExpiresAt: Date;
  refreshToken: string;
  refreshExpiresAt: Date;
  tenantId: string | null;
}

interface Client {
  ip: string | null;
  userAgent: string | null;
}

const LOGIN_REFUSED = "invalid email or password";

/**
 * Checks an email and password. Unknown email and wrong password answer the same way, in the same time (one argon2
 * verification either way); repeated failures lock the account and the client IP out (LoginLimiter) with the
 * same answer plus a retry delay. On success: a new session (refresh-token family) and its first tokens.
 */
export async function login(
  input: { email: string; password: string; tenant?: string | null },
  client: Client,
  limiter: LoginLimiter,
  jwtSecret: string,
): Promise<IssuedSession> {
  const email = input.email.trim().toLowerCase().slice(0, 320);
  const wait = await limiter.retryAfter(email, client.ip);
  if (wait > 0)
    throw new AppError(ErrorCode.RATE_LIMITED, `too many failed sign-ins: try again in ${wait} s`, { details: { retryAfterSeconds: wait } });
  const user = await prisma.user.findUnique({ where: { email }, include: { memberships: { include: { tenant: { select: { id: true, slug: true, status: true } } } } } });
  const ok = await verifyPassword(user?.passwordHash ?? null, input.password.slice(0, MAX_PASSWORD_LENGTH));
  if (!user || !ok || user.status !== "active") {
    await limiter.recordFailure(email, client.ip);
    throw unauthenticated(LOGIN_REFUSED);
  }
  await limiter.recordSuccess(email);
  const active = user.memberships.filter((m) => m.tenant.status === "active");
  const chosen = input.tenant ? active.find((m) => m.tenantId === input.tenant || m.tenant.slug === input.tenant) : active.length === 1 ? active[0] : undefined;
  if (input.tenant && !chosen) throw new AppError(ErrorCode.FORBIDDEN, "you are not a member of the requested tenant");
  await prisma.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
  return issue(user.id, randomUUID(), chosen?.tenantId ?? null, client, jwtSecret);
}

/**
 * Rotates a refresh token: the presented one is spent and a new one of the same family issued. Presenting a
 * token that was already spent (reuse: it was stolen, or replayed) revokes the whole family, i.e. the session.
 */
export async function refresh(presented: string, client: Client, jwtSecret: string, tenant?: string | null): Promise<IssuedSession> {
  const refused = unauthenticated("invalid or expired refresh token");
  if (!presented || presented.length > 200) throw refused;
  const stored = await prisma.refreshToken.findUnique({ where: { tokenHash: sha256(presented) }, include: { user: { include: { memberships: { include: { tenant: true } } } } } });
  if (!stored || stored.revokedAt || stored.expiresAt <= new Date() || stored.user.status !== "active") throw refused;
  const spent = await prisma.refreshToken.updateMany({ where: { id: stored.id, usedAt: null }, data: { usedAt: new Date() } });
  if (spent.count === 0) {
    await revokeFamily(stored.familyId);
    throw unauthenticated("refresh token reuse detected: the session has been revoked");
  }
  let tenantId = stored.tenantId;
  if (tenant) {
    const m = stored.user.memberships.find((x) => x.tenantId === tenant || x.tenant.slug === tenant);
    if (!m) throw new AppError(ErrorCode.FORBIDDEN, "you are not a member of the requested tenant");
    tenantId = m.tenantId;
  }
  return issue(stored.userId, stored.familyId, tenantId, client, jwtSecret);
}

/**
 * Ends a session: every refresh token of the family is revoked, and access tokens of it stop working (on every
 * replica within a second: the principal caches are told).
 */
export async function revokeFamily(familyId: string): Promise<void> {
  await prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
  invalidatePrincipals({ sessionId: familyId });
}

/** Finds the session of a refresh token (for logout by cookie). */
export async function familyOf(refreshToken: string): Promise<string | null> {
  const stored = await prisma.refreshToken.findUnique({ where: { tokenHash: sha256(refreshToken) }, select: { familyId: true } });
  return stored?.familyId ?? null;
}

async function issue(userId: string, familyId: string, tenantId: string | null, client: Client, jwtSecret: string): Promise<IssuedSession> {
  const refreshToken = randomToken(32);
  const refreshExpiresAt = new Date(Date.now() + REFRESH_TOKEN_TTL_DAYS * 86_400_000);
  // a family revoked meanwhile (logout, reuse) must not gain a new token: insert only if it has no revoked member
  await prisma.refreshToken.create({
    data: { userId, familyId, tokenHash: sha256(refreshToken), tenantId, expiresAt: refreshExpiresAt, ip: client.ip, userAgent: client.userAgent?.slice(0, 500) },
  });
  const revoked = await prisma.refreshToken.count({ where: { familyId, revokedAt: { not: null } } });
  if (revoked) {
    await revokeFamily(familyId);
    throw unauthenticated("the session has been revoked");
  }
  return {
    userId,
    tenantId,
    accessToken: signAccessToken({ sub: userId, sid: familyId, tid: tenantId ?? undefined }, jwtSecret),
    accessExpiresAt: new Date(Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000),
    refreshToken,
    refreshExpiresAt,
  };
}

/** A one-time password-reset token (returned to the admin who asks, as there is no mail server yet). */
export async function createPasswordReset(tx: { passwordResetToken: typeof prisma.passwordResetToken }, userId: string) {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + 24 * 3_600_000);
  await tx.passwordResetToken.create({ data: { userId, tokenHash: sha256(token), expiresAt } });
  return { token, expiresAt };
}

/** Spends a reset token and sets the password; every session of the user ends. */
export async function resetPassword(token: string, newPassword: string): Promise<void> {
  const refused = new AppError(ErrorCode.BAD_USER_INPUT, "invalid or expired reset token", { field: ["token"] });
  if (!token || token.length > 200) throw refused;
  const passwordHash = await hashPassword(newPassword);
  const userId = await prisma.$transaction(async (tx) => {
    const spent = await tx.passwordResetToken.updateMany({ where: { tokenHash: sha256(token), usedAt: null, expiresAt: { gt: new Date() } }, data: { usedAt: new Date() } });
    if (spent.count !== 1) throw refused;
    const row = await tx.passwordResetToken.findUniqueOrThrow({ where: { tokenHash: sha256(token) } });
    await tx.user.update({ where: { id: row.userId }, data: { passwordHash, passwordChangedAt: new Date() } });
    await tx.refreshToken.updateMany({ where: { userId: row.userId, revokedAt: null }, data: { revokedAt: new Date() } });
    return row.userId;
  });
  invalidatePrincipals({ userId });
}
