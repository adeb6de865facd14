import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { testDatabases } from '../../test/support/databases.js';
import { createTestApp, type TestApp } from '../../test/support/platform.js';
import { createApiToken } from '../auth/tokens.js';
import { authDb, createGroup, createUser } from '../auth/users.js';
import { readEvents } from '../store/events.js';
import { sql } from 'kysely';
import { REFRESH_STATISTICS_JOB } from './service.js';

const yaml = (...docs: string[]) => docs.join('\n---\n');
const component = (name: string, owner: string, extra = '') => `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  title: ${name.toUpperCase()} service
  tags: [java, payments]
spec:
  type: service
  lifecycle: production
  owner: ${owner}
${extra}`;

describe.each(testDatabases)('catalog on $name', (database) => {
  let t: TestApp;
  let app: FastifyInstance;
  let admin: string;
  let member: string;
  let viewer: string;
  let dir: string;

  beforeAll(async () => {
    t = await createTestApp(database);
    ({ app, tokens: { admin, viewer } } = t);
    const db = authDb(t.platform.store);
    const alice = await createUser(db, { name: 'alice', role: 'member' });
    await createGroup(db, { name: 'team-a', members: ['alice'] });
    member = (await createApiToken(db, { name: 'alice-cli', role: 'member', userId: alice.id, createdBy: 'user:alice' })).token;
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-catalog-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, token = admin) => {
    const res = await app.inject({ method, url: `/api/catalog${url}`, headers: { authorization: `Bearer ${token}` }, payload: payload as object });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  };
  const write = (file: string, text: string) => {
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
    return full;
  };
  const refresh = (locationId: string) => t.platform.catalog.refreshLocation(locationId);

  it('ingests a file location: entities with relations in both directions', async () => {
    const file = write(
      'org/catalog-info.yaml',
      yaml(
        component('payments', 'team-a', '  providesApis: [payments-api]\n  system: checkout'),
        component('ledger', 'group:default/team-b', '  dependsOn: [component:payments]'),
        'apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: { name: payments-api }\nspec: { type: openapi, lifecycle: production, owner: team-a, definition: "openapi: 3.0.0" }',
        'apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: { name: checkout }\nspec: { owner: team-a }',
        'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: team-a }\nspec: { type: team, children: [] }',
        '# a comment-only document is ignored',
      ),
    );
    const added = await call('POST', '/locations', { type: 'file', target: file });
    expect(added.status).toBe(201);
    expect(added.body.entities).toHaveLength(5);
    const payments = await call('GET', '/entities/by-name/component/default/payments');
    expect(payments.status).toBe(200);
    expect(payments.body.metadata).toMatchObject({ name: 'payments', namespace: 'default' });
    expect(payments.body.metadata.uid).toBeTruthy();
    expect(payments.body.relations).toEqual(
      expect.arrayContaining([
        { type: 'ownedBy', targetRef: 'group:default/team-a' },
        { type: 'providesApi', targetRef: 'api:default/payments-api' },
        { type: 'partOf', targetRef: 'system:default/checkout' },
        { type: 'dependencyOf', targetRef: 'component:default/ledger' },
      ]),
    );
    const team = await call('GET', '/entities/by-name/group/default/team-a');
    expect(team.body.relations).toEqual(expect.arrayContaining([{ type: 'ownerOf', targetRef: 'component:default/payments' }, { type: 'ownerOf', targetRef: 'system:default/checkout' }]));
    const api = await call('GET', '/entities/by-name/API/Default/payments-api');
    expect(api.body.relations).toEqual(expect.arrayContaining([{ type: 'apiProvidedBy', targetRef: 'component:default/payments' }]));
    // by-name reads an entity and its relations in one statement, by-uid and by-refs apart: the same entities either way.
    expect((await call('GET', `/entities/by-uid/${payments.body.metadata.uid}`)).body).toEqual(payments.body);
    const byRefs = await call('POST', '/entities/by-refs', { entityRefs: ['Group:default/team-a', 'component:default/payments'] });
    expect(byRefs.body.items).toEqual([team.body, payments.body]);
  });

  it('filters like Backstage: AND within a filter, OR across filters, existence, relations, case-insensitive', async () => {
    const names = async (query: string) => ((await call('GET', `/entities/by-query?${query}&limit=100`)).body.items as Array<{ metadata: { name: string } }>).map((e) => e.metadata.name).sort();
    expect(await names('filter=kind=component,spec.owner=TEAM-A')).toEqual(['payments']);
    expect(await names('filter=kind=system&filter=kind=api')).toEqual(['checkout', 'payments-api']);
    expect(await names('filter=kind=component,spec.dependsOn')).toEqual(['ledger']);
    expect(await names('filter=relations.ownedby=group:default/team-a')).toEqual(['checkout', 'payments', 'payments-api']);
    // Relations are the entity's relations whichever descriptor produced them (ledger's dependsOn
    // gives payments its dependencyOf), as Backstage's search table has them; a type no kind defines matches nothing.
    expect(await names('filter=relations.dependencyof=component:default/ledger')).toEqual(['payments']);
    expect(await names('filter=kind=group,relations.ownerof')).toEqual(['team-a']);
    expect(await names('filter=relations.nosuchrelation=group:default/team-a')).toEqual([]);
    const byOwner = await call('GET', '/entities/by-query?filter=kind=component&orderField=relations.ownedBy,desc');
    expect(byOwner.body.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['ledger', 'payments']);
    expect((await call('GET', '/entity-facets?facet=relations.ownedBy&filter=kind=component')).body.facets['relations.ownedBy']).toEqual([
      { value: 'group:default/team-a', count: 1 },
      { value: 'group:default/team-b', count: 1 },
    ]);
    expect(await names('filter=metadata.tags=java')).toEqual(['ledger', 'payments']);
    expect(await names('filter=kind=component,kind=api')).toEqual(['ledger', 'payments', 'payments-api']);
    const projected = await call('GET', '/entities/by-query?filter=kind=system&fields=metadata.name,kind');
    expect(projected.body.items).toEqual([{ kind: 'System', metadata: { name: 'checkout' } }]);
  });

  it('pages with cursors in both directions, in the order asked', async () => {
    const first = await call('GET', '/entities/by-query?limit=2&orderField=metadata.name,desc&fields=metadata.name');
    expect(first.body.totalItems).toBe(5);
    expect(first.body.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['team-a', 'payments-api']);
    const second = await call('GET', `/entities/by-query?cursor=${first.body.pageInfo.nextCursor}`);
    expect(second.body.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['payments', 'ledger']);
    const back = await call('GET', `/entities/by-query?cursor=${second.body.pageInfo.prevCursor}`);
    expect(back.body.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['team-a', 'payments-api']);
    const last = await call('GET', `/entities/by-query?cursor=${second.body.pageInfo.nextCursor}`);
    expect(last.body.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['checkout']);
    expect(last.body.pageInfo.nextCursor).toBeUndefined();
    const bad = await call('GET', '/entities/by-query?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('CATALOG_FILTER_INVALID');
  });

  it('searches full text over name, title, description and tags', async () => {
    const found = await call('GET', '/entities/by-query?fullTextFilterTerm=ledg&fields=metadata.name');
    expect(found.body.items).toEqual([{ metadata: { name: 'ledger' } }]);
    const tagged = await call('GET', '/entities/by-query?fullTextFilterTerm=payments&filter=kind=component&fields=metadata.name');
    expect(tagged.body.totalItems).toBe(2);
    // fullTextFilterFields: the term must occur in one of the named fields.
    const named = await call('GET', '/entities/by-query?fullTextFilterTerm=payments&fullTextFilterFields=metadata.name,metadata.title&filter=kind=component&fields=metadata.name');
    expect(named.body.items).toEqual([{ metadata: { name: 'payments' } }]);
    const percent = await call('GET', '/entities/by-query?fullTextFilterTerm=pay%25&fullTextFilterFields=metadata.name&fields=metadata.name');
    expect(percent.body.items).toEqual([]);
    const inFields = async (term: string, fields: string) =>
      ((await call('GET', `/entities/by-query?fullTextFilterTerm=${encodeURIComponent(term)}&fullTextFilterFields=${fields}&fields=metadata.name`)).body.items as Array<{ metadata: { name: string } }>).map((e) => e.metadata.name).sort();
    // Case-insensitive in the field (the title is "LEDGER service"); a term matches inside one tag, never across two.
    expect(await inFields('Ledger', 'metadata.title')).toEqual(['ledger']);
    expect(await inFields('ledger serv', 'metadata.title')).toEqual(['ledger']);
    expect(await inFields('jav', 'metadata.tags')).toEqual(['ledger', 'payments']);
    expect(await inFields('java payments', 'metadata.tags')).toEqual([]);
    // Matches page in order, by an entity column or a field of the search rows, with cursors.
    const names = (body: { items: Array<{ metadata: { name: string } }> }) => body.items.map((e) => e.metadata.name);
    const first = (await call('GET', '/entities/by-query?fullTextFilterTerm=payments&filter=kind=component&limit=1&fields=metadata.name')).body;
    expect([names(first), first.totalItems]).toEqual([['ledger'], 2]);
    const second = (await call('GET', `/entities/by-query?cursor=${first.pageInfo.nextCursor}`)).body;
    expect([names(second), second.totalItems]).toEqual([['payments'], 2]);
    expect(names((await call('GET', '/entities/by-query?fullTextFilterTerm=payments&filter=kind=component&orderField=metadata.name,desc&fields=metadata.name')).body)).toEqual(['payments', 'ledger']);
    expect(names((await call('GET', '/entities/by-query?fullTextFilterTerm=payments&orderField=spec.type,asc&orderField=metadata.name,asc&fields=metadata.name')).body)).toEqual(expect.arrayContaining(['ledger', 'payments']));
  });

  it('answers by-refs in order with null for unknown refs, and facets with counts', async () => {
    const byRefs = await call('POST', '/entities/by-refs', { entityRefs: ['component:default/ledger', 'component:default/nope', 'system:checkout'], fields: ['metadata.name'] });
    expect(byRefs.body.items).toEqual([{ metadata: { name: 'ledger' } }, null, { metadata: { name: 'checkout' } }]);
    const facets = await call('GET', '/entity-facets?facet=kind&facet=spec.owner&filter=kind=component');
    expect(facets.body.facets.kind).toEqual([{ value: 'Component', count: 2 }]);
    expect(facets.body.facets['spec.owner']).toEqual([
      { value: 'group:default/team-b', count: 1 },
      { value: 'team-a', count: 1 },
    ]);
  });

  it('keeps null fields, repeated values and the written case apart in filters, facets and orders', async () => {
    const file = write(
      'fields/catalog-info.yaml',
      yaml(component('field-null', 'team-a', '  extra: ~\n  dependsOn: [component:field-case, component:field-case]'), component('field-case', 'team-a', '  extra: Mixed-Case')),
    );
    expect((await call('POST', '/locations', { type: 'file', target: file })).status).toBe(201);
    const names = async (query: string) => ((await call('GET', `/entities/by-query?${query}`)).body.items as Array<{ metadata: { name: string } }>).map((e) => e.metadata.name);
    // A null field exists (key-only filters match it) but has no value: no filter value, facet or order sees one.
    expect(await names('filter=spec.extra&orderField=spec.extra,asc')).toEqual(['field-null', 'field-case']);
    expect(await names('filter=spec.extra&orderField=spec.extra,desc')).toEqual(['field-case', 'field-null']);
    expect(await names('filter=spec.extra=mixed-case')).toEqual(['field-case']);
    expect(await names('filter=spec.extra=null')).toEqual([]);
    expect((await call('GET', '/entity-facets?facet=spec.extra')).body.facets['spec.extra']).toEqual([{ value: 'Mixed-Case', count: 1 }]);
    // A value listed twice is one match.
    expect(await names('filter=spec.dependson=component:field-case')).toEqual(['field-null']);
    expect((await call('GET', '/entity-facets?facet=spec.dependsOn&filter=metadata.name=field-null')).body.facets['spec.dependsOn']).toEqual([{ value: 'component:field-case', count: 1 }]);
    // A full-text term kept to fields: search fields and relations alike.
    write('fields/more.yaml', yaml(component('zulu-one', 'zulu-team'), component('zulu-two', 'team-a', '  extra: zulu')));
    expect((await call('POST', '/locations', { type: 'file', target: path.join(dir, 'fields/more.yaml') })).status).toBe(201);
    expect(await names('fullTextFilterTerm=zulu&fullTextFilterFields=relations.ownedBy')).toEqual(['zulu-one']);
    expect(await names('fullTextFilterTerm=zulu&fullTextFilterFields=spec.extra')).toEqual(['zulu-two']);
    expect(await names('fullTextFilterTerm=zulu&fullTextFilterFields=spec.extra,relations.ownedby&orderField=metadata.name,asc')).toEqual(['zulu-one', 'zulu-two']);
  });

  it('records invalid documents as located errors and keeps the valid ones', async () => {
    const file = write('broken/catalog-info.yaml', yaml(component('good-one', 'team-a'), 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bad name\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a'));
    const added = await call('POST', '/locations', { type: 'file', target: file });
    expect(added.status).toBe(201);
    expect((await call('GET', '/entities/by-name/component/default/good-one')).status).toBe(200);
    const location = await call('GET', `/locations/${added.body.location.id}`);
    expect(location.body.status).toBe('error');
    expect(location.body.problems).toEqual([expect.objectContaining({ kind: 'error', file, line: 16, column: 9, rule: expect.stringContaining('name') })]);
  });

  it('orphans an entity its location no longer emits, and shows it', async () => {
    const file = write('orphans/catalog-info.yaml', yaml(component('keeper', 'team-a'), component('leaver', 'team-a')));
    const added = await call('POST', '/locations', { type: 'file', target: file });
    write('orphans/catalog-info.yaml', component('keeper', 'team-a'));
    const result = await refresh(added.body.location.id);
    expect(result?.orphaned).toEqual(['component:default/leaver']);
    const status = await call('GET', '/entities/by-name/component/default/leaver/status');
    expect(status.body).toMatchObject({ orphan: true, location: { id: added.body.location.id } });
    expect((await call('GET', '/entities/by-query?filter=kind=component,metadata.name=leaver')).body.totalItems).toBe(1);
    // Unchanged file: nothing rewritten.
    const again = await refresh(added.body.location.id);
    expect(again).toMatchObject({ added: [], updated: [], unchanged: 0, orphaned: [] });
  });

  it('keeps an entity with the first location that claims it, records the conflict on both, and takes over on request', async () => {
    const first = await call('POST', '/locations', { type: 'file', target: write('conflict/a.yaml', component('contested', 'team-a')) });
    const second = await call('POST', '/locations', { type: 'file', target: write('conflict/b.yaml', component('contested', 'team-b')) });
    const entity = await call('GET', '/entities/by-name/component/default/contested');
    expect(entity.body.spec.owner).toBe('team-a');
    const loser = await call('GET', `/locations/${second.body.location.id}`);
    expect(loser.body.problems).toEqual([expect.objectContaining({ kind: 'conflict', entityRef: 'component:default/contested', message: expect.stringContaining(`location:${first.body.location.id}`) })]);
    const status = await call('GET', '/entities/by-name/component/default/contested/status');
    expect(status.body.problems).toEqual([expect.objectContaining({ kind: 'conflict', locationId: second.body.location.id })]);
    const third = await call('POST', '/locations', { type: 'file', target: write('conflict/c.yaml', component('contested', 'team-c')), onConflict: 'refresh' });
    expect(third.status).toBe(201);
    expect((await call('GET', '/entities/by-name/component/default/contested')).body.spec.owner).toBe('team-c');
  });

  it('follows Location entities to relative targets, and resolves $text', async () => {
    write('nested/docs/README.md', 'Read me first.');
    write('nested/services/one.yaml', component('nested-one', 'team-a').replace('  title: NESTED-ONE service', '  title: NESTED-ONE service\n  description:\n    $text: ../docs/README.md'));
    const root = write('nested/all.yaml', 'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: nested }\nspec:\n  targets: [./services/one.yaml]');
    const added = await call('POST', '/locations', { type: 'file', target: root });
    await t.platform.catalog.refreshLocation((await t.platform.catalog.listLocations()).find((l) => l.parentId === added.body.location.id)!.id);
    const entity = await call('GET', '/entities/by-name/component/default/nested-one');
    expect(entity.status).toBe(200);
    expect(entity.body.metadata.description).toBe('Read me first.');
    // A target no longer declared: what it brought is orphaned, and the refresh's change event says so.
    write('nested/all.yaml', 'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: nested }\nspec:\n  targets: []');
    await t.platform.catalog.refreshLocation(added.body.location.id);
    expect((await call('GET', '/entities/by-name/component/default/nested-one/status')).body.orphan).toBe(true);
    const changes = await readEvents(t.platform.store, { types: ['catalog:entities-changed'], subject: `location:${added.body.location.id}` });
    expect(changes.at(-1)?.payload).toMatchObject({ orphaned: ['component:default/nested-one'] });
  });

  it('registers nothing for an unreadable target, and previews with dryRun', async () => {
    const before = (await call('GET', '/locations')).body.length;
    const missing = await call('POST', '/locations', { type: 'file', target: path.join(dir, 'missing.yaml') });
    expect(missing.status).toBe(503);
    expect(missing.body).toMatchObject({ code: 'CATALOG_LOCATION_UNREADABLE', detail: expect.stringContaining('ENOENT') });
    const preview = await call('POST', '/locations?dryRun=true', { type: 'file', target: write('dry/x.yaml', component('dry-one', 'team-a')) });
    expect(preview.status).toBe(200);
    expect(preview.body.entities.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['dry-one']);
    expect((await call('GET', '/entities/by-name/component/default/dry-one')).status).toBe(404);
    expect((await call('GET', '/locations')).body.length).toBe(before);
    const duplicate = await call('POST', '/locations', { type: 'file', target: path.join(dir, 'org/catalog-info.yaml') });
    expect(duplicate.status).toBe(409);
  });

  it('validates entities without storing them, naming the field and rule', async () => {
    const ok = await call('POST', '/validate-entity', { entity: JSON.parse(JSON.stringify({ apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: 'x' }, spec: { type: 'team', children: [] } })) });
    expect(ok.status).toBe(200);
    const bad = await call('POST', '/validate-entity', { entity: { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'x y' }, spec: {} } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.length).toBeGreaterThan(0);
  });

  it('accepts full and delta sets from an entity provider', async () => {
    const userFacet = async () => (await call('GET', '/entity-facets?facet=kind&filter=kind=user')).body.facets.kind;
    expect(await userFacet()).toEqual([]);
    const full = await call('POST', '/providers/hr-sync/entities', { type: 'full', entities: [JSON.parse(JSON.stringify({ apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'zed' }, spec: { memberOf: ['team-a'] } }))] });
    expect(full.status).toBe(200);
    expect(full.body.added).toBe(1);
    // Facet answers are kept until the catalog changes: each change is counted at once.
    expect(await userFacet()).toEqual([{ value: 'User', count: 1 }]);
    expect((await call('GET', '/entities/by-name/user/default/zed')).body.relations).toEqual([{ type: 'memberOf', targetRef: 'group:default/team-a' }]);
    // A ref listed twice states one relation.
    const twice = await call('POST', '/providers/hr-sync/entities', { type: 'delta', entities: [{ apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'amy' }, spec: { memberOf: ['team-a', 'Team-A'] } }] });
    expect(twice.body.added).toBe(1);
    expect((await call('GET', '/entities/by-name/user/default/amy')).body.relations).toEqual([{ type: 'memberOf', targetRef: 'group:default/team-a' }]);
    expect(await userFacet()).toEqual([{ value: 'User', count: 2 }]);
    const delta = await call('POST', '/providers/hr-sync/entities', { type: 'delta', entities: [], removed: ['user:default/zed'] });
    expect(delta.body.deleted).toBe(1);
    expect(await userFacet()).toEqual([{ value: 'User', count: 1 }]);
    const invalid = await call('POST', '/providers/hr-sync/entities', { type: 'full', entities: [{ apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'no spaces allowed' } }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].path).toMatch(/^\/body\/entities\/0\//);
    const denied = await call('POST', '/providers/hr-sync/entities', { type: 'full', entities: [] }, member);
    expect(denied.status).toBe(403);
  });

  it('refreshes the planner statistics of a database that keeps them once a bulk write changed a fifth of the catalog', async () => {
    const { store } = t.platform;
    const statisticsJobs = () => store.db.selectFrom('jobs').select(['id', 'run_at']).where('type', '=', REFRESH_STATISTICS_JOB).where('state', '=', 'ready').execute();
    const users = Array.from({ length: 1200 }, (_, i) => ({ apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: `bulk-${i}` }, spec: { memberOf: ['bulk-team'] } }));
    const before = Date.now();
    expect((await call('POST', '/providers/bulk-sync/entities', { type: 'full', entities: users })).body.added).toBe(1200);
    const jobs = await statisticsJobs();
    if (!store.adapter.keepsPlannerStatistics) {
      expect(jobs).toEqual([]);
      return;
    }
    // One job, a few seconds later, however many batches a bulk load writes meanwhile.
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.run_at).toBeGreaterThan(before + 1000);
    await call('POST', '/providers/bulk-sync/entities', { type: 'full', entities: users.slice(0, 10) });
    expect(await statisticsJobs()).toHaveLength(1);
    const handler = t.platform.catalog.jobHandlers().find((h) => h.type === REFRESH_STATISTICS_JOB)!;
    await handler.run({ id: jobs[0]!.id, type: REFRESH_STATISTICS_JOB, payload: {}, attempt: 1 } as Parameters<typeof handler.run>[0]);
    const { rows } = await sql<{ relname: string; last_vacuum: Date | null; last_analyze: Date | null }>`select relname, last_vacuum, last_analyze from pg_stat_user_tables where relname in ('catalog_entities', 'catalog_search', 'catalog_relations', 'catalog_fts')`.execute(store.db);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect([row.relname, row.last_vacuum, row.last_analyze]).toEqual([row.relname, expect.any(Date), expect.any(Date)]);
  });

  it('lets owners delete their entity, not others', async () => {
    const ledger = (await call('GET', '/entities/by-name/component/default/ledger')).body;
    const payments = (await call('GET', '/entities/by-name/component/default/payments')).body;
    expect((await call('DELETE', `/entities/by-uid/${ledger.metadata.uid}`, undefined, member)).status).toBe(403);
    expect((await call('DELETE', `/entities/by-uid/${payments.metadata.uid}`, undefined, viewer)).status).toBe(403);
    expect((await call('DELETE', `/entities/by-uid/${payments.metadata.uid}`, undefined, member)).status).toBe(204);
    expect((await call('GET', `/entities/by-uid/${payments.metadata.uid}`)).status).toBe(404);
  });

  it('walks the relation graph both ways', async () => {
    const graph = await call('GET', '/graph?ref=group:default/team-a&depth=2');
    expect(graph.body.nodes.map((n: { ref: string }) => n.ref)).toEqual(expect.arrayContaining(['group:default/team-a', 'system:default/checkout', 'api:default/payments-api']));
    expect(graph.body.edges).toEqual(expect.arrayContaining([{ source: 'group:default/team-a', type: 'ownerOf', target: 'system:default/checkout' }]));
  });
});
