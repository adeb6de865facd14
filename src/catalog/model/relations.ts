import { DEFAULT_NAMESPACE, type Entity } from './entity.js';
import { parseEntityRef, splitEntityRef, stringifyEntityRef, type CompoundEntityRef } from './entity-ref.js';
import type { KindRegistry, RelationField } from './kind-registry.js';

/** Backstage's well-known relation types (`packages/catalog-model/src/kinds/relations.ts`), in pairs. */
export const RELATION_OWNED_BY = 'ownedBy';
export const RELATION_OWNER_OF = 'ownerOf';
export const RELATION_CONSUMES_API = 'consumesApi';
export const RELATION_API_CONSUMED_BY = 'apiConsumedBy';
export const RELATION_PROVIDES_API = 'providesApi';
export const RELATION_API_PROVIDED_BY = 'apiProvidedBy';
export const RELATION_DEPENDS_ON = 'dependsOn';
export const RELATION_DEPENDENCY_OF = 'dependencyOf';
export const RELATION_PARENT_OF = 'parentOf';
export const RELATION_CHILD_OF = 'childOf';
export const RELATION_MEMBER_OF = 'memberOf';
export const RELATION_HAS_MEMBER = 'hasMember';
export const RELATION_PART_OF = 'partOf';
export const RELATION_HAS_PART = 'hasPart';

/** One directed edge between two entities, both as stringified refs. */
export interface EntityRelationEdge {
  source: string;
  type: string;
  target: string;
}

/**
 * Every relation the entity's relation fields produce, in both directions: for `spec.owner: team-a`
 * on component `x`, `x ownedBy group:<ns>/team-a` and `group:<ns>/team-a ownerOf x`. Refs are
 * resolved with the field's default kind and the entity's own namespace. Duplicates are removed;
 * refs that do not parse are skipped (validateEntity reports them). Linear in the number of refs.
 */
export function relationsOf(entity: Entity, registry: KindRegistry): EntityRelationEdge[] {
  const definition = registry.get(entity.kind);
  if (!definition) return [];
  const namespace = entity.metadata.namespace || DEFAULT_NAMESPACE;
  const self = stringifyEntityRef({ kind: definition.kind, namespace, name: entity.metadata.name });
  // Every edge starts or ends at this entity, so duplicates are found per relation type by the
  // other end alone: no composite string keys for 10,000-member groups.
  const outgoing = new Map<string, Set<string>>();
  const incoming = new Map<string, Set<string>>();
  const edges: EntityRelationEdge[] = [];
  const isNew = (index: Map<string, Set<string>>, type: string, other: string) => {
    let seen = index.get(type);
    if (!seen) index.set(type, (seen = new Set()));
    if (seen.has(other)) return false;
    seen.add(other);
    return true;
  };
  const lower = createLowerCaser();
  for (const field of definition.relationFields) {
    const value = valueAt(entity, field.path);
    const written = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
    for (const item of written) {
      const parts = typeof item === 'string' ? splitEntityRef(item) : undefined;
      const kind = parts?.kind ?? field.defaultKind;
      if (!parts || !kind) continue;
      const target = `${lower(kind)}:${lower(parts.namespace ?? namespace)}/${parts.name}`;
      if (isNew(outgoing, field.relation, target)) edges.push({ source: self, type: field.relation, target });
      // A self-reference's reverse edge also leaves this entity.
      if (isNew(target === self ? outgoing : incoming, field.reverse, target)) edges.push({ source: target, type: field.reverse, target: self });
    }
  }
  return edges;
}

/** stringifyEntityRef's lower-casing, remembered: the kinds and namespaces of one entity's refs repeat. */
function createLowerCaser(): (value: string) => string {
  const cache = new Map<string, string>();
  return (value) => {
    let lowered = cache.get(value);
    if (lowered === undefined) cache.set(value, (lowered = value.toLocaleLowerCase('en-US')));
    return lowered;
  };
}

/** One value of a relation field: where it is, what was written, and the ref it resolves to (or why not). */
export interface RelationFieldValue {
  path: Array<string | number>;
  written: unknown;
  ref?: CompoundEntityRef;
  error?: string;
}

/** The values of a relation field (a single ref or a list of them), each resolved against the defaults. */
export function resolveRelationField(entity: Entity, field: RelationField, namespace: string): RelationFieldValue[] {
  const path = field.path.split('.');
  const node = valueAt(entity, field.path);
  if (node === undefined || node === null) return [];
  const items: Array<{ path: Array<string | number>; written: unknown }> = Array.isArray(node)
    ? node.map((written, i) => ({ path: [...path, i], written }))
    : [{ path, written: node }];
  const context = { defaultKind: field.defaultKind, defaultNamespace: namespace };
  return items.map((item) => {
    if (typeof item.written !== 'string') return { ...item, error: 'must be an entity ref string' };
    try {
      return { ...item, ref: parseEntityRef(item.written, context) };
    } catch (error) {
      return { ...item, error: (error as Error).message };
    }
  });
}

/** The value at a dotted path (`spec.owner`), or undefined when a step is missing or not a mapping. */
function valueAt(entity: Entity, dottedPath: string): unknown {
  let node: unknown = entity;
  for (const segment of dottedPath.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}
