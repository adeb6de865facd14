import type { Generated } from 'kysely';

/** Tables owned by catalog/. */
export type CatalogTables = {
  catalog_locations: DbLocationRow;
  catalog_files: DbFileRow;
  catalog_entities: DbEntityRow;
  catalog_relations: DbRelationRow;
  catalog_search: DbSearchRow;
  catalog_search_keys: DbSearchKeyRow;
  catalog_problems: DbProblemRow;
};

export interface DbLocationRow {
  id: string;
  type: string;
  target: string;
  /** `type:target`, unique. */
  key: string;
  /** Set for locations a Location entity declared; they live and die with their parent. */
  parent_id: string | null;
  /** The parent's file whose Location entity declared this one. */
  parent_file: string | null;
  /** Who declared it: api, config, entity. */
  origin: string;
  /** `refresh` takes entities over from other locations on conflict; `keep` (default) does not. */
  on_conflict: string;
  created_by: string;
  created_at: number;
  refreshed_at: number | null;
  status: 'pending' | 'ok' | 'error';
  last_error: string | null;
}

export interface DbFileRow {
  location_id: string;
  path: string;
  hash: string;
  refreshed_at: number;
}

export interface DbEntityRow {
  id: Generated<number>;
  uid: string;
  /** `kind:namespace/name`, lower-cased: the identity refs are matched by. */
  ref: string;
  kind: string;
  namespace: string;
  name: string;
  /** `location:<id>` or `provider:<name>`: who emits the entity. */
  source_key: string;
  location_id: string | null;
  /** The file (within the location) and line the entity came from, for edit links and errors. */
  source_file: string | null;
  source_line: number | null;
  /** The entity as ingested (without uid, etag, relations), JSON. */
  body: string;
  hash: string;
  etag: string;
  orphan: number;
  created_at: number;
  updated_at: number;
}

export interface DbRelationRow {
  source_ref: string;
  type: string;
  target_ref: string;
  /** The entity whose descriptor produced the relation (both directions carry it). */
  origin_id: number;
}

/**
 * One (field, value) of an entity, for filters, facets and field orders. The table is stored in the
 * order of its key (key_id, value, original_value, entity_id), the order filters and facets read;
 * refreshes write it at random places and append to its (entity_id, key_id) index.
 */
export interface DbSearchRow {
  /** The field (`spec.owner`) as a number: see catalog_search_keys. */
  key_id: number;
  /** Lower-cased, for filters; NULL_SEARCH_VALUE where the field is null. */
  value: string;
  /** As written where that differs from value, else '': for facets. */
  original_value: string;
  entity_id: number;
}

/** The search rows' fields, each once: the rows hold a number instead of a text of ~15 bytes. */
export interface DbSearchKeyRow {
  id: Generated<number>;
  key: string;
}

/**
 * The value of a search row whose field is null (`spec.x: ~`): the field exists (a key-only filter
 * matches it) but has no value. Key columns cannot be null; filters compare lower-cased values,
 * which this is not, so none matches it, and facets, orders and substring checks leave it out.
 */
export const NULL_SEARCH_VALUE = '\u0001NULL';

export interface DbProblemRow {
  id: Generated<number>;
  kind: 'error' | 'conflict';
  location_id: string | null;
  entity_ref: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  rule: string;
  message: string;
  created_at: number;
}

/** The index of the columns a page query reads of each entity (see migration 0014). */
export const CATALOG_ENTITIES_PAGE_INDEX = 'catalog_entities_page';
