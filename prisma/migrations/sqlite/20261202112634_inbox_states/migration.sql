-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_notification" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "recipientId" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'info',
    "title" TEXT NOT NULL,
    "body" TEXT,
    "url" TEXT,
    "data" JSONB,
    "readAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "seenAt" DATETIME,
    "archivedAt" DATETIME,
    "snoozedUntil" DATETIME,
    "expiresAt" DATETIME,
    "expiredAt" DATETIME,
    "actions" JSONB,
    "actedAt" DATETIME,
    "actionId" TEXT,
    "groupKey" TEXT,
    "groupCount" INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT "notification_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_notification" ("body", "createdAt", "data", "id", "kind", "readAt", "recipientId", "title", "url") SELECT "body", "createdAt", "data", "id", "kind", "readAt", "recipientId", "title", "url" FROM "notification";
DROP TABLE "notification";
ALTER TABLE "new_notification" RENAME TO "notification";
CREATE INDEX "notification_recipientId_createdAt_id_idx" ON "notification"("recipientId", "createdAt", "id");
CREATE INDEX "notification_recipientId_readAt_idx" ON "notification"("recipientId", "readAt");
CREATE INDEX "notification_recipientId_groupKey_idx" ON "notification"("recipientId", "groupKey");
CREATE INDEX "notification_snoozedUntil_idx" ON "notification"("snoozedUntil");
CREATE INDEX "notification_expiredAt_expiresAt_idx" ON "notification"("expiredAt", "expiresAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;


-- Reading a notification makes it seen: notifications read before seen existed were seen then.
UPDATE "notification" SET "seenAt" = "readAt" WHERE "readAt" IS NOT NULL AND "seenAt" IS NULL;
