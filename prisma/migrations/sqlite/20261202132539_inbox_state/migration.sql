-- AlterTable
ALTER TABLE "user" ADD COLUMN "inbox" JSONB;

