/** The snooze choices of the row menu, in the browser's time zone. */
export const snoozeChoices: { label: string; until(now: Date): Date }[] = [
  { label: 'For 1 hour', until: (now) => new Date(now.getTime() + 3_600_000) },
  {
    label: 'Until tomorrow 9:00',
    until: (now) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0),
  },
  {
    // Next Monday morning (a week from today when today is Monday).
    label: 'Until next week',
    until: (now) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + ((8 - now.getDay()) % 7 || 7), 9, 0),
  },
];

/** The server's limit: a snooze ends within 90 days. */
export const maxSnoozeMs = 90 * 86_400_000;

/** A `datetime-local` input's value for a time (local, to the minute). */
export function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
