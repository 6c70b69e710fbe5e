import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); playwright cannot download its own here. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Why browser tests cannot run, or null when they can. Under CI=true a missing browser is a
 * failure, not a skip: the caller throws this reason.
 */
export function browserUnavailable(): string | null {
  if (existsSync(chromiumPath)) return null;
  return `no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
}

/** Headless Chromium with the flags that work as root on these machines (playwright gives it a fresh profile). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where tests save screenshots for people to review. */
export const outputDir = path.join(import.meta.dirname, '..', 'output');
