import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlinthServer, type RunningServer } from '../support/server.js';
import { pushFiles } from '../support/pipelines.js';
import { ensurePortalBuilt, launchChromium, openSignedInPage, skipBrowserTests, watchErrors } from '../support/portal.js';

/**
 * The pipelines pages end to end: a real `plinth serve` with a hosted repository holding a
 * workflow with dispatch inputs; Chromium fills the dispatch form and watches the log stream in,
 * then watches the repository's runs on its component's catalog page.
 * Screenshots go to PLINTH_E2E_SCREENSHOTS, else /tmp/plinth-pipelines-e2e.
 */

const screenshotDir = process.env.PLINTH_E2E_SCREENSHOTS ?? path.join(tmpdir(), 'plinth-pipelines-e2e');

const WORKFLOW = `name: Release
on:
  workflow_dispatch:
    inputs:
      version:
        description: Version to release
        required: true
      channel:
        type: choice
        options: [beta, stable]
        default: beta
      dry-run:
        type: boolean
        default: true
jobs:
  build:
    runs-on: linux
    steps:
      - name: Compile
        run: |
          echo "::group::Compiler output"
          echo "compiling version \${{ inputs.version }}"
          echo "::endgroup::"
          printf '\\033[32mgreen light\\033[0m\\n'
  publish:
    needs: build
    runs-on: linux
    steps:
      - name: Publish
        run: |
          for i in 1 2 3 4 5 6; do echo "publishing step $i to \${{ inputs.channel }} (dry run \${{ inputs.dry-run }})"; sleep 0.4; done
          echo "::warning file=src/release.ts,line=7::release notes are short"
          echo "### Released \${{ inputs.version }}" >> "$GITHUB_STEP_SUMMARY"
`;

