import { createHash, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../store/dialect.js';
import { entityRefOf, relationsOf, type Entity, type KindRegistry } from './model/index.js';
import { timeOrderedUuid } from '../core/uuid.js';
import { CATALOG_FULL_TEXT_COLUMNS, CATALOG_FULL_TEXT_TABLE, fullTextOf } from './full-text.js';
import { NULL_SEARCH_VALUE, type CatalogTables } from './tables.js';

/** An entity as a source emits it, with where it came from. */
export interface IncomingEntity {
  entity: Entity;
  file: string | null;
  line: number | null;
}

export interface ApplyEntitiesInput {
  /** `location:<id>` or `provider:<name>`. */
  sourceKey: string;
  locationId: string | null;
  /** The files whose entities `incoming` replaces; 'all' replaces everything the source emitted. */
  files: string[] | 'all';
  incoming: IncomingEntity[];
  /** Take entities over from other sources instead of recording a conflict. */
  takeOver: boolean;
  orphanStrategy: 'keep' | 'delete';
}

export interface EntityConflict {
  ref: string;
  heldBy: string;
  file: string | null;
  line: number | null;
}

export interface ApplyEntitiesResult {
  added: string[];
  updated: string[];
  unchanged: number;
  orphaned: string[];
  deleted: string[];
  conflicts: EntityConflict[];
}

const CHUNK = 400;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The entity as stored (its JSON) and that text's hash, which tells an unchanged entity. */
function serializeEntity(entity: Entity): { body: string; hash: string } {
  const body = JSON.stringify(entity);
  return { body, hash: createHash('sha1').update(body).digest('hex') };
}

/**
 * Makes the catalog hold exactly what a source emits from the given files: adds and updates
 * entities (skipping unchanged ones by hash), records conflicts with entities other sources
 * hold, and orphans (or deletes) what the source no longer emits. Run inside a transaction.
 */
export async function applyEntities(db: Kysely<CatalogTables>, adapter: DialectAdapter, registry: KindRegistry, input: ApplyEntitiesInput): Promise<ApplyEntitiesResult> {
  const now = Date.now();
  const result: ApplyEntitiesResult = { added: [], updated: [], unchanged: 0, orphaned: [], deleted: [], conflicts: [] };

  // The last document wins when one source emits the same ref twice.
  const byRef = new Map<string, IncomingEntity & { ref: string; body: string; hash: string }>();
  for (const item of input.incoming) {
    const ref = entityRefOf(item.entity).toLowerCase();
    byRef.set(ref, { ...item, ref, ...serializeEntity(item.entity) });
  }
  const refs = [...byRef.keys()];

  const existing = new Map<string, { id: number; uid: string; source_key: string; hash: string; orphan: number; source_file: string | null }>();
  for (const part of chunks(refs)) {
    const rows = await db.selectFrom('catalog_entities').select(['id', 'uid', 'ref', 'source_key', 'hash', 'orphan', 'source_file']).where('ref', 'in', part).execute();
    for (const row of rows) existing.set(row.ref, row);
  }

  const toInsert: Array<IncomingEntity & { ref: string; body: string; hash: string }> = [];
  const toReplace: Array<IncomingEntity & { ref: string; body: string; hash: string; id: number }> = [];
  for (const item of byRef.values()) {
    const current = existing.get(item.ref);
    if (!current) {
      toInsert.push(item);
      continue;
    }
    const ours = current.source_key === input.sourceKey;
    if (!ours && current.orphan === 0 && !input.takeOver) {
      result.conflicts.push({ ref: item.ref, heldBy: current.source_key, file: item.file, line: item.line });
      continue;
    }
    if (ours && current.orphan === 0 && current.hash === item.hash && current.source_file === item.file) {
      result.unchanged++;
      continue;
    }
    toReplace.push({ ...item, id: current.id });
  }

  // Replace: drop what the old version derived, then write the new version in place (uid kept).
  if (toReplace.length) {
    await deriveNothingFrom(db, adapter, toReplace.map((r) => r.id));
    for (const item of toReplace) {
      await db
        .updateTable('catalog_entities')
        .set({
          source_key: input.sourceKey,
          location_id: input.locationId,
          source_file: item.file,
          source_line: item.line,
          body: item.body,
          hash: item.hash,
          etag: randomUUID(),
          orphan: 0,
          updated_at: now,
        })
        .where('id', '=', item.id)
        .execute();
      result.updated.push(item.ref);
    }
  }

  const inserted: Array<{ id: number; item: IncomingEntity & { ref: string } }> = [];
  for (const part of chunks(toInsert, 200)) {
    const values = part.map((item) => {
      const row = [
        timeOrderedUuid(now),
        item.ref,
        item.entity.kind.toLowerCase(),
        (item.entity.metadata.namespace ?? 'default').toLowerCase(),
        item.entity.metadata.name,
        input.sourceKey,
        input.locationId,
        item.file,
        item.line,
        item.body,
        item.hash,
        randomUUID(),
        0,
        now,
        now,
      ];
      return sql`(${sql.join(row)})`;
    });
    const { rows } = await sql<{ id: number; ref: string }>`insert into catalog_entities (uid, ref, kind, namespace, name, source_key, location_id, source_file, source_line, body, hash, etag, orphan, created_at, updated_at) values ${sql.join(values)} returning id, ref`.execute(db);
    const idByRef = new Map(rows.map((r) => [r.ref, Number(r.id)]));
    for (const item of part) {
      inserted.push({ id: idByRef.get(item.ref)!, item });
      result.added.push(item.ref);
    }
  }

  await deriveFrom(db, adapter, registry, [...toReplace.map((item) => ({ id: item.id, item })), ...inserted]);

  // What this source emitted from these files before and emits no more.
  let previous = db.selectFrom('catalog_entities').select(['id', 'ref']).where('source_key', '=', input.sourceKey).where('orphan', '=', 0);
  if (input.files !== 'all') {
    if (input.files.length === 0) return result;
    previous = previous.where('source_file', 'in', input.files);
  }
  const gone = (await previous.execute()).filter((row) => !byRef.has(row.ref));
  if (gone.length) {
    if (input.orphanStrategy === 'delete') {
      await deleteEntityRows(db, adapter, gone.map((g) => g.id));
      result.deleted.push(...gone.map((g) => g.ref));
    } else {
      for (const part of chunks(gone.map((g) => g.id))) await db.updateTable('catalog_entities').set({ orphan: 1, updated_at: now }).where('id', 'in', part).execute();
      result.orphaned.push(...gone.map((g) => g.ref));
    }
  }
  return result;
}

/** Writes relations, search rows and full-text rows for entities just stored. */
async function deriveFrom(db: Kysely<CatalogTables>, adapter: DialectAdapter, registry: KindRegistry, stored: Array<{ id: number; item: IncomingEntity }>): Promise<void> {
  // Rows as [source_ref, type, target_ref, origin_id], and [key_id, value, original_value, entity_id]
  // by key (key_id is set once the key's id is known).
  const relations: Array<[string, string, string, number]> = [];
  const fieldsByKey = new Map<string, Array<[number, string, string, number]>>();
  const text: Array<{ id: number; texts: string[] }> = [];
  for (const { id, item } of stored) {
    for (const r of relationsOf(item.entity, registry)) relations.push([r.source.toLowerCase(), r.type, r.target.toLowerCase(), id]);
    addSearchRows(item.entity, (key, value, originalValue) => {
      let rows = fieldsByKey.get(key);
      if (!rows) fieldsByKey.set(key, (rows = []));
      rows.push([0, value, originalValue, id]);
    });
    text.push({ id, texts: fullTextOf(item.entity) });
  }
  const keyIds = await searchKeyIds(db, [...fieldsByKey.keys()]);
  // Sorted by the leading columns of the tree they go into, so that consecutive rows land on
  // neighbouring pages (about 7 % faster ingestion on SQLite at 100,000 entities). Search rows in
  // the tree's full order, key by key: a field that lists one value twice gives two equal rows,
  // now next to each other, and only one is kept.
  relations.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));
  const search: Array<[number, string, string, number]> = [];
  for (const [key, rows] of [...fieldsByKey].sort((a, b) => keyIds.get(a[0])! - keyIds.get(b[0])!)) {
    const keyId = keyIds.get(key)!;
    rows.sort((a, b) => compare(a[1], b[1]) || compare(a[2], b[2]) || a[3] - b[3]);
    let previous: [number, string, string, number] | undefined;
    for (const row of rows) {
      if (previous && row[1] === previous[1] && row[2] === previous[2] && row[3] === previous[3]) continue;
      row[0] = keyId;
      search.push((previous = row));
    }
  }
  await adapter.insertRows(db, 'catalog_relations', ['source_ref', 'type', 'target_ref', 'origin_id'], relations);
  await adapter.insertRows(db, 'catalog_search', ['key_id', 'value', 'original_value', 'entity_id'], search);
  await adapter.insertFullText(db, CATALOG_FULL_TEXT_TABLE, CATALOG_FULL_TEXT_COLUMNS, text);
}

