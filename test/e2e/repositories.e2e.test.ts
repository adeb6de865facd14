import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, startPlinthServer, type RunningServer } from '../support/server.js';
import { ensurePortalBuilt, launchChromium, openSignedInPage, reportFailure, skipBrowserTests } from '../support/portal.js';
import { gitAsAlice as git } from '../support/git.js';

/**
 * The repository pages end to end: a real `plinth serve`, repositories filled by real `git push`es,
 * browsed in Chromium. Screenshots go to PLINTH_E2E_SCREENSHOTS, else /tmp/plinth-repositories-e2e.
 */

const screenshotDir = process.env.PLINTH_E2E_SCREENSHOTS ?? path.join(tmpdir(), 'plinth-repositories-e2e');

const README = `# Storefront

The **web shop**. See [the docs](docs/setup.md).

<script>window.__readmeScript = true</script>

<img src="x" onerror="window.__readmeOnerror = true">

[click me](javascript:window.__readmeLink=true)
`;

/** Waits up to 15 s (not expect.poll's 1 s): the server, git and Chromium share two busy cores. */
const eventually = <T,>(read: () => Promise<T> | T, options: { timeout: number } = { timeout: 15_000 }) => expect.poll(read, options);

describe.skipIf(skipBrowserTests)('portal: hosted repositories', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let work: string;

  const api = adminApi(() => server);

  beforeAll(async () => {
    [server, browser] = await Promise.all([ensurePortalBuilt().then(() => startPlinthServer()), launchChromium()]);
    work = mkdtempSync(path.join(tmpdir(), 'plinth-repositories-e2e-'));
    const created = await api<{ cloneUrl: string }>('POST', '/repositories', { name: 'storefront', description: 'The web shop' });
    expect(created.status).toBe(201);
    await api('POST', '/repositories', { name: 'empty-one', description: 'Nothing pushed yet' });
    const clone = path.join(work, 'storefront');
    await git(work, 'clone', '-q', created.body.cloneUrl.replace('http://', `http://x:${server.adminToken}@`), clone);
    writeFileSync(path.join(clone, 'README.md'), README);
    mkdirSync(path.join(clone, 'src', 'app'), { recursive: true });
    writeFileSync(path.join(clone, 'src', 'app', 'main.ts'), 'export function main() {\n  return "hello";\n}\n');
    await git(clone, 'add', '.');
    await git(clone, 'commit', '-q', '-m', 'Add the shop skeleton');
    await git(clone, 'push', '-q', 'origin', 'HEAD:main');
    await git(clone, 'checkout', '-q', '-b', 'feature/checkout');
    writeFileSync(path.join(clone, 'src', 'app', 'checkout.ts'), 'export const checkout = true;\n');
    writeFileSync(path.join(clone, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
    writeFileSync(path.join(clone, 'big.log'), 'line\n'.repeat(300_000));
    await git(clone, 'add', '.');
    await git(clone, 'commit', '-q', '-m', 'Start the checkout');
    await git(clone, 'push', '-q', 'origin', 'HEAD:feature/checkout');
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail') await reportFailure('repositories-e2e', page, server);
    await context?.close();
  });

  async function openPage(): Promise<Page> {
    ({ context, page, errors } = await openSignedInPage(browser, server));
    return page;
  }

  const snap = async (name: string) => {
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
  };

  it('lists repositories, opens one with its README rendered safely, and browses to a nested file and back', async () => {
    await openPage();
    await page.getByRole('link', { name: 'Repositories' }).click();
    await page.waitForURL(/\/repositories$/);
    await eventually(() => page.getByRole('link', { name: 'default/storefront' }).count()).toBe(1);
    await eventually(() => page.getByRole('link', { name: 'default/empty-one' }).count()).toBe(1);
    await page.getByLabel('Search repositories').fill('web shop');
    await eventually(() => page.getByRole('link', { name: 'default/empty-one' }).count()).toBe(0);
    await snap('repository-list');
    await page.getByRole('link', { name: 'default/storefront' }).click();
    await page.waitForURL(/\/repositories\/default\/storefront$/);

    const readme = page.locator('.readme .markdown');
    await eventually(() => readme.locator('h1').textContent()).toBe('Storefront');
    expect(await readme.locator('strong').textContent()).toBe('web shop');
    // Raw HTML is shown as text, and the javascript: link is neutralised: nothing ran.
    expect(await readme.textContent()).toContain('<script>window.__readmeScript = true</script>');
    expect(await readme.locator('script, img[onerror]').count()).toBe(0);
    expect(await readme.getByRole('link', { name: 'click me' }).getAttribute('href')).toBe('#');
    await readme.getByRole('link', { name: 'click me' }).click();
    expect(await page.evaluate(() => [(window as any).__readmeScript, (window as any).__readmeOnerror, (window as any).__readmeLink])).toEqual([undefined, undefined, undefined]);
    await snap('repository-home');

    expect(await page.locator('.latest-commit').textContent()).toContain('Add the shop skeleton');
    const files = page.getByRole('table', { name: 'Files in the repository root' });
    expect(await files.locator('tbody tr td:first-child a').allTextContents()).toEqual(['src/', 'README.md']);
    expect(await files.locator('tbody tr', { hasText: 'README.md' }).textContent()).toContain('Add the shop skeleton');
    await files.getByRole('link', { name: 'src/' }).click();
    await page.getByRole('table', { name: 'Files in src' }).getByRole('link', { name: 'app/' }).click();
    await page.getByRole('table', { name: 'Files in src/app' }).getByRole('link', { name: 'main.ts' }).click();
    await page.waitForURL(/\/repositories\/default\/storefront\/blob\/main\/src\/app\/main\.ts$/);
    const code = page.getByRole('region', { name: 'Contents of src/app/main.ts' });
    await eventually(() => code.locator('.code-view__line').allTextContents()).toEqual(['export function main() {', '  return "hello";', '}']);
    expect(await code.locator('.code-view__number').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-line')))).toEqual(['1', '2', '3']);
    expect(await page.locator('.file-view').textContent()).toContain('3 lines');
    await snap('repository-file');

    // Breadcrumbs go back up; the path keeps the branch it was browsed at.
    await page.getByRole('navigation', { name: 'Path' }).getByRole('link', { name: 'src' }).click();
    await page.waitForURL(/\/tree\/main\/src$/);
    await page.getByRole('navigation', { name: 'Path' }).getByRole('link', { name: 'storefront' }).click();
    await page.waitForURL(/\/repositories\/default\/storefront(\/tree\/main)?$/);
    expect(errors).toEqual([]);
  });

  it('switches branches and lists commits', async () => {
    await openPage();
    await page.goto(`${server.url}/repositories/default/storefront/tree/main/src/app`);
    await page.getByRole('table', { name: 'Files in src/app' }).waitFor();
    await page.getByLabel('Branch').selectOption('feature/checkout');
    await page.waitForURL(/\/tree\/feature%2Fcheckout\/src\/app$/);
    await eventually(() => page.getByRole('table', { name: 'Files in src/app' }).locator('tbody a').allTextContents()).toEqual(['checkout.ts', 'main.ts']);

    // A binary file and a large one say what they are instead of showing everything.
    await page.goto(`${server.url}/repositories/default/storefront/blob/feature%2Fcheckout/logo.png`);
    await page.getByText('Binary file').waitFor();
    await page.goto(`${server.url}/repositories/default/storefront/blob/feature%2Fcheckout/big.log`);
    await eventually(() => page.getByRole('status').filter({ hasText: 'This file is large' }).textContent()).toContain('only the first 5,000 lines are shown');
    expect(await page.getByRole('region', { name: 'Contents of big.log' }).locator('tr').count()).toBe(5000);
    await page.getByRole('link', { name: 'Commits' }).click();
    const commits = page.getByRole('list', { name: 'Commits on feature/checkout' });
    await eventually(() => commits.locator('.commit-list__subject').allTextContents()).toEqual(['Start the checkout', 'Add the shop skeleton']);
    expect(errors).toEqual([]);
  });

  it('shows push instructions for an empty repository, and creates a repository from the dialog', async () => {
    await openPage();
    await page.goto(`${server.url}/repositories/default/empty-one`);
    await page.getByText('This repository is empty').waitFor();
    expect(await page.locator('.empty-state pre').first().textContent()).toContain(`git clone ${server.url}/git/default/empty-one.git`);
    await snap('repository-empty');

    await page.goto(`${server.url}/repositories`);
    await page.getByRole('button', { name: 'New repository' }).click();
    const dialog = page.getByRole('dialog', { name: 'New repository' });
    await dialog.getByLabel('Name', { exact: true }).fill('Bad Name');
    await dialog.getByRole('button', { name: 'Create repository' }).click();
    expect(await dialog.locator('.field__error').first().textContent()).toContain('Lower-case letters');
    await dialog.getByLabel('Name', { exact: true }).fill('storefront');
    await dialog.getByRole('button', { name: 'Create repository' }).click();
    await eventually(() => dialog.locator('.field__error').first().textContent()).toContain('exists already');
    await dialog.getByLabel('Name', { exact: true }).fill('payments');
    await dialog.getByLabel('Description (optional)').fill('Money in, money out');
    await dialog.getByRole('button', { name: 'Create repository' }).click();
    await page.waitForURL(/\/repositories\/default\/payments$/);
    await page.getByText('This repository is empty').waitFor();
    expect((await api<{ description: string }>('GET', '/repositories/default/payments')).body.description).toBe('Money in, money out');
    expect(errors).toEqual([]);
  });
});
