import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../store/dialect.js';
import type { PlinthMigration } from '../store/migrate.js';
import type { Entity } from './model/index.js';
import { CATALOG_FULL_TEXT_COLUMNS, CATALOG_FULL_TEXT_TABLE, fullTextOf } from './full-text.js';
import { CATALOG_ENTITIES_PAGE_INDEX, NULL_SEARCH_VALUE } from './tables.js';

export const catalogMigrations: PlinthMigration[] = [
  {
    name: '0003-catalog-entities-locations-relations-search',
    async up(db, adapter) {
      const big = adapter.bigintType;
      await db.schema
        .createTable('catalog_locations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('parent_id', 'text', (c) => c.references('catalog_locations.id').onDelete('cascade'))
        .addColumn('parent_file', 'text')
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('on_conflict', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('refreshed_at', big)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .execute();
      await db.schema.createIndex('catalog_locations_parent').on('catalog_locations').column('parent_id').execute();
      await db.schema
        .createTable('catalog_files')
        .addColumn('location_id', 'text', (c) => c.notNull().references('catalog_locations.id').onDelete('cascade'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('refreshed_at', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('catalog_files_pk', ['location_id', 'path'])
        .execute();
      await db.schema
        .createTable('catalog_entities')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('uid', 'text', (c) => c.notNull().unique())
        .addColumn('ref', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('source_key', 'text', (c) => c.notNull())
        .addColumn('location_id', 'text')
        .addColumn('source_file', 'text')
        .addColumn('source_line', 'integer')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('etag', 'text', (c) => c.notNull())
        .addColumn('orphan', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('catalog_entities_source').on('catalog_entities').columns(['source_key', 'source_file']).execute();
      await db.schema
        .createTable('catalog_relations')
        .addColumn('source_ref', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('target_ref', 'text', (c) => c.notNull())
        .addColumn('origin_id', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('catalog_relations_source').on('catalog_relations').columns(['source_ref', 'type']).execute();
      await db.schema.createIndex('catalog_relations_target').on('catalog_relations').columns(['target_ref', 'type']).execute();
      await db.schema.createIndex('catalog_relations_origin').on('catalog_relations').column('origin_id').execute();
      await db.schema
        .createTable('catalog_search')
        .addColumn('entity_id', big, (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text')
        .addColumn('original_value', 'text')
        .execute();
      await db.schema.createIndex('catalog_search_key_value').on('catalog_search').columns(['key', 'value', 'entity_id']).execute();
      await db.schema.createIndex('catalog_search_entity').on('catalog_search').column('entity_id').execute();
      await db.schema
        .createTable('catalog_problems')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('location_id', 'text', (c) => c.references('catalog_locations.id').onDelete('cascade'))
        .addColumn('entity_ref', 'text')
        .addColumn('file', 'text')
        .addColumn('line', 'integer')
        .addColumn('column', 'integer')
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('catalog_problems_location').on('catalog_problems').column('location_id').execute();
      await db.schema.createIndex('catalog_problems_entity').on('catalog_problems').column('entity_ref').execute();
      await adapter.createFullTextTable(db, CATALOG_FULL_TEXT_TABLE, ['body']);
    },
  },
  {
    // Indexes for what `npm run bench -- catalog` measures (BENCHMARKS.md, "Catalog"):
    // - entities of a kind in name order (by-query with a kind filter, and its count) from the index alone;
    // - facets: the (key, value) index of search rows also carries original_value, so value counts are
    //   grouped straight from the index (it still serves the filters' key = ? and value in (…));
    // - ordering by a field of the search rows: the per-entity index also holds (key, value), so the
    //   sort key of each entity is one index probe (with (entity_id) alone SQLite chose the (key, …)
    //   index and read every row of the key for every entity);
    // - relations: every relation is stored from both ends, so they are only ever read by source: the
    //   source index covers (source_ref, type, target_ref), the page's relations come from the index
    //   in order, and the unused target index no longer costs a random index write per relation.
    name: '0005-catalog-read-indexes',
    async up(db) {
      await db.schema.createIndex('catalog_entities_kind_name').on('catalog_entities').columns(['kind', 'name', 'id']).execute();
      await db.schema.dropIndex('catalog_search_key_value').execute();
      await db.schema.createIndex('catalog_search_key_value').on('catalog_search').columns(['key', 'value', 'original_value', 'entity_id']).execute();
      await db.schema.dropIndex('catalog_search_entity').execute();
      await db.schema.createIndex('catalog_search_entity').on('catalog_search').columns(['entity_id', 'key', 'value']).execute();
      await db.schema.dropIndex('catalog_relations_target').execute();
      await db.schema.dropIndex('catalog_relations_source').execute();
      await db.schema.createIndex('catalog_relations_source').on('catalog_relations').columns(['source_ref', 'type', 'target_ref']).execute();
    },
  },
  {
    // Search rows stored in (entity_id, seq) order: on SQLite the table is that key's B-tree
    // (WITHOUT ROWID), so a rowid table plus an (entity_id, …) index become one tree, and each row
    // costs one append and one (key, value) index entry instead of two appends and the entry.
    // Reading an entity's rows (sort keys, full-text field checks, deletes) is a range of the key.
    name: '0010-catalog-search-clustered',
    async up(db, adapter) {
      await adapter
        .clusterByPrimaryKey(
          db.schema
            .createTable('catalog_search_clustered')
            .addColumn('entity_id', adapter.bigintType, (c) => c.notNull())
            .addColumn('seq', 'integer', (c) => c.notNull())
            .addColumn('key', 'text', (c) => c.notNull())
            .addColumn('value', 'text')
            .addColumn('original_value', 'text')
            .addPrimaryKeyConstraint('catalog_search_pk', ['entity_id', 'seq']),
        )
        .execute();
      await sql`insert into catalog_search_clustered (entity_id, seq, key, value, original_value)
        select entity_id, row_number() over (partition by entity_id order by key, value), key, value, original_value from catalog_search`.execute(db);
      await db.schema.dropTable('catalog_search').execute();
      await db.schema.alterTable('catalog_search_clustered').renameTo('catalog_search').execute();
      await db.schema.createIndex('catalog_search_key_value').on('catalog_search').columns(['key', 'value', 'original_value', 'entity_id']).execute();
    },
  },
  {
    // Full text in one column per field (name, title, description, tags), so a search limited to
    // some fields (fullTextFilterFields) is an index lookup: on PostgreSQL, 100,000 entities, a
    // search in name and title had to check the fields of every entity matching in any (5,567 for
    // one word) and took 75–120 ms.
    name: '0011-catalog-full-text-fields',
    up: rebuildFullText,
  },
  {
    // Full-text columns in lower case, so a search kept to name or title checks the term in the
    // full-text row it already read instead of looking up the entity's search rows: on
    // PostgreSQL, 100,000 entities, one word in name and title 38 → 18 ms.
    name: '0012-catalog-full-text-lower-case',
    async up(db, adapter) {
      await sql`delete from ${sql.id(CATALOG_FULL_TEXT_TABLE)}`.execute(db);
      await fillFullText(db, adapter);
    },
  },
  {
    // PostgreSQL's full-text words tagged with their column (see FULL_TEXT_COLUMN_TAGS in the
    // dialect module) instead of weighted: one word in name and title at 100,000 entities reads
    // the 1,203 matching rows instead of the 5,567 with the word anywhere. The table is built
    // again on both databases (SQLite's FTS5 table comes out as it was).
    name: '0013-catalog-full-text-tagged-words',
    up: rebuildFullText,
  },
  {
    // What a page query reads of each matching entity besides its body (id, kind, namespace, name,
    // ref) in one narrow index: a full-text page sorts and counts every match, and on SQLite reading
    // those columns from the table's rows (64 KiB pages, bodies inline) took 11 of a page's 14 ms
    // at 100,000 entities (1,203 matches); from this index 3–5 ms.
    name: '0014-catalog-entities-page-columns',
    async up(db) {
      await db.schema.createIndex(CATALOG_ENTITIES_PAGE_INDEX).on('catalog_entities').columns(['id', 'kind', 'namespace', 'name', 'ref']).execute();
    },
  },
  {
    // Search rows stored in the order filters and facets read them, (key, value, original value,
    // entity), with each key a number (catalog_search_keys); an (entity, key) index serves an entity's
    // own rows (deletes, field orders, substring checks). Before, a table in (entity, seq) order plus
    // a (key text, value, original value, entity) index, each row written twice with its key's text,
    // and `relations.<type>` rows repeating the relations table. Replaying the search-row writes of
    // 100,000 entities (SQLite, 64 KiB pages, tmpfs): 1.65 M rows in 7.4 s before; 1.35 M in 3.2 s
    // after, the two trees 197 MiB before, 110 MiB after.
    name: '0015-catalog-search-by-key',
    async up(db, adapter) {
      await db.schema
        .createTable('catalog_search_keys')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .execute();
      // `relations.<type>` rows are left behind: the relations table answers those keys (see relationCondition).
      await sql`insert into catalog_search_keys (key) select distinct key from catalog_search where key not like 'relations.%' order by key`.execute(db);
      await adapter
        .clusterByPrimaryKey(
          db.schema
            .createTable('catalog_search_by_key')
            .addColumn('key_id', 'integer', (c) => c.notNull())
            .addColumn('value', 'text', (c) => c.notNull())
            .addColumn('original_value', 'text', (c) => c.notNull())
            .addColumn('entity_id', adapter.bigintType, (c) => c.notNull())
            .addPrimaryKeyConstraint('catalog_search_key_value_pk', ['key_id', 'value', 'original_value', 'entity_id']),
        )
        .execute();
      await sql`insert into catalog_search_by_key (key_id, value, original_value, entity_id)
        select distinct k.id, coalesce(s.value, ${NULL_SEARCH_VALUE}), coalesce(s.original_value, ''), s.entity_id
        from catalog_search s join catalog_search_keys k on k.key = s.key`.execute(db);
      await db.schema.dropTable('catalog_search').execute();
      await db.schema.alterTable('catalog_search_by_key').renameTo('catalog_search').execute();
      await db.schema.createIndex('catalog_search_entity').on('catalog_search').columns(['entity_id', 'key_id']).execute();
    },
  },
];

/** Drops the full-text table and builds it again, in the adapter's current layout, from every entity. */
async function rebuildFullText(db: Kysely<any>, adapter: DialectAdapter): Promise<void> {
  await db.schema.dropTable(CATALOG_FULL_TEXT_TABLE).execute();
  await adapter.createFullTextTable(db, CATALOG_FULL_TEXT_TABLE, CATALOG_FULL_TEXT_COLUMNS);
  await fillFullText(db, adapter);
}

/** Writes every entity's full-text row, in batches of 2,000. */
async function fillFullText(db: Kysely<any>, adapter: DialectAdapter): Promise<void> {
  for (let after = 0; ; ) {
    const rows = await sql<{ id: number; body: string }>`select id, body from catalog_entities where id > ${after} order by id limit 2000`.execute(db);
    if (rows.rows.length === 0) break;
    await adapter.insertFullText(db, CATALOG_FULL_TEXT_TABLE, CATALOG_FULL_TEXT_COLUMNS, rows.rows.map((row) => ({ id: Number(row.id), texts: fullTextOf(JSON.parse(row.body) as Entity) })));
    after = Number(rows.rows.at(-1)!.id);
  }
}
