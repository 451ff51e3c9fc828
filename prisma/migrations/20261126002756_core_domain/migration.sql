-- CreateEnum
CREATE TYPE "BidStatus" AS ENUM ('draft', 'submitted', 'won', 'lost', 'expired');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('scheduled', 'underground', 'rough_in', 'top_out', 'trim', 'final', 'complete', 'on_hold', 'cancelled');

-- CreateEnum
CREATE TYPE "ServiceCallPriority" AS ENUM ('emergency', 'urgent', 'routine');

-- CreateEnum
CREATE TYPE "ServiceCallStatus" AS ENUM ('new', 'scheduled', 'dispatched', 'in_progress', 'completed', 'invoiced', 'cancelled');

-- CreateEnum
CREATE TYPE "TenantStatus" AS ENUM ('active', 'suspended');

-- AlterTable (hand-edited: convert the column in place instead of dropping it, keeping existing values)
ALTER TABLE "Tenant" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "Tenant" ALTER COLUMN "status" TYPE "TenantStatus" USING "status"::"TenantStatus";
ALTER TABLE "Tenant" ALTER COLUMN "status" SET DEFAULT 'active';

-- CreateTable
CREATE TABLE "Bid" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "builderId" UUID NOT NULL,
    "project" TEXT NOT NULL,
    "plans" TEXT[],
    "status" "BidStatus" NOT NULL DEFAULT 'draft',
    "lineItems" JSONB NOT NULL DEFAULT '[]',
    "amountCents" INTEGER NOT NULL DEFAULT 0,
    "dueDate" DATE NOT NULL,
    "submittedAt" TIMESTAMP(3),
    "decidedAt" TIMESTAMP(3),
    "estimator" TEXT,
    "notes" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "archivedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Bid_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Builder" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "contactName" TEXT,
    "phone" TEXT,
    "email" TEXT,
    "addressLine1" TEXT,
    "city" TEXT,
    "state" TEXT,
    "postalCode" TEXT,
    "notes" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "version" INTEGER NOT NULL DEFAULT 1,
    "archivedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Builder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "builderId" UUID NOT NULL,
    "community" TEXT NOT NULL,
    "lot" TEXT,
    "addressLine1" TEXT,
    "city" TEXT,
    "state" TEXT,
    "postalCode" TEXT,
    "plan" TEXT,
    "status" "JobStatus" NOT NULL DEFAULT 'scheduled',
    "scheduledDate" DATE NOT NULL,
    "completedAt" TIMESTAMP(3),
    "assignedCrew" TEXT,
    "notes" TEXT,
    "amountCents" INTEGER,
    "version" INTEGER NOT NULL DEFAULT 1,
    "archivedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ServiceCall" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "customerName" TEXT NOT NULL,
    "customerPhone" TEXT NOT NULL,
    "customerEmail" TEXT,
    "addressLine1" TEXT NOT NULL,
    "city" TEXT,
    "state" TEXT,
    "postalCode" TEXT,
    "problem" TEXT NOT NULL,
    "priority" "ServiceCallPriority" NOT NULL DEFAULT 'routine',
    "status" "ServiceCallStatus" NOT NULL DEFAULT 'new',
    "windowStart" TIMESTAMP(3),
    "windowEnd" TIMESTAMP(3),
    "assignedTechnician" TEXT,
    "resolutionNotes" TEXT,
    "completedAt" TIMESTAMP(3),
    "invoicedAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "archivedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ServiceCall_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TenantConfig" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "jobsEnabled" BOOLEAN NOT NULL DEFAULT false,
    "bidsEnabled" BOOLEAN NOT NULL DEFAULT false,
    "serviceCallsEnabled" BOOLEAN NOT NULL DEFAULT false,
    "marketingEnabled" BOOLEAN NOT NULL DEFAULT false,
    "rateLimitPerMinute" INTEGER NOT NULL DEFAULT 600,
    "apiKeyRateLimitPerMinute" INTEGER NOT NULL DEFAULT 300,
    "auditRetentionDays" INTEGER NOT NULL DEFAULT 730,
    "webhooksEnabled" BOOLEAN NOT NULL DEFAULT true,
    "webhookSettings" JSONB NOT NULL DEFAULT '{}',
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TenantConfig_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Bid_tenantId_status_updatedAt_idx" ON "Bid"("tenantId", "status", "updatedAt");

-- CreateIndex
CREATE INDEX "Bid_tenantId_updatedAt_idx" ON "Bid"("tenantId", "updatedAt");

-- CreateIndex
CREATE INDEX "Bid_tenantId_builderId_idx" ON "Bid"("tenantId", "builderId");

-- CreateIndex
CREATE INDEX "Bid_tenantId_dueDate_idx" ON "Bid"("tenantId", "dueDate");

-- CreateIndex
CREATE INDEX "Bid_tenantId_estimator_idx" ON "Bid"("tenantId", "estimator");

-- CreateIndex
CREATE INDEX "Bid_builderId_idx" ON "Bid"("builderId");

-- CreateIndex
CREATE INDEX "Builder_name_idx" ON "Builder"("name");

-- CreateIndex
CREATE INDEX "Builder_updatedAt_idx" ON "Builder"("updatedAt");

-- CreateIndex
CREATE INDEX "Job_tenantId_status_updatedAt_idx" ON "Job"("tenantId", "status", "updatedAt");

-- CreateIndex
CREATE INDEX "Job_tenantId_updatedAt_idx" ON "Job"("tenantId", "updatedAt");

-- CreateIndex
CREATE INDEX "Job_tenantId_builderId_idx" ON "Job"("tenantId", "builderId");

-- CreateIndex
CREATE INDEX "Job_tenantId_scheduledDate_idx" ON "Job"("tenantId", "scheduledDate");

-- CreateIndex
CREATE INDEX "Job_tenantId_assignedCrew_idx" ON "Job"("tenantId", "assignedCrew");

-- CreateIndex
CREATE INDEX "Job_builderId_idx" ON "Job"("builderId");

-- CreateIndex
CREATE INDEX "ServiceCall_tenantId_status_updatedAt_idx" ON "ServiceCall"("tenantId", "status", "updatedAt");

-- CreateIndex
CREATE INDEX "ServiceCall_tenantId_updatedAt_idx" ON "ServiceCall"("tenantId", "updatedAt");

-- CreateIndex
CREATE INDEX "ServiceCall_tenantId_priority_idx" ON "ServiceCall"("tenantId", "priority");

-- CreateIndex
CREATE INDEX "ServiceCall_tenantId_windowStart_idx" ON "ServiceCall"("tenantId", "windowStart");

-- CreateIndex
CREATE INDEX "ServiceCall_tenantId_assignedTechnician_idx" ON "ServiceCall"("tenantId", "assignedTechnician");

-- CreateIndex
CREATE UNIQUE INDEX "TenantConfig_tenantId_key" ON "TenantConfig"("tenantId");

-- AddForeignKey
ALTER TABLE "Bid" ADD CONSTRAINT "Bid_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Bid" ADD CONSTRAINT "Bid_builderId_fkey" FOREIGN KEY ("builderId") REFERENCES "Builder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_builderId_fkey" FOREIGN KEY ("builderId") REFERENCES "Builder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ServiceCall" ADD CONSTRAINT "ServiceCall_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenantConfig" ADD CONSTRAINT "TenantConfig_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
