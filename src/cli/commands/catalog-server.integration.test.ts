import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlinth, startPlinthServer, type RunningServer } from '../../../test/support/server.js';

describe('plinth catalog against a server', () => {
  let server: RunningServer;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startPlinthServer();
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-catalog-cli-'));
    env = { PLINTH_SERVER: server.url, PLINTH_TOKEN: server.adminToken };
    writeFileSync(
      path.join(dir, 'catalog-info.yaml'),
      `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  title: Billing service
  description: Sends invoices
spec:
  type: service
  lifecycle: production
  owner: finance
  dependsOn: [resource:billing-db]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: finance
spec:
  type: team
  children: []
`,
    );
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a location, then gets, lists, searches and graphs its entities', async () => {
    const registered = await runPlinth(['catalog', 'register', path.join(dir, 'catalog-info.yaml')], { env });
    expect(registered.code).toBe(0);
    expect(registered.stderr).toContain('2 entities');
    const got = await runPlinth(['catalog', 'get', 'billing'], { env });
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('component:default/billing  (Billing service)');
    expect(got.stdout).toMatch(/ownedBy\s+group:default\/finance/);
    const listed = await runPlinth(['catalog', 'list', '--filter', 'kind=component,spec.owner=finance', '-o', 'json'], { env });
    expect(JSON.parse(listed.stdout).items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['billing']);
    const found = await runPlinth(['catalog', 'search', 'invoic'], { env });
    expect(found.stdout).toContain('component:default/billing');
    const graph = await runPlinth(['catalog', 'graph', 'group:default/finance'], { env });
    expect(graph.stdout).toContain('ownerOf → component:default/billing');
  });

  it('creates, lists, prints the clone URL of, and deletes hosted repositories', async () => {
    const created = await runPlinth(['repo', 'create', 'team/web-app', '--owner', 'group:default/finance', '-o', 'json'], { env });
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ namespace: 'team', name: 'web-app', cloneUrl: expect.stringMatching(/\/git\/team\/web-app\.git$/) });
    const listed = await runPlinth(['repo', 'list'], { env });
    expect(listed.stdout).toMatch(/team\/web-app\s+group:default\/finance\s+main/);
    const url = await runPlinth(['repo', 'clone-url', 'team/web-app'], { env });
    expect(url.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/git\/team\/web-app\.git$/);
    expect((await runPlinth(['repo', 'delete', 'team/web-app'], { env })).code).toBe(0);
    const gone = await runPlinth(['repo', 'clone-url', 'team/web-app'], { env });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain('no repository team/web-app [REPOSITORY_NOT_FOUND]');
  });

  it('says clearly when an entity does not exist (exit 3)', async () => {
    const missing = await runPlinth(['catalog', 'get', 'component:default/nope'], { env });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no entity component:default/nope [CATALOG_ENTITY_NOT_FOUND]');
  });
});
