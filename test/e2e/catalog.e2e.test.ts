import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPlinthServer, type RunningServer } from '../support/server.js';
import { ensurePortalBuilt, launchChromium, skipBrowserTests, watchErrors } from '../support/portal.js';

/**
 * The catalog pages end to end: a real `plinth serve --demo`, plus a fixture catalog of our own
 * registered through the API (so the assertions do not depend on the demo's content), driven
 * by Chromium. Screenshots go to PLINTH_E2E_SCREENSHOTS, else /tmp/plinth-catalog-e2e.
 */

const screenshotDir = process.env.PLINTH_E2E_SCREENSHOTS ?? path.join(tmpdir(), 'plinth-catalog-e2e');
const CROWD = 480; // members of one group: its relations graph has ~500 nodes

const LEDGER_OPENAPI = `openapi: 3.0.3
info:
  title: Ledger API
  version: 1.4.0
  description: Double-entry ledgers for every payment.
servers:
  - url: https://api.example.com/ledger/v1
paths:
  /ledgers:
    post:
      summary: Open a ledger
      operationId: openLedger
      requestBody:
        content:
          application/json:
            schema: { type: object }
      responses:
        '201': { description: Opened }
  /ledgers/{ledgerId}:
    parameters:
      - { name: ledgerId, in: path, required: true, schema: { type: string }, description: The ledger }
    get:
      summary: Read a ledger
      operationId: getLedger
      responses:
        '200': { description: The ledger }
        '404': { description: No such ledger }
`;

function yamlDocs(docs: Array<Record<string, unknown>>): string {
  return docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n';
}

