/**
 * Whether a notification arrived out of sight (archived or snoozed as it was created, as a muted
 * kind is): it is listed, but no toast, announcement or desktop notification calls attention to it.
 */
export function hidden(notification: { archived: boolean; snoozedUntil: string | null }): boolean {
  return notification.archived || notification.snoozedUntil !== null;
}