/**
 * The ids of search keys, adding the keys not known yet. Read from the table each time (a few
 * dozen keys per refresh): an id cached in the process could name a key whose insert rolled back.
 */
async function searchKeyIds(db: Kysely<CatalogTables>, keys: string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const read = async (wanted: string[]) => {
    for (const part of chunks(wanted)) {
      for (const row of await db.selectFrom('catalog_search_keys').select(['id', 'key']).where('key', 'in', part).execute()) ids.set(row.key, Number(row.id));
    }
  };
  await read(keys);
  const missing = keys.filter((key) => !ids.has(key));
  if (!missing.length) return ids;
  for (const part of chunks(missing)) {
    await db.insertInto('catalog_search_keys').values(part.map((key) => ({ key }))).onConflict((conflict) => conflict.column('key').doNothing()).execute();
  }
  await read(missing);
  return ids;
}

/** Removes relations, search and full-text rows derived from these entities. */
async function deriveNothingFrom(db: Kysely<CatalogTables>, adapter: DialectAdapter, ids: number[]): Promise<void> {
  for (const part of chunks(ids, 500)) {
    await db.deleteFrom('catalog_relations').where('origin_id', 'in', part).execute();
    await db.deleteFrom('catalog_search').where('entity_id', 'in', part).execute();
  }
  await adapter.deleteFullText(db, CATALOG_FULL_TEXT_TABLE, ids);
}

