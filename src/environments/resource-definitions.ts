/**
 * Resource definitions: which driver provisions a resource type, with which params, where.
 *
 * A definition (YAML in config `environments.resourceDefinitions`, or a definitions file):
 *
 *   - name: orders-db                 # unique; recorded with each resource it provisions
 *     type: postgres                  # what workloads ask for
 *     class: large                    # optional: only this class (default: any class)
 *     id: shared-orders               # optional: only the resource shared by this id
 *     driver: postgres                # a built-in driver, or `command`
 *     params: { adminUrl: … }         # driver params (workload params are merged over them)
 *     criteria:                       # optional: where it applies (all listed must match)
 *       environment: staging
 *       environmentType: production
 *       component: orders
 *
 * matchResourceDefinition picks the most specific match: each of id, class, environment,
 * component, environmentType that a definition pins (and that matches) counts, in that
 * order of weight; a definition pinning nothing is the fallback for its type. Ties between
 * equally specific definitions are an error of the definitions, reported by
 * validateResourceDefinitions.
 *
 * Every built-in driver type has an implicit default definition (named `default-<type>`),
 * so definitions are only needed to change params or add command provisioners.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { PlinthError, type ErrorDetail } from '../core/errors.js';
import { parseYamlDocuments, pointerToPath, type LocatedDocument } from '../core/yaml.js';

export interface ResourceDefinition {
  name: string;
  type: string;
  /** Only resources of this class; unset: any class. */
  class?: string;
  /** Only the resource shared by this id; unset: any. */
  id?: string;
  /** The driver that provisions it (`postgres`, `redis`, …, `command`). */
  driver: string;
  params: Record<string, unknown>;
  criteria: { environment?: string; environmentType?: string; component?: string };
}

export interface ResourceMatchRequest {
  type: string;
  class: string;
  id?: string | null;
  environment: string;
  environmentType: string;
  component: string;
}