describe.skipIf(skipBrowserTests)('pipelines portal', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [server, browser] = await Promise.all([ensurePortalBuilt().then(() => startPlinthServer()), launchChromium()]);
    const created = await fetch(`${server.url}/api/repositories`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'shop' }) });
    expect(created.status).toBe(201);
    await pushFiles(`${server.url}/git/default/shop.git`, server.adminToken, { '.github/workflows/release.yml': WORKFLOW, 'src/release.ts': 'export {};\n' });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('dispatches a workflow from the form its inputs generate, and streams its logs live', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const errors = watchErrors(page);
    await page.goto(`${server.url}/login?next=/pipelines`);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(/\/pipelines$/);
    await page.getByText('No runs yet').waitFor();

    await page.getByRole('link', { name: 'Run workflow' }).click();
    await page.getByLabel('Repository').selectOption('default/shop');
    // The form comes from workflow_dispatch.inputs: text, a choice, a boolean.
    await page.getByLabel('version (required)').waitFor();
    expect(await page.getByLabel('channel').locator('option').allTextContents()).toEqual(['beta', 'stable']);
    expect(await page.getByLabel('dry-run').isChecked()).toBe(true);
    await page.getByLabel('version (required)').fill('2.5.0');
    await page.getByLabel('channel').selectOption('stable');
    await page.getByLabel('dry-run').uncheck();
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, 'dispatch-form.png'), fullPage: true });
    await page.getByRole('button', { name: 'Run workflow' }).click();
    await page.waitForURL(/\/pipelines\/runs\/\d+$/);

    // The job graph shows both jobs and the edge between them.
    await page.locator('[data-job-key="build"]').waitFor();
    await page.locator('[data-job-key="publish"]').waitFor();
    expect(await page.locator('.job-graph__edge').count()).toBe(1);

    // Live: publish's lines arrive while it runs (before the run has completed).
    await page.locator('.run-job', { hasText: 'publish' }).click();
    await page.locator('.log__line', { hasText: 'publishing step 2 to stable (dry run false)' }).waitFor();
    expect(await page.locator('.page__header .run-status').getAttribute('data-status')).toBe('in_progress');
    await page.screenshot({ path: path.join(screenshotDir, 'run-live.png'), fullPage: true });
    await page.locator('.log__line', { hasText: 'publishing step 6' }).waitFor();
    await page.locator('.page__header .run-status[data-status="success"]').waitFor();

    // Annotations link to the file browser at the run's commit; the step summary is rendered.
    const annotation = page.locator('.annotation a', { hasText: 'src/release.ts:7' });
    expect(await annotation.getAttribute('href')).toMatch(/^\/repositories\/default\/shop\/blob\/[0-9a-f]{40}\/src\/release\.ts#L7$/);
    await page.getByRole('heading', { name: 'Released 2.5.0' }).waitFor();

    // The build job: its group is collapsible, ANSI colours become classes, search filters lines.
    await page.locator('.run-job', { hasText: 'build' }).click();
    const group = page.locator('.log__group', { hasText: 'Compiler output' });
    await group.waitFor();
    expect(await group.evaluate((el) => (el as HTMLDetailsElement).open)).toBe(false);
    await group.locator('summary').click();
    await page.locator('.log__line', { hasText: 'compiling version 2.5.0' }).waitFor();
    expect(await page.locator('.log__line .ansi-fg-2', { hasText: 'green light' }).count()).toBe(1);
    await page.getByLabel('Search the log').fill('green');
    expect(await page.locator('.log__line:visible').count()).toBe(1);
    await page.screenshot({ path: path.join(screenshotDir, 'run-done.png'), fullPage: true });

    // The list shows the run.
    await page.getByRole('link', { name: 'Pipelines' }).first().click();
    await page.locator('.runs-table tbody tr', { hasText: 'Release #1' }).locator('[data-status="success"]').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("shows the latest run of each workflow on its component's catalog page, live, linking to the run", async () => {
    const api = (method: string, target: string, body: unknown) =>
      fetch(`${server.url}/api${target}`, { method, headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // The component's descriptor is in the hosted repository, registered by its URL: what catalog:register does after publish:plinth.
    // Its second component names a repository without runs by the plinth.dev/repository annotation.
    expect((await api('POST', '/repositories', { name: 'shop-docs' })).status).toBe(201);
    await pushFiles(`${server.url}/git/default/shop.git`, server.adminToken, {
      'catalog-info.yaml': `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: shop
spec:
  type: service
  lifecycle: production
  owner: team-shop
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: shop-docs
  annotations:
    plinth.dev/repository: default/shop-docs
spec:
  type: documentation
  lifecycle: production
  owner: team-shop
`,
    });
    expect((await api('POST', '/catalog/locations', { type: 'url', target: `${server.url}/git/default/shop.git/blob/main/catalog-info.yaml` })).status).toBe(201);

    const { context, page, errors } = await openSignedInPage(browser, server);
    await page.goto(`${server.url}/catalog/default/component/shop`);
    const card = page.locator('section.entity-pipelines');
    await card.getByRole('heading', { name: 'Pipelines' }).waitFor();
    const row = card.locator('tbody tr');
    await row.locator('[data-status="success"]', { hasText: 'Success' }).waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator('th').innerText()).toBe('Release #1');
    expect(await row.locator('td.mono').first().innerText()).toBe('main');
    expect(await row.locator('td.mono').nth(1).innerText()).toMatch(/^[0-9a-f]{7}$/);

    // A new run shows up while it runs and when it ends, without a reload.
    const dispatched = await api('POST', '/pipelines/dispatch', { repository: 'default/shop', workflow: 'release.yml', inputs: { version: '2.6.0' } });
    expect(dispatched.status).toBe(201);
    const { id } = (await dispatched.json()) as { id: number };
    await card.locator(`tr[data-run-id="${id}"] [data-status="in_progress"]`).waitFor();
    expect(await row.count()).toBe(1);
    await page.screenshot({ path: path.join(screenshotDir, 'entity-pipelines-live.png'), fullPage: true });
    await card.locator(`tr[data-run-id="${id}"] [data-status="success"]`).waitFor();

    await card.getByRole('link', { name: 'Release #2' }).click();
    await page.waitForURL(new RegExp(`/pipelines/runs/${id}$`));
    await page.locator('.page__header .run-status[data-status="success"]').waitFor();

    await page.goto(`${server.url}/catalog/default/component/shop-docs`);
    await page.locator('section.entity-pipelines', { hasText: 'No pipeline runs yet' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
