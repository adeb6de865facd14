import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { allMigrations } from '../server/platform.js';
import { migrateToLatest } from '../store/migrate.js';
import { openStore, type Store } from '../store/store.js';
import { createKindRegistry } from './model/index.js';
import { entityFacets, queryEntities } from './query-entities.js';
import type { CatalogTables } from './tables.js';

describe.each(testDatabases)('catalog migrations on $name', (database) => {
  let store: Store | undefined;
  let drop = async () => {};
  afterEach(async () => {
    await store?.destroy();
    await drop();
  });

  it('moves search rows to the (key, value) table with numbered keys: filters, facets and orders answer as before', async () => {
    const created = await database.create();
    drop = created.drop;
    store = openStore(created);
    const before = allMigrations.filter((m) => m.name < '0015');
    await migrateToLatest(store.db as never, store.adapter, before);
    const db = store.db.withTables<CatalogTables>() as unknown as Kysely<any>;
    const now = Date.now();
    for (const [id, name] of [
      [1, 'alpha'],
      [2, 'beta'],
    ] as const) {
      await db
        .insertInto('catalog_entities')
        .values({ id, uid: `uid-${id}`, ref: `component:default/${name}`, kind: 'component', namespace: 'default', name, source_key: 'provider:test', location_id: null, source_file: null, source_line: null, body: JSON.stringify({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name }, spec: {} }), hash: 'h', etag: 'e', orphan: 0, created_at: now, updated_at: now })
        .execute();
    }
    // Rows as 0010–0014 stored them: null values, original_value null where it equals the value, a value twice.
    const rows: Array<[number, number, string, string | null, string | null]> = [
      [1, 0, 'kind', 'component', 'Component'],
      [1, 1, 'spec.owner', 'team-b', 'Team-B'],
      [1, 2, 'spec.extra', null, null],
      [1, 3, 'metadata.tags', 'java', null],
      [1, 4, 'metadata.tags', 'java', null],
      [2, 0, 'kind', 'component', 'Component'],
      [2, 1, 'spec.owner', 'team-a', null],
      [2, 2, 'relations.ownedby', 'group:default/team-a', null],
    ];
    for (const [entityId, seq, key, value, originalValue] of rows) {
      await sql`insert into catalog_search (entity_id, seq, key, value, original_value) values (${entityId}, ${seq}, ${key}, ${value}, ${originalValue})`.execute(db);
    }

    expect(await migrateToLatest(store.db as never, store.adapter, allMigrations)).toContain('0015-catalog-search-by-key');

    const catalog = store.db.withTables<CatalogTables>();
    // `relations.<type>` keys are answered from the relations table: their rows are not moved.
    expect((await catalog.selectFrom('catalog_search_keys').select('key').orderBy('key').execute()).map((r) => r.key)).toEqual(['kind', 'metadata.tags', 'spec.extra', 'spec.owner']);
    const names = async (filter: Array<Array<{ key: string; values?: string[] }>>, field = 'spec.owner') =>
      (await queryEntities(catalog, store!.adapter, createKindRegistry().relationTypes, { query: { filter, orderField: { field, order: 'asc' }, limit: 10 } })).items.map((e) => e.metadata.name);
    expect(await names([[{ key: 'kind', values: ['component'] }]])).toEqual(['beta', 'alpha']);
    expect(await names([[{ key: 'spec.owner', values: ['team-b'] }]])).toEqual(['alpha']);
    expect(await names([[{ key: 'spec.extra' }]])).toEqual(['alpha']);
    expect(await names([[{ key: 'metadata.tags', values: ['java'] }]])).toEqual(['alpha']);
    expect(await entityFacets(catalog, ['spec.owner', 'kind', 'spec.extra', 'metadata.tags'], [], createKindRegistry().relationTypes)).toEqual({
      'spec.owner': [
        { value: 'team-a', count: 1 },
        { value: 'Team-B', count: 1 },
      ],
      kind: [{ value: 'Component', count: 2 }],
      'spec.extra': [],
      'metadata.tags': [{ value: 'java', count: 1 }],
    });
  });
});
