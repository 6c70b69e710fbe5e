-- AlterTable
ALTER TABLE "notification" ADD COLUMN     "deletedAt" TIMESTAMP(3),
ADD COLUMN     "sender" TEXT;

