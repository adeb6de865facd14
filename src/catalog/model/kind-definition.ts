import { PlinthError, type ErrorLocation } from '../../core/errors.js';
import { KIND_DEFINITION_API_VERSION, KIND_DEFINITION_KIND } from './built-in-kinds.js';
import type { Entity } from './entity.js';
import { isValidApiVersion, isValidKindName, FORMAT_EXPECTATIONS } from './field-formats.js';
import type { KindDefinition, RelationField } from './kind-registry.js';
import { compileSpecSchema, formatPath, type SpecProblem } from './spec-schema.js';

/**
 * A custom kind, as written in the config or in the spec of a `KindDefinition` entity:
 *
 * ```yaml
 * apiVersion: plinth.dev/v1alpha1
 * kind: KindDefinition
 * metadata: { name: environment }          # the kind's name, lower-cased
 * spec:
 *   kind: Environment
 *   apiVersions: [backstage.io/v1alpha1]
 *   description: A place workloads run in
 *   schema: { type: object, required: [lifecycle], properties: { lifecycle: { type: string } } }
 *   relations:
 *     - { field: spec.owner, type: ownedBy, reverse: ownerOf, defaultKind: Group }
 * ```
 */
export interface KindDefinitionSpec {
  kind: string;
  apiVersions: string[];
  description?: string;
  /** JSON Schema (draft-07) of the spec of the kind's entities. */
  schema: object;
  relations?: Array<{ field: string; type: string; reverse: string; defaultKind?: string; allowedKinds?: string[]; many?: boolean }>;
}

/**
 * Reads a custom kind from configuration. Throws CATALOG_KIND_INVALID at `where`, with one detail
 * per problem (the field, and what was expected), when the definition or its schema is invalid.
 */
export function kindDefinitionFromConfig(raw: unknown, where: ErrorLocation = {}): KindDefinition {
  const { definition, problems } = checkKindDefinitionSpec(raw);
  if (definition) return definition;
  throw kindError(problems, where);
}

/** Reads the custom kind a `KindDefinition` entity defines; throws CATALOG_KIND_INVALID when it is not a valid one. */
export function kindDefinitionFromEntity(entity: Entity): KindDefinition {
  const problems = checkKindDefinitionEntity(entity);
  const checked = problems.length === 0 ? checkKindDefinitionSpec(entity.spec, ['spec']) : undefined;
  if (checked?.definition) return checked.definition;
  throw kindError(checked?.problems ?? problems, undefined, `${KIND_DEFINITION_KIND} ${JSON.stringify(entity.metadata?.name)}`);
}

/** The envelope rules of a KindDefinition entity (its spec is checked by checkKindDefinitionSpec). */
export function checkKindDefinitionEntity(entity: Entity): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if (typeof entity.kind !== 'string' || entity.kind.toLowerCase() !== KIND_DEFINITION_KIND.toLowerCase()) {
    problems.push({ rule: 'kind.unknown', path: ['kind'], message: `kind must be ${KIND_DEFINITION_KIND}, got ${JSON.stringify(entity.kind)}` });
  }
  if (entity.apiVersion !== KIND_DEFINITION_API_VERSION) {
    problems.push({ rule: 'apiVersion.unsupported', path: ['apiVersion'], message: `apiVersion of a ${KIND_DEFINITION_KIND} must be ${KIND_DEFINITION_API_VERSION}` });
  }
  const spec = entity.spec;
  if (!spec || typeof spec !== 'object') {
    problems.push({ rule: 'spec.required', path: ['spec'], message: `spec is required (${KIND_DEFINITION_KIND} needs kind, apiVersions and schema)` });
  } else if (typeof spec.kind === 'string' && entity.metadata?.name !== spec.kind.toLowerCase()) {
    problems.push({
      rule: 'metadata.name.kind',
      path: ['metadata', 'name'],
      message: `metadata.name of a ${KIND_DEFINITION_KIND} must be the kind's name in lower case, "${spec.kind.toLowerCase()}", got ${JSON.stringify(entity.metadata?.name)}`,
    });
  }
  return problems;
}

/**
 * Checks a kind definition spec; problem paths start with `prefix` (e.g. `['spec']` for an entity).
 * Returns the definition when there is no problem.
 */
