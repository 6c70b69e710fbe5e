import type { SerializedEntries, StorageAdapter } from '@urql/exchange-graphcache';
import { makeDefaultStorage } from '@urql/exchange-graphcache/default-storage';

/** Where one user's cache is kept: a database of their own, so two users of one browser never share one. */
export const offlineDatabaseName = (userId: string) => `tidings-cache:${userId}`;

/** The stream's cursor is stored among the cache's entries, under a key graphcache never uses. */
const cursorKey = 'tidings:cursor';

export interface OfflineStore {
  /** For graphcache's offlineExchange. */
  storage: StorageAdapter;
  /**
   * Resolves once the cache is read back, with the cursor of the last event applied to what was
   * stored ('' when nothing usable was): the stream resumes after it, so what happened while the
   * app was closed or offline is replayed into the stored cache.
   */
  hydrated: Promise<string>;
  /**
   * Records the cursor of an event just applied; it is stored with the next write of the cache.
   * `settled`: no optimistic change was pending as it was applied. Graphcache does not store a
   * write that equals what an optimistic layer shows at that moment, so an event applied under
   * one may never reach the stored data: from then on the stored cursor stays where it was, and
   * the next visit replays from there (events apply twice safely).
   */
  setCursor(cursor: string, settled: boolean): void;
  /** Sends the queued mutations now: the stream is ready again, so the server answers. */
  flush(): void;
  /** Forgets everything stored for this user, and stops storing (sign-out). */
  clear(): Promise<void>;
}

/**
 * The normalized cache of one user kept in IndexedDB (graphcache's default storage, 7 days), with
 * the stream's cursor stored in the same record as the data it describes: the data is never older
 * than the cursor says, so resuming after it misses nothing. Stored data without a cursor (or
 * unreadable) is not used.
 */
export function offlineStore(userId: string): OfflineStore {
  const base = makeDefaultStorage({ idbName: offlineDatabaseName(userId), maxAge: 7 });
  let cursor = '';
  /** Set once an event was applied under an optimistic change: the stored cursor no longer moves. */
  let held = false;
  /** Set once signed out: what this tab's cache still writes must not bring the data back. */
  let forgotten = false;
  let onOnline: (() => void) | null = null;
  let resolveHydrated: (cursor: string) => void = () => {};
  const hydrated = new Promise<string>((resolve) => {
    resolveHydrated = resolve;
  });

  const storage: StorageAdapter = {
    async readData(): Promise<SerializedEntries> {
      let entries: SerializedEntries = {};
      try {
        entries = await base.readData();
      } catch {
        // No IndexedDB (private mode) or a broken database: start empty.
      }
      const { [cursorKey]: stored, ...data } = entries;
      const found = typeof stored === 'string' ? (JSON.parse(stored) as unknown) : null;
      cursor = typeof found === 'string' ? found : '';
      resolveHydrated(cursor);
      return cursor ? data : {};
    },
    writeData(entries) {
      if (forgotten) return Promise.resolve();
      return base.writeData({ ...entries, [cursorKey]: JSON.stringify(cursor) });
    },
    // Queued mutations are optimistic layers once they are sent again: the cursor holds (see setCursor).
    async readMetadata() {
      const queued = (await base.readMetadata?.()) ?? null;
      if (Array.isArray(queued) && queued.length > 0) held = true;
      return queued;
    },
    writeMetadata(json) {
      if (json.length > 0) held = true;
      if (!forgotten) base.writeMetadata?.(json);
    },
    // Not on the browser's `online` event, which fires before the server can be reached: the
    // provider calls flush() when the stream is ready again, so queued changes go once they can land.
    onOnline(callback) {
      onOnline = callback;
    },
  };

  const store: OfflineStore = {
    storage,
    hydrated,
    setCursor(next, settled) {
      if (!settled) held = true;
      if (next && !held) cursor = next;
    },
    flush: () => onOnline?.(),
    clear() {
      forgotten = true;
      open.delete(store);
      return base.clear().then(
        () => undefined,
        () => undefined,
      );
    },
  };
  open.add(store);
  return store;
}

/** The stores this tab has open (one per signed-in user it showed). */
const open = new Set<OfflineStore>();

/**
 * Forgets every user's cache this tab keeps (signing out, here or in another tab of the browser):
 * the next user of the browser starts from nothing.
 */
export function forgetOfflineData(): Promise<void> {
  return Promise.all([...open].map((store) => store.clear())).then(() => undefined);
}
