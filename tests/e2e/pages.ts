import type { Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.ts';

/** Generous: the machine is shared and noisy. The product's own latency is measured by `npm run bench`. */
export const soon = { timeout: 10_000 };

/** The bell's badge: how many notifications are unseen. */
export const badge = (page: Page) => page.getByTestId('unseen-badge');
export const status = (page: Page) => page.locator('.connection').getAttribute('data-status');
/** A notification's row in the panel, by its title. */
export const item = (page: Page, title: string) => page.locator('.notification', { hasText: title });
export const panel = (page: Page) => page.getByRole('region', { name: 'Notifications' });

/** Signs up through the app's own form, as a new user would. */
export async function signUpThroughTheForm(page: Page, email: string) {
  await page.getByRole('button', { name: 'No account yet? Sign up' }).click();
  await page.getByLabel('Name').fill('Ada');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: /^Notifications/ }).waitFor();
}

/**
 * Brings a tab to the front before using it, as a user would: Chromium throttles animation frames
 * in background tabs, and playwright waits two frames before each click.
 */
export const inFront = (page: Page) => page.bringToFront();

export async function openPanel(page: Page) {
  await inFront(page);
  const bell = page.getByRole('button', { name: /^Notifications/ });
  if ((await bell.getAttribute('aria-expanded')) !== 'true') await bell.click();
  await panel(page).waitFor();
}

/** Opens a row's ⋯ menu and picks one of its entries. */
export async function fromMenu(page: Page, title: string, entry: string) {
  await inFront(page);
  const row = item(page, title);
  await row.getByRole('button', { name: `More for ${title}` }).click();
  await row.getByRole('button', { name: entry, exact: true }).click();
}

/** The session cookie of a user who signed up through the browser, for API calls in the test. */
export async function signIn(server: TestServer, email: string): Promise<Record<string, string>> {
  const response = await fetch(`${server.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ email, password: 'correct horse battery' }),
  });
  return {
    cookie: response.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; '),
  };
}
