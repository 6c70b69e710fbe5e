import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebClient } from '../../web/build.ts';
import { browserUnavailable, launchBrowser, outputDir } from '../helpers/browser.ts';
import { gql, notify } from '../helpers/graphql.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import {
  badge,
  fromMenu,
  inFront,
  item,
  openPanel,
  panel,
  signIn,
  signUpThroughTheForm,
  soon,
  status,
} from './pages.ts';

// The inbox of issue 12 in a real browser against a real server: the unseen badge, tabs by kind
// with exact counts, archive, snooze, action buttons and grouping, each followed by a second tab
// of the same browser (which gets its events relayed from the tab that streams).

const unavailable = browserUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`CI=true and ${unavailable}`);
if (unavailable) process.stderr.write(`\n⚠ Skipping the inbox browser tests: ${unavailable}\n`);

interface Counts {
  unread: number;
  unseen: number;
  unreadByKind: { kind: string; unread: number }[];
}

const tab = (page: Page, name: string | RegExp) => panel(page).getByRole('tab', { name });
const tabCount = async (page: Page, name: string | RegExp) => {
  const count = tab(page, name).locator('.tab-count');
  return (await count.count()) === 0 ? '' : count.textContent();
};
const rowTitles = (page: Page) => panel(page).locator('.notification-title').allTextContents();

