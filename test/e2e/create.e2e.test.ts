import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, REPO_ROOT, startPlinthServer, type RunningServer } from '../support/server.js';
import { ensurePortalBuilt, launchChromium, openSignedInPage, reportFailure, skipBrowserTests } from '../support/portal.js';

/**
 * Create end to end: a template from the catalog, filled in through the wizard, run as a task
 * (rendered, published to a Plinth-hosted repository, registered), ending on the new entity's
 * catalog page. Needs the scaffolder API (src/templates, `/api/scaffolder/v2`): until it is in
 * this tree the test is skipped, loudly.
 */

const hasTemplatesApi = existsSync(path.join(REPO_ROOT, 'src', 'templates', 'routes.ts'));
if (!hasTemplatesApi) console.warn('\n!!! src/templates is missing: the Create wizard end-to-end test is SKIPPED until the scaffolder API is merged.\n');
const screenshotDir = process.env.PLINTH_E2E_SCREENSHOTS ?? path.join(tmpdir(), 'plinth-create-e2e');

const TEMPLATE = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: e2e-service
  title: E2E service
  description: A small service, hosted by Plinth and registered in the catalog.
  tags: [e2e, recommended]
spec:
  owner: group:default/e2e-platform
  type: service
  parameters:
    - title: About the service
      required: [name, owner]
      properties:
        name:
          title: Name
          type: string
          ui:field: EntityNamePicker
          ui:autofocus: true
          ui:help: Lower-case letters, digits and dashes
        owner:
          title: Owner
          type: string
          ui:field: OwnerPicker
          ui:options:
            catalogFilter:
              kind: Group
        description:
          title: Description
          type: string
          ui:widget: textarea
          default: A service made in the e2e test
    - title: Where to put it
      required: [repoUrl]
      properties:
        repoUrl:
          title: Repository
          type: string
          ui:field: RepoUrlPicker
  steps:
    - id: fetch
      name: Render the skeleton
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: \${{ parameters.name }}
          owner: \${{ parameters.owner }}
          description: \${{ parameters.description }}
    - id: publish
      name: Publish
      action: publish:plinth
      input:
        repoUrl: \${{ parameters.repoUrl }}
        description: \${{ parameters.description }}
        owner: \${{ parameters.owner }}
    - id: register
      name: Register in the catalog
      action: catalog:register
      input:
        repoContentsUrl: \${{ steps.publish.output.repoContentsUrl }}
        catalogInfoPath: /catalog-info.yaml
  output:
    links:
      - title: Repository
        url: \${{ steps.publish.output.remoteUrl }}
      - title: Open in catalog
        entityRef: \${{ steps.register.output.entityRef }}
`;

const SKELETON_CATALOG_INFO = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: \${{ values.name }}
  description: \${{ values.description }}
spec:
  type: service
  lifecycle: experimental
  owner: \${{ values.owner }}
`;

/** Fails at its last step; with `wait`, first waits a minute (long enough to be cancelled). */
const FLAKY_TEMPLATE = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: e2e-flaky
  title: E2E flaky
spec:
  owner: group:default/e2e-platform
  type: test
  parameters:
    - title: Options
      properties:
        wait:
          title: Wait first
          type: boolean
  steps:
    - id: hello
      name: Say hello
      action: debug:log
      input:
        message: hello from the flaky template
    - id: wait
      name: Wait
      if: \${{ parameters.wait }}
      action: debug:wait
      input:
        seconds: 60
    - id: read
      name: Read a missing file
      action: fs:read
      input:
        path: missing.txt
`;

const GROUPS = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: e2e-platform
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: e2e-shop-team
spec:
  type: team
  children: []
`;

/** Waits up to 15 s (not expect.poll's 1 s): the server, git and Chromium share two busy cores. */
const eventually = <T,>(read: () => Promise<T> | T, options: { timeout: number } = { timeout: 15_000 }) => expect.poll(read, options);

