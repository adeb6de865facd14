import { KIND_DEFINITION_KIND, TEMPLATE_API_VERSION } from './built-in-kinds.js';
import { DEFAULT_NAMESPACE, type Entity } from './entity.js';
import {
  FORMAT_EXPECTATIONS,
  isNonBlankString,
  isValidAnnotationKey,
  isValidAnnotationValue,
  isValidApiVersion,
  isValidEntityName,
  isValidKindName,
  isValidLabelKey,
  isValidLabelValue,
  isValidNamespace,
  isValidTag,
  isValidUrl,
} from './field-formats.js';
import { checkKindDefinitionSpec } from './kind-definition.js';
import type { KindDefinition, KindRegistry } from './kind-registry.js';
import { resolveRelationField } from './relations.js';
import { checkSpec, formatPath } from './spec-schema.js';

/** One broken rule: which, what was expected, and where in the document. */
export interface EntityFinding {
  /** A stable name of the rule, e.g. `metadata.name.format`, `spec.schema.required`. */
  rule: string;
  message: string;
  /** Path from the document root, e.g. `['metadata', 'tags', 1]`; for a missing field, the field's own path. */
  path: Array<string | number>;
}

export type ValidationResult = { ok: true; entity: Entity } | { ok: false; errors: EntityFinding[] };

/** Rules whose finding is about a mapping key rather than a value (so it is located at the key). */
export const KEY_RULES: ReadonlySet<string> = new Set(['entity.field.unknown', 'metadata.labels.key', 'metadata.annotations.key', 'spec.schema.additionalProperties']);

const ROOT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'relations', 'status'];

/**
 * Checks an entity as Backstage's default policies and kind validators would (known
 * apiVersion/kind, the formats of name, namespace, labels, annotations, tags and links, the kind's
 * spec schema, parseable relation refs) and returns every finding, or the entity with
 * `metadata.namespace` defaulted to `default` and `kind` spelled as its definition spells it.
 */
export function validateEntity(raw: unknown, registry: KindRegistry): ValidationResult {
  const { findings, entity } = inspectEntity(raw, registry);
  return entity ? { ok: true, entity } : { ok: false, errors: findings };
}

/**
 * validateEntity, except that findings at or below any of the `ignore` paths are dropped (used for
 * values that are still `$text`/`$json`/`$yaml` placeholders). The entity is returned when no other
 * finding remains.
 */
export function inspectEntity(raw: unknown, registry: KindRegistry, ignore: ReadonlyArray<ReadonlyArray<string | number>> = []): { findings: EntityFinding[]; entity?: Entity } {
  const all: EntityFinding[] = [];
  const add = (rule: string, path: Array<string | number>, message: string) => all.push({ rule, path, message });

  if (!isPlainObject(raw)) {
    add('entity.type', [], `a catalog entity must be a mapping with apiVersion, kind, metadata and spec, got ${describe(raw)}`);
    return { findings: all };
  }
  if (raw.apiVersion === undefined && raw.kind === undefined && raw.metadata === undefined) {
    add('entity.type', [], 'this document is not a catalog entity: it has no apiVersion, kind or metadata');
    return { findings: all };
  }
  for (const key of Object.keys(raw)) {
    if (!ROOT_FIELDS.includes(key)) add('entity.field.unknown', [key], `unknown field "${key}" at the top of the entity; it may have only apiVersion, kind, metadata and spec`);
  }
  const definition = checkEnvelope(raw, registry, add);
  checkMetadata(raw.metadata, add);
  // A spec is checked against the schema of its apiVersion; for an unsupported one there is none.
  if (definition && definition.apiVersions.includes(raw.apiVersion as string)) checkKindSpec(raw, definition, add);

  const findings = ignore.length === 0 ? all : all.filter((f) => !ignore.some((prefix) => startsWith(f.path, prefix)));
  if (findings.length > 0 || !definition) return { findings };
  const entity = structuredClone(raw) as Entity;
  entity.kind = definition.kind;
  if (!entity.metadata.namespace) entity.metadata.namespace = DEFAULT_NAMESPACE;
  return { findings, entity };
}

type Add = (rule: string, path: Array<string | number>, message: string) => void;

