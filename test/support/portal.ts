import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, type RunningServer } from './server.js';

/** Browser tests of the portal: Debian's Chromium driven by playwright-core, against web/dist served by `plinth serve`. */

export const CHROMIUM = process.env.PLINTH_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WEB = path.join(REPO_ROOT, 'web');

export const hasChromium = existsSync(CHROMIUM);
/** Skipped (loudly) without Chromium, except in CI, where a missing browser fails the run. */
export const skipBrowserTests = !hasChromium && !process.env.CI;
if (skipBrowserTests) {
  console.warn(`\n!!! ${CHROMIUM} is missing: the portal end-to-end tests are SKIPPED.\n!!! Install Chromium (apt-get install chromium) or set PLINTH_CHROMIUM; in CI this fails the run.\n`);
}

function newestMtime(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    }),
  );
}

function isBuilt(): boolean {
  const index = path.join(WEB, 'dist', 'index.html');
  if (!existsSync(index)) return false;
  const sources = Math.max(newestMtime(path.join(WEB, 'src')), statSync(path.join(WEB, 'index.html')).mtimeMs, statSync(path.join(WEB, 'vite.config.ts')).mtimeMs);
  return sources <= statSync(index).mtimeMs;
}

/**
 * Builds web/dist when it is missing or older than the portal's sources, so a test never checks
 * a stale build. A lock directory keeps two test files from building at once.
 */
export async function ensurePortalBuilt(): Promise<void> {
  const lock = path.join(REPO_ROOT, 'node_modules', '.plinth-web-build.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (isBuilt()) return;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file builds (or a crashed build left its lock: it goes stale after 5 minutes).
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmdirSync(lock);
      if (Date.now() > deadline) throw new Error(`waited 5 minutes for the portal build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (isBuilt()) return;
    const result = spawnSync('npm', ['run', 'build:web'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
    if (result.status !== 0) throw new Error(`npm run build:web failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  } finally {
    rmdirSync(lock);
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Collects uncaught page errors and console errors, except the browser's "Failed to load resource" lines for expected 4xx answers. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** A new browser context and page, signed in with the server's admin token, on the catalog. */
export async function openSignedInPage(browser: Browser, server: RunningServer): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = watchErrors(page);
  await page.goto(`${server.url}/login`);
  await page.getByLabel('API token').fill(server.adminToken);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL(/\/catalog$/);
  return { context, page, errors };
}

/** After a failed test: a full-page screenshot and the server's last output, to see what went wrong. */
export async function reportFailure(name: string, page: Page | undefined, server: RunningServer): Promise<void> {
  if (!page || page.isClosed()) return;
  const file = path.join(tmpdir(), `plinth-${name}-failure-${Date.now()}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => {});
  console.error(`${name} failed on ${page.url()}; screenshot: ${file}\nserver output:\n${server.output().slice(-4000)}`);
}
