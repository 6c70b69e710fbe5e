import { errorFields, type Logger } from '../log.ts';
import { type Database, sqlTime } from './db.ts';
import type { NotificationService } from './notifications.ts';

/**
 * The changes time makes: a snooze that ends (NotificationWoke) and a notification that expires
 * (NotificationExpired). No cron, no timer per notification, nothing kept in memory:
 *
 * - Durable: the due times are the notifications' own columns (`snoozedUntil`, `expiresAt` with
 *   `expiredAt` still null), so a restart loses nothing: the first sweep, at start, logs whatever
 *   came due while the server was down.
 * - Exactly once: a sweep only finds due rows; each becomes a change appended to its user's event
 *   log (the `wake` and `expire` updates of inbox.ts), which applies only while the row is still
 *   due, under the user's lock. Two instances on one database may both find a row: the first
 *   batch to lock the user claims it (clears the snooze, sets `expiredAt`), the second finds
 *   nothing to do and logs nothing.
 * - On time: each instance sweeps at the next due time it knows of, at least every `pollMs`
 *   (for what another instance scheduled), and at once when this instance schedules something
 *   sooner (`nudge`).
 */
export interface DueChanges {
  /** Logs every change due by now; resolves with how many it applied. */
  sweep(): Promise<number>;
  /** Something was scheduled for `at` here: sweep then if that is sooner than planned. */
  nudge(at: Date): void;
  stop(): void;
}

/** How many due rows one query takes; a sweep goes on while it finds as many. */
const page = 200;

const dueSnoozes = `SELECT id, "recipientId" FROM notification
  WHERE "snoozedUntil" <= ? AND "expiredAt" IS NULL ORDER BY "snoozedUntil" LIMIT ${page}`;
const dueExpiries = `SELECT id, "recipientId" FROM notification
  WHERE "expiredAt" IS NULL AND "expiresAt" <= ? ORDER BY "expiresAt" LIMIT ${page}`;
const nextDue = `SELECT (SELECT MIN("snoozedUntil") FROM notification WHERE "expiredAt" IS NULL) AS wake,
  (SELECT MIN("expiresAt") FROM notification WHERE "expiredAt" IS NULL) AS expire`;

export function startDueChanges({
  db,
  notifications,
  log,
  pollMs = 1_000,
}: {
  db: Database;
  notifications: NotificationService;
  log: Logger;
  pollMs?: number;
}): DueChanges {
  let timer: NodeJS.Timeout | undefined;
  let plannedAt = Number.POSITIVE_INFINITY;
  let sweeping: Promise<number> | undefined;
  let again = false;
  let stopped = false;

  async function sweepOnce(): Promise<number> {
    let applied = 0;
    for (;;) {
      const now = sqlTime(new Date());
      const [snoozes, expiries] = await Promise.all([
        db.sql.all<{ id: string; recipientId: string }>(dueSnoozes, now),
        db.sql.all<{ id: string; recipientId: string }>(dueExpiries, now),
      ]);
      // All at once: they join one group commit. A row another instance claimed meanwhile, or that
      // was deleted, changes nothing.
      const results = await Promise.allSettled([
        ...snoozes.map((row) => notifications.update(row.recipientId, row.id, { op: 'wake' })),
        ...expiries.map((row) => notifications.update(row.recipientId, row.id, { op: 'expire' })),
      ]);
      applied += results.filter((result) => result.status === 'fulfilled').length;
      if (snoozes.length < page && expiries.length < page) return applied;
    }
  }

  /** Runs one sweep at a time; a sweep asked for while one runs runs once more after it. */
  function sweep(): Promise<number> {
    if (sweeping) {
      again = true;
      return sweeping;
    }
    sweeping = (async () => {
      let applied = 0;
      try {
        do {
          again = false;
          applied += await sweepOnce();
        } while (again && !stopped);
      } finally {
        sweeping = undefined;
      }
      return applied;
    })();
    return sweeping;
  }

  async function tick() {
    timer = undefined;
    plannedAt = Number.POSITIVE_INFINITY;
    if (stopped) return;
    let next = Date.now() + pollMs;
    try {
      await sweep();
      const due = await db.sql.one<{ wake: string | Date | null; expire: string | Date | null }>(nextDue);
      for (const at of [due?.wake, due?.expire]) {
        if (at != null) next = Math.min(next, new Date(at).getTime());
      }
    } catch (error) {
      if (!stopped) log.warn('could not log due snoozes and expiries', errorFields(error));
    }
    plan(next);
  }

  function plan(at: number) {
    if (stopped || at >= plannedAt) return;
    if (timer) clearTimeout(timer);
    plannedAt = at;
    timer = setTimeout(() => void tick(), Math.max(0, at - Date.now()));
    timer.unref();
  }

  plan(Date.now());
  return {
    sweep,
    nudge: (at) => plan(at.getTime()),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
