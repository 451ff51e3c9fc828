import type { ChannelAccount } from "../generated/prisma/client.ts";

/** The columns of a channel account that never leave the API (not in responses, events, audit rows or webhooks). */
const sealedColumns = ["accessTokenSealed", "refreshTokenSealed", "tokenKeyId"] as const;

export type PublicChannelAccount = Omit<ChannelAccount, (typeof sealedColumns)[number] | "grantUserId">;

/**
 * A channel account without its sealed tokens and without the platform's id of the person who consented
 * (`grantUserId`: personal data a data deletion request erases, so it never enters the append-only audit trail):
 * what the pipeline's events and audit rows carry.
 */
export function publicAccount(account: ChannelAccount): PublicChannelAccount {
  const { accessTokenSealed: _a, refreshTokenSealed: _r, tokenKeyId: _k, grantUserId: _g, ...rest } = account;
  return rest;
}

/** Every column of a channel account except the sealed ones, for Prisma selects. */
export const publicAccountSelect = {
  id: true, tenantId: true, platform: true, externalId: true, name: true, status: true, tokenExpiresAt: true,
  breakerState: true, breakerChangedAt: true, lastError: true, lastNotifiedAt: true, lastNotification: true, grantUserId: true, connectedAt: true, version: true, createdAt: true, updatedAt: true,
} as const;