// Two tabs take turns in front, and a click in the one behind waits for its throttled frames.
describe.skipIf(unavailable !== null)('the inbox in a real browser', { timeout: 60_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let first: Page;
  let second: Page;
  let cookie: Record<string, string>;
  let webDir: string;
  const email = `grace-${Date.now()}@example.com`;

  const counts = async () =>
    (
      await gql<{ notificationCounts: Counts }>(
        server,
        '{ notificationCounts { unread unseen unreadByKind { kind unread } } }',
        {},
        cookie,
      )
    ).data?.notificationCounts;
  const idOf = async (title: string) => {
    const list = await gql<{ notifications: { edges: { node: { id: string; title: string } }[] } }>(
      server,
      '{ notifications(first: 100) { edges { node { id title } } } }',
      {},
      cookie,
    );
    const found = list.data?.notifications.edges.find((edge) => edge.node.title === title);
    if (!found) throw new Error(`no notification titled ${title}`);
    return found.node.id;
  };

  beforeAll(async () => {
    webDir = mkdtempSync(path.join(tmpdir(), 'tidings-web-'));
    await buildWebClient(() => {}, webDir);
    server = await startServer({ webDir, heartbeatMs: 2_000 });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    first = await context.newPage();
    await first.goto(server.url);
    await signUpThroughTheForm(first, email);
    cookie = await signIn(server, email);
    second = await context.newPage();
    await second.goto(server.url);
    for (const page of [first, second]) await page.locator('.connection[data-status="connected"]').waitFor(soon);
    mkdirSync(outputDir, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.dispose();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  it('the badge counts the unseen; opening the bell clears it in every tab while unread stays; a toast tells of each new one', async () => {
    await notify(server, cookie, { title: 'Lin commented on your post', kind: 'comment' });
    await notify(server, cookie, { title: 'Build 7 failed', kind: 'ci-alert' });
    for (const page of [first, second]) await expect.poll(() => badge(page).textContent(), soon).toBe('2');
    // The panel is closed: a toast says what came, with a way in.
    await expect.poll(() => first.getByTestId('toast').textContent(), soon).toContain('Build 7 failed');

    await inFront(first);
    await first.getByTestId('toast').getByRole('button', { name: 'View' }).click();
    await panel(first).waitFor();
    for (const page of [first, second]) await expect.poll(() => badge(page).count(), soon).toBe(0);
    expect(await first.getByTestId('panel-unread').textContent()).toBe('2 unread');
    expect(await first.locator('.notification.unread').count()).toBe(2);
    await expect.poll(counts, soon).toEqual({
      unread: 2,
      unseen: 0,
      unreadByKind: [
        { kind: 'ci-alert', unread: 1 },
        { kind: 'comment', unread: 1 },
      ],
    });
    // Kind icons: a speech bubble for comments, a warning sign for alerts.
    expect(await item(first, 'Lin commented').locator('.kind-icon').getAttribute('data-icon')).toBe('comment');
    expect(await item(first, 'Build 7 failed').locator('.kind-icon').getAttribute('data-icon')).toBe('alert');

    // New ones while the panel is open count as unseen until it is opened again.
    await notify(server, cookie, { title: 'Mo commented too', kind: 'comment' });
    for (const page of [first, second]) await expect.poll(() => badge(page).textContent(), soon).toBe('1');
    await openPanel(second);
    for (const page of [first, second]) await expect.poll(() => badge(page).count(), soon).toBe(0);
  });

  it('tabs: All, one per kind with its exact unread count, Archived; the Unread/All switch', async () => {
    for (const page of [first, second]) {
      await openPanel(page);
      await expect.poll(() => tabCount(page, /^All/), soon).toBe('3');
      await expect.poll(() => tabCount(page, /^comment/), soon).toBe('2');
      await expect.poll(() => tabCount(page, /^ci-alert/), soon).toBe('1');
      expect(await tab(page, /^Archived/).count()).toBe(1);
    }
    await inFront(first);
    await tab(first, /^comment/).click();
    await expect.poll(() => rowTitles(first), soon).toEqual(['Mo commented too', 'Lin commented on your post']);

    // Read in the other tab: the count follows here, exactly.
    await inFront(second);
    await second.getByRole('button', { name: 'Unread: Lin commented on your post' }).click();
    await expect.poll(() => tabCount(first, /^comment/), soon).toBe('1');
    await expect.poll(() => tabCount(first, /^All/), soon).toBe('2');
    await expect.poll(() => item(first, 'Lin commented').getAttribute('class'), soon).toBe('notification');

    await inFront(first);
    await panel(first).getByRole('button', { name: 'Unread', exact: true }).click();
    await expect.poll(() => rowTitles(first), soon).toEqual(['Mo commented too']);
    // Unread again from the menu: back in the unread list and the counts.
    await inFront(first);
    await tab(first, /^All/).click();
    await inFront(first);
    await panel(first).getByRole('button', { name: 'All', exact: true }).click();
    await fromMenu(first, 'Lin commented on your post', 'Mark as unread');
    await expect.poll(() => tabCount(second, /^comment/), soon).toBe('2');
    await expect.poll(counts, soon).toMatchObject({ unread: 3 });
    await inFront(first);
    await panel(first).getByRole('button', { name: 'Unread', exact: true }).click();
    await expect
      .poll(() => rowTitles(first), soon)
      .toEqual(['Mo commented too', 'Build 7 failed', 'Lin commented on your post']);
    await inFront(first);
    await panel(first).getByRole('button', { name: 'All', exact: true }).click();
  });

  it('archive and unarchive from the row menu, and "Archive read", in step across tabs', async () => {
    await fromMenu(first, 'Build 7 failed', 'Archive');
    for (const page of [first, second]) {
      await expect.poll(() => item(page, 'Build 7 failed').count(), soon).toBe(0);
      await expect.poll(() => tabCount(page, /^All/), soon).toBe('2');
    }
    await inFront(second);
    await tab(second, /^Archived/).click();
    await item(second, 'Build 7 failed').waitFor(soon);
    await fromMenu(second, 'Build 7 failed', 'Unarchive');
    await expect.poll(() => item(second, 'Build 7 failed').count(), soon).toBe(0);
    await item(first, 'Build 7 failed').waitFor(soon);
    await expect.poll(() => tabCount(first, /^All/), soon).toBe('3');

    // Read one, then archive every read one from the header.
    await inFront(first);
    await first.getByRole('button', { name: 'Unread: Build 7 failed' }).click();
    // Read on the server before "Archive read": sent together, the server may take them in
    // either order.
    await expect.poll(counts, soon).toMatchObject({ unread: 2 });
    await inFront(first);
    await first.getByRole('button', { name: 'Archive read' }).click();
    await expect.poll(() => item(first, 'Build 7 failed').count(), soon).toBe(0);
    await item(second, 'Build 7 failed').waitFor(soon);
    expect(await rowTitles(second)).toEqual(['Build 7 failed']);
    await inFront(second);
    await tab(second, /^All/).click();
    await expect.poll(() => rowTitles(second), soon).toEqual(['Mo commented too', 'Lin commented on your post']);
    await expect.poll(counts, soon).toMatchObject({ unread: 2, unseen: 0 });
  });

  it('snooze hides a notification from the list and the counts; unsnooze brings it back unread', async () => {
    await fromMenu(first, 'Mo commented too', 'Snooze for 1 hour');
    for (const page of [first, second]) {
      await expect.poll(() => item(page, 'Mo commented too').count(), soon).toBe(0);
      await expect.poll(() => tabCount(page, /^All/), soon).toBe('1');
    }
    await inFront(second);
    await tab(second, /^Snoozed/).click();
    await expect.poll(() => item(second, 'Mo commented too').textContent(), soon).toMatch(/Until /);
    const [snoozed] =
      (
        await gql<{ notifications: { edges: { node: { snoozedUntil: string } }[] } }>(
          server,
          '{ notifications(first: 5, snoozed: true) { edges { node { snoozedUntil } } } }',
          {},
          cookie,
        )
      ).data?.notifications.edges ?? [];
    const until = new Date(snoozed?.node.snoozedUntil ?? 0).getTime() - Date.now();
    expect(until).toBeGreaterThan(50 * 60_000);
    expect(until).toBeLessThanOrEqual(60 * 60_000);

    await fromMenu(second, 'Mo commented too', 'Unsnooze');
    await expect.poll(() => item(second, 'Mo commented too').count(), soon).toBe(0);
    await expect.poll(() => item(first, 'Mo commented too').getAttribute('class'), soon).toBe('notification unread');
    await expect.poll(() => tabCount(first, /^All/), soon).toBe('2');

    // A date of one's own, through the picker: tomorrow at noon.
    await inFront(first);
    const row = item(first, 'Lin commented on your post');
    await row.getByRole('button', { name: 'More for Lin commented on your post' }).click();
    await row.getByRole('button', { name: 'Snooze until…' }).click();
    const noon = new Date();
    noon.setDate(noon.getDate() + 1);
    noon.setHours(12, 0, 0, 0);
    const pad = (n: number) => String(n).padStart(2, '0');
    await row
      .getByLabel('Snooze until')
      .fill(`${noon.getFullYear()}-${pad(noon.getMonth() + 1)}-${pad(noon.getDate())}T12:00`);
    await row.getByRole('button', { name: 'Snooze', exact: true }).click();
    await expect.poll(() => item(second, 'Lin commented on your post').count(), soon).toBe(1);
    await expect.poll(() => item(first, 'Lin commented on your post').count(), soon).toBe(0);
    const picked = await gql<{ notifications: { edges: { node: { title: string; snoozedUntil: string } }[] } }>(
      server,
      '{ notifications(first: 5, snoozed: true) { edges { node { title snoozedUntil } } } }',
      {},
      cookie,
    );
    expect(picked.data?.notifications.edges.map((edge) => edge.node)).toEqual([
      { title: 'Lin commented on your post', snoozedUntil: noon.toISOString() },
    ]);
    await fromMenu(second, 'Lin commented on your post', 'Unsnooze');
    await item(first, 'Lin commented on your post').waitFor(soon);
    await inFront(second);
    await tab(second, /^All/).click();
  });

  it('action buttons: the primary one stands out, a url opens in a new tab, and the row shows the choice in every tab', async () => {
    await notify(server, cookie, {
      title: 'Ada asked to join Design',
      kind: 'invite',
      actions: [
        { id: 'approve', label: 'Approve', primary: true, url: `${server.url}/healthz` },
        { id: 'decline', label: 'Decline' },
      ],
    });
    await inFront(first);
    const row = item(first, 'Ada asked to join Design');
    await row.waitFor(soon);
    expect(await row.getByRole('button', { name: 'Approve' }).getAttribute('class')).toContain('primary');
    expect(await row.getByRole('button', { name: 'Decline' }).getAttribute('class')).toContain('secondary');
    expect(await row.locator('.kind-icon').getAttribute('data-icon')).toBe('person');

    const [opened] = await Promise.all([
      context.waitForEvent('page'),
      row.getByRole('button', { name: 'Approve' }).click(),
    ]);
    await opened.waitForLoadState();
    expect(opened.url()).toBe(`${server.url}/healthz`);
    await opened.close();
    for (const page of [first, second]) {
      const taken = item(page, 'Ada asked to join Design').getByTestId('action-taken');
      await expect.poll(() => taken.textContent(), soon).toBe('✓ Approve');
      await expect.poll(() => item(page, 'Ada asked to join Design').getAttribute('class'), soon).toBe('notification');
      expect(await item(page, 'Ada asked to join Design').getByRole('button', { name: 'Decline' }).count()).toBe(0);
    }
    const acted = await gql<{ notifications: { edges: { node: { title: string; actionId: string } }[] } }>(
      server,
      '{ notifications(first: 1) { edges { node { title actionId } } } }',
      {},
      cookie,
    );
    expect(acted.data?.notifications.edges[0]?.node).toEqual({
      title: 'Ada asked to join Design',
      actionId: 'approve',
    });
  });

  it('grouping: notifications with one groupKey are one row with its count, and count once as unread', async () => {
    const before = (await counts())?.unread ?? 0;
    for (const name of ['Kim', 'Lee', 'Max']) {
      await notify(server, cookie, {
        title: `${name} commented on "Roadmap"`,
        kind: 'comment',
        groupKey: 'comments:roadmap',
      });
    }
    for (const page of [first, second]) {
      const row = item(page, 'commented on "Roadmap"');
      await expect
        .poll(() => row.locator('.notification-title').textContent(), soon)
        .toBe('Max commented on "Roadmap"');
      await expect.poll(() => row.locator('.group-count').textContent(), soon).toBe('+2 more');
      expect(await row.count()).toBe(1);
      // Moved to the top with the newest one's time.
      expect((await rowTitles(page))[0]).toBe('Max commented on "Roadmap"');
    }
    await expect.poll(counts, soon).toMatchObject({ unread: before + 1 });
    await expect.poll(() => tabCount(second, /^All/), soon).toBe(String(before + 1));
    await first.screenshot({
      path: path.join(outputDir, `inbox-panel-${server.config.provider}.png`),
      clip: { x: 480, y: 0, width: 800, height: 640 },
    });
  });

  it('after a break, the events made meanwhile are replayed into both tabs; error lines clear once it is back', async () => {
    const stream = (route: Route) =>
      route.request().headers().accept?.includes('text/event-stream') ? route.abort() : route.continue();
    await server.stop();
    await context.route('**/graphql*', stream);
    await expect.poll(() => status(first), soon).toBe('error');
    // The countdown keeps its width.
    const widths = new Set<number>();
    for (let n = 0; n < 4; n += 1) {
      const label = first.locator('.connection-label');
      if ((await label.textContent())?.startsWith('Reconnecting')) {
        widths.add(Math.round((await label.boundingBox())?.width ?? 0));
      }
      await first.waitForTimeout(700);
    }
    expect(widths.size).toBe(1);

    // A change while the server is down fails, and says so in words a user can read.
    await inFront(first);
    await first.getByRole('button', { name: 'Archive read' }).click();
    const alert = panel(first).getByRole('alert');
    await expect.poll(() => alert.textContent(), soon).toMatch(/^Could not archive the read ones: /);
    expect(await alert.textContent()).not.toMatch(/\[Network\]|\[GraphQL\]/);

    await server.start();
    // While the stream is held back, the server changes: these must arrive by replay.
    const lin = await idOf('Lin commented on your post');
    const mo = await idOf('Mo commented too');
    await gql(server, 'mutation($id: ID!) { archiveNotification(id: $id) { id } }', { id: lin }, cookie);
    await gql(
      server,
      'mutation($id: ID!, $until: DateTime!) { snoozeNotification(id: $id, until: $until) { id } }',
      { id: mo, until: new Date(Date.now() + 3_600_000).toISOString() },
      cookie,
    );
    await notify(server, cookie, {
      title: 'Ola commented on "Roadmap"',
      kind: 'comment',
      groupKey: 'comments:roadmap',
    });
    await gql(server, 'mutation { markNotificationsSeen { count } }', {}, cookie);
    const expected = await counts();

    await context.unroute('**/graphql*', stream);
    // A click outside the panel: it closes, and opens again once the stream is back.
    await inFront(first);
    await first.getByRole('button', { name: 'Reconnect now' }).click();
    await expect.poll(() => status(first), { timeout: 40_000 }).toBe('connected');
    await openPanel(first);
    for (const page of [first, second]) {
      await expect.poll(() => status(page), { timeout: 40_000 }).toBe('connected');
      await expect.poll(() => item(page, 'Lin commented on your post').count(), soon).toBe(0);
      await expect.poll(() => item(page, 'Mo commented too').count(), soon).toBe(0);
      await expect
        .poll(() => item(page, 'commented on "Roadmap"').locator('.group-count').textContent(), soon)
        .toBe('+3 more');
      await expect.poll(() => tabCount(page, /^All/), soon).toBe(String(expected?.unread));
      await expect.poll(() => badge(page).count(), soon).toBe(0);
    }
    await expect.poll(() => panel(first).getByRole('alert').count(), soon).toBe(0);
  }, 90_000);

  it('closes on a click outside and with its close button; on a phone its header does not wrap', async () => {
    await inFront(first);
    await first.mouse.click(200, 600);
    await expect.poll(() => panel(first).count(), soon).toBe(0);
    await openPanel(first);
    await inFront(first);
    await panel(first).getByRole('button', { name: 'Close notifications' }).click();
    await expect.poll(() => panel(first).count(), soon).toBe(0);

    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 760 });
    await phone.goto(server.url);
    await expect.poll(() => status(phone), soon).toBe('connected');
    await openPanel(phone);
    await item(phone, 'commented on "Roadmap"').waitFor(soon);
    const box = await panel(phone).boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    // Each of these on one line: its text's boxes share one top.
    const lines = (locator: Locator) =>
      locator.evaluate((element) => {
        const range = document.createRange();
        range.selectNodeContents(element);
        return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
      });
    for (const [name, locator] of [
      ['unread count', phone.getByTestId('panel-unread')],
      ['Mark all as read', phone.getByRole('button', { name: 'Mark all as read' })],
      ['Archive read', phone.getByRole('button', { name: 'Archive read' })],
    ] as const) {
      expect({ name, lines: await lines(locator) }).toEqual({ name, lines: 1 });
    }
    await phone.screenshot({ path: path.join(outputDir, `inbox-phone-${server.config.provider}.png`) });
    await panel(phone).getByRole('button', { name: 'Close notifications' }).click();
    await expect.poll(() => panel(phone).count(), soon).toBe(0);
    await phone.close();
  });

  it('the send form clears every field after Send, and its kind and group key reach the notification', async () => {
    const form = first.locator('form.send-form');
    await form.getByLabel('Title').fill('From the form, grouped');
    await form.getByLabel(/^Message/).fill('With a body');
    await form.getByLabel(/^Link/).fill(`${server.url}/healthz`);
    await form.getByText('More options').click();
    await form.getByLabel(/^Kind/).fill('mention');
    await form.getByLabel(/^Group key/).fill('form:1');
    await form.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => form.getByRole('status').textContent(), soon).toMatch(/^Sent to you/);
    for (const label of ['Title', /^Message/, /^Link/, /^Kind/, /^Group key/]) {
      expect({ label: String(label), value: await form.getByLabel(label).inputValue() }).toEqual({
        label: String(label),
        value: '',
      });
    }
    const sent = await gql<{ notifications: { edges: { node: { kind: string; groupKey: string } }[] } }>(
      server,
      '{ notifications(first: 1) { edges { node { kind groupKey } } } }',
      {},
      cookie,
    );
    expect(sent.data?.notifications.edges[0]?.node).toEqual({ kind: 'mention', groupKey: 'form:1' });
  });

  it('signing out is not reported as a forced sign-out, in this tab or the other', async () => {
    await inFront(first);
    await first.getByRole('button', { name: 'Sign out' }).click();
    for (const page of [first, second]) {
      await page.getByRole('button', { name: 'Sign in' }).waitFor(soon);
      expect(await page.locator('.notice').count()).toBe(0);
    }
  });
});
