import { z } from "zod";
import { generateApiKey } from "../../auth/api-keys.ts";
import { apiKeyScopes, isApiKeyScope } from "../../auth/permissions.ts";
import { tenantOwned } from "../../db/tenancy.ts";
import { AppError, ErrorCode, badInput, notFound } from "../../errors.ts";
import { runMutation } from "../../events/pipeline.ts";
import { builder } from "../builder.ts";
import { idOf, whereId } from "../common.ts";

const ApiKeyRef = builder.prismaNode("ApiKey", {
  description: "A partner's key to the API, for one tenant, with scopes. The key itself is shown once, at creation.",
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: { can: "apiKey:manage" },
  fields: (t) => ({
    name: t.exposeString("name", { description: "What the key is for." }),
    prefix: t.exposeString("prefix", { description: "The key's visible beginning, to recognise it." }),
    scopes: t.exposeStringList("scopes", { description: "What the key may do (e.g. `read:jobs`, `webhooks:manage`)." }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true, description: "Last request made with the key (to the minute)." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true, description: "When the key stops working." }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true, description: "When the key was revoked." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the key was created." }),
  }),
});

builder.queryField("apiKeys", (t) =>
  t.prismaConnection({
    type: "ApiKey",
    cursor: "id",
    description: "The acting tenant's API keys, newest first.",
    authScopes: { can: "apiKey:manage" },
    totalCount: (_parent, _args, ctx) => ctx.db.apiKey.count(),
    resolve: (query, _root, _args, ctx) => ctx.db.apiKey.findMany({ ...query, orderBy: { createdAt: "desc" } }),
  }),
);

builder.queryField("apiKeyScopes", (t) =>
  t.stringList({ description: "Every scope an API key can carry.", authScopes: { can: "apiKey:manage" }, resolve: () => Object.keys(apiKeyScopes) }),
);

const CreatedApiKey = builder.objectRef<{ apiKey: unknown; key: string }>("CreateApiKeyPayload").implement({
  description: "A new API key. `key` is shown this once: store it now.",
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, description: "The key's record.", resolve: (p) => p.apiKey as never }),
    key: t.exposeString("key", { description: "The secret key (send as `Authorization: Bearer <key>` or `X-Api-Key`)." }),
  }),
});

/** Creates a key in the pipeline's transaction; shared by the mutation and `npm run cli -- apikey:create`. */
export async function createApiKeyChange(tx: Parameters<Parameters<typeof runMutation>[2]>[0], input: { name: string; scopes: string[]; expiresAt?: Date | null }, createdById: string | null) {
  const unknown = input.scopes.filter((s) => !isApiKeyScope(s));
  if (unknown.length) throw badInput(`unknown scope(s): ${unknown.join(", ")}`, ["input", "scopes"], { allowed: Object.keys(apiKeyScopes) });
  if (input.expiresAt && input.expiresAt <= new Date()) throw badInput("must be in the future", ["input", "expiresAt"]);
  const generated = generateApiKey();
  const apiKey = await tx.apiKey.create({
    data: tenantOwned({ name: input.name, prefix: generated.prefix, keyHash: generated.hash, scopes: [...new Set(input.scopes)], expiresAt: input.expiresAt ?? null, createdById }),
  });
  const { keyHash: _hidden, ...visible } = apiKey;
  return { result: { apiKey, key: generated.key }, entityId: apiKey.id, before: null, after: visible };
}

const CreateApiKeyInput = builder.inputType("CreateApiKeyInput", {
  description: "A new API key.",
  fields: (t) => ({
    name: t.string({ required: true, description: "What the key is for.", validate: { schema: z.string().trim().min(1).max(100) } }),
    scopes: t.stringList({ required: true, description: "What the key may do; see `apiKeyScopes`.", validate: { schema: z.array(z.string()).min(1).max(30) } }),
    expiresAt: t.field({ type: "DateTime", description: "When the key stops working (none: never)." }),
  }),
});

builder.mutationField("createApiKey", (t) =>
  t.field({
    type: CreatedApiKey,
    description: "Creates an API key for the acting tenant. The key is returned once and stored only as a hash.",
    authScopes: { $all: { can: "apiKey:manage", user: true } },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true, description: "The key's name, scopes and expiry." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "api_key", action: "created" }, (tx) =>
        createApiKeyChange(tx, input, ctx.principal?.kind === "user" ? ctx.principal.userId : null),
      ),
  }),
);

builder.mutationField("revokeApiKey", (t) =>
  t.field({
    type: ApiKeyRef,
    description: "Revokes an API key at once; requests with it are refused from now on.",
    authScopes: { can: "apiKey:manage" },
    args: { id: t.arg.globalID({ required: true, description: "The key's global id." }) },
    resolve: (_root, args, ctx) => {
      const id = idOf(args.id, ["id"]);
      return runMutation(ctx, { entityType: "api_key", action: "updated" }, async (tx) => {
        const before = await tx.apiKey.findFirst({ where: { id } });
        if (!before) throw notFound("API key");
        if (before.revokedAt) throw new AppError(ErrorCode.CONFLICT, "the key is already revoked");
        await tx.apiKey.updateMany({ where: { id }, data: { revokedAt: new Date(), version: { increment: 1 } } });
        const after = await tx.apiKey.findFirstOrThrow({ where: { id } });
        const { keyHash: _a, ...b } = before;
        const { keyHash: _b, ...a } = after;
        return { result: after, entityId: id, before: b, after: a };
      });
    },
  }),
);
