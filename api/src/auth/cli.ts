import { connectDb, disconnectDb } from "../db/client.ts";
import { tenantOwned } from "../db/tenancy.ts";
import { systemContext, type Context } from "../context.ts";
import type { Env } from "../env.ts";
import { configurePipeline } from "../events/hooks.ts";
import { runMutation } from "../events/pipeline.ts";
import type { Logger } from "../logger.ts";
import { createApiKeyChange } from "../schema/identity/api-keys.ts";
import { LoginLimiter } from "./login-limiter.ts";
import { hashPassword, MIN_PASSWORD_LENGTH } from "./passwords.ts";
import { isRole, roles } from "./permissions.ts";

type Flags = Record<string, string | undefined>;

function required(flags: Flags, ...names: string[]): string[] {
  const missing = names.filter((n) => !flags[n]);
  if (missing.length) throw new Error(`missing ${missing.map((m) => `--${m}`).join(", ")}`);
  return names.map((n) => flags[n]!);
}

async function asSystem<T>(url: string, env: Env, log: Logger, tenant: string, fn: (ctx: Context) => Promise<T>): Promise<T> {
  connectDb(url, env);
  configurePipeline(env);
  try {
    const ctx = await systemContext(tenant, "cli", log, { env, loginLimiter: new LoginLimiter() });
    if (!ctx) throw new Error(`no active tenant "${tenant}"`);
    return await fn(ctx);
  } finally {
    await disconnectDb();
  }
}

/** `user:create --email E --password P --tenant T --role R`: a user (or an existing one) joins tenant T with role R. */
export async function userCreateCommand(url: string, env: Env, log: Logger, flags: Flags): Promise<void> {
  const [email, password, tenant, role] = required(flags, "email", "password", "tenant", "role");
  if (!isRole(role!)) throw new Error(`--role must be one of ${roles.join(", ")}`);
  if (password!.length < MIN_PASSWORD_LENGTH) throw new Error(`--password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email!)) throw new Error("--email is not an email address");
  const passwordHash = await hashPassword(password!);
  const member = await asSystem(url, env, log, tenant!, (ctx) =>
    runMutation(ctx, { entityType: "membership", action: "created" }, async (tx) => {
      const normalized = email!.trim().toLowerCase();
      const user = await tx.user.upsert({ where: { email: normalized }, update: { passwordHash }, create: { email: normalized, name: flags.name ?? normalized, passwordHash } });
      const existing = await tx.membership.findFirst({ where: { userId: user.id } });
      const after = existing
        ? await tx.membership.update({ where: { id: existing.id }, data: { role: role!, version: { increment: 1 } } })
        : await tx.membership.create({ data: tenantOwned({ userId: user.id, role: role! }) });
      return { result: after, entityId: after.id, before: existing, after: { ...after, email: normalized } };
    }),
  );
  console.log(`user ${email} is ${member.role} in ${tenant}`);
}

/** `apikey:create --tenant T --name N --scopes S` (comma-separated): prints the key once. */
export async function apiKeyCreateCommand(url: string, env: Env, log: Logger, flags: Flags): Promise<void> {
  const [tenant, name, scopes] = required(flags, "tenant", "name", "scopes");
  const expiresAt = flags["expires-at"] ? new Date(flags["expires-at"]) : null;
  const created = await asSystem(url, env, log, tenant!, (ctx) =>
    runMutation(ctx, { entityType: "api_key", action: "created" }, (tx) =>
      createApiKeyChange(tx, { name: name!, scopes: scopes!.split(",").map((s) => s.trim()).filter(Boolean), expiresAt }, null),
    ),
  );
  console.log(`API key "${name}" for ${tenant} (scopes: ${scopes}); shown once, store it now:\n${created.key}`);
}
