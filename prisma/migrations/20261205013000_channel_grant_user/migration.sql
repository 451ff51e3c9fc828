-- The platform's id of the user who consented, kept with a channel account: Meta's deauthorization callback names
-- the user (not the Page), and the accounts that user's consent connected are the ones it ends.
ALTER TABLE "ChannelAccount" ADD COLUMN "grantUserId" TEXT;

CREATE INDEX "ChannelAccount_platform_grantUserId_idx" ON "ChannelAccount"("platform", "grantUserId");
