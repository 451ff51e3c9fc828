import { randomUUID } from "node:crypto";
import { generateCodeVerifier, generateState } from "arctic";
import type { Context } from "../context.ts";
import { prisma } from "../db/client.ts";
import { tenantOwned, tenantScoped } from "../db/tenancy.ts";
import type { Env } from "../env.ts";
import { badInput, conflict, notFound } from "../errors.ts";
import { runMutation } from "../events/pipeline.ts";
import type { ChannelPlatform } from "../generated/prisma/enums.ts";
import { ProviderError, type Candidate, type SocialProvider, type TokenSet } from "../integrations/provider.ts";
import { tokenContext } from "../integrations/token-box.ts";
import type { Logger } from "../logger.ts";
import { publicAccount } from "./accounts.ts";
import { marketingRuntime, type MarketingRuntime } from "./runtime.ts";

export const CONNECT_ATTEMPT_TTL_MS = 15 * 60_000;

/** The provider of a platform, or a BAD_USER_INPUT saying why the tenant cannot use it. */
export function availableProvider(runtime: MarketingRuntime, platform: ChannelPlatform): SocialProvider {
  const provider = runtime.provider(platform);
  if ("unavailable" in provider) throw badInput(`${platform} is unavailable: ${provider.unavailable}`, ["input", "platform"]);
  return provider;
}

/**
 * Step 1 of connecting an account: a `state` (random, single use, prefixed with the tenant so the callback can find
 * its row under row-level security) and a PKCE verifier are stored (the verifier sealed), and the consent URL with
 * the S256 challenge is returned. `returnTo` must be a path of the dashboard.
 */
export async function startConnect(ctx: Context, platform: ChannelPlatform, returnTo: string, accountId: string | null) {
  const runtime = marketingRuntime(ctx.services.env);
  const provider = availableProvider(runtime, platform);
  if (!/^\/[A-Za-z0-9/_-]*$/.test(returnTo)) throw badInput("must be a path of the dashboard, like /marketing", ["input", "returnTo"]);
  const tenantId = ctx.tenant!.id;
  const id = randomUUID();
  const state = `${Buffer.from(tenantId.replaceAll("-", ""), "hex").toString("base64url")}.${generateState()}`;
  const verifier = generateCodeVerifier();
  const sealed = runtime.box.seal(verifier, tokenContext.verifier(id));
  await ctx.db.channelConnectAttempt.create({
    data: tenantOwned({ id, platform, state, codeVerifierSealed: sealed.sealed, tokenKeyId: sealed.keyId, returnTo, accountId, expiresAt: new Date(Date.now() + CONNECT_ATTEMPT_TTL_MS) }),
  });
  return { attemptId: id, authorizationUrl: provider.authorizationUrl(state, verifier).toString() };
}

const tenantOfState = (state: string) => {
  const [prefix] = state.split(".");
  const hex = Buffer.from(prefix ?? "", "base64url").toString("hex");
  return hex.length === 32 ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : null;
};

/**
 * Step 2, the OAuth callback (GET `/integrations/<platform>/callback?code&state`): the state must name an unexpired
 * attempt of this platform (else refused, nothing changes); the code is exchanged with the stored verifier (the
 * platform refuses a wrong one); the tokens are sealed onto the attempt with what the user may connect. Returns
 * where to send the browser: the dashboard's `returnTo` with `connect=<attempt id>` or `connectError=<reason>`.
 */
