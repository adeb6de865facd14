import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlinthServer, type RunningServer } from '../support/server.js';
import { pushFiles } from '../support/pipelines.js';
import { ensurePortalBuilt, launchChromium, skipBrowserTests, watchErrors } from '../support/portal.js';

/**
 * The pipelines pages end to end: a real `plinth serve` with a hosted repository holding a
 * workflow with dispatch inputs; Chromium fills the dispatch form and watches the log stream in.
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
});
