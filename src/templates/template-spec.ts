import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { PlinthError, type ErrorDetail, type ErrorLocation } from '../core/errors.js';
import { parseYamlDocuments } from '../core/yaml.js';
import { isTruthy, renderTemplateValue } from './render.js';

export const TEMPLATE_API_VERSION = 'scaffolder.backstage.io/v1beta3';

export interface TemplateStep {
  id?: string;
  name?: string;
  action: string;
  input?: Record<string, unknown>;
  if?: string | boolean;
  each?: string | unknown[] | Record<string, unknown>;
}

/** A Template entity (`scaffolder.backstage.io/v1beta3`), as the catalog stores it. */
export interface TemplateEntity {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; title?: string; description?: string; [key: string]: unknown };
  spec: {
    owner?: string;
    type?: string;
    parameters?: JsonSchema | JsonSchema[];
    steps?: TemplateStep[];
    output?: Record<string, unknown>;
    [key: string]: unknown;
  };
}

export type JsonSchema = Record<string, unknown>;

/** Where each part of the template came from (for file:line in errors), when known. */
export type LocateInTemplate = (path: Array<string | number>) => ErrorLocation | undefined;

/** The steps of the parameter form, as GET …/parameter-schema answers. */
export interface ParameterSchema {
  title: string;
  description?: string;
  steps: Array<{ title: string; description?: string; schema: JsonSchema }>;
}

export function templateRefOf(entity: TemplateEntity): string {
  return `template:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`;
}

/** Checks what the engine relies on (the catalog validated the rest). */
export function assertRunnableTemplate(raw: unknown, locate: LocateInTemplate = () => undefined): TemplateEntity {
  const entity = raw as TemplateEntity;
  const fail = (message: string, path: Array<string | number>) => {
    throw new PlinthError('TEMPLATE_INVALID', message, { location: locate(path) ?? { field: `/${path.join('/')}` } });
  };
  if (!entity || typeof entity !== 'object' || entity.kind !== 'Template') fail('a template is an entity of kind Template', ['kind']);
  if (entity.apiVersion !== TEMPLATE_API_VERSION) fail(`Plinth runs templates in ${TEMPLATE_API_VERSION}, not ${String(entity.apiVersion)}`, ['apiVersion']);
  if (!entity.metadata || typeof entity.metadata.name !== 'string') fail('metadata.name is required', ['metadata']);
  if (!entity.spec || typeof entity.spec !== 'object') fail('spec is required', ['spec']);
  const steps = entity.spec.steps ?? [];
  if (!Array.isArray(steps)) fail('spec.steps must be a list of steps', ['spec', 'steps']);
  const ids = new Set<string>();
  steps.forEach((step, index) => {
    if (!step || typeof step.action !== 'string') fail(`step ${index + 1} has no action`, ['spec', 'steps', index]);
    if (step.id !== undefined) {
      if (ids.has(step.id)) fail(`step id '${step.id}' is used twice`, ['spec', 'steps', index, 'id']);
      ids.add(step.id);
    }
  });
  return entity;
}

/** `ui:*` keys drive the form only; ajv must not see them. */
export function stripUiKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUiKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (!key.startsWith('ui:')) out[key] = stripUiKeys(item);
    return out;
  }
  return value;
}

function pagesOf(entity: TemplateEntity): JsonSchema[] {
  const parameters = entity.spec.parameters;
  if (!parameters) return [];
  return Array.isArray(parameters) ? parameters : [parameters];
}

export function parameterSchemaOf(entity: TemplateEntity): ParameterSchema {
  return {
    title: entity.metadata.title ?? entity.metadata.name,
    description: entity.metadata.description,
    steps: pagesOf(entity).map((page) => ({ title: String(page.title ?? 'Please enter the following information'), description: page.description as string | undefined, schema: page })),
  };
}

