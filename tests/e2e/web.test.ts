import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebClient } from '../../web/build.ts';
import { browserUnavailable, launchBrowser, outputDir } from '../helpers/browser.ts';
import { gql, notify } from '../helpers/graphql.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { badge, fromMenu, inFront, item, openPanel, signIn, signUpThroughTheForm, soon, status } from './pages.ts';

const unavailable = browserUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`CI=true and ${unavailable}`);
if (unavailable) process.stderr.write(`\n⚠ Skipping the web client browser tests: ${unavailable}\n`);

const root = path.join(import.meta.dirname, '..', '..');
const bin = path.join(root, 'server', 'bin', 'tidings.js');
const execute = promisify(execFile);

describe.skipIf(unavailable !== null)('the web client in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let first: Page;
  let second: Page;
  let cookie: Record<string, string>;
  let webDir: string;
  const email = `ada-${Date.now()}@example.com`;

  beforeAll(async () => {
    // Its own build: the SQLite and PostgreSQL runs of this file may build at the same time.
    webDir = mkdtempSync(path.join(tmpdir(), 'tidings-web-'));
    await buildWebClient(() => {}, webDir);
    // A short heartbeat, so the client's watchdog is exercised with the server's own value.
    server = await startServer({ webDir, heartbeatMs: 2_000 });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.dispose();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  it('a new user signs up, sends a notification from the form, and sees it in two tabs at once', async () => {
    first = await context.newPage();
    await first.goto(server.url);
    await signUpThroughTheForm(first, email);
    await expect.poll(() => status(first), soon).toBe('connected');
    expect(await first.locator('.connection-label').textContent()).toBe('Connected');

    second = await context.newPage();
    await second.goto(server.url);
    await expect.poll(() => status(second), soon).toBe('connected');
    // One stream for the whole browser: the second tab follows the first.
    await expect.poll(() => server.app.streams.stats().totalConnections, soon).toBe(1);

    await openPanel(first);
    await openPanel(second);
    await expect(first.getByText('You are all caught up.').isVisible()).resolves.toBe(true);

    // A click in the form is a click outside the panel: it closes.
    await inFront(first);
    await first.getByLabel('Title').click();
    await first.getByLabel('Title').fill('Hello from the form');
    await expect.poll(() => first.getByRole('region', { name: 'Notifications' }).count(), soon).toBe(0);
    await inFront(first);
    await first.getByRole('button', { name: 'Send' }).click();
    await item(second, 'Hello from the form').waitFor(soon);
    await expect.poll(() => badge(first).textContent(), soon).toBe('1');
    await expect.poll(() => badge(second).textContent(), soon).toBe('1');
    // Opening the bell sees it, in every tab; it stays unread.
    await openPanel(first);
    await item(first, 'Hello from the form').waitFor(soon);
    for (const page of [first, second]) await expect.poll(() => badge(page).count(), soon).toBe(0);
    expect(await item(second, 'Hello from the form').getAttribute('class')).toBe('notification unread');
  });

  it('follows events from the API in both tabs: create, mark read, mark all read, delete (the badge counts the unseen)', async () => {
    cookie = await signIn(server, email);

    await notify(server, cookie, { title: 'Build 42 passed', body: 'All 162 tests green.' });
    await notify(server, cookie, { title: 'Deploy finished' });
    for (const page of [first, second]) {
      await item(page, 'Deploy finished').waitFor(soon);
      await expect.poll(() => page.getByTestId('panel-unread').textContent(), soon).toBe('3 unread');
      await expect.poll(() => badge(page).textContent(), soon).toBe('2');
    }
    // Newest first.
    const titles = await second.locator('.notification-title').allTextContents();
    expect(titles).toEqual(['Deploy finished', 'Build 42 passed', 'Hello from the form']);

    await inFront(first);
    await item(first, 'Build 42 passed').getByRole('button', { name: 'Unread: Build 42 passed' }).click();
    await expect.poll(() => item(second, 'Build 42 passed').getAttribute('class'), soon).toBe('notification');
    // Reading one also sees it.
    await expect.poll(() => badge(second).textContent(), soon).toBe('1');
    mkdirSync(outputDir, { recursive: true });
    await first.screenshot({
      path: path.join(outputDir, `web-panel-${server.config.provider}.png`),
      clip: { x: 0, y: 0, width: 1280, height: 500 },
    });

    await inFront(second);
    await second.getByRole('button', { name: 'Mark all as read' }).click();
    for (const page of [first, second]) {
      await expect.poll(() => badge(page).count(), soon).toBe(0);
      await expect.poll(() => page.locator('.notification.unread').count(), soon).toBe(0);
    }

    await fromMenu(second, 'Deploy finished', 'Delete');
    await expect.poll(() => item(first, 'Deploy finished').count(), soon).toBe(0);
    const unread = await gql<{ unreadNotificationCount: number }>(server, '{ unreadNotificationCount }', {}, cookie);
    expect(unread.data?.unreadNotificationCount).toBe(0);
  });

  it('when the streaming tab closes, the other takes over the stream', async () => {
    const before = server.app.streams.stats().totalConnections;
    expect(before).toBe(1);
    await first.close();
    await expect.poll(() => status(second), soon).toBe('connected');
    await notify(server, cookie, { title: 'After the handover' });
    await item(second, 'After the handover').waitFor(soon);
    await expect.poll(() => server.app.streams.stats().totalConnections, soon).toBe(1);
    first = await context.newPage();
    await first.goto(server.url);
    await openPanel(first);
    await item(first, 'After the handover').waitFor(soon);
  });

  it('survives a server restart: leaves "connected", then resumes and shows what it missed, without a reload', async () => {
    await server.stop();
    await expect.poll(() => status(second), soon).not.toBe('connected');
    await expect
      .poll(() => second.locator('.connection-label').textContent(), soon)
      .toMatch(/Reconnecting in \d+ s|Connecting/);

    // Sent while no server runs: `tidings notify` writes straight to the database.
    const { stdout } = await execute(
      process.execPath,
      [bin, 'notify', '--to', email, '--title', 'Sent while you were away'],
      {
        env: {
          ...process.env,
          DATABASE_URL: server.config.databaseUrl,
          TIDINGS_URL: server.url,
          TIDINGS_DATA_DIR: server.config.dataDir,
          BETTER_AUTH_SECRET: server.config.authSecret,
          LOG_LEVEL: 'warn',
        },
      },
    );
    expect(stdout).toMatch(/no server answered/);

    await server.start();
    for (const page of [first, second]) {
      await expect.poll(() => status(page), { timeout: 40_000 }).toBe('connected');
      await item(page, 'Sent while you were away').waitFor(soon);
      // "After the handover" and the one sent while the server was down are unread; the first
      // was seen when the new tab opened its panel.
      await expect.poll(() => page.getByTestId('panel-unread').textContent(), soon).toBe('2 unread');
      await expect.poll(() => badge(page).textContent(), soon).toBe('1');
    }
  }, 90_000);

  it('fits a phone screen (screenshot for review)', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 760 });
    await phone.goto(server.url);
    await openPanel(phone);
    await item(phone, 'Sent while you were away').waitFor(soon);
    const panel = await phone.getByRole('region', { name: 'Notifications' }).boundingBox();
    expect(panel && panel.x >= 0 && panel.x + panel.width <= 390).toBe(true);
    await phone.screenshot({ path: path.join(outputDir, `web-phone-${server.config.provider}.png`) });
    await phone.close();
  });

  it('is keyboard accessible and announces new notifications', async () => {
    await second.keyboard.press('Escape');
    await second.getByRole('button', { name: /^Notifications/ }).focus();
    await second.keyboard.press('Enter');
    await second.getByRole('region', { name: 'Notifications' }).waitFor();
    await notify(server, cookie, { title: 'Read aloud' });
    await expect
      .poll(() => second.locator('[aria-live="polite"]').textContent(), soon)
      .toBe('New notification: Read aloud');
  });

  it('shows a desktop notification, once opted in, while the tab is hidden', async () => {
    await context.grantPermissions(['notifications'], { origin: server.url });
    await second.evaluate(() => {
      const shown: string[] = [];
      (window as unknown as { shown: string[] }).shown = shown;
      class Recording extends window.Notification {
        constructor(title: string, options?: NotificationOptions) {
          shown.push(title);
          super(title, options);
        }
      }
      Object.defineProperty(window, 'Notification', { configurable: true, value: Recording });
    });
    await second.keyboard.press('Escape'); // the panel covers the settings
    await inFront(second);
    await second.getByRole('button', { name: 'Settings', exact: true }).click();
    await second.getByLabel(/Desktop notifications/).check();
    await openPanel(second);
    await notify(server, cookie, { title: 'Seen in the tab' });
    await item(second, 'Seen in the tab').waitFor(soon);
    await second.evaluate(() => Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }));
    await notify(server, cookie, { title: 'While you look elsewhere' });
    const shown = () => second.evaluate(() => (window as unknown as { shown: string[] }).shown);
    await expect.poll(shown, soon).toEqual(['While you look elsewhere']);
  });

  it("scrolls through more than a page, and opens a notification's link", async () => {
    for (let n = 1; n <= 24; n += 1) await notify(server, cookie, { title: `Bulk ${n}` });
    await notify(server, cookie, { title: 'With a link', url: `${server.url}/healthz` });
    const total = await gql<{ notifications: { edges: unknown[] } }>(
      server,
      '{ notifications(first: 100) { edges { cursor } } }',
      {},
      cookie,
    );
    const expected = total.data?.notifications.edges.length ?? 0;
    expect(expected).toBeGreaterThan(25);

    await item(second, 'With a link').waitFor(soon);
    const list = second.locator('.notification-list');
    await expect
      .poll(async () => {
        await list.evaluate((element) => element.scrollTo(0, element.scrollHeight));
        return second.locator('.notification').count();
      }, soon)
      .toBe(expected);

    await list.evaluate((element) => element.scrollTo(0, 0));
    const [opened] = await Promise.all([
      context.waitForEvent('page'),
      second.getByRole('button', { name: 'Unread: With a link' }).click(),
    ]);
    await opened.waitForLoadState();
    expect(opened.url()).toBe(`${server.url}/healthz`);
    await opened.close();
    await expect.poll(() => item(first, 'With a link').getAttribute('class'), soon).toBe('notification');
  });

  it('signing out in one tab sends every tab to sign-in', async () => {
    await inFront(first);
    await first.getByRole('button', { name: 'Sign out' }).click();
    for (const page of [first, second]) {
      await page.getByRole('button', { name: 'Sign in' }).waitFor(soon);
      // Signed out by the user, in this tab or another: not told so as if it had been forced.
      expect(await page.locator('.notice').count()).toBe(0);
    }
    await expect.poll(() => server.app.streams.stats().totalConnections, soon).toBe(0);
  });
});