/** JSON Schema of one definition (config.ts embeds it for `environments.resourceDefinitions`). */
export const resourceDefinitionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type', 'driver'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' },
    type: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]$' },
    class: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]$' },
    id: { type: 'string', minLength: 2, maxLength: 63 },
    driver: { type: 'string', minLength: 1 },
    params: { type: 'object' },
    criteria: {
      type: 'object',
      additionalProperties: false,
      properties: { environment: { type: 'string', minLength: 1 }, environmentType: { type: 'string', minLength: 1 }, component: { type: 'string', minLength: 1 } },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateList = ajv.compile({ type: 'array', items: resourceDefinitionSchema });

/** The drivers definitions may name: their names, or the drivers (whose settings schemas then check params). */
export type KnownDrivers = ReadonlySet<string> | ReadonlyMap<string, { settingsSchema?: Record<string, unknown> }>;

const settingsValidators = new WeakMap<object, ValidateFunction>();

function settingsProblem(driver: { settingsSchema?: Record<string, unknown> } | undefined, params: Record<string, unknown>): ErrorObject | undefined {
  if (!driver?.settingsSchema) return undefined;
  let validate = settingsValidators.get(driver.settingsSchema);
  if (!validate) {
    validate = ajv.compile(driver.settingsSchema);
    settingsValidators.set(driver.settingsSchema, validate);
  }
  return validate(params) ? undefined : validate.errors?.[0];
}

/**
 * Validates raw definitions against the schema, the known drivers (and their settings) and each other.
 * `locate` maps a path within the list to a file position (YAML) — or use field paths.
 */
export function validateResourceDefinitions(raw: unknown, knownDrivers: KnownDrivers, locate: (at: Array<string | number>, target?: 'key' | 'value') => { file?: string; line?: number; column?: number; field?: string }): ResourceDefinition[] {
  if (!validateList(raw)) {
    const details = (validateList.errors ?? []).map((e) => describe(e, locate));
    throw new PlinthError('RESOURCE_DEFINITION_INVALID', details[0]!.message, { location: details[0]!.location, details });
  }
  const list = (raw as Array<Omit<ResourceDefinition, 'params' | 'criteria'> & Partial<ResourceDefinition>>).map((d) => ({ ...d, params: d.params ?? {}, criteria: d.criteria ?? {} }));
  const seenNames = new Map<string, number>();
  const seenSelectors = new Map<string, number>();
  list.forEach((definition, index) => {
    if (!knownDrivers.has(definition.driver)) {
      throw new PlinthError('RESOURCE_DEFINITION_INVALID', `definition ${definition.name}: unknown driver '${definition.driver}' (known: ${[...knownDrivers.keys()].sort().join(', ')})`, { location: locate([index, 'driver']) });
    }
    const driver = knownDrivers instanceof Map ? (knownDrivers as ReadonlyMap<string, { settingsSchema?: Record<string, unknown> }>).get(definition.driver) : undefined;
    const problem = settingsProblem(driver, definition.params);
    if (problem) {
      const at = pointerToPath(problem.instancePath);
      const extra = problem.keyword === 'additionalProperties' ? String((problem.params as { additionalProperty: unknown }).additionalProperty) : undefined;
      const why = extra ? `unknown setting '${extra}' for driver ${definition.driver} (known: ${Object.keys((driver?.settingsSchema?.properties as object | undefined) ?? {}).join(', ') || 'none'})` : `params${at.length ? `.${at.join('.')}` : ''} ${problem.message ?? 'is invalid'}`;
      throw new PlinthError('RESOURCE_DEFINITION_INVALID', `definition ${definition.name}: ${why}`, { location: extra ? locate([index, 'params', ...at, extra], 'key') : locate([index, 'params', ...at]) });
    }
    const isScoreUri = typeof definition.params.uri === 'string' && definition.params.uri.startsWith('cmd://');
    if (definition.driver === 'command' && !Array.isArray(definition.params.command) && !isScoreUri) {
      throw new PlinthError('RESOURCE_DEFINITION_INVALID', `definition ${definition.name}: driver command needs params.command, the program and its arguments as a list (or Score's params.uri: cmd://…)`, { location: locate([index, 'params']) });
    }
    const earlierName = seenNames.get(definition.name);
    if (earlierName !== undefined) throw new PlinthError('RESOURCE_DEFINITION_INVALID', `definition name '${definition.name}' is used twice (also definition ${earlierName + 1})`, { location: locate([index, 'name']) });
    seenNames.set(definition.name, index);
    const selector = JSON.stringify([definition.type, definition.class, definition.id, definition.criteria.environment, definition.criteria.environmentType, definition.criteria.component]);
    const earlier = seenSelectors.get(selector);
    if (earlier !== undefined) {
      throw new PlinthError('RESOURCE_DEFINITION_INVALID', `definitions ${list[earlier]!.name} and ${definition.name} match exactly the same resources; make one more specific`, { location: locate([index]) });
    }
    seenSelectors.set(selector, index);
  });
  return list;
}

/** Parses and validates a definitions file: a YAML list of definitions. */
export function parseResourceDefinitionsFile(text: string, file: string, knownDrivers: KnownDrivers): ResourceDefinition[] {
  const documents = parseYamlDocuments(text, file, 'RESOURCE_DEFINITION_INVALID');
  const document: LocatedDocument | undefined = documents[0];
  if (!document) return [];
  return validateResourceDefinitions(document.value, knownDrivers, (at, target) => document.locate(at, target));
}

function describe(error: ErrorObject, locate: (at: Array<string | number>, target?: 'key' | 'value') => ErrorDetail['location']): ErrorDetail {
  const at = pointerToPath(error.instancePath);
  const [index, ...rest] = at;
  const field = typeof index === 'number' ? [`definition ${index + 1}`, ...rest].join('.') : 'definitions';
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return { message: `${field}: unknown field '${String(params.additionalProperty)}'`, location: locate([...at, String(params.additionalProperty)], 'key') };
  if (error.keyword === 'required') return { message: `${field}: missing required field '${String(params.missingProperty)}'`, location: locate(at) };
  return { message: `${field}: ${error.message ?? 'is invalid'}`, location: locate(at) };
}

/** The definition built-in drivers get when no definition names their type. */
export function defaultResourceDefinition(type: string): ResourceDefinition {
  return { name: `default-${type}`, type, driver: type, params: {}, criteria: {} };
}

/**
 * The most specific definition for a request. Defaults (one per built-in driver type) come
 * after the configured ones, so any configured definition of a type beats its default.
 */
export function matchResourceDefinition(definitions: readonly ResourceDefinition[], request: ResourceMatchRequest, builtInTypes: ReadonlySet<string> = new Set()): ResourceDefinition {
  let best: { definition: ResourceDefinition; score: number } | undefined;
  for (const definition of definitions) {
    const score = specificity(definition, request);
    if (score === null) continue;
    if (!best || score > best.score) best = { definition, score };
  }
  if (best) return best.definition;
  if (builtInTypes.has(request.type)) return defaultResourceDefinition(request.type);
  const sameType = definitions.filter((d) => d.type === request.type);
  const requested = `type '${request.type}', class '${request.class}'${request.id ? `, id '${request.id}'` : ''} for component ${request.component} in environment ${request.environment} (type ${request.environmentType})`;
  if (sameType.length === 0) {
    const known = [...new Set([...builtInTypes, ...definitions.map((d) => d.type)])].sort();
    throw new PlinthError('RESOURCE_TYPE_UNKNOWN', `no provisioner for resource ${requested}: the known types are ${known.join(', ') || 'none'}`);
  }
  throw new PlinthError('RESOURCE_TYPE_UNKNOWN', `no resource definition matches ${requested}; definitions of type ${request.type}: ${sameType.map((d) => `${d.name} (${describeSelector(d)})`).join('; ')}`);
}

/** null: does not apply. Otherwise higher is more specific; weights make id > class > environment > component > environment type. */
function specificity(definition: ResourceDefinition, request: ResourceMatchRequest): number | null {
  if (definition.type !== request.type) return null;
  let score = 0;
  const pins: Array<[string | undefined, string | null | undefined, number]> = [
    [definition.id, request.id, 16],
    [definition.class, request.class, 8],
    [definition.criteria.environment, request.environment, 4],
    [definition.criteria.component, request.component, 2],
    [definition.criteria.environmentType, request.environmentType, 1],
  ];
  for (const [pinned, actual, weight] of pins) {
    if (pinned === undefined) continue;
    if (pinned !== actual) return null;
    score += weight;
  }
  return score;
}

function describeSelector(definition: ResourceDefinition): string {
  const parts = [
    definition.class && `class ${definition.class}`,
    definition.id && `id ${definition.id}`,
    definition.criteria.environment && `environment ${definition.criteria.environment}`,
    definition.criteria.environmentType && `environment type ${definition.criteria.environmentType}`,
    definition.criteria.component && `component ${definition.criteria.component}`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'any';
}
