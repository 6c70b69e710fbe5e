import type { NotificationCounts, NotificationEventPayload } from './events.ts';

/**
 * What streams read of the per-user event log. The store implements it (server/store/log-reader.ts)
 * and the app hands it to the registry: realtime never reaches into the store.
 */
export interface EventLogReader {
  /** The user's latest sequence number and counts, read together (0 and none for no user). */
  start(userId: string): Promise<{ latest: number; counts: NotificationCounts }>;
  /** Whether the log still holds the user's event `seq` (retention prunes old ones). */
  has(userId: string, seq: number): Promise<boolean>;
  /**
   * Up to `limit` of the user's logged events with afterSeq < seq < beforeSeq (no upper bound when
   * beforeSeq is null), in order.
   */
  read(userId: string, afterSeq: number, beforeSeq: number | null, limit?: number): Promise<NotificationEventPayload[]>;
}
