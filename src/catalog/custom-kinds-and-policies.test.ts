import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { testDatabases } from '../../test/support/databases.js';
import { createTestApp, type TestApp } from '../../test/support/platform.js';

const kindDefinition = `apiVersion: plinth.dev/v1alpha1
kind: KindDefinition
metadata:
  name: database
spec:
  kind: Database
  apiVersions: [acme.example/v1]
  description: A managed database
  schema:
    type: object
    required: [engine, owner]
    properties:
      engine: { type: string, enum: [postgres, mysql] }
      owner: { type: string }
      replicaOf: { type: string }
  relations:
    - { field: spec.owner, type: ownedBy, reverse: ownerOf, defaultKind: Group }
    - { field: spec.replicaOf, type: dependsOn, reverse: dependencyOf, defaultKind: Database }
`;

describe.each(testDatabases)('custom kinds, orphan deletion and GitHub webhooks on $name', (database) => {
  let t: TestApp;
  let app: FastifyInstance;
  let token: string;
  let dir: string;
  beforeAll(async () => {
    t = await createTestApp(database, (config) => {
      config.catalog.orphanStrategy = 'delete';
      config.catalog.webhookSecret = 'github-secret';
    });
    ({ app, tokens: { admin: token } } = t);
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-kinds-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers }, payload: payload as object });
    return { status: res.statusCode, body: res.json() };
  };

  it('validates, relates, filters and facets entities of a kind a KindDefinition entity declares', async () => {
    const kinds = path.join(dir, 'kinds.yaml');
    writeFileSync(kinds, kindDefinition);
    expect((await call('POST', '/api/catalog/locations', { type: 'file', target: kinds })).status).toBe(201);
    const file = path.join(dir, 'databases.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: acme.example/v1\nkind: Database\nmetadata: { name: orders-db }\nspec: { engine: postgres, owner: team-data }',
        'apiVersion: acme.example/v1\nkind: Database\nmetadata: { name: orders-replica }\nspec: { engine: postgres, owner: team-data, replicaOf: orders-db }',
        'apiVersion: acme.example/v1\nkind: Database\nmetadata: { name: broken-db }\nspec: { engine: oracle, owner: team-data }',
      ].join('\n---\n'),
    );
    const added = await call('POST', '/api/catalog/locations', { type: 'file', target: file });
    expect(added.status).toBe(201);
    const replica = await call('GET', '/api/catalog/entities/by-name/database/default/orders-replica');
    expect(replica.body.relations).toEqual(expect.arrayContaining([{ type: 'ownedBy', targetRef: 'group:default/team-data' }, { type: 'dependsOn', targetRef: 'database:default/orders-db' }]));
    const filtered = await call('GET', '/api/catalog/entities/by-query?filter=kind=database,spec.engine=postgres&fields=metadata.name');
    expect(filtered.body.totalItems).toBe(2);
    const facets = await call('GET', '/api/catalog/entity-facets?facet=spec.engine&filter=kind=database');
    expect(facets.body.facets['spec.engine']).toEqual([{ value: 'postgres', count: 2 }]);
    const location = await call('GET', `/api/catalog/locations/${added.body.location.id}`);
    expect(location.body.problems).toEqual([expect.objectContaining({ file, line: 14, column: 17, message: expect.stringContaining('engine') })]);
    const kindsList = await call('GET', '/api/catalog/kinds');
    expect(kindsList.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'Database', builtIn: false })]));
  });

  it('deletes entities their location no longer emits when the orphan strategy is delete', async () => {
    const file = path.join(dir, 'svc.yaml');
    const svc = (name: string) => `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: ${name} }\nspec: { type: service, lifecycle: production, owner: team-a }`;
    writeFileSync(file, [svc('stays'), svc('goes')].join('\n---\n'));
    const added = await call('POST', '/api/catalog/locations', { type: 'file', target: file });
    writeFileSync(file, svc('stays'));
    const result = await t.platform.catalog.refreshLocation(added.body.location.id);
    expect(result?.deleted).toEqual(['component:default/goes']);
    expect((await call('GET', '/api/catalog/entities/by-name/component/default/goes')).status).toBe(404);
  });

  it('refreshes the locations of a repository on a signed GitHub push webhook, and refuses a bad signature', async () => {
    const payload = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: `file://${dir}` } });
    const signature = `sha256=${createHmac('sha256', 'github-secret').update(payload).digest('hex')}`;
    const ok = await app.inject({ method: 'POST', url: '/api/catalog/webhooks/github', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, payload });
    expect(ok.statusCode).toBe(202);
    const bad = await app.inject({ method: 'POST', url: '/api/catalog/webhooks/github', headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=deadbeef' }, payload });
    expect(bad.statusCode).toBe(401);
    const gitlab = await app.inject({ method: 'POST', url: '/api/catalog/webhooks/gitlab', headers: { 'content-type': 'application/json', 'x-gitlab-token': 'github-secret' }, payload: JSON.stringify({ project: { git_http_url: 'https://gitlab.example/x.git' } }) });
    expect(gitlab.statusCode).toBe(202);
    expect(gitlab.json()).toEqual({ refreshedLocations: [] });
  });
});
