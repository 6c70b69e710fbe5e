import { errorFields, type Logger } from '../log.ts';
import type { PrismaClient } from './db.ts';

/**
 * Prunes event-log entries older than the retention period, in the background. A stream asked to
 * resume from before what is kept answers NotificationStreamResync instead of a silent gap. Deleted
 * notifications (kept blanked for their senders' receipts) go after the same period.
 */
export function startRetention(db: PrismaClient, retentionHours: number, log: Logger) {
  const retentionMs = retentionHours * 3_600_000;
  // Often enough that the log holds at most about a tenth more than the period; at most hourly.
  const everyMs = Math.min(3_600_000, Math.max(1_000, retentionMs / 10));

  async function prune(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - retentionMs);
    const { count } = await db.userEvent.deleteMany({ where: { createdAt: { lt: before } } });
    const tombstones = await db.notification.deleteMany({ where: { deletedAt: { lt: before } } });
    if (count > 0 || tombstones.count > 0) {
      log.info('event log pruned', { deleted: count, deletedNotifications: tombstones.count, retentionHours });
    }
    return count;
  }

  const timer = setInterval(() => {
    prune().catch((error: unknown) => log.warn('could not prune the event log', errorFields(error)));
  }, everyMs);
  timer.unref();
  return { prune, stop: () => clearInterval(timer) };
}
