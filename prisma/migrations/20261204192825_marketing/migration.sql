-- CreateEnum
CREATE TYPE "ChannelPlatform" AS ENUM ('facebook', 'instagram', 'google_business');

-- CreateEnum
CREATE TYPE "ChannelAccountStatus" AS ENUM ('connected', 'needs_reconnect', 'disconnected');

-- CreateEnum
CREATE TYPE "BreakerState" AS ENUM ('closed', 'open', 'half_open');

-- CreateEnum
CREATE TYPE "MarketingPostStatus" AS ENUM ('draft', 'scheduled', 'publishing', 'published', 'partially_published', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "MarketingTargetStatus" AS ENUM ('pending', 'publishing', 'published', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "ChannelAccount" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "platform" "ChannelPlatform" NOT NULL,
    "externalId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "ChannelAccountStatus" NOT NULL DEFAULT 'connected',
    "accessTokenSealed" TEXT,
    "refreshTokenSealed" TEXT,
    "tokenKeyId" TEXT NOT NULL,
    "tokenExpiresAt" TIMESTAMP(3),
    "breakerState" "BreakerState" NOT NULL DEFAULT 'closed',
    "breakerChangedAt" TIMESTAMP(3),
    "lastError" TEXT,
    "connectedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChannelAccount_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChannelConnectAttempt" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "platform" "ChannelPlatform" NOT NULL,
    "state" TEXT NOT NULL,
    "codeVerifierSealed" TEXT NOT NULL,
    "userTokenSealed" TEXT,
    "refreshTokenSealed" TEXT,
    "tokenKeyId" TEXT NOT NULL,
    "tokenExpiresAt" TIMESTAMP(3),
    "candidates" JSONB,
    "accountId" UUID,
    "returnTo" TEXT NOT NULL,
    "error" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChannelConnectAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MarketingPost" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "mediaUrls" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "status" "MarketingPostStatus" NOT NULL DEFAULT 'draft',
    "scheduledAt" TIMESTAMP(3),
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "publishedAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MarketingPost_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MarketingPostTarget" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "postId" UUID NOT NULL,
    "channelAccountId" UUID NOT NULL,
    "status" "MarketingTargetStatus" NOT NULL DEFAULT 'pending',
    "idempotencyKey" TEXT NOT NULL,
    "externalPostId" TEXT,
    "externalUrl" TEXT,
    "containerId" TEXT,
    "lastError" TEXT,
    "attemptCount" INTEGER NOT NULL DEFAULT 0,
    "publishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MarketingPostTarget_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MarketingPublishAttempt" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "targetId" UUID NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "outcome" TEXT,
    "error" TEXT,

    CONSTRAINT "MarketingPublishAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MarketingInboundEvent" (
    "id" UUID NOT NULL,
    "platform" "ChannelPlatform" NOT NULL,
    "dedupKey" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processedAt" TIMESTAMP(3),

    CONSTRAINT "MarketingInboundEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ChannelAccount_tenantId_status_idx" ON "ChannelAccount"("tenantId", "status");

-- CreateIndex
CREATE INDEX "ChannelAccount_tenantId_updatedAt_idx" ON "ChannelAccount"("tenantId", "updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelAccount_tenantId_platform_externalId_key" ON "ChannelAccount"("tenantId", "platform", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelConnectAttempt_state_key" ON "ChannelConnectAttempt"("state");

-- CreateIndex
CREATE INDEX "ChannelConnectAttempt_tenantId_updatedAt_idx" ON "ChannelConnectAttempt"("tenantId", "updatedAt");

-- CreateIndex
CREATE INDEX "ChannelConnectAttempt_tenantId_expiresAt_idx" ON "ChannelConnectAttempt"("tenantId", "expiresAt");

-- CreateIndex
CREATE INDEX "MarketingPost_tenantId_status_idx" ON "MarketingPost"("tenantId", "status");

-- CreateIndex
CREATE INDEX "MarketingPost_tenantId_updatedAt_idx" ON "MarketingPost"("tenantId", "updatedAt");

-- CreateIndex
CREATE INDEX "MarketingPost_tenantId_scheduledAt_idx" ON "MarketingPost"("tenantId", "scheduledAt");

-- CreateIndex
CREATE UNIQUE INDEX "MarketingPostTarget_idempotencyKey_key" ON "MarketingPostTarget"("idempotencyKey");

-- CreateIndex
CREATE INDEX "MarketingPostTarget_tenantId_status_idx" ON "MarketingPostTarget"("tenantId", "status");

-- CreateIndex
CREATE INDEX "MarketingPostTarget_tenantId_updatedAt_idx" ON "MarketingPostTarget"("tenantId", "updatedAt");

-- CreateIndex
CREATE INDEX "MarketingPostTarget_channelAccountId_idx" ON "MarketingPostTarget"("channelAccountId");

-- CreateIndex
CREATE UNIQUE INDEX "MarketingPostTarget_postId_channelAccountId_key" ON "MarketingPostTarget"("postId", "channelAccountId");

-- CreateIndex
CREATE INDEX "MarketingPublishAttempt_tenantId_targetId_startedAt_idx" ON "MarketingPublishAttempt"("tenantId", "targetId", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "MarketingInboundEvent_dedupKey_key" ON "MarketingInboundEvent"("dedupKey");

-- AddForeignKey
ALTER TABLE "MarketingPostTarget" ADD CONSTRAINT "MarketingPostTarget_postId_fkey" FOREIGN KEY ("postId") REFERENCES "MarketingPost"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MarketingPostTarget" ADD CONSTRAINT "MarketingPostTarget_channelAccountId_fkey" FOREIGN KEY ("channelAccountId") REFERENCES "ChannelAccount"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MarketingPublishAttempt" ADD CONSTRAINT "MarketingPublishAttempt_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "MarketingPostTarget"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Row-level security, as for every tenant-scoped table (see the identity migration for app_tenant_id() and the
-- h2o_app role, whose default privileges cover these tables). The OAuth callback and the worker, which run outside
-- any request, set `app.tenant_id` from the attempt's state or the job's payload (api/src/marketing/store.ts).
-- MarketingInboundEvent has no tenant: it is the receiver's deduplication log, written by the system only.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ChannelAccount', 'ChannelConnectAttempt', 'MarketingPost', 'MarketingPostTarget', 'MarketingPublishAttempt'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING ("tenantId" = app_tenant_id()) WITH CHECK ("tenantId" = app_tenant_id())', t);
  END LOOP;
END
$$;
REVOKE ALL ON "MarketingInboundEvent" FROM h2o_app;