describe.skipIf(skipBrowserTests || !hasTemplatesApi)('portal: create a service through the wizard', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let fixtureDir: string;

  const api = adminApi(() => server);

  beforeAll(async () => {
    fixtureDir = mkdtempSync(path.join(tmpdir(), 'plinth-create-e2e-'));
    mkdirSync(path.join(fixtureDir, 'skeleton'));
    writeFileSync(path.join(fixtureDir, 'template.yaml'), TEMPLATE);
    writeFileSync(path.join(fixtureDir, 'skeleton', 'catalog-info.yaml'), SKELETON_CATALOG_INFO);
    writeFileSync(path.join(fixtureDir, 'skeleton', 'README.md'), '# ${{ values.name }}\n\n${{ values.description }}\n');
    writeFileSync(path.join(fixtureDir, 'groups.yaml'), GROUPS);
    writeFileSync(path.join(fixtureDir, 'flaky.yaml'), FLAKY_TEMPLATE);
    [server, browser] = await Promise.all([ensurePortalBuilt().then(() => startPlinthServer()), launchChromium()]);
    for (const file of ['groups.yaml', 'template.yaml', 'flaky.yaml']) {
      const registered = await api('POST', '/catalog/locations', { type: 'file', target: path.join(fixtureDir, file) });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    }
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (fixtureDir) rmSync(fixtureDir, { recursive: true, force: true });
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail') await reportFailure('create-e2e', page, server);
    await context?.close();
  });

  const snap = async (name: string) => {
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
  };

  it('creates a service through the wizard and lands on its new catalog page', async () => {
    ({ context, page, errors } = await openSignedInPage(browser, server));

    // The gallery: the template as a card, found by search and by tag.
    await page.getByRole('link', { name: 'Create' }).click();
    const card = page.locator('.template-card', { hasText: 'E2E service' });
    await card.waitFor();
    expect(await card.textContent()).toContain('A small service, hosted by Plinth');
    await page.getByRole('button', { name: 'recommended' }).click();
    await page.getByLabel('Search templates').fill('hosted by plinth');
    await card.waitFor();
    await snap('gallery');
    await card.getByRole('link', { name: 'Choose E2E service' }).click();
    await page.waitForURL(/\/create\/templates\/default\/e2e-service$/);

    // Step 1: nothing moves on until each field is valid, and each says why.
    const name = page.getByLabel('Name *');
    await name.waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('field-name');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.locator('#field-name-error').textContent()).toBe('Name is required.');
    expect(await page.locator('#field-owner-error').textContent()).toBe('Owner is required.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('field-name');
    await name.fill('-no good-');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.locator('#field-name-error').textContent()).toContain('starting and ending with a letter or digit');
    await name.fill('e2e-shop');
    // The owner picker suggests the catalog's groups.
    await eventually(() => page.locator('datalist option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).toContain('group:default/e2e-shop-team');
    await page.getByLabel('Owner *').fill('group:default/e2e-shop-team');
    expect(await page.getByLabel('Description').inputValue()).toBe('A service made in the e2e test');
    await snap('wizard-step-1');
    await page.getByRole('button', { name: 'Next' }).click();

    // Step 2: a repository hosted by this Plinth.
    await page.getByLabel('Owner (namespace)').selectOption('default');
    await page.getByLabel('Repository name').fill('e2e-shop');
    expect(await page.locator('.repo-url-picker__preview').textContent()).toContain(`${server.url}/git/default/e2e-shop.git`);
    await page.getByRole('button', { name: 'Review' }).click();

    // Review, then create.
    const review = page.getByRole('region', { name: 'Review' });
    await review.waitFor();
    const reviewText = await review.textContent();
    expect(reviewText).toContain('e2e-shop');
    expect(reviewText).toContain('group:default/e2e-shop-team');
    expect(reviewText).toContain(`${new URL(server.url).host}?owner=default&repo=e2e-shop`);
    await snap('wizard-review');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    // The task page: live steps, then the output link to the new entity.
    await page.waitForURL(/\/create\/tasks\/[^/]+$/);
    await eventually(() => page.getByTestId('task-status').textContent(), { timeout: 60_000 }).toBe('completed');
    expect(await page.locator('.task-step .badge').allTextContents()).toEqual(['completed', 'completed', 'completed']);
    await page.getByRole('button', { name: 'Publish' }).click();
    await eventually(() => page.getByLabel('Log of Publish').textContent()).toMatch(/e2e-shop/);
    await snap('task-completed');
    await page.getByRole('link', { name: 'Open in catalog' }).click();
    await page.waitForURL(/\/catalog\/default\/component\/e2e-shop$/);
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('e2e-shop');
    expect((await api<{ spec: { owner: string } }>('GET', '/catalog/entities/by-name/component/default/e2e-shop')).body.spec.owner).toBe('group:default/e2e-shop-team');
    expect((await api<{ owner: string }>('GET', '/repositories/default/e2e-shop')).body.owner).toBe('group:default/e2e-shop-team');
    expect(errors).toEqual([]);
  });

  it('dry-runs the template editor as one types, with YAML errors located and the rendered files shown', async () => {
    ({ context, page, errors } = await openSignedInPage(browser, server));
    await page.goto(`${server.url}/create`);
    await page.getByRole('link', { name: 'Template editor' }).click();
    await page.waitForURL(/\/create\/edit$/);

    const files = page.getByRole('list', { name: 'Rendered files' });
    await eventually(() => files.locator('button').allTextContents()).toEqual(['catalog-info.yaml']);
    await eventually(() => page.getByLabel('Contents of catalog-info.yaml').textContent()).toContain('name: hello');
    expect(await page.getByLabel('Dry-run log').textContent()).toContain('Creating hello');

    // A YAML mistake is located; nothing is sent until it is fixed.
    await page.getByLabel('Parameter values (YAML)').fill('name: [unclosed\n');
    await eventually(() => page.getByRole('alert').textContent()).toMatch(/values\.yaml line \d+, column \d+/);
    await page.getByLabel('Parameter values (YAML)').fill('name: typed-later\n');
    await eventually(() => page.getByLabel('Contents of catalog-info.yaml').textContent()).toContain('name: typed-later');
    await snap('template-editor');
    expect(errors).toEqual([]);
  });

  it('shows a failed step with its error and log, retries it, and cancels a running task', async () => {
    ({ context, page, errors } = await openSignedInPage(browser, server));
    await page.goto(`${server.url}/create/templates/default/e2e-flaky`);
    await page.getByRole('button', { name: 'Review' }).click();
    expect(await page.getByRole('region', { name: 'Review' }).textContent()).toContain('Wait first');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/\/create\/tasks\/[^/]+$/);
    const taskUrl = page.url();
    await eventually(() => page.getByTestId('task-status').textContent(), { timeout: 60_000 }).toBe('failed');
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Creating from E2E flaky');
    expect(await page.locator('.task-progress').textContent()).toContain('2 of 3 steps done');
    const failedStep = page.locator('.task-step', { hasText: 'Read a missing file' });
    expect(await failedStep.locator('.badge').textContent()).toBe('failed');
    expect(await failedStep.getByRole('alert').textContent()).toContain("cannot read 'missing.txt'");
    expect(await page.locator('.task-step', { hasText: 'Wait' }).locator('.badge').textContent()).toBe('skipped');
    await page.getByRole('button', { name: 'Say hello' }).click();
    await eventually(() => page.getByLabel('Log of Say hello').textContent()).toContain('hello from the flaky template');
    await snap('task-failed');

    // Retry runs it again (and it fails again, the file is still missing).
    await page.getByRole('button', { name: 'Retry' }).click();
    const taskId = taskUrl.split('/').pop()!;
    const hellos = async () => (await api<Array<{ body: { message: string } }>>('GET', `/scaffolder/v2/tasks/${taskId}/events`)).body.filter((e) => e.body.message === 'hello from the flaky template').length;
    await eventually(hellos, { timeout: 60_000 }).toBe(2);
    await eventually(() => page.getByTestId('task-status').textContent(), { timeout: 60_000 }).toBe('failed');
    // The log was opened before the retry and follows the new run.
    await eventually(() => page.getByLabel('Log of Say hello').textContent()).toContain('hello from the flaky template');
    expect(page.url()).toBe(taskUrl);

    // A task that waits can be cancelled from its page.
    const started = await api<{ id: string }>('POST', '/scaffolder/v2/tasks', { templateRef: 'template:default/e2e-flaky', values: { wait: true } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    await page.goto(`${server.url}/create/tasks/${started.body.id}`);
    await eventually(() => page.locator('.task-step', { hasText: 'Wait' }).locator('.badge').textContent(), { timeout: 30_000 }).toBe('running');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await eventually(() => page.getByTestId('task-status').textContent(), { timeout: 30_000 }).toBe('cancelled');
    await page.getByRole('button', { name: 'Retry' }).waitFor();
    expect(errors).toEqual([]);
  });
});
