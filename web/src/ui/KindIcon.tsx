/** Icons drawn inline (no emoji font needed), matched to a kind by the words it contains. */
const icons: { words: RegExp; name: string; path: string }[] = [
  { words: /comment|reply|message|chat/, name: 'comment', path: 'M4 4h16v11H9l-5 4Z' },
  {
    words: /mention/,
    name: 'mention',
    path: 'M12 3a9 9 0 1 0 4.5 16.8l-1-1.7A7 7 0 1 1 19 12v1a1.5 1.5 0 0 1-3 0V8h-2v.5A4 4 0 1 0 14.6 15a3.5 3.5 0 0 0 6.4-2v-1a9 9 0 0 0-9-9Zm0 11a2 2 0 1 1 0-4 2 2 0 0 1 0 4Z',
  },
  {
    words: /alert|error|fail|incident|warn|security/,
    name: 'alert',
    path: 'M12 3 2 20h20Zm-1 6h2v6h-2Zm0 7.5h2v2h-2Z',
  },
  {
    words: /success|done|pass|complete|approv/,
    name: 'success',
    path: 'M9.5 16.2 5.3 12l-1.4 1.4 5.6 5.6L20.1 8.4 18.7 7Z',
  },
  { words: /deploy|build|release|ci|ship/, name: 'deploy', path: 'M12 3 5 11h4v9h6v-9h4Z' },
  {
    words: /user|invite|follow|member|friend/,
    name: 'person',
    path: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-8 8c0-3.3 3.6-6 8-6s8 2.7 8 6Z',
  },
];

const info = 'M10.5 10h3v9h-3Zm0-5.5h3v3h-3Z';

/** The icon of a notification's kind (an "i" for kinds it does not know). */
export function KindIcon({ kind }: { kind: string }) {
  const icon = icons.find(({ words }) => words.test(kind.toLowerCase()));
  return (
    <span className="kind-icon" data-icon={icon?.name ?? 'info'} aria-hidden="true">
      <svg viewBox="0 0 24 24" width={16} height={16} focusable="false" aria-hidden="true">
        <path fill="currentColor" d={icon?.path ?? info} />
      </svg>
    </span>
  );
}