export async function handleCallback(env: Env, log: Logger, platform: ChannelPlatform, query: URLSearchParams): Promise<{ status: number; location: string | null; error: string | null }> {
  const runtime = marketingRuntime(env);
  const state = query.get("state") ?? "";
  const tenantId = tenantOfState(state);
  const attempt = tenantId ? await tenantScoped(prisma, tenantId).channelConnectAttempt.findUnique({ where: { state } }) : null;
  if (!attempt || attempt.platform !== platform || attempt.expiresAt < new Date() || attempt.userTokenSealed || attempt.error)
    return { status: 400, location: null, error: "unknown, expired or already used state" };
  const back = (params: Record<string, string>) => `${env.PUBLIC_WEB_URL.replace(/\/$/, "")}${attempt.returnTo}?${new URLSearchParams(params)}`;
  const fail = async (reason: string) => {
    await tenantScoped(prisma, attempt.tenantId).channelConnectAttempt.update({ where: { id: attempt.id }, data: { error: reason } });
    return { status: 302, location: back({ connectError: reason }), error: reason };
  };
  if (query.get("error")) return fail(`the platform refused consent: ${query.get("error_description") ?? query.get("error")}`);
  const provider = runtime.provider(platform);
  if ("unavailable" in provider) return fail(provider.unavailable);
  const code = query.get("code");
  if (!code) return fail("no authorization code");
  let tokens: TokenSet;
  let candidates: Candidate[];
  try {
    const verifier = runtime.box.open(attempt.codeVerifierSealed, attempt.tokenKeyId, tokenContext.verifier(attempt.id));
    tokens = await provider.exchangeCode(code, verifier);
    candidates = await provider.listCandidates(tokens);
  } catch (err) {
    log.warn({ platform, attemptId: attempt.id, err: { name: (err as Error).name, message: (err as Error).message } }, "OAuth code exchange refused");
    return fail(err instanceof ProviderError ? err.message : "the platform refused the authorization code");
  }
  const user = runtime.box.seal(tokens.accessToken, tokenContext.userToken(attempt.id));
  const refresh = tokens.refreshToken ? runtime.box.seal(tokens.refreshToken, tokenContext.userRefresh(attempt.id)).sealed : null;
  await tenantScoped(prisma, attempt.tenantId).channelConnectAttempt.update({
    where: { id: attempt.id },
    data: { userTokenSealed: user.sealed, refreshTokenSealed: refresh, tokenKeyId: user.keyId, tokenExpiresAt: tokens.expiresAt, candidates: candidates as never },
  });
  return { status: 302, location: back({ connect: attempt.id }), error: null };
}

/**
 * Step 3: the user picks one of the candidates; the account is created (or, for a reconnect, its tokens replaced
 * and its status back to CONNECTED) with its own sealed tokens, and the attempt is deleted, in one pipeline
 * transaction whose event is `channel_account.connected` (without any token).
 */
export async function completeConnect(ctx: Context, attemptId: string, externalId: string) {
  const runtime = marketingRuntime(ctx.services.env);
  const attempt = await ctx.db.channelConnectAttempt.findUnique({ where: { id: attemptId } });
  if (!attempt || attempt.expiresAt < new Date()) throw notFound("connect attempt");
  if (!attempt.userTokenSealed) throw conflict("the platform has not called back for this attempt yet");
  const candidate = ((attempt.candidates ?? []) as unknown as Candidate[]).find((c) => c.externalId === externalId);
  if (!candidate) throw badInput("not one of the attempt's candidates", ["input", "externalId"]);
  const provider = availableProvider(runtime, attempt.platform);
  const user: TokenSet = {
    accessToken: runtime.box.open(attempt.userTokenSealed, attempt.tokenKeyId, tokenContext.userToken(attempt.id)),
    refreshToken: attempt.refreshTokenSealed ? runtime.box.open(attempt.refreshTokenSealed, attempt.tokenKeyId, tokenContext.userRefresh(attempt.id)) : null,
    expiresAt: attempt.tokenExpiresAt,
  };
  let tokens: TokenSet;
  try {
    tokens = await provider.accountTokens(user, externalId);
  } catch (err) {
    throw conflict(`the platform refused: ${(err as Error).message}`);
  }
  return runMutation(ctx, { entityType: "channel_account", action: "created" }, async (tx) => {
    const existing = await tx.channelAccount.findFirst({ where: { platform: attempt.platform, externalId } });
    const id = existing?.id ?? randomUUID();
    const access = runtime.box.seal(tokens.accessToken, tokenContext.access(id));
    const data = {
      name: candidate.name, status: "connected" as const, accessTokenSealed: access.sealed, tokenKeyId: access.keyId,
      refreshTokenSealed: tokens.refreshToken ? runtime.box.seal(tokens.refreshToken, tokenContext.refresh(id)).sealed : null,
      tokenExpiresAt: tokens.expiresAt, lastError: null, connectedAt: new Date(), grantUserId: candidate.grantUserId ?? null,
    };
    const account = existing
      ? await tx.channelAccount.update({ where: { id }, data: { ...data, version: { increment: 1 } } })
      : await tx.channelAccount.create({ data: tenantOwned({ id, platform: attempt.platform, externalId, ...data }) });
    await tx.channelConnectAttempt.delete({ where: { id: attempt.id } });
    const after = publicAccount(account);
    return { result: { channelAccount: account }, entityId: id, before: existing ? publicAccount(existing) : null, after, eventType: "channel_account.connected" };
  });
}
