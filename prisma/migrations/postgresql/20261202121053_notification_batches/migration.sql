-- AlterTable
ALTER TABLE "notification" ADD COLUMN     "batchId" TEXT;

-- CreateIndex
CREATE INDEX "notification_batchId_idx" ON "notification"("batchId");

