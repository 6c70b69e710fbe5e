-- AlterTable
ALTER TABLE "notification" ADD COLUMN "deletedAt" DATETIME;
ALTER TABLE "notification" ADD COLUMN "sender" TEXT;

