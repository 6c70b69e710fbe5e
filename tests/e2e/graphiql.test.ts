import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, signUp } from '../helpers/auth.ts';
import { browserUnavailable, launchBrowser, outputDir } from '../helpers/browser.ts';
import { notify } from '../helpers/graphql.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const unavailable = browserUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`CI=true and ${unavailable}`);
if (unavailable) process.stderr.write(`\n⚠ Skipping the GraphiQL browser test: ${unavailable}\n`);

describe.skipIf(unavailable !== null)('GraphiQL in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('runs the notificationEvents subscription with an x-api-key header and shows a new notification', {
    timeout: 45_000,
  }, async () => {
    const owner = await signUp(server);
    const key = await createApiKey(server, owner);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.url}/graphql`);
    await page.locator('.graphiql-execute-button').waitFor();

    await page.getByText('Headers', { exact: true }).click();
    await page.locator('.graphiql-editor-tool .monaco-editor').last().click();
    await page.keyboard.insertText(JSON.stringify(key));
    await page.locator('.graphiql-execute-button').click();
    await page.getByText('Live', { exact: true }).last().click(); // the default document has two operations
    await expect.poll(() => server.app.streams.stats().totalConnections, { timeout: 10_000 }).toBe(1);

    await notify(server, key, { title: 'Hello from the test' });
    const response = page.locator('.graphiql-response');
    await response.getByText('Hello from the test').waitFor({ timeout: 10_000 });
    expect(await response.textContent()).toContain('NotificationCreated');
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: path.join(outputDir, `graphiql-subscription-${server.config.provider}.png`) });
    await page.close();
  });
});
