-- AlterTable
ALTER TABLE "notification" ADD COLUMN     "actedAt" TIMESTAMP(3),
ADD COLUMN     "actionId" TEXT,
ADD COLUMN     "actions" JSONB,
ADD COLUMN     "archivedAt" TIMESTAMP(3),
ADD COLUMN     "expiredAt" TIMESTAMP(3),
ADD COLUMN     "expiresAt" TIMESTAMP(3),
ADD COLUMN     "groupCount" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "groupKey" TEXT,
ADD COLUMN     "seenAt" TIMESTAMP(3),
ADD COLUMN     "snoozedUntil" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "notification_recipientId_groupKey_idx" ON "notification"("recipientId", "groupKey");

-- CreateIndex
CREATE INDEX "notification_snoozedUntil_idx" ON "notification"("snoozedUntil");

-- CreateIndex
CREATE INDEX "notification_expiredAt_expiresAt_idx" ON "notification"("expiredAt", "expiresAt");


-- Reading a notification makes it seen: notifications read before seen existed were seen then.
UPDATE "notification" SET "seenAt" = "readAt" WHERE "readAt" IS NOT NULL AND "seenAt" IS NULL;
