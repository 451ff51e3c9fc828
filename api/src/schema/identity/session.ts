import { z } from "zod";
import { prisma } from "../../db/client.ts";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "../../auth/principal.ts";
import { familyOf, login, refresh, resetPassword, revokeFamily, type IssuedSession } from "../../auth/sessions.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../auth/passwords.ts";
import type { Context } from "../../context.ts";
import { unauthenticated } from "../../errors.ts";
import { builder } from "../builder.ts";

const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(MAX_PASSWORD_LENGTH);

const Session = builder.objectRef<IssuedSession>("Session").implement({
  description: "A signed-in session's tokens. Browsers also get them as httpOnly cookies.",
  fields: (t) => ({
    accessToken: t.exposeString("accessToken", { description: "Short-lived (15 min) JWT: send as `Authorization: Bearer <token>`." }),
    accessTokenExpiresAt: t.expose("accessExpiresAt", { type: "DateTime", description: "When the access token expires." }),
    refreshToken: t.exposeString("refreshToken", { description: "One-time token for `refreshSession`; each use returns a new one." }),
    refreshTokenExpiresAt: t.expose("refreshExpiresAt", { type: "DateTime", description: "When the refresh token expires if unused." }),
  }),
});

async function setCookies(ctx: Context, s: IssuedSession) {
  await ctx.cookies?.set(ACCESS_COOKIE, s.accessToken, { maxAgeSeconds: Math.round((s.accessExpiresAt.getTime() - Date.now()) / 1000) });
  await ctx.cookies?.set(REFRESH_COOKIE, s.refreshToken, { maxAgeSeconds: Math.round((s.refreshExpiresAt.getTime() - Date.now()) / 1000) });
}
const client = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.userAgent });

builder.mutationField("login", (t) =>
  t.field({
    type: Session,
    description: "Signs in with email and password (POST only). Sets the httpOnly session cookies and returns the tokens.",
    authScopes: { public: true },
    args: {
      email: t.arg.string({ required: true, description: "The account's email.", validate: { schema: z.string().min(3).max(320) } }),
      password: t.arg.string({ required: true, description: "The account's password.", validate: { schema: z.string().min(1).max(MAX_PASSWORD_LENGTH) } }),
      tenant: t.arg.string({ description: "The tenant (id or slug) to act for, when the user belongs to several." }),
    },
    resolve: async (_root, args, ctx) => {
      const session = await login(args, client(ctx), ctx.services.loginLimiter, ctx.services.env.JWT_SECRET);
      await setCookies(ctx, session);
      return session;
    },
  }),
);

builder.mutationField("refreshSession", (t) =>
  t.field({
    type: Session,
    description: "Trades a refresh token (argument or cookie) for new tokens. Reusing a spent one ends the session.",
    authScopes: { public: true },
    args: {
      refreshToken: t.arg.string({ description: "The refresh token; browsers omit it and send the cookie." }),
      tenant: t.arg.string({ description: "Switch the session's tenant (id or slug)." }),
    },
    resolve: async (_root, args, ctx) => {
      const presented = args.refreshToken ?? ctx.cookies?.get(REFRESH_COOKIE);
      if (!presented) throw unauthenticated("no refresh token");
      const session = await refresh(presented, client(ctx), ctx.services.env.JWT_SECRET, args.tenant);
      await setCookies(ctx, session);
      return session;
    },
  }),
);

builder.mutationField("logout", (t) =>
  t.boolean({
    description: "Ends the session: its refresh tokens are revoked, its access tokens stop working, the cookies are cleared.",
    authScopes: { public: true },
    args: { refreshToken: t.arg.string({ description: "The session's refresh token, when not signed in by cookie or token." }) },
    resolve: async (_root, args, ctx) => {
      const presented = args.refreshToken ?? ctx.cookies?.get(REFRESH_COOKIE);
      const family = ctx.principal?.kind === "user" ? ctx.principal.sessionId : presented ? await familyOf(presented) : null;
      if (family) await revokeFamily(family);
      await ctx.cookies?.clear(ACCESS_COOKIE);
      await ctx.cookies?.clear(REFRESH_COOKIE);
      return family !== null;
    },
  }),
);

builder.mutationField("resetPassword", (t) =>
  t.boolean({
    description: "Sets a new password with a one-time reset token (from `issuePasswordReset`); ends every session of the user.",
    authScopes: { public: true },
    args: {
      token: t.arg.string({ required: true, description: "The one-time reset token." }),
      newPassword: t.arg.string({ required: true, description: "The new password (10 to 256 characters).", validate: { schema: password } }),
    },
    resolve: async (_root, args) => (await resetPassword(args.token, args.newPassword), true),
  }),
);

const Membership = builder.objectRef<{ tenantId: string; slug: string; name: string; role: string }>("ViewerMembership").implement({
  description: "A tenant the signed-in user belongs to, with their role there.",
  fields: (t) => ({
    tenantId: t.exposeID("tenantId", { description: "The tenant's database id (send as X-Tenant-Id)." }),
    slug: t.exposeString("slug", { description: "The tenant's handle (also accepted as X-Tenant-Id)." }),
    name: t.exposeString("name", { description: "The tenant's display name." }),
    role: t.exposeString("role", { description: "The user's role in that tenant." }),
  }),
});

const Viewer = builder.objectRef<Context>("Viewer").implement({
  description: "Who is calling, for which tenant, with which permissions.",
  fields: (t) => ({
    kind: t.string({ description: "`user` or `api_key`.", resolve: (ctx) => ctx.principal!.kind }),
    id: t.id({ description: "The user's or API key's database id.", resolve: (ctx) => (ctx.principal!.kind === "user" ? ctx.principal!.userId : ctx.principal!.kind === "api_key" ? ctx.principal!.apiKeyId : "system") }),
    name: t.string({ description: "Display name.", resolve: (ctx) => ctx.principal!.name }),
    email: t.string({ nullable: true, description: "The user's email (null for an API key).", resolve: (ctx) => (ctx.principal!.kind === "user" ? ctx.principal!.email : null) }),
    role: t.string({ nullable: true, description: "The user's role in the acting tenant.", resolve: (ctx) => (ctx.principal!.kind === "user" ? ctx.principal!.role : null) }),
    tenantId: t.id({ nullable: true, description: "The acting tenant's database id.", resolve: (ctx) => ctx.tenant?.id ?? null }),
    permissions: t.stringList({ description: "Actions allowed in the acting tenant.", resolve: (ctx) => [...ctx.permissions].sort() }),
    memberships: t.field({
      type: [Membership],
      description: "Every tenant the user belongs to (for the tenant switcher).",
      resolve: async (ctx) => {
        if (ctx.principal?.kind !== "user") return ctx.tenant ? [{ tenantId: ctx.tenant.id, slug: ctx.tenant.slug, name: ctx.tenant.name, role: "partner" }] : [];
        const rows = await prisma.membership.findMany({ where: { userId: ctx.principal.userId, tenant: { status: "active" } }, include: { tenant: true }, orderBy: { tenant: { name: "asc" } } });
        return rows.map((m) => ({ tenantId: m.tenantId, slug: m.tenant.slug, name: m.tenant.name, role: m.role }));
      },
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: Viewer,
    nullable: true,
    description: "Who is calling (null when not signed in).",
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => (ctx.principal ? ctx : null),
  }),
);

