import { type FormEvent, useId, useState } from 'react';
import { errorMessage } from '../notifications/hooks.ts';
import {
  type KindPreference,
  type PreferenceChange,
  topicProblem,
  useNotificationPreferences,
  useTopics,
} from '../notifications/preferences.ts';
import { DesktopNotifications } from './DesktopNotifications.tsx';
import { KindIcon } from './KindIcon.tsx';
import { PushNotifications } from './PushNotifications.tsx';
import { Toggle } from './Toggle.tsx';

const columns: { field: keyof PreferenceChange; label: string; hint: string }[] = [
  { field: 'inApp', label: 'In-app', hint: 'Off: they go straight to the archive, without a badge or alert' },
  { field: 'push', label: 'Push', hint: 'When no tab of Tidings is open' },
  { field: 'desktop', label: 'Desktop', hint: 'While the tab is in the background' },
  { field: 'sound', label: 'Sound', hint: 'A short chime when one arrives' },
];

/** Everything a user can choose: this browser's alerts, each kind's channels, and topics. */
export function Settings() {
  return (
    <div className="settings">
      <section className="card" aria-labelledby="browser-settings">
        <h2 id="browser-settings">On this browser</h2>
        <DesktopNotifications />
        <PushNotifications />
        <p className="muted small">
          Every tab of this browser shares one live connection; open another tab and watch both update.
        </p>
      </section>
      <KindSettings />
      <TopicSettings />
    </div>
  );
}

function KindSettings() {
  const { preferences, setPreference, isLoading } = useNotificationPreferences();
  const [problem, setProblem] = useState<string | null>(null);

  async function change(kind: string, field: keyof PreferenceChange, on: boolean) {
    setProblem(null);
    const { error } = await setPreference(kind, { [field]: on });
    if (error) setProblem(`${kind}: ${errorMessage(error)}`);
  }

  return (
    <section className="card kind-settings" aria-labelledby="kind-settings">
      <h2 id="kind-settings">Notification kinds</h2>
      {preferences.length === 0 ? (
        <p className="muted small">{isLoading ? 'Loading…' : 'Each kind shows here once you have received one.'}</p>
      ) : (
        <table className="preferences">
          <caption className="visually-hidden">How each kind of notification reaches you</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              {columns.map(({ field, label, hint }) => (
                <th key={field} scope="col" title={hint}>
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preferences.map((preference) => (
              <KindRow
                key={preference.kind}
                preference={preference}
                onChange={(field, on) => void change(preference.kind, field, on)}
              />
            ))}
          </tbody>
        </table>
      )}
      {problem && (
        <p className="error small" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}

function KindRow({
  preference,
  onChange,
}: {
  preference: KindPreference;
  onChange(field: keyof PreferenceChange, on: boolean): void;
}) {
  const reasonId = useId();
  const { kind, critical } = preference;
  return (
    <tr data-kind={kind}>
      <th scope="row">
        <span className="kind-name">
          <KindIcon kind={kind} />
          {kind}
        </span>
        {critical && (
          <span id={reasonId} className="muted small locked-reason">
            Critical: always shown in-app
          </span>
        )}
      </th>
      {columns.map(({ field, label }) => {
        const locked = critical && field === 'inApp';
        return (
          <td key={field} data-label={label}>
            <Toggle
              aria-label={`${label} for ${kind}`}
              aria-describedby={locked ? reasonId : undefined}
              checked={preference[field]}
              disabled={locked}
              onSwitch={(on) => onChange(field, on)}
            />
          </td>
        );
      })}
    </tr>
  );
}

function TopicSettings() {
  const { topics, follow, leave, isLoading } = useTopics();
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const errorId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const topic = draft.trim();
    const local = topicProblem(topic);
    if (local) {
      setProblem(local);
      return;
    }
    setProblem(null);
    const { error } = await follow(topic);
    if (error) setProblem(errorMessage(error));
    else setDraft('');
  }

  async function unfollow(topic: string) {
    setProblem(null);
    const { error } = await leave(topic);
    if (error) setProblem(errorMessage(error));
  }

  return (
    <section className="card topic-settings" aria-labelledby="topic-settings">
      <h2 id="topic-settings">Topics</h2>
      <p className="muted small">Services can send one notification to everyone following a topic.</p>
      {topics.length === 0 ? (
        <p className="muted small">{isLoading ? 'Loading…' : 'You follow no topic yet.'}</p>
      ) : (
        <ul className="topics" aria-label="Topics you follow">
          {topics.map((topic) => (
            <li key={topic}>
              <span className="topic-name">{topic}</span>
              <button
                type="button"
                className="secondary small"
                aria-label={`Unfollow ${topic}`}
                onClick={() => void unfollow(topic)}
              >
                Unfollow
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="topic-form" onSubmit={submit} noValidate>
        <label>
          Follow a topic
          <input
            name="topic"
            value={draft}
            maxLength={200}
            placeholder="releases or incidents:eu"
            autoComplete="off"
            aria-invalid={problem !== null}
            aria-describedby={problem ? errorId : undefined}
            onChange={(event) => setDraft(event.target.value)}
          />
        </label>
        <button type="submit" className="primary small">
          Follow
        </button>
      </form>
      {problem && (
        <p id={errorId} className="error small" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