function checkEnvelope(raw: Record<string, unknown>, registry: KindRegistry, add: Add): KindDefinition | undefined {
  const { apiVersion, kind } = raw;
  if (apiVersion === undefined || apiVersion === null) add('apiVersion.required', ['apiVersion'], 'apiVersion is required (e.g. backstage.io/v1alpha1)');
  else if (!isValidApiVersion(apiVersion)) add('apiVersion.format', ['apiVersion'], `apiVersion ${show(apiVersion)} must be ${FORMAT_EXPECTATIONS.apiVersion}`);

  if (kind === undefined || kind === null) {
    add('kind.required', ['kind'], 'kind is required (e.g. Component)');
    return undefined;
  }
  if (!isValidKindName(kind)) {
    add('kind.format', ['kind'], `kind ${show(kind)} must be ${FORMAT_EXPECTATIONS.kind}`);
    return undefined;
  }
  const definition = registry.get(kind);
  if (!definition) {
    const known = registry
      .all()
      .map((d) => d.kind)
      .sort((a, b) => a.localeCompare(b))
      .join(', ');
    add('kind.unknown', ['kind'], `kind "${kind}" is not known (known kinds: ${known}); define it with a ${KIND_DEFINITION_KIND} entity (apiVersion plinth.dev/v1alpha1)`);
    return undefined;
  }
  if (typeof apiVersion === 'string' && isValidApiVersion(apiVersion) && !definition.apiVersions.includes(apiVersion)) {
    const expected =
      definition.kind === 'Template'
        ? `Plinth reads templates in ${TEMPLATE_API_VERSION}, Backstage's current format (migrate older backstage.io/v1alpha1 and v1beta2 templates: https://backstage.io/docs/features/software-templates/migrating-from-v1beta2-to-v1beta3)`
        : `use ${definition.apiVersions.join(' or ')}`;
    add('apiVersion.unsupported', ['apiVersion'], `apiVersion "${apiVersion}" is not supported for kind ${definition.kind}: ${expected}`);
  }
  return definition;
}

function checkMetadata(metadata: unknown, add: Add): void {
  if (metadata === undefined || metadata === null) {
    add('metadata.required', ['metadata'], 'metadata is required, with at least a name');
    return;
  }
  if (!isPlainObject(metadata)) {
    add('metadata.type', ['metadata'], `metadata must be a mapping with at least a name, got ${describe(metadata)}`);
    return;
  }
  const { name, namespace, title, description, uid, etag, labels, annotations, tags, links } = metadata;
  if (name === undefined || name === null) add('metadata.name.required', ['metadata', 'name'], 'metadata.name is required');
  else if (!isValidEntityName(name)) add('metadata.name.format', ['metadata', 'name'], `metadata.name ${show(name)} must be ${FORMAT_EXPECTATIONS.entityName}`);
  if (namespace !== undefined && !isValidNamespace(namespace)) {
    add('metadata.namespace.format', ['metadata', 'namespace'], `metadata.namespace ${show(namespace)} must be ${FORMAT_EXPECTATIONS.namespace}`);
  }
  for (const [field, value] of [['title', title], ['description', description]] as const) {
    if (value !== undefined && typeof value !== 'string') add(`metadata.${field}.type`, ['metadata', field], `metadata.${field} must be a string, got ${describe(value)}`);
  }
  for (const [field, value] of [['uid', uid], ['etag', etag]] as const) {
    if (value !== undefined && !isNonBlankString(value)) add(`metadata.${field}.type`, ['metadata', field], `metadata.${field} must be a non-empty string`);
  }
  checkKeyValues('labels', labels, isValidLabelKey, isValidLabelValue, `must be ${FORMAT_EXPECTATIONS.labelValue}`, add);
  checkKeyValues('annotations', annotations, isValidAnnotationKey, isValidAnnotationValue, 'must be a string (quote numbers and booleans)', add);

  if (tags !== undefined) {
    if (!Array.isArray(tags)) add('metadata.tags.type', ['metadata', 'tags'], `metadata.tags must be a list, got ${describe(tags)}`);
    else
      tags.forEach((tag, i) => {
        if (!isValidTag(tag)) add('metadata.tags.format', ['metadata', 'tags', i], `metadata.tags[${i}] ${show(tag)} must be ${FORMAT_EXPECTATIONS.tag}`);
      });
  }

  if (links !== undefined) {
    if (!Array.isArray(links)) {
      add('metadata.links.type', ['metadata', 'links'], `metadata.links must be a list of { url, title?, icon?, type? }, got ${describe(links)}`);
      return;
    }
    links.forEach((link, i) => {
      const at = ['metadata', 'links', i];
      const name = `metadata.links[${i}]`;
      if (!isPlainObject(link)) {
        add('metadata.links.type', at, `${name} must be a mapping { url, title?, icon?, type? }, got ${describe(link)}`);
        return;
      }
      if (link.url === undefined || link.url === null) add('metadata.links.url', [...at, 'url'], `${name}.url is required`);
      else if (!isValidUrl(link.url)) add('metadata.links.url', [...at, 'url'], `${name}.url ${show(link.url)} must be ${FORMAT_EXPECTATIONS.url}`);
      if (link.title !== undefined && !isNonBlankString(link.title)) add('metadata.links.title', [...at, 'title'], `${name}.title must be a non-empty string, got ${show(link.title)}`);
      if (link.icon !== undefined && !isValidEntityName(link.icon)) add('metadata.links.icon', [...at, 'icon'], `${name}.icon ${show(link.icon)} must be ${FORMAT_EXPECTATIONS.entityName}`);
      if (link.type !== undefined && !isNonBlankString(link.type)) add('metadata.links.type', [...at, 'type'], `${name}.type must be a non-empty string, got ${show(link.type)}`);
    });
  }
}

