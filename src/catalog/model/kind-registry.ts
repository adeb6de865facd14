import { PlinthError } from '../../core/errors.js';
import { BUILT_IN_KINDS } from './built-in-kinds.js';

/**
 * A field of a kind's spec that refers to other entities, and the relation pair it produces:
 * `spec.owner: team-a` on a Component gives `component ownedBy group:default/team-a` and
 * `group:default/team-a ownerOf component`.
 */
export interface RelationField {
  /** Dotted path from the entity root, e.g. `spec.owner`. */
  path: string;
  /** The relation from this entity to the referenced one, e.g. `ownedBy`. */
  relation: string;
  /** The relation back from the referenced entity, e.g. `ownerOf`. */
  reverse: string;
  /** The kind assumed when a ref names none; without one, refs must carry their kind. */
  defaultKind?: string;
  /** When set, refs must point at one of these kinds (compared case-insensitively). */
  allowedKinds?: string[];
  /** A list of refs (true) or a single ref (false). */
  many: boolean;
}

export interface KindDefinition {
  /** The kind as written in descriptors, e.g. `Component`; matched case-insensitively. */
  kind: string;
  /** Accepted `apiVersion` values, e.g. `backstage.io/v1alpha1`. */
  apiVersions: string[];
  /** JSON Schema (draft-07) of the entity's `spec`, checked with ajv. */
  specSchema: object;
  relationFields: RelationField[];
  description?: string;
  /** Part of Plinth (true) or defined by a KindDefinition entity or the config (false). */
  builtIn: boolean;
}

/** The stored types a `relations.<type>` key names, and the types of the edges stored back with them. */
export interface RelationTypeNames {
  /** As stored (`ownedBy`) for the key's lower-cased type (`ownedby`). */
  types: string[];
  /** Every `types` edge x → y is stored with one of these y → x (`ownerOf`). */
  reverses: string[];
}

export interface KindRegistry {
  /** The definition of a kind, matched case-insensitively (`component` finds `Component`). */
  get(kind: string): KindDefinition | undefined;
  all(): KindDefinition[];
  /**
   * The relation types a lower-cased name stands for (filter keys are lower case; stored types
   * are as the kinds name them), from every kind's relation fields: each gives its relation and
   * reverse. Worked out once per registry; no types for a name no kind uses.
   */
  relationTypes(lowerType: string): RelationTypeNames;
}

/**
 * The built-in kinds (Backstage's Component, API, Resource, System, Domain, Group, User, Location,
 * the scaffolder's Template, and Plinth's KindDefinition) plus custom ones. A custom kind may not
 * redefine a built-in one, nor may two custom kinds share a name: both throw CATALOG_KIND_INVALID.
 */
export function createKindRegistry(custom: KindDefinition[] = []): KindRegistry {
  const byName = new Map<string, KindDefinition>();
  for (const definition of BUILT_IN_KINDS) byName.set(definition.kind.toLowerCase(), definition);
  for (const definition of custom) {
    const key = definition.kind.toLowerCase();
    const existing = byName.get(key);
    if (existing?.builtIn) {
      throw new PlinthError('CATALOG_KIND_INVALID', `kind ${definition.kind} is built in and cannot be redefined; choose another kind name`);
    }
    if (existing) {
      throw new PlinthError('CATALOG_KIND_INVALID', `kind ${definition.kind} is defined twice (as ${existing.kind} and as ${definition.kind}); keep one definition`);
    }
    byName.set(key, definition);
  }
  const all = [...byName.values()];
  const relationTypes = relationTypesByName(all);
  return {
    get: (kind) => (typeof kind === 'string' ? byName.get(kind.toLowerCase()) : undefined),
    all: () => [...all],
    relationTypes: (lowerType) => relationTypes.get(lowerType) ?? { types: [], reverses: [] },
  };
}

function relationTypesByName(kinds: KindDefinition[]): Map<string, RelationTypeNames> {
  const byName = new Map<string, { types: Set<string>; reverses: Set<string> }>();
  const add = (type: string, reverse: string) => {
    const name = type.toLowerCase();
    let entry = byName.get(name);
    if (!entry) byName.set(name, (entry = { types: new Set(), reverses: new Set() }));
    entry.types.add(type);
    entry.reverses.add(reverse);
  };
  for (const kind of kinds) {
    for (const field of kind.relationFields) {
      add(field.relation, field.reverse);
      add(field.reverse, field.relation);
    }
  }
  return new Map([...byName].map(([name, { types, reverses }]) => [name, { types: [...types], reverses: [...reverses] }]));
}
