import { type FormEvent, useState } from 'react';
import { useMutation } from 'urql';
import { CreateNotificationMutation } from '../notifications/documents.ts';

/** Sends a notification: to yourself, or (admins) to anyone by email. Shows the whole loop in a minute. */
export function SendForm({ isAdmin }: { isAdmin: boolean }) {
  const [{ fetching }, create] = useMutation(CreateNotificationMutation);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const text = (name: string) => String(form.get(name) ?? '').trim() || undefined;
    const recipientEmail = isAdmin ? text('recipientEmail') : undefined;
    const result = await create({
      input: {
        title: text('title') ?? '',
        body: text('body'),
        url: text('url'),
        kind: text('kind'),
        groupKey: text('groupKey'),
        recipientEmail,
      },
    });
    if (result.error) {
      setMessage({ kind: 'error', text: result.error.graphQLErrors[0]?.message ?? result.error.message });
      return;
    }
    setMessage({ kind: 'ok', text: recipientEmail ? `Sent to ${recipientEmail}.` : 'Sent to you: watch the bell.' });
    formElement.reset();
  }

  return (
    <form className="card send-form" onSubmit={submit} aria-labelledby="send-title">
      <h2 id="send-title">Send a notification</h2>
      {isAdmin && (
        <label>
          To (email, blank for yourself)
          <input name="recipientEmail" type="email" placeholder="someone@example.com" />
        </label>
      )}
      <label>
        Title
        <input name="title" required maxLength={200} placeholder="Your build passed" />
      </label>
      <label>
        <span>
          Message <span className="muted">(optional)</span>
        </span>
        <textarea name="body" maxLength={2000} rows={2} />
      </label>
      <label>
        <span>
          Link <span className="muted">(optional)</span>
        </span>
        <input name="url" type="url" placeholder="https://example.com/builds/42" />
      </label>
      <details className="more-options">
        <summary>More options</summary>
        <label>
          <span>
            Kind <span className="muted">(a tab of its own; default info)</span>
          </span>
          <input name="kind" maxLength={64} pattern="[A-Za-z0-9._\-]+" placeholder="comment" />
        </label>
        <label>
          <span>
            Group key <span className="muted">(unread ones with the same key count up)</span>
          </span>
          <input name="groupKey" maxLength={128} placeholder="comments:post-42" />
        </label>
      </details>
      <button type="submit" className="primary" disabled={fetching}>
        {fetching ? 'Sending…' : 'Send'}
      </button>
      {message && (
        <p
          className={message.kind === 'ok' ? 'ok small' : 'error small'}
          role={message.kind === 'ok' ? 'status' : 'alert'}
        >
          {message.text}
        </p>
      )}
    </form>
  );
}