const entity = (kind: string, name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({ apiVersion: 'backstage.io/v1alpha1', kind, metadata: { name, ...metadata }, spec });

/** A small organisation: two teams under a guild, their people, 12 components, a system, a resource, an OpenAPI API, and a crowd. */
function fixtureCatalog(): string {
  const ledgerLibraries = Array.from({ length: 10 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    return entity('Component', `e2e-ledger-${n}`, { type: 'library', lifecycle: 'production', owner: 'e2e-payments', system: 'e2e-ledger-system' }, { description: `Ledger helper number ${n}.`, tags: ['ledger', 'typescript'] });
  });
  return yamlDocs([
    entity('Group', 'e2e-guild', { type: 'department', children: ['e2e-payments', 'e2e-search'] }, { title: 'Money Guild' }),
    entity('Group', 'e2e-payments', { type: 'team', parent: 'e2e-guild', children: [], profile: { displayName: 'Payments Team', email: 'payments@example.com' } }, { description: 'Moves the money.' }),
    entity('Group', 'e2e-search', { type: 'team', parent: 'e2e-guild', children: [] }),
    entity('User', 'e2e-ann', { memberOf: ['e2e-payments'], profile: { displayName: 'Ann Archer', email: 'ann@example.com' } }),
    entity('User', 'e2e-ben', { memberOf: ['e2e-payments'], profile: { displayName: 'Ben Baker', email: 'ben@example.com' } }),
    entity('User', 'e2e-cid', { memberOf: ['e2e-search'], profile: { displayName: 'Cid Carter' } }),
    entity('System', 'e2e-ledger-system', { owner: 'e2e-payments' }, { title: 'Ledger System' }),
    entity('Resource', 'e2e-ledger-db', { type: 'database', owner: 'e2e-payments', system: 'e2e-ledger-system' }),
    entity(
      'Component',
      'e2e-ledger-core',
      { type: 'service', lifecycle: 'production', owner: 'e2e-payments', system: 'e2e-ledger-system', providesApis: ['e2e-ledger-api'], dependsOn: ['resource:e2e-ledger-db'] },
      { title: 'Ledger Core', description: 'The ledger service: balances and postings.', tags: ['ledger', 'go'], links: [{ url: 'https://runbooks.example.com/ledger', title: 'Runbook' }], annotations: { 'example.com/tier': '1' } },
    ),
    ...ledgerLibraries,
    entity('Component', 'e2e-payouts', { type: 'service', lifecycle: 'experimental', owner: 'e2e-payments' }, { description: 'Sends money out to merchants.' }),
    entity('Component', 'e2e-search-indexer', { type: 'service', lifecycle: 'production', owner: 'e2e-search', consumesApis: ['e2e-ledger-api'] }),
    entity('API', 'e2e-ledger-api', { type: 'openapi', lifecycle: 'production', owner: 'e2e-payments', system: 'e2e-ledger-system', definition: LEDGER_OPENAPI }, { title: 'Ledger API' }),
    entity('Group', 'e2e-crowd', { type: 'team', children: [] }, { title: 'The Crowd' }),
    ...Array.from({ length: CROWD }, (_, i) => entity('User', `e2e-crowd-${String(i).padStart(3, '0')}`, { memberOf: ['e2e-crowd'] })),
  ]);
}

/** Registered from the portal's dialog: two services, and a broken document that reports an error on the file. */
function extraCatalog(withTemp: boolean): string {
  return yamlDocs([
    ...(withTemp ? [entity('Component', 'e2e-temp-service', { type: 'service', lifecycle: 'experimental', owner: 'e2e-search' }, { description: 'Here today, gone tomorrow.' })] : []),
    entity('Component', 'e2e-temp-worker', { type: 'service', lifecycle: 'experimental', owner: 'e2e-search' }),
    entity('Component', 'e2e-temp-broken', { type: 'service', owner: 'e2e-search' }), // no lifecycle: a located error
  ]);
}

describe.skipIf(skipBrowserTests)('catalog pages (Chromium against plinth serve --demo)', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let fixtureDir: string;

  async function api<T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${server.url}/api${url}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function waitForEntities(filter: string, count: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    let last = -1;
    while (Date.now() < deadline) {
      const { body } = await api<{ totalItems: number }>('GET', `/catalog/entities/by-query?limit=1&fields=metadata.name&filter=${encodeURIComponent(filter)}`);
      last = body.totalItems;
      if (last >= count) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`only ${last} of ${count} entities matching ${filter} appeared`);
  }

  beforeAll(async () => {
    fixtureDir = mkdtempSync(path.join(tmpdir(), 'plinth-catalog-fixture-'));
    writeFileSync(path.join(fixtureDir, 'catalog-info.yaml'), fixtureCatalog());
    writeFileSync(path.join(fixtureDir, 'extra.yaml'), extraCatalog(true));
    [server, browser] = await Promise.all([ensurePortalBuilt().then(() => startPlinthServer({ args: ['--demo'] })), launchChromium()]);
    const registered = await api<{ entities: unknown[] }>('POST', '/catalog/locations', { type: 'file', target: path.join(fixtureDir, 'catalog-info.yaml') });
    expect(registered.status).toBe(201);
    await waitForEntities('metadata.name=e2e-ledger-core', 1);
    await waitForEntities(`kind=user,relations.memberof=group:default/e2e-crowd`, CROWD);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (fixtureDir) rmSync(fixtureDir, { recursive: true, force: true });
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail' && page && !page.isClosed()) {
      const file = path.join(tmpdir(), `plinth-catalog-e2e-failure-${Date.now()}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.error(`catalog e2e failed on ${page.url()}; screenshot: ${file}\nserver output:\n${server.output().slice(-4000)}`);
    }
    await context?.close();
  });

  async function openPage(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    context = await browser.newContext({ colorScheme, viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    errors = watchErrors(page);
    await page.goto(`${server.url}/login`);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(/\/catalog$/);
    return page;
  }

  async function snap(name: string, fullPage = true): Promise<void> {
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage });
  }

  const table = () => page.getByRole('table', { name: 'Catalog entities' });
  const rowNames = () => table().locator('tbody th[scope="row"] a').allTextContents();
  /** The list shows the answer to the URL's query (not the previous one, nor skeletons). */
  const settled = () =>
    page.waitForFunction(() => {
      const results = document.querySelector<HTMLElement>('.catalog__results');
      return results?.getAttribute('aria-busy') === 'false' && results.dataset.query === location.search && !document.querySelector('.skeleton-row');
    });
  const facet = (name: string) => page.getByRole('group', { name, exact: true });

  it('filters by facets and search in the URL, pages forward and back, and opens an entity with its owner and relations graph', async () => {
    await openPage();
    await page.getByRole('heading', { level: 1, name: 'Catalog' }).waitFor();
    await table().waitFor();
    await settled();

    // Facets: Kind = Component, then the owner (OR within a facet, AND across; all in the URL).
    await facet('Kind').getByRole('checkbox', { name: /^Component, \d+$/ }).check();
    await page.waitForURL(/[?&]kind=Component(&|$)/);
    await settled();
    const owner = facet('Owner').getByRole('checkbox', { name: /^e2e-payments, / });
    if ((await owner.count()) === 0) await facet('Owner').getByRole('button', { name: /^Show all/ }).click();
    await expect(owner.getAttribute('aria-label')).resolves.toBe('e2e-payments, 12');
    await owner.check();
    await page.waitForURL(/owner=e2e-payments/);
    await settled();
    await expect(page.locator('.catalog__total').textContent()).resolves.toMatch(/^12 entities match/);
    // The kind facet is counted without its own selection, so other kinds can still be added.
    await expect(facet('Kind').getByRole('checkbox', { name: /^API, 1$/ }).isChecked()).resolves.toBe(false);

    // Search (debounced) narrows it to the 11 ledger components.
    await page.getByRole('searchbox', { name: 'Search the catalog' }).fill('ledger');
    await page.waitForURL(/q=ledger/);
    await settled();
    await expect(page.locator('.catalog__total').textContent()).resolves.toMatch(/^11 entities match/);

    // Ten a page: page forward to the 11th, and back with the browser.
    await page.getByLabel('Rows per page').selectOption('10');
    await page.waitForURL(/limit=10/);
    await settled();
    const firstPage = await rowNames();
    expect(firstPage).toHaveLength(10);
    expect(firstPage[0]).toBe('e2e-ledger-01'); // by name: e2e-ledger-01…10, then e2e-ledger-core
    await expect(page.locator('.pager').textContent()).resolves.toContain('1–10 of 11');
    await snap('01-catalog-filtered-light');
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForURL(/page=2&cursor=/);
    await settled();
    await expect(rowNames()).resolves.toEqual(['Ledger Core']);
    await expect(page.locator('.pager').textContent()).resolves.toContain('11–11 of 11');
    await expect(page.getByRole('button', { name: 'Next →' }).isDisabled()).resolves.toBe(true);
    await page.goBack();
    await page.waitForURL((url) => !url.search.includes('cursor='));
    await settled();
    await expect(rowNames()).resolves.toEqual(firstPage);

    // The URL is the state: a fresh tab with it shows the same filters, ticked.
    const shared = page.url();
    await page.goto(shared);
    await settled();
    await expect(facet('Owner').getByRole('checkbox', { name: /^e2e-payments, / }).isChecked()).resolves.toBe(true);
    await expect(page.getByRole('searchbox', { name: 'Search the catalog' }).inputValue()).resolves.toBe('ledger');
    await expect(rowNames()).resolves.toEqual(firstPage);

    // Open the entity (on the second page): its owner links to the group, and the graph draws the owner.
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForURL(/page=2&cursor=/);
    await settled();
    await table().getByRole('link', { name: 'Ledger Core' }).click();
    await page.waitForURL(/\/catalog\/default\/component\/e2e-ledger-core$/);
    await page.getByRole('heading', { level: 1, name: 'Ledger Core' }).waitFor();
    const facts = page.getByTestId('entity-facts');
    await expect(facts.getByRole('link', { name: 'e2e-payments' }).getAttribute('href')).resolves.toBe('/catalog/default/group/e2e-payments');
    await expect(facts.getByRole('link', { name: 'e2e-ledger-system' }).count()).resolves.toBe(1);
    await expect(facts.textContent()).resolves.toContain('production');
    const graph = page.getByTestId('relations-graph');
    await graph.locator('a[data-ref="group:default/e2e-payments"]').waitFor();
    expect(await graph.locator('a[data-ref]').count()).toBeGreaterThanOrEqual(4); // itself, owner, system, API, database
    await expect(graph.locator('a[data-ref="api:default/e2e-ledger-api"]').count()).resolves.toBe(1);
    await expect(graph.locator('line[data-type="ownedBy"]').count()).resolves.toBeGreaterThan(0);
    await expect(page.getByRole('heading', { level: 3, name: /^Depends on/ }).count()).resolves.toBe(1);
    // The source: rendered YAML without server fields, and the descriptor file's path (a local file).
    const yaml = await page.getByLabel('Entity YAML').textContent();
    expect(yaml).toContain('name: e2e-ledger-core');
    expect(yaml).not.toContain('uid:');
    await expect(page.getByTestId('source-file').textContent()).resolves.toContain(path.join(fixtureDir, 'catalog-info.yaml'));
    await snap('02-entity-light');

    // Depth 2 reaches the owner's other entities.
    const before = await graph.locator('a[data-ref]').count();
    await page.locator('.segmented label').filter({ hasText: '2' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="relations-graph"] a[data-ref]').length > n, before);
    await expect(graph.locator('a[data-ref="component:default/e2e-payouts"]').count()).resolves.toBe(1);

    // A graph node navigates: the owner's group page, with members and owned entities.
    await page.getByRole('radio', { name: '1' }).check();
    await graph.locator('a[data-ref="group:default/e2e-payments"]').click();
    await page.waitForURL(/\/catalog\/default\/group\/e2e-payments$/);
    await page.getByRole('heading', { level: 1, name: 'Payments Team' }).waitFor();
    const members = page.getByRole('region', { name: /^Members/ });
    await members.getByRole('link', { name: 'Ann Archer' }).waitFor();
    await expect(members.getByRole('link', { name: 'Ben Baker' }).getAttribute('href')).resolves.toBe('/catalog/default/user/e2e-ben');
    await page.getByRole('region', { name: /^Parent group/ }).getByRole('link', { name: 'Money Guild' }).waitFor();
    const owned = page.getByRole('region', { name: /^Owned entities/ });
    await owned.getByRole('link', { name: 'Ledger API' }).waitFor();
    await owned.getByRole('heading', { level: 2, name: /^Owned entities 15$/ }).waitFor();
    await owned.getByRole('button', { name: /^API/ }).click();
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="Owned entities"] tbody tr').length === 1);
    await snap('03-group-light');

    // The API: its OpenAPI definition rendered as operations.
    await owned.getByRole('link', { name: 'Ledger API' }).click();
    await page.waitForURL(/\/catalog\/default\/api\/e2e-ledger-api$/);
    const operations = page.getByRole('list', { name: 'Operations' });
    await operations.waitFor();
    const getLedger = operations.locator('details').filter({ hasText: '/ledgers/{ledgerId}' });
    await expect(getLedger.locator('summary').textContent()).resolves.toBe('GET/ledgers/{ledgerId}Read a ledger');
    await expect(operations.locator('summary').filter({ hasText: 'POST' }).textContent()).resolves.toContain('Open a ledger');
    await getLedger.locator('summary').click();
    await expect(getLedger.getByRole('table').textContent()).resolves.toContain('ledgerId');
    await expect(page.getByText('https://api.example.com/ledger/v1', { exact: true }).count()).resolves.toBe(1); // the servers line
    await snap('04-api-light');

    // The user page: profile, groups, and what their groups own.
    await page.goto(`${server.url}/catalog/default/user/e2e-ann`);
    await page.getByRole('heading', { level: 1, name: 'Ann Archer' }).waitFor();
    await expect(page.getByRole('region', { name: 'Profile' }).getByRole('link', { name: 'ann@example.com' }).count()).resolves.toBe(1);
    await page.getByRole('region', { name: /^Groups/ }).getByRole('link', { name: 'Payments Team' }).waitFor(); // its display name, once fetched
    await page.getByRole('region', { name: /^Owned entities/ }).getByRole('link', { name: 'Ledger Core' }).waitFor();

    // An unknown entity is a friendly not-found.
    await page.goto(`${server.url}/catalog/default/component/e2e-no-such-thing`);
    await page.getByRole('heading', { level: 1, name: 'Entity not found' }).waitFor();
    expect(errors).toEqual([]);
  }, 180_000);

  it('shows the empty state, remembers columns, registers a location with a preview, refreshes live, and shows orphan and error banners', async () => {
    await openPage();
    await table().waitFor();
    await settled();

    // Columns: hide Description; the choice survives a reload.
    await page.locator('summary', { hasText: 'Columns' }).click();
    await page.getByRole('checkbox', { name: 'Description' }).uncheck();
    await expect(table().getByRole('columnheader', { name: 'Description' }).count()).resolves.toBe(0);
    await page.reload();
    await table().waitFor();
    await expect(table().getByRole('columnheader', { name: 'Owner' }).count()).resolves.toBe(1);
    await expect(table().getByRole('columnheader', { name: 'Description' }).count()).resolves.toBe(0);
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem('plinth-catalog-columns')))!)).not.toContain('description');

    // Nothing matches: the empty state clears the filters. Then an entity registered meanwhile shows up by itself (events).
    await page.getByRole('searchbox', { name: 'Search the catalog' }).fill('latecomer');
    await page.getByText('No entities match').waitFor();
    await snap('05-empty-light', false);
    const late = path.join(fixtureDir, 'late.yaml');
    writeFileSync(late, yamlDocs([entity('Component', 'e2e-latecomer', { type: 'service', lifecycle: 'production', owner: 'e2e-search' })]));
    expect((await api('POST', '/catalog/locations', { type: 'file', target: late })).status).toBe(201);
    await table().getByRole('link', { name: 'e2e-latecomer' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search the catalog' }).fill('nothing-is-called-this');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL(/\/catalog$/);
    await expect(page.getByRole('searchbox', { name: 'Search the catalog' }).inputValue()).resolves.toBe('');

    // Register: preview (a dry run) lists the entities; register stores them.
    const extra = path.join(fixtureDir, 'extra.yaml');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Register a location' });
    await dialog.getByLabel('URL or path').fill(path.join(fixtureDir, 'missing.yaml'));
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.locator('#location-target-error').waitFor();
    await dialog.getByLabel('URL or path').fill(extra);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const preview = dialog.getByRole('table', { name: 'Entities in this location' });
    await preview.waitFor();
    await expect(preview.textContent()).resolves.toContain('e2e-temp-service');
    await expect(api<{ status: number }>('GET', '/catalog/entities/by-name/component/default/e2e-temp-service').then((r) => r.status)).resolves.toBe(404);
    await snap('06-register-preview-light', false);
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();
    await dialog.getByText('Location registered').waitFor();
    await dialog.getByRole('link', { name: 'e2e-temp-service' }).click();
    await page.waitForURL(/\/catalog\/default\/component\/e2e-temp-service$/);

    // Its file has a broken document: the error banner says where.
    const errorBanner = page.getByTestId('error-banner');
    await errorBanner.waitFor();
    await expect(errorBanner.textContent()).resolves.toContain('extra.yaml');

    // Drop it from the file and Refresh: it becomes an orphan, explained.
    writeFileSync(extra, extraCatalog(false));
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText('Refresh scheduled').waitFor();
    await page.getByTestId('orphan-banner').waitFor({ timeout: 30_000 });
    await snap('07-orphan-light');

    // Delete asks first, then the entity is gone.
    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog');
    await confirm.getByRole('heading', { name: 'Delete “e2e-temp-service”?' }).waitFor();
    await confirm.getByRole('button', { name: 'Delete entity' }).click();
    await page.waitForURL(/\/catalog$/);
    await expect(api<{ status: number }>('GET', '/catalog/entities/by-name/component/default/e2e-temp-service').then((r) => r.status)).resolves.toBe(404);
    expect(errors).toEqual([]);
  }, 180_000);

  it('draws a 500-node graph that pans and zooms without re-rendering its nodes (dark theme)', async () => {
    await openPage('dark');
    await page.goto(`${server.url}/catalog/default/group/e2e-crowd`);
    await page.getByRole('heading', { level: 1, name: 'The Crowd' }).waitFor();
    const graph = page.getByTestId('relations-graph');
    await graph.locator('a[data-ref="user:default/e2e-crowd-000"]').waitFor();
    expect(await graph.locator('a[data-ref]').count()).toBe(CROWD + 1);
    await graph.scrollIntoViewIfNeeded();

    // Watch the DOM while panning and zooming: only the scene's transform may change.
    await page.evaluate(() => {
      const svg = document.querySelector('[data-testid="relations-graph"]')!;
      const w = window as unknown as { __mutations: string[]; __probe: Element };
      w.__mutations = [];
      w.__probe = svg.querySelector('a[data-ref]')!;
      new MutationObserver((records) => {
        for (const r of records) w.__mutations.push(r.type === 'attributes' ? `${(r.target as Element).tagName}@${r.attributeName}` : r.type);
      }).observe(svg, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    const scene = graph.locator(':scope > g');
    const transformBefore = await scene.getAttribute('transform');
    const box = (await graph.boundingBox())!;
    const started = Date.now();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 30; i++) await page.mouse.move(box.x + box.width / 2 + i * 6, box.y + box.height / 2 + i * 3);
    await page.mouse.up();
    for (let i = 0; i < 10; i++) await page.mouse.wheel(0, -120);
    await graph.focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('+');
    const elapsed = Date.now() - started;
    await page.waitForFunction(() => new Promise((r) => requestAnimationFrame(() => r(true))));
    const transformAfter = await scene.getAttribute('transform');
    expect(transformAfter).not.toBe(transformBefore);
    const { mutations, sameNode } = await page.evaluate(() => {
      const w = window as unknown as { __mutations: string[]; __probe: Element };
      return { mutations: [...new Set(w.__mutations)], sameNode: document.querySelector('[data-testid="relations-graph"] a[data-ref]') === w.__probe && w.__probe.isConnected };
    });
    expect(mutations.filter((m) => m !== 'svg@class')).toEqual(['g@transform']); // (the svg's class shows the grabbing cursor)
    expect(sameNode).toBe(true);
    expect(elapsed).toBeLessThan(15_000); // 30 drag steps, 10 wheel steps and 2 keys on a 2-core machine
    console.log(`500-node graph: 42 pan/zoom inputs in ${elapsed} ms`);
    await page.getByRole('button', { name: 'Fit' }).click();
    await snap('08-crowd-graph-dark', false);

    // The same pages in the dark theme.
    await page.goto(`${server.url}/catalog/default/component/e2e-ledger-core`);
    await page.getByTestId('relations-graph').locator('a[data-ref="group:default/e2e-payments"]').waitFor();
    await snap('09-entity-dark');
    await page.goto(`${server.url}/catalog?kind=Component&owner=e2e-payments`);
    await table().waitFor();
    await settled();
    await snap('10-catalog-dark');
    expect(errors).toEqual([]);
  }, 180_000);
});