export async function deleteEntityRows(db: Kysely<CatalogTables>, adapter: DialectAdapter, ids: number[]): Promise<void> {
  await deriveNothingFrom(db, adapter, ids);
  for (const part of chunks(ids, 500)) await db.deleteFrom('catalog_entities').where('id', 'in', part).execute();
}

/** Code-unit order: close enough to either database's index order for locality. */
function compare(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

const MAX_SEARCH_VALUE = 200;

/**
 * Flattens an entity to (key, value) rows for filters and facets, as Backstage does: nested keys
 * joined by dots, one row per array element. originalValue is the value as written when it
 * differs from its lower case, else ''. (`relations.<type>` keys are answered from the relations
 * table: see relationCondition in query-entities.ts.)
 */
function addSearchRows(entity: Entity, add: (key: string, value: string, originalValue: string) => void): void {
  const push = (key: string, value: unknown) => {
    if (value === null || value === undefined) {
      add(key, NULL_SEARCH_VALUE, '');
      return;
    }
    const text = String(value);
    if (text.length > MAX_SEARCH_VALUE || key.length > MAX_SEARCH_VALUE) return;
    // Most values (names, refs, types) are lower case already: not storing them twice keeps the
    // search table, which every write updates at random places, smaller.
    const lower = text.toLowerCase();
    add(key, lower, lower === text ? '' : text);
  };
  const walk = (prefix: string, value: unknown) => {
    if (Array.isArray(value)) {
      for (const element of value) walk(prefix, element);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k.toLowerCase()}` : k.toLowerCase(), v);
    } else {
      push(prefix, value);
    }
  };
  const { relations: _relations, ...rest } = entity;
  walk('', { ...rest, metadata: { namespace: 'default', ...entity.metadata } });
}
