import { DEFAULT_NAMESPACE, type Entity } from './entity.js';
import { parseEntityRef, stringifyEntityRef, type CompoundEntityRef } from './entity-ref.js';
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
  const self = stringifyEntityRef({ kind: definition.kind, namespace: entity.metadata.namespace || DEFAULT_NAMESPACE, name: entity.metadata.name });
  const namespace = entity.metadata.namespace || DEFAULT_NAMESPACE;
  const seen = new Set<string>();
  const edges: EntityRelationEdge[] = [];
  const add = (source: string, type: string, target: string) => {
    const key = `${source}\u0000${type}\u0000${target}`;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push({ source, type, target });
  };
  for (const field of definition.relationFields) {
    for (const { ref } of resolveRelationField(entity, field, namespace)) {
      if (!ref) continue;
      const target = stringifyEntityRef(ref);
      add(self, field.relation, target);
      add(target, field.reverse, self);
    }
  }
  return edges;
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
  let node: unknown = entity;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return [];
    node = (node as Record<string, unknown>)[segment];
  }
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
