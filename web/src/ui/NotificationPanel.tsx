import { useEffect, useRef, useState } from 'react';
import { type Notification, useNotifications } from '../notifications/hooks.ts';
import { BellIcon } from './BellIcon.tsx';
import { timeAgo, useNow } from './time.ts';

/** The list: newest first, unread marked, infinite scroll, mark read / all read, delete. */
export function NotificationPanel({ id, onClose }: { id: string; onClose(): void }) {
  const {
    notifications,
    unreadCount,
    hasUnread,
    isLoading,
    isLoadingMore,
    error,
    hasMore,
    loadMore,
    markAsRead,
    markAllAsRead,
    deleteNotification,
  } = useNotifications();
  const [problem, setProblem] = useState<string | null>(null);
  const now = useNow(30_000);
  const end = useRef<HTMLLIElement>(null);

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

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const report = async (outcome: Promise<{ error?: { message: string } }>, what: string) => {
    const { error } = await outcome;
    setProblem(error ? `Could not ${what}: ${error.message.replace(/^\[\w+\] /, '')}` : null);
  };

  const open = (notification: Notification) => {
    if (!notification.read) void report(markAsRead(notification.id), 'mark it read');
    if (notification.url) window.open(notification.url, '_blank', 'noopener,noreferrer');
  };

  return (
    <section id={id} className="panel card" aria-label="Notifications">
      <header className="panel-header">
        <h2>Notifications</h2>
        <span className="muted small" data-testid="panel-unread">
          {unreadCount} unread
        </span>
        <button
          type="button"
          className="link"
          disabled={!hasUnread}
          onClick={() => void report(markAllAsRead(), 'mark all read')}
        >
          Mark all as read
        </button>
      </header>
      {problem && (
        <p className="error small" role="alert">
          {problem}
        </p>
      )}
      {error && !problem && (
        <p className="error small" role="alert">
          Could not load notifications: {error.message}
        </p>
      )}
      {isLoading ? (
        <p className="empty muted">Loading…</p>
      ) : notifications.length === 0 ? (
        <div className="empty">
          <p className="empty-bell">
            <BellIcon size={36} off />
          </p>
          <p>You are all caught up.</p>
          <p className="muted small">New notifications appear here the moment they are sent.</p>
        </div>
      ) : (
        <ul className="notification-list">
          {notifications.map((notification) => (
            <li key={notification.id} className={notification.read ? 'notification' : 'notification unread'}>
              <button
                type="button"
                className="notification-main"
                onClick={() => open(notification)}
                aria-label={`${notification.read ? '' : 'Unread: '}${notification.title}`}
              >
                <span className="unread-dot" aria-hidden="true" />
                <span className="notification-text">
                  <span className="notification-title">{notification.title}</span>
                  {notification.body && <span className="notification-body">{notification.body}</span>}
                  <span className="notification-meta">
                    <time dateTime={notification.createdAt}>{timeAgo(notification.createdAt, now)}</time>
                    {notification.kind !== 'info' && <span className="kind">{notification.kind}</span>}
                    {notification.url && <span aria-hidden="true"> ↗</span>}
                  </span>
                </span>
              </button>
              <button
                type="button"
                className="icon delete"
                aria-label={`Delete notification ${notification.title}`}
                onClick={() => void report(deleteNotification(notification.id), 'delete it')}
              >
                ×
              </button>
            </li>
          ))}
          {hasMore && (
            <li ref={end} className="more">
              <button type="button" className="link" onClick={loadMore} disabled={isLoadingMore}>
                {isLoadingMore ? 'Loading…' : 'Load more'}
              </button>
            </li>
          )}
        </ul>
      )}
    </section>
  );
}
