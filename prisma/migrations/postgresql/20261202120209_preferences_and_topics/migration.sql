-- CreateTable
CREATE TABLE "kind_preference" (
    "userId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "inApp" BOOLEAN NOT NULL DEFAULT true,
    "push" BOOLEAN NOT NULL DEFAULT true,
    "desktop" BOOLEAN NOT NULL DEFAULT true,
    "sound" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "kind_preference_pkey" PRIMARY KEY ("userId","kind")
);

-- CreateTable
CREATE TABLE "topic_member" (
    "topic" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "topic_member_pkey" PRIMARY KEY ("topic","userId")
);

-- CreateIndex
CREATE INDEX "topic_member_userId_idx" ON "topic_member"("userId");

-- AddForeignKey
ALTER TABLE "kind_preference" ADD CONSTRAINT "kind_preference_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topic_member" ADD CONSTRAINT "topic_member_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

