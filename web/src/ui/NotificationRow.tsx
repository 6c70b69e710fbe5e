import { type FormEvent, useId, useState } from 'react';
import type { MutationOutcome, Notification, useNotificationActions } from '../notifications/hooks.ts';
import { KindIcon } from './KindIcon.tsx';
import { localInputValue, maxSnoozeMs, snoozeChoices } from './snooze.ts';
import { timeAgo } from './time.ts';

type Actions = ReturnType<typeof useNotificationActions>;

interface NotificationRowProps {
  notification: Notification;
  actions: Actions;
  now: number;
  /** Reports a mutation's outcome ("Could not … : reason") to the panel. */
  report(outcome: MutationOutcome, what: string): void;
}

/** One notification: click to read (and open its link), its action buttons, and a menu of the rest. */
export function NotificationRow({ notification, actions, now, report }: NotificationRowProps) {
  const [menuOpen, setMenuOpen] = useState(false);
  const [picking, setPicking] = useState(false);
  const menuId = useId();
  const { id, title } = notification;

  const open = () => {
    if (!notification.read) report(actions.markAsRead(id), 'mark it read');
    if (notification.url) window.open(notification.url, '_blank', 'noopener,noreferrer');
  };
  const choose = (outcome: MutationOutcome, what: string) => {
    setMenuOpen(false);
    setPicking(false);
    report(outcome, what);
  };
  const snoozeUntil = (until: Date) => choose(actions.snooze(id, until), 'snooze it');
  const pickDate = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = new FormData(event.currentTarget).get('until');
    if (value) snoozeUntil(new Date(String(value)));
  };
  const taken = notification.actions.find((action) => action.id === notification.actionId);

  return (
    <li className={notification.read ? 'notification' : 'notification unread'} data-kind={notification.kind}>
      <div className="notification-row">
        <button
          type="button"
          className="notification-main"
          onClick={open}
          aria-label={`${notification.read ? '' : 'Unread: '}${title}`}
        >
          <span className="unread-dot" aria-hidden="true" />
          <KindIcon kind={notification.kind} />
          <span className="notification-text">
            <span className="notification-title">{title}</span>
            {notification.body && <span className="notification-body">{notification.body}</span>}
            <span className="notification-meta">
              <time dateTime={notification.createdAt}>{timeAgo(notification.createdAt, now)}</time>
              {notification.groupCount > 1 && (
                <span className="group-count" title={`${notification.groupCount} notifications`}>
                  +{notification.groupCount - 1} more
                </span>
              )}
              {notification.kind !== 'info' && <span className="kind">{notification.kind}</span>}
              {notification.snoozedUntil && (
                <span className="snoozed">Until {new Date(notification.snoozedUntil).toLocaleString()}</span>
              )}
              {notification.url && <span aria-hidden="true"> ↗</span>}
            </span>
          </span>
        </button>
        <button
          type="button"
          className="icon menu-toggle"
          aria-label={`More for ${title}`}
          aria-expanded={menuOpen}
          aria-controls={menuId}
          onClick={() => {
            setMenuOpen(!menuOpen);
            setPicking(false);
          }}
        >
          ⋯
        </button>
      </div>
      {notification.actions.length > 0 && (
        <div className="notification-actions">
          {taken ? (
            <span className="action-taken" data-testid="action-taken">
              ✓ {taken.label}
            </span>
          ) : (
            notification.actions.map((action) => (
              <button
                key={action.id}
                type="button"
                className={action.primary ? 'primary small' : 'secondary small'}
                onClick={() => {
                  report(actions.performAction(id, action.id), `record "${action.label}"`);
                  if (action.url) window.open(action.url, '_blank', 'noopener,noreferrer');
                }}
              >
                {action.label}
              </button>
            ))
          )}
        </div>
      )}
      {menuOpen && (
        <fieldset className="row-menu" id={menuId} aria-label={`Actions for ${title}`}>
          {notification.read ? (
            <button type="button" onClick={() => choose(actions.markAsUnread(id), 'mark it unread')}>
              Mark as unread
            </button>
          ) : (
            <button type="button" onClick={() => choose(actions.markAsRead(id), 'mark it read')}>
              Mark as read
            </button>
          )}
          {notification.archived ? (
            <button type="button" onClick={() => choose(actions.unarchive(id), 'unarchive it')}>
              Unarchive
            </button>
          ) : (
            <button type="button" onClick={() => choose(actions.archive(id), 'archive it')}>
              Archive
            </button>
          )}
          {notification.snoozedUntil ? (
            <button type="button" onClick={() => choose(actions.unsnooze(id), 'unsnooze it')}>
              Unsnooze
            </button>
          ) : (
            !notification.archived && (
              <>
                {snoozeChoices.map((choice) => (
                  <button key={choice.label} type="button" onClick={() => snoozeUntil(choice.until(new Date()))}>
                    Snooze {choice.label.toLowerCase()}
                  </button>
                ))}
                <button type="button" aria-expanded={picking} onClick={() => setPicking(!picking)}>
                  Snooze until…
                </button>
              </>
            )
          )}
          <button type="button" className="danger" onClick={() => choose(actions.deleteNotification(id), 'delete it')}>
            Delete
          </button>
          {picking && (
            <form className="snooze-date" onSubmit={pickDate}>
              <input
                name="until"
                type="datetime-local"
                aria-label="Snooze until"
                required
                min={localInputValue(new Date(now + 60_000))}
                max={localInputValue(new Date(now + maxSnoozeMs - 60_000))}
              />
              <button type="submit" className="primary small">
                Snooze
              </button>
            </form>
          )}
        </fieldset>
      )}
    </li>
  );
}
