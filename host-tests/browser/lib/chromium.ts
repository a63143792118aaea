// Debian's Chromium driven by playwright-core (no downloaded browser): headless, no sandbox (the
// tests run as root in a container), and none of the background traffic that would leave
// loopback (component updates, sync, safe-browsing lists).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from '../../../scripts/stack/stack.mjs';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Screenshots are kept (gitignored) for a human to look at after the run. */
export const ARTIFACTS_DIR = path.join(repoRoot, 'test-artifacts/browser');

export async function artifactPath(name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}
