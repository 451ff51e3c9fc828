-- What the platform last said about a channel account through its webhooks (marketing/inbound.ts).
ALTER TABLE "ChannelAccount" ADD COLUMN "lastNotifiedAt" TIMESTAMP(3),
ADD COLUMN "lastNotification" TEXT;
