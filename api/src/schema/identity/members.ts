import { z } from "zod";
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from "../../auth/passwords.ts";
import { roles, type Role } from "../../auth/permissions.ts";
import { createPasswordReset } from "../../auth/sessions.ts";
import { prisma } from "../../db/client.ts";
import { tenantOwned } from "../../db/tenancy.ts";
import { AppError, ErrorCode, badInput, forbidden, notFound } from "../../errors.ts";
import { runMutation, type TenantTx } from "../../events/pipeline.ts";
import { builder } from "../builder.ts";
import { idOf, whereId } from "../common.ts";

const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(MAX_PASSWORD_LENGTH);
const roleDescriptions: Record<Role, string> = {
  owner: "Everything, including making other owners.",
  admin: "Everything but making owners: users, API keys, webhooks, configuration, audit.",
  dispatcher: "Runs the service-call board and moves jobs.",
  estimator: "Bids, builders and jobs.",
  marketer: "Marketing posts; reads the rest.",
  viewer: "Reads everything the tenant uses; changes nothing.",
};
export const RoleEnum = builder.enumType("Role", {
  description: "What a member may do in a tenant (see the permission table).",
  values: Object.fromEntries(roles.map((r) => [r, { value: r, description: roleDescriptions[r] }])) as Record<Role, { value: Role; description: string }>,
});

/** What user rows may show: never the password hash. */
const safeUser = { id: true, email: true, name: true, status: true, lastLoginAt: true, createdAt: true, updatedAt: true } as const;

builder.prismaObject("User", {
  description: "A person who signs in. Visible to a tenant only through their membership.",
  authScopes: { can: "user:read" },
  select: { id: true },
  fields: (t) => ({
    id: t.exposeID("id", { description: "Database id." }),
    email: t.exposeString("email", { description: "Sign-in email (lower-case)." }),
    name: t.exposeString("name", { description: "Display name." }),
    status: t.exposeString("status", { description: "`active` or `disabled`." }),
    lastLoginAt: t.expose("lastLoginAt", { type: "DateTime", nullable: true, description: "Last successful sign-in." }),
  }),
});

