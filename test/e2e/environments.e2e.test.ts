import http from 'node:http';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPlinthServer, type RunningServer } from '../support/server.js';
import { ensurePortalBuilt, launchChromium, skipBrowserTests, watchErrors } from '../support/portal.js';
import { NOTES_SERVICE, plainScore } from '../support/environments.js';
import { allocatePort } from '../../src/runtimes/local/ports.js';

/**
 * The environment pages end to end: a real `plinth serve` running the notes service fixture
 * on its local runtime, driven by Chromium: create an environment, deploy, watch it become
 * healthy, read its logs, roll back. Screenshots go to PLINTH_E2E_SCREENSHOTS, else /tmp.
 */
const screenshotDir = process.env.PLINTH_E2E_SCREENSHOTS ?? path.join(tmpdir(), 'plinth-environments-e2e');

describe.skipIf(skipBrowserTests)('environments in the portal', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[] = [];
  let proxyPort: number;
  const releases: Record<string, string> = {};

  const api = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.url}/api${url}`, { method, headers: { authorization: `Bearer ${server.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return (await response.json()) as T;
  };

  const viaProxy = (host: string): Promise<string> =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: proxyPort, path: '/', headers: { host } }, (response) => {
          let text = '';
          response.on('data', (d) => (text += d));
          response.on('end', () => resolve(text));
        })
        .on('error', reject);
    });

  beforeAll(async () => {
    proxyPort = await allocatePort();
    [server, browser] = await Promise.all([ensurePortalBuilt().then(() => startPlinthServer({ env: { PLINTH_PROXY_PORT: String(proxyPort) } })), launchChromium()]);
    for (const name of ['one', 'two']) {
      releases[name] = (await api<{ id: string }>('POST', '/releases', { component: 'notes', commitSha: name === 'one' ? 'aaaaaaa1' : 'bbbbbbb2', artifact: NOTES_SERVICE, score: plainScore({ RELEASE: name }) })).id;
    }
  }, 300_000);

  afterAll(async () => {
    for (const name of ['e2e-preview', 'e2e-staging', 'e2e-production']) await api('DELETE', `/environments/${name}?confirm=${name}`).catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail' && page && !page.isClosed()) {
      const file = path.join(tmpdir(), `plinth-environments-e2e-failure-${Date.now()}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.error(`environments e2e failed on ${page.url()}; screenshot: ${file}\nserver output:\n${server.output().slice(-4000)}`);
    }
    await context?.close();
  });

  async function snap(name: string): Promise<void> {
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
  }

  const workloadRow = () => page.getByRole('table', { name: 'Workloads' }).locator('tr[data-workload="notes"]');

  async function deploy(release: string): Promise<void> {
    await page.getByRole('combobox', { name: 'Release' }).selectOption(release);
    await page.getByRole('button', { name: 'Deploy…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  it('creates an environment, deploys, becomes healthy, shows logs, and rolls back', async () => {
    context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    errors = watchErrors(page);
    await page.goto(`${server.url}/login`);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(/\/catalog$/);

    await page.goto(`${server.url}/environments`);
    await page.getByRole('heading', { level: 1, name: 'Environments' }).waitFor();
    await page.getByText('Nothing deployed yet').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('e2e-preview');
    await page.getByLabel('Type').selectOption('preview');
    await page.getByRole('button', { name: 'Create environment' }).click();
    await page.waitForURL(/\/environments\/e2e-preview$/);
    await page.getByText('Nothing runs here yet').waitFor();

    await deploy(releases.one!);
    await workloadRow().locator('[data-health="running"]').waitFor();
    await expect(workloadRow().locator('code').textContent()).resolves.toBe(releases.one);
    expect(JSON.parse(await viaProxy('notes.e2e-preview.localhost')).release).toBe('one');
    await snap('environment-healthy');

    await deploy(releases.two!);
    await page.waitForFunction((release) => document.querySelector('tr[data-workload="notes"] code')?.textContent === release, releases.two);
    await workloadRow().locator('[data-health="running"]').waitFor();
    expect(JSON.parse(await viaProxy('notes.e2e-preview.localhost')).release).toBe('two');

    await workloadRow().getByRole('button', { name: 'Logs' }).click();
    await expect.poll(() => page.getByTestId('logs').textContent(), { timeout: 10_000 }).toContain('notes listening on');

    const history = page.getByTestId('history');
    await history.locator('tr').nth(1).getByRole('button', { name: 'Diff' }).click();
    await expect(page.getByTestId('diff').textContent()).resolves.toContain('main.RELEASE: one → two');

    await workloadRow().getByRole('button', { name: 'Roll back…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back', exact: true }).click();
    await page.waitForFunction((release) => document.querySelector('tr[data-workload="notes"] code')?.textContent === release, releases.one);
    await history.locator('tr').nth(1).locator('[data-status="succeeded"]').waitFor();
    await expect(history.locator('tr').nth(1).textContent()).resolves.toContain('rollback');
    expect(JSON.parse(await viaProxy('notes.e2e-preview.localhost')).release).toBe('one');
    await snap('environment-rolled-back');

    await page.getByRole('link', { name: 'Environments', exact: true }).first().click();
    await page.getByTestId('deployment-matrix').locator('[data-cell="e2e-preview/notes"] [data-health="running"]').waitFor();
    await snap('environments-matrix');
    expect(errors).toEqual([]);
  });

  it('approves a production deployment another person asked for', async () => {
    // Someone else (a second admin token) promotes to production through the API.
    const { token } = await api<{ token: string }>('POST', '/tokens', { name: 'release-manager', role: 'admin' });
    await api('POST', '/environments', { name: 'e2e-staging', type: 'staging' });
    await api('POST', '/environments', { name: 'e2e-production', type: 'production' });
    const asOther = async (url: string, body: unknown) =>
      (await (await fetch(`${server.url}/api${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { id: string; status: string };
    const staged = await asOther('/deployments/promote', { component: 'notes', from: 'e2e-preview', to: 'e2e-staging' });
    await expect.poll(async () => (await api<{ status: string }>('GET', `/deployments/${staged.id}`)).status, { timeout: 30_000 }).toBe('succeeded');
    const waiting = await asOther('/deployments/promote', { component: 'notes', from: 'e2e-staging', to: 'e2e-production' });
    expect(waiting.status).toBe('awaiting-approval');

    context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    errors = watchErrors(page);
    await page.goto(`${server.url}/login`);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(/\/catalog$/);
    await page.goto(`${server.url}/environments`);
    const approvals = page.getByRole('region', { name: 'Waiting for approval' });
    await approvals.getByText('e2e-production').waitFor();
    await approvals.getByRole('button', { name: 'Approve…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Approve and deploy' }).click();
    await page.getByTestId('deployment-matrix').locator('[data-cell="e2e-production/notes"] [data-health="running"]').waitFor({ timeout: 30_000 });
    expect(JSON.parse(await viaProxy('notes.e2e-production.localhost')).release).toBe('one');
    await snap('environments-approved');
    expect(errors).toEqual([]);
  });
});
