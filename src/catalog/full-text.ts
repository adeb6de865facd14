import type { Entity } from './model/index.js';

/** The catalog's full-text index: one row per entity, one column per field searched. */
export const CATALOG_FULL_TEXT_TABLE = 'catalog_fts';
/** The entity fields full-text search reads, one column each (a search may keep to some). */
export const CATALOG_FULL_TEXT_FIELDS = { name: 'metadata.name', title: 'metadata.title', description: 'metadata.description', tags: 'metadata.tags' } as const;
export const CATALOG_FULL_TEXT_COLUMNS = Object.keys(CATALOG_FULL_TEXT_FIELDS);

/**
 * The texts of an entity's full-text columns, in CATALOG_FULL_TEXT_COLUMNS order, in lower case:
 * both full-text indexes fold case anyway, and a substring check on the columns (a search kept to
 * some fields) then needs no case folding in SQL, which SQLite does for ASCII only.
 */
export function fullTextOf(entity: Entity): string[] {
  const { name, title, description, tags } = entity.metadata;
  const text = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : '');
  return [text(name), text(title), text(description), (tags ?? []).filter((tag) => typeof tag === 'string').join(' ').toLowerCase()];
}
