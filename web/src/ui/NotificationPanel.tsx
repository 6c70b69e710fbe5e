import { forwardRef, useCallback, useEffect, useRef, useState } from 'react';
import {
  errorMessage,
  type MutationOutcome,
  useNotificationActions,
  useNotificationCounts,
  useNotificationStream,
  useNotifications,
} from '../notifications/hooks.ts';
import { BellIcon } from './BellIcon.tsx';
import { KindIcon } from './KindIcon.tsx';
import { NotificationRow } from './NotificationRow.tsx';
import { useNow } from './time.ts';

/** Which list the panel shows: everything, one kind, the archive, or the snoozed ones. */
type Tab = { view: 'all' } | { view: 'kind'; kind: string } | { view: 'archived' } | { view: 'snoozed' };

const tabKey = (tab: Tab) => (tab.view === 'kind' ? `kind:${tab.kind}` : tab.view);

interface NotificationPanelProps {
  id: string;
  onClose(): void;
}

/**
 * The notification center: tabs (All, one per kind with its unread count, Archived, Snoozed), an
 * Unread/All switch, mark all read, archive read, and the list with infinite scroll.
 */
export const NotificationPanel = forwardRef<HTMLElement, NotificationPanelProps>(function NotificationPanel(
  { id, onClose },
  ref,
) {
  const [tab, setTab] = useState<Tab>({ view: 'all' });
  const [unreadOnly, setUnreadOnly] = useState(false);
  const counts = useNotificationCounts();
  const actions = useNotificationActions();
  const { isConnected } = useNotificationStream();
  const [problem, setProblem] = useState<string | null>(null);
  // Kinds stay as tabs while the panel is open, also once their last one is read.
  const [listed, setListed] = useState<string[]>([]);
  const kinds = new Set([...listed, ...counts.unreadByKind.map(({ kind }) => kind)]);
  if (tab.view === 'kind') kinds.add(tab.kind);
  const addKinds = useCallback(
    (more: string[]) =>
      setListed((known) => (more.every((kind) => known.includes(kind)) ? known : [...new Set([...known, ...more])])),
    [],
  );

  // Error lines are about a connection that failed: once it is back, they are old news.
  useEffect(() => {
    if (isConnected) setProblem(null);
  }, [isConnected]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const report = (outcome: MutationOutcome, what: string) => {
    void outcome.then(({ error }) => setProblem(error ? `Could not ${what}: ${errorMessage(error)}` : null));
  };
  const unreadOf = (kind: string) => counts.unreadByKind.find((entry) => entry.kind === kind)?.unread ?? 0;
  const tabs: { tab: Tab; label: string; count: number; kind?: string }[] = [
    { tab: { view: 'all' }, label: 'All', count: counts.unread },
    ...[...kinds]
      .sort()
      .map((kind) => ({ tab: { view: 'kind', kind } as Tab, label: kind, count: unreadOf(kind), kind })),
    { tab: { view: 'archived' }, label: 'Archived', count: 0 },
    { tab: { view: 'snoozed' }, label: 'Snoozed', count: 0 },
  ];
  const inbox = tab.view === 'all' || tab.view === 'kind';

  return (
    <section id={id} ref={ref} className="panel card" aria-label="Notifications">
      <header className="panel-header">
        <h2>Notifications</h2>
        <span className="muted small nowrap" data-testid="panel-unread">
          {counts.unread} unread
        </span>
        <button type="button" className="icon close" aria-label="Close notifications" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="tabs" role="tablist" aria-label="Which notifications">
        {tabs.map((entry) => (
          <button
            key={tabKey(entry.tab)}
            type="button"
            role="tab"
            className="tab"
            aria-selected={tabKey(entry.tab) === tabKey(tab)}
            onClick={() => setTab(entry.tab)}
          >
            {entry.kind && <KindIcon kind={entry.kind} />}
            {entry.label}
            {entry.count > 0 && <span className="tab-count">{entry.count}</span>}
          </button>
        ))}
      </div>
      <div className="panel-toolbar">
        {inbox ? (
          <fieldset className="segmented" aria-label="Show">
            <button type="button" aria-pressed={unreadOnly} onClick={() => setUnreadOnly(true)}>
              Unread
            </button>
            <button type="button" aria-pressed={!unreadOnly} onClick={() => setUnreadOnly(false)}>
              All
            </button>
          </fieldset>
        ) : (
          <span />
        )}
        <span className="toolbar-actions">
          <button
            type="button"
            className="link nowrap"
            disabled={counts.unread === 0}
            onClick={() => report(actions.markAllAsRead(), 'mark all read')}
          >
            Mark all as read
          </button>
          <button
            type="button"
            className="link nowrap"
            onClick={() => report(actions.archiveRead(), 'archive the read ones')}
          >
            Archive read
          </button>
        </span>
      </div>
      {problem && (
        <p className="error small" role="alert">
          {problem}
        </p>
      )}
      <NotificationList
        key={`${tabKey(tab)}:${inbox && unreadOnly}`}
        tab={tab}
        unreadOnly={inbox && unreadOnly}
        report={report}
        hideError={problem !== null}
        onKinds={addKinds}
      />
    </section>
  );
});

interface NotificationListProps {
  tab: Tab;
  unreadOnly: boolean;
  report(outcome: MutationOutcome, what: string): void;
  hideError: boolean;
  /** The kinds this list shows, for the tabs. */
  onKinds(kinds: string[]): void;
}

/** One tab's list: newest first, infinite scroll. Keyed by tab, so each starts at its first page. */
function NotificationList({ tab, unreadOnly, report, hideError, onKinds }: NotificationListProps) {
  const { notifications, isLoading, isLoadingMore, error, hasMore, loadMore } = useNotifications({
    unreadOnly,
    ...(tab.view === 'kind' ? { kinds: [tab.kind] } : {}),
    archived: tab.view === 'archived',
    snoozed: tab.view === 'snoozed',
  });
  const actions = useNotificationActions();
  const now = useNow(30_000);
  const end = useRef<HTMLLIElement>(null);
  const shownKinds = [...new Set(notifications.map((notification) => notification.kind))].join('\n');
  useEffect(() => {
    if (shownKinds) onKinds(shownKinds.split('\n'));
  }, [shownKinds, onKinds]);

  // Infinite scroll: when the end of the list comes into view, fetch the next page.
  useEffect(() => {
    const sentinel = end.current;
    if (!sentinel || !hasMore) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    });
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [hasMore, loadMore]);

  if (error && !hideError && notifications.length === 0) {
    return (
      <p className="error small" role="alert">
        Could not load notifications: {errorMessage(error)}
      </p>
    );
  }
  if (isLoading) return <p className="empty muted">Loading…</p>;
  if (notifications.length === 0) return <EmptyList tab={tab} unreadOnly={unreadOnly} />;
  return (
    <ul className="notification-list">
      {notifications.map((notification) => (
        <NotificationRow
          key={notification.id}
          notification={notification}
          actions={actions}
          now={now}
          report={report}
        />
      ))}
      {hasMore && (
        <li ref={end} className="more">
          <button type="button" className="link" onClick={loadMore} disabled={isLoadingMore}>
            {isLoadingMore ? 'Loading…' : 'Load more'}
          </button>
        </li>
      )}
    </ul>
  );
}

function EmptyList({ tab, unreadOnly }: { tab: Tab; unreadOnly: boolean }) {
  const [line, detail] =
    tab.view === 'archived'
      ? ['Nothing archived.', 'Archive a notification from its ⋯ menu, or all read ones at once.']
      : tab.view === 'snoozed'
        ? ['Nothing snoozed.', 'A snoozed notification comes back, unread as it was, when its time comes.']
        : unreadOnly
          ? ['No unread notifications.', 'Switch to All to see the read ones.']
          : ['You are all caught up.', 'New notifications appear here the moment they are sent.'];
  return (
    <div className="empty">
      <p className="empty-bell">
        <BellIcon size={36} off />
      </p>
      <p>{line}</p>
      <p className="muted small">{detail}</p>
    </div>
  );
}