/** Parameter names whose form field hides the value: stored encrypted, masked in logs. */
export function secretParameterNames(entity: TemplateEntity): string[] {
  const names = new Set<string>();
  const visit = (schema: unknown) => {
    if (!schema || typeof schema !== 'object') return;
    const properties = (schema as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
    for (const [name, property] of Object.entries(properties)) {
      if (property?.['ui:field'] === 'Secret' || property?.['ui:widget'] === 'password') names.add(name);
    }
    for (const key of ['dependencies', 'allOf', 'oneOf', 'anyOf', 'then', 'else']) {
      const nested = (schema as Record<string, unknown>)[key];
      if (Array.isArray(nested)) nested.forEach(visit);
      else if (nested && typeof nested === 'object') (key === 'dependencies' ? Object.values(nested) : [nested]).forEach(visit);
    }
  };
  pagesOf(entity).forEach(visit);
  return [...names];
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
addFormats.default(ajv);
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

function describeValueError(error: ErrorObject): ErrorDetail {
  const field = error.keyword === 'required' ? `${error.instancePath}/${String(error.params.missingProperty)}` : error.instancePath || '/';
  const message =
    error.keyword === 'required'
      ? `'${String(error.params.missingProperty)}' is required`
      : error.keyword === 'enum'
        ? `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
        : (error.message ?? 'is invalid');
  return { message, location: { field: `/values${field === '/' ? '' : field}` } };
}

function compilePage(page: JsonSchema): ValidateFunction {
  let validate = compiled.get(page);
  if (!validate) {
    const stripped = stripUiKeys(page) as JsonSchema;
    // Page-level keys of the form, not of the schema.
    for (const key of ['title', 'description', 'if']) delete stripped[key];
    try {
      validate = ajv.compile({ type: 'object', ...stripped });
    } catch (error) {
      throw new PlinthError('TEMPLATE_INVALID', `spec.parameters is not a valid JSON Schema: ${(error as Error).message}`, { cause: error });
    }
    compiled.set(page, validate);
  }
  return validate;
}

/**
 * Validates the values of a run against the template's parameter pages, each its own schema,
 * as the form checks them page by page. A page with `if: ${{ … }}` that is false for the values
 * is skipped, as the form hides it. Defaults are filled in. Throws TEMPLATE_VALUES_INVALID
 * listing every invalid field.
 */
export function validateParameterValues(entity: TemplateEntity, values: unknown): Record<string, unknown> {
  if (!values || typeof values !== 'object' || Array.isArray(values)) {
    throw new PlinthError('TEMPLATE_VALUES_INVALID', 'values must be an object of parameter names to values', { location: { field: '/values' } });
  }
  const copy = structuredClone(values) as Record<string, unknown>;
  const errors: ErrorObject[] = [];
  pagesOf(entity).forEach((page, index) => {
    if (page.if !== undefined) {
      const shown = typeof page.if === 'string' ? renderTemplateValue(page.if, { parameters: copy }, { what: `spec.parameters[${index}].if` }) : page.if;
      if (!isTruthy(shown)) return;
    }
    const validate = compilePage(page);
    if (!validate(copy)) errors.push(...(validate.errors ?? []));
  });
  if (errors.length === 0) return copy;
  // oneOf/anyOf/if wrappers repeat what the field errors say.
  const fieldErrors = errors.filter((e) => !['oneOf', 'anyOf', 'if', 'allOf'].includes(e.keyword));
  const details = [...new Map((fieldErrors.length ? fieldErrors : errors).map((e) => describeValueError(e)).map((d) => [`${d.location!.field} ${d.message}`, d])).values()];
  throw new PlinthError('TEMPLATE_VALUES_INVALID', `invalid values: ${details.map((d) => `${d.location!.field}: ${d.message}`).join('; ')}`, { details });
}

/**
 * Positions of a template's values in its YAML file, so errors can say template.yaml:42:9.
 * Undefined when the source is not a local file or the entity is not found in it.
 */
export async function locateTemplateInFile(file: string | undefined, entity: TemplateEntity): Promise<LocateInTemplate | undefined> {
  if (!file || !path.isAbsolute(file)) return undefined;
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const document = parseYamlDocuments(text, file, 'TEMPLATE_INVALID').find((doc) => {
      const value = doc.value as Partial<TemplateEntity> | null;
      return value?.kind === entity.kind && value.metadata?.name === entity.metadata.name;
    });
    return document ? (p) => document.locate(p) : undefined;
  } catch {
    return undefined;
  }
}