export function checkKindDefinitionSpec(raw: unknown, prefix: Array<string | number> = []): { definition?: KindDefinition; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const at = (...path: Array<string | number>) => [...prefix, ...path];
  const problem = (rule: string, path: Array<string | number>, expectation: string) => problems.push({ rule, path, message: `${formatPath(path) || 'kind definition'} ${expectation}` });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problem('kind.definition.type', at(), 'must be a mapping with kind, apiVersions, schema and (optionally) relations');
    return { problems };
  }
  const spec = raw as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!['kind', 'apiVersions', 'description', 'schema', 'relations'].includes(key)) {
      problem('kind.definition.field', at(key), 'is not a field of a kind definition (kind, apiVersions, description, schema, relations)');
    }
  }
  if (!isValidKindName(spec.kind)) problem('kind.definition.kind', at('kind'), `must be ${FORMAT_EXPECTATIONS.kind}, got ${JSON.stringify(spec.kind)}`);
  if (!Array.isArray(spec.apiVersions) || spec.apiVersions.length === 0) {
    problem('kind.definition.apiVersions', at('apiVersions'), 'must be a non-empty list of apiVersions (e.g. [example.com/v1alpha1])');
  } else {
    spec.apiVersions.forEach((version, i) => {
      if (!isValidApiVersion(version)) problem('kind.definition.apiVersions', at('apiVersions', i), `must be ${FORMAT_EXPECTATIONS.apiVersion}, got ${JSON.stringify(version)}`);
    });
  }
  if (spec.description !== undefined && typeof spec.description !== 'string') problem('kind.definition.description', at('description'), 'must be a string');
  if (typeof spec.schema !== 'object' || spec.schema === null || Array.isArray(spec.schema)) {
    problem('kind.definition.schema', at('schema'), 'must be a JSON Schema object describing the spec (e.g. { type: object, required: [owner] })');
  } else {
    try {
      compileSpecSchema(spec.schema);
    } catch (error) {
      problem('kind.definition.schema', at('schema'), `is not a valid JSON Schema: ${(error as Error).message}`);
    }
  }
  const relationFields: RelationField[] = [];
  if (spec.relations !== undefined && !Array.isArray(spec.relations)) {
    problem('kind.definition.relations', at('relations'), 'must be a list of { field, type, reverse, defaultKind?, allowedKinds?, many? }');
  }
  (Array.isArray(spec.relations) ? spec.relations : []).forEach((item: unknown, i: number) => {
    const field = readRelation(item, at('relations', i), problem);
    if (field) relationFields.push(field);
  });
  if (problems.length > 0) return { problems };
  return {
    problems,
    definition: {
      kind: spec.kind as string,
      apiVersions: [...(spec.apiVersions as string[])],
      specSchema: spec.schema as object,
      relationFields,
      ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
      builtIn: false,
    },
  };
}

function readRelation(item: unknown, path: Array<string | number>, problem: (rule: string, path: Array<string | number>, expectation: string) => void): RelationField | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    problem('kind.definition.relations', path, 'must be a mapping { field, type, reverse, defaultKind?, allowedKinds?, many? }');
    return undefined;
  }
  const relation = item as Record<string, unknown>;
  const before = { ok: true };
  const fail = (key: string, expectation: string) => {
    before.ok = false;
    problem('kind.definition.relations', [...path, key], expectation);
  };
  for (const key of Object.keys(relation)) {
    if (!['field', 'type', 'reverse', 'defaultKind', 'allowedKinds', 'many'].includes(key)) fail(key, 'is not a field of a relation (field, type, reverse, defaultKind, allowedKinds, many)');
  }
  if (typeof relation.field !== 'string' || !/^spec(\.[^.]+)+$/.test(relation.field)) fail('field', `must be a dotted path into the spec (e.g. spec.owner), got ${JSON.stringify(relation.field)}`);
  for (const key of ['type', 'reverse']) {
    if (typeof relation[key] !== 'string' || !/^\w+$/.test(relation[key])) fail(key, `must be a relation name of [A-Za-z0-9_] (e.g. ownedBy), got ${JSON.stringify(relation[key])}`);
  }
  if (relation.defaultKind !== undefined && !isValidKindName(relation.defaultKind)) fail('defaultKind', `must be ${FORMAT_EXPECTATIONS.kind}, got ${JSON.stringify(relation.defaultKind)}`);
  if (relation.allowedKinds !== undefined && !(Array.isArray(relation.allowedKinds) && relation.allowedKinds.every(isValidKindName))) {
    fail('allowedKinds', 'must be a list of kinds (e.g. [Group, User])');
  }
  if (relation.many !== undefined && typeof relation.many !== 'boolean') fail('many', 'must be true or false');
  if (!before.ok) return undefined;
  return {
    path: relation.field as string,
    relation: relation.type as string,
    reverse: relation.reverse as string,
    ...(relation.defaultKind !== undefined ? { defaultKind: relation.defaultKind as string } : {}),
    ...(relation.allowedKinds !== undefined ? { allowedKinds: [...(relation.allowedKinds as string[])] } : {}),
    many: relation.many === true,
  };
}

function kindError(problems: SpecProblem[], where: ErrorLocation | undefined, subject = 'kind definition'): PlinthError {
  const first = problems[0];
  const message = first ? `invalid ${subject}: ${first.message}` : `invalid ${subject}`;
  return new PlinthError('CATALOG_KIND_INVALID', message, {
    location: where,
    details: problems.map((p) => ({ message: p.message, location: where })),
  });
}