function checkKeyValues(
  field: 'labels' | 'annotations',
  value: unknown,
  isValidKey: (v: unknown) => boolean,
  isValidValue: (v: unknown) => boolean,
  valueExpectation: string,
  add: Add,
): void {
  if (value === undefined) return;
  if (!isPlainObject(value)) {
    add(`metadata.${field}.type`, ['metadata', field], `metadata.${field} must be a mapping of keys to strings, got ${describe(value)}`);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const path = ['metadata', field, key];
    if (!isValidKey(key)) add(`metadata.${field}.key`, path, `metadata.${field} key "${key}" must be ${FORMAT_EXPECTATIONS.key}`);
    if (!isValidValue(item)) add(`metadata.${field}.value`, path, `${formatPath(path)} ${show(item)} ${valueExpectation}`);
  }
}

function checkKindSpec(raw: Record<string, unknown>, definition: KindDefinition, add: Add): void {
  let spec = raw.spec;
  if (spec === undefined || spec === null) {
    if (definition.builtIn) {
      const required = (definition.specSchema as { required?: string[] }).required ?? [];
      add('spec.required', ['spec'], `spec is required for kind ${definition.kind}${required.length ? ` (with ${required.join(', ')})` : ''}`);
      return;
    }
    spec = {};
  }
  if (!isPlainObject(spec)) {
    add('spec.type', ['spec'], `spec must be a mapping, got ${describe(spec)}`);
    return;
  }
  const problems = checkSpec(definition, spec);
  for (const problem of problems) add(problem.rule, problem.path, problem.message);

  const namespace = isPlainObject(raw.metadata) && typeof raw.metadata.namespace === 'string' && raw.metadata.namespace ? raw.metadata.namespace : DEFAULT_NAMESPACE;
  const flagged = new Set(problems.map((p) => p.path.join('\u0000')));
  for (const field of definition.relationFields) {
    for (const value of resolveRelationField({ ...raw, spec } as Entity, field, namespace)) {
      if (flagged.has(value.path.join('\u0000'))) continue;
      const where = formatPath(value.path);
      if (value.error) {
        add('spec.ref', value.path, `${where}: ${value.error}`);
      } else if (value.ref && field.allowedKinds && !field.allowedKinds.some((k) => k.toLowerCase() === value.ref!.kind.toLowerCase())) {
        add('spec.ref.kind', value.path, `${where} ${show(value.written)} must refer to ${field.allowedKinds.join(' or ')}, not ${value.ref.kind}`);
      }
    }
  }

  if (definition.kind === KIND_DEFINITION_KIND && problems.length === 0) {
    const kind = spec.kind as string;
    const name = isPlainObject(raw.metadata) ? raw.metadata.name : undefined;
    if (name !== kind.toLowerCase()) {
      add('metadata.name.kind', ['metadata', 'name'], `metadata.name of a ${KIND_DEFINITION_KIND} must be its kind in lower case, "${kind.toLowerCase()}", got ${show(name)}`);
    }
    for (const problem of checkKindDefinitionSpec(spec, ['spec']).problems) add(problem.rule, problem.path, problem.message);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function startsWith(path: ReadonlyArray<string | number>, prefix: ReadonlyArray<string | number>): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

/** A value as it appears in a message: strings quoted, the rest as JSON. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${show(value)}`;
}