const Member = builder.prismaNode("Membership", {
  name: "Member",
  description: "A user's place in the acting tenant, with their role.",
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: { can: "user:read" },
  fields: (t) => ({
    role: t.expose("role", { type: RoleEnum, description: "The member's role in this tenant." }),
    user: t.relation("user", { description: "The person." }),
    version: t.exposeInt("version", { description: "Optimistic-concurrency version." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When they joined the tenant." }),
  }),
});

builder.queryField("members", (t) =>
  t.prismaConnection({
    type: "Membership",
    cursor: "id",
    description: "The users of the acting tenant, with their roles.",
    authScopes: { can: "user:read" },
    totalCount: (_parent, _args, ctx) => ctx.db.membership.count(),
    resolve: (query, _root, _args, ctx) => ctx.db.membership.findMany({ ...query, orderBy: { createdAt: "asc" } }),
  }),
);

const memberPayload = builder.objectRef<{ member: unknown; resetToken: string | null }>("MemberPayload").implement({
  description: "A member after the change; `resetToken` is set once when a password must be chosen (no mail server yet).",
  fields: (t) => ({
    member: t.field({ type: Member, description: "The member.", resolve: (p) => p.member as never }),
    resetToken: t.string({ nullable: true, description: "One-time token for `resetPassword`, shown once.", resolve: (p) => p.resetToken }),
  }),
});

builder.mutationField("inviteUser", (t) =>
  t.field({
    type: memberPayload,
    description: "Adds a user to the acting tenant with a role (creating the user if new). Returns a one-time password-setting token for a new user unless a password is given.",
    authScopes: { can: "user:manage" },
    args: {
      email: t.arg.string({ required: true, description: "Their email.", validate: { schema: z.email().max(320) } }),
      name: t.arg.string({ required: true, description: "Their name.", validate: { schema: z.string().trim().min(1).max(200) } }),
      role: t.arg({ type: RoleEnum, required: true, description: "Their role in this tenant." }),
      password: t.arg.string({ description: "An initial password (otherwise a reset token is returned).", validate: { schema: password } }),
    },
    resolve: async (_root, args, ctx) => {
      assertMayGrant(ctx.principal, args.role);
      const passwordHash = args.password ? await hashPassword(args.password) : null;
      return runMutation(ctx, { entityType: "membership", action: "created" }, async (tx) => {
        const email = args.email.trim().toLowerCase();
        const existing = await tx.user.findUnique({ where: { email } });
        const user = existing ?? (await tx.user.create({ data: { email, name: args.name.trim(), passwordHash } }));
        if (await tx.membership.findFirst({ where: { userId: user.id } })) throw new AppError(ErrorCode.CONFLICT, "that user is already a member of this tenant", { field: ["email"] });
        const member = await tx.membership.create({ data: tenantOwned({ userId: user.id, role: args.role }) });
        const reset = !existing && !passwordHash ? await createPasswordReset(tx as never, user.id) : null;
        return { result: { member, resetToken: reset?.token ?? null }, entityId: member.id, before: null, after: { ...member, email } };
      });
    },
  }),
);

builder.mutationField("changeMemberRole", (t) =>
  t.field({
    type: memberPayload,
    description: "Changes a member's role. The last owner cannot be demoted.",
    authScopes: { can: "user:manage" },
    args: {
      id: t.arg.globalID({ required: true, description: "The member's global id." }),
      role: t.arg({ type: RoleEnum, required: true, description: "The new role." }),
      expectedVersion: t.arg.int({ required: true, description: "The `version` you read; a stale one is a CONFLICT." }),
    },
    resolve: (_root, args, ctx) => {
      assertMayGrant(ctx.principal, args.role);
      const id = idOf(args.id, ["id"]);
      return runMutation(ctx, { entityType: "membership", action: "updated" }, async (tx) => {
        const before = await memberOf(tx, id);
        if (before.role === "owner" && args.role !== "owner" && (await tx.membership.count({ where: { role: "owner" } })) <= 1)
          throw new AppError(ErrorCode.CONFLICT, "the last owner cannot be demoted");
        const updated = await tx.membership.updateMany({ where: { id, version: args.expectedVersion }, data: { role: args.role, version: { increment: 1 } } });
        if (updated.count !== 1) throw new AppError(ErrorCode.CONFLICT, "the member changed since you read it", { details: { currentVersion: before.version } });
        const after = await tx.membership.findFirstOrThrow({ where: { id } });
        return { result: { member: after, resetToken: null }, entityId: id, before, after };
      });
    },
  }),
);

builder.mutationField("removeMember", (t) =>
  t.field({
    type: memberPayload,
    description: "Removes a user from the acting tenant (the user keeps other tenants). The last owner cannot be removed.",
    authScopes: { can: "user:manage" },
    args: { id: t.arg.globalID({ required: true, description: "The member's global id." }) },
    resolve: (_root, args, ctx) => {
      const id = idOf(args.id, ["id"]);
      return runMutation(ctx, { entityType: "membership", action: "deleted" }, async (tx) => {
        const before = await memberOf(tx, id);
        if (before.role === "owner" && (await tx.membership.count({ where: { role: "owner" } })) <= 1) throw new AppError(ErrorCode.CONFLICT, "the last owner cannot be removed");
        await tx.membership.deleteMany({ where: { id } });
        await tx.refreshToken.updateMany({ where: { userId: before.userId, tenantId: before.tenantId, revokedAt: null }, data: { revokedAt: new Date() } });
        return { result: { member: before, resetToken: null }, entityId: id, before, after: null };
      });
    },
  }),
);

for (const [name, status, action] of [["disableUser", "disabled", "Disables"], ["enableUser", "active", "Re-enables"]] as const) {
  builder.mutationField(name, (t) =>
    t.field({
      type: memberPayload,
      description: `${action} a member's account (sign-in and every session). Only for users who belong to no other tenant.`,
      authScopes: { can: "user:manage" },
      args: { id: t.arg.globalID({ required: true, description: "The member's global id." }) },
      resolve: (_root, args, ctx) => {
        const id = idOf(args.id, ["id"]);
        return runMutation(ctx, { entityType: "user", action: "updated" }, async (tx) => {
          const member = await memberOf(tx, id);
          if (ctx.principal?.kind === "user" && member.userId === ctx.principal.userId) throw badInput("you cannot disable yourself", ["id"]);
          // does the user belong elsewhere too? Counted with the root client: row-level security hides other tenants' rows from `tx`
          const n = await prisma.membership.count({ where: { userId: member.userId } });
          if (n > 1) throw forbidden("this user belongs to other tenants too: remove their membership instead");
          const before = await tx.user.findUniqueOrThrow({ where: { id: member.userId }, select: safeUser });
          const after = await tx.user.update({ where: { id: member.userId }, data: { status, version: { increment: 1 } }, select: safeUser });
          if (status === "disabled") await tx.refreshToken.updateMany({ where: { userId: member.userId, revokedAt: null }, data: { revokedAt: new Date() } });
          return { result: { member, resetToken: null }, entityId: member.userId, before, after };
        });
      },
    }),
  );
}

builder.mutationField("issuePasswordReset", (t) =>
  t.field({
    type: memberPayload,
    description: "Creates a one-time password-reset token for a member (returned here, as there is no mail server yet).",
    authScopes: { can: "user:manage" },
    args: { id: t.arg.globalID({ required: true, description: "The member's global id." }) },
    resolve: (_root, args, ctx) => {
      const id = idOf(args.id, ["id"]);
      return runMutation(ctx, { entityType: "user", action: "updated" }, async (tx) => {
        const member = await memberOf(tx, id);
        const reset = await createPasswordReset(tx as never, member.userId);
        return { result: { member, resetToken: reset.token }, entityId: member.userId, before: null, after: { passwordResetIssuedAt: new Date() } };
      });
    },
  }),
);

builder.mutationField("changePassword", (t) =>
  t.boolean({
    description: "Changes the signed-in user's own password; other sessions end.",
    authScopes: { $all: { user: true, tenant: true } },
    args: {
      currentPassword: t.arg.string({ required: true, description: "The current password.", validate: { schema: z.string().max(MAX_PASSWORD_LENGTH) } }),
      newPassword: t.arg.string({ required: true, description: "The new password (10 to 256 characters).", validate: { schema: password } }),
    },
    resolve: async (_root, args, ctx) => {
      const me = ctx.principal!.kind === "user" ? ctx.principal! : null;
      if (!me) throw forbidden();
      const passwordHash = await hashPassword(args.newPassword);
      return runMutation(ctx, { entityType: "user", action: "updated" }, async (tx) => {
        const user = await tx.user.findUniqueOrThrow({ where: { id: me.userId } });
        if (!(await verifyPassword(user.passwordHash, args.currentPassword))) throw badInput("the current password is wrong", ["currentPassword"]);
        await tx.user.update({ where: { id: me.userId }, data: { passwordHash, passwordChangedAt: new Date(), version: { increment: 1 } } });
        await tx.refreshToken.updateMany({ where: { userId: me.userId, revokedAt: null, NOT: { familyId: me.sessionId } }, data: { revokedAt: new Date() } });
        return { result: true, entityId: me.userId, before: { id: user.id, passwordChangedAt: user.passwordChangedAt }, after: { id: user.id, passwordChangedAt: new Date() } };
      });
    },
  }),
);

/** The acting tenant's member `id` (the tenant-scoped client confines the lookup), or NOT_FOUND. */
async function memberOf(tx: TenantTx, id: string) {
  const member = await tx.membership.findFirst({ where: { id } });
  if (!member) throw notFound("member");
  return member;
}

/** Only owners make owners. */
function assertMayGrant(principal: { kind: string; role?: Role | null } | null, role: Role) {
  if (role === "owner" && !(principal?.kind === "user" && principal.role === "owner") && principal?.kind !== "system") throw forbidden("only an owner can make another owner");
}
