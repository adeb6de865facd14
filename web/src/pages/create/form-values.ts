import type { FieldSchema } from '../../api/scaffolder.js';

/**
 * The wizard's pure logic: default values, per-field validation (with messages a person can act
 * on), and the entity refs and repository URLs the pickers produce. No React here, so
 * test/web checks it without a browser.
 */

export type FormValues = Record<string, unknown>;
/** Field path (`name`, `database.size`) → message. */
export type FieldErrors = Record<string, string>;

export const ENTITY_NAME_RULE = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

export function typeOf(schema: FieldSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

/** Properties in display order: `ui:order` first (with `*` for the rest), else as written. */
export function orderedProperties(schema: FieldSchema): Array<[string, FieldSchema]> {
  const entries = Object.entries(schema.properties ?? {});
  const order = schema['ui:order'];
  if (!order) return entries;
  const named = order.filter((k) => k !== '*');
  const rest = entries.filter(([k]) => !named.includes(k));
  const byKey = new Map(entries);
  const head = named.filter((k) => byKey.has(k)).map((k) => [k, byKey.get(k)!] as [string, FieldSchema]);
  const starAt = order.indexOf('*');
  return starAt < 0 ? [...head, ...rest] : [...head.slice(0, starAt), ...rest, ...head.slice(starAt)];
}

/** Fills schema defaults (nested objects too) where the values have none. */
export function withDefaults(schema: FieldSchema, values: FormValues): FormValues {
  const out: FormValues = { ...values };
  for (const [key, field] of orderedProperties(schema)) {
    if (out[key] === undefined && field.default !== undefined) out[key] = structuredClone(field.default);
    if (typeOf(field) === 'object' && field.properties) out[key] = withDefaults(field, (out[key] as FormValues | undefined) ?? {});
  }
  return out;
}

export function labelOf(key: string, schema: FieldSchema): string {
  return schema.title ?? key;
}

const isEmpty = (value: unknown) => value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

/** The first problem with one value, or undefined. */
export function validateField(key: string, schema: FieldSchema, value: unknown, required: boolean): string | undefined {
  const label = labelOf(key, schema);
  const field = schema['ui:field'];
  if (isEmpty(value)) return required ? `${label} is required.` : undefined;
  if (field === 'RepoUrlPicker') {
    const parsed = parseRepoUrl(String(value));
    if (!parsed.owner) return `${label}: choose an owner (namespace).`;
    if (!parsed.repo) return `${label}: enter a repository name.`;
    if (!ENTITY_NAME_RULE.test(parsed.repo) || parsed.repo !== parsed.repo.toLowerCase()) return `${label}: the repository name may hold lower-case letters, digits, “-”, “_” and “.”.`;
    return undefined;
  }
  if (field === 'EntityNamePicker' && !ENTITY_NAME_RULE.test(String(value))) {
    return `${label} must be 1–63 letters, digits, “-”, “_” or “.”, starting and ending with a letter or digit.`;
  }
  const type = typeOf(schema);
  if (schema.enum && !schema.enum.some((e) => e === value)) return `${label} must be one of ${schema.enum.map(String).join(', ')}.`;
  if (type === 'string') {
    const text = String(value);
    if (schema.minLength !== undefined && text.length < schema.minLength) return `${label} must be at least ${schema.minLength} characters.`;
    if (schema.maxLength !== undefined && text.length > schema.maxLength) return `${label} must be at most ${schema.maxLength} characters.`;
    if (schema.pattern !== undefined && !safeRegExp(schema.pattern)?.test(text)) return `${label} does not have the expected form (${schema.pattern}).`;
    if (schema.format === 'email' && !/^[^@\s]+@[^@\s]+$/.test(text)) return `${label} must be an e-mail address.`;
    if (schema.format === 'uri' && !/^[a-z][a-z0-9+.-]*:/i.test(text)) return `${label} must be a URL.`;
  }
  if (type === 'number' || type === 'integer') {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n)) return `${label} must be a number.`;
    if (type === 'integer' && !Number.isInteger(n)) return `${label} must be a whole number.`;
    if (schema.minimum !== undefined && n < schema.minimum) return `${label} must be at least ${schema.minimum}.`;
    if (schema.maximum !== undefined && n > schema.maximum) return `${label} must be at most ${schema.maximum}.`;
  }
  if (type === 'array' && Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return `${label} needs at least ${schema.minItems} ${schema.minItems === 1 ? 'entry' : 'entries'}.`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${label} takes at most ${schema.maxItems} entries.`;
    if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) return `${label} has the same entry twice.`;
    if (schema.items) {
      for (const [i, item] of value.entries()) {
        const problem = validateField(`${label} #${i + 1}`, { ...schema.items, title: `${label} #${i + 1}` }, item, true);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

/** Every problem in one step's values, by field path (nested objects as `a.b`). */
export function validateStep(schema: FieldSchema, values: FormValues, prefix = ''): FieldErrors {
  const errors: FieldErrors = {};
  const required = new Set(schema.required ?? []);
  for (const [key, field] of orderedProperties(schema)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const value = values[key];
    if (typeOf(field) === 'object' && field.properties && !field['ui:field']) {
      Object.assign(errors, validateStep(field, (value as FormValues | undefined) ?? {}, path));
      continue;
    }
    const problem = validateField(key, field, value, required.has(key));
    if (problem) errors[path] = problem;
  }
  return errors;
}

/** `host?owner=o&repo=r` (Backstage's RepoUrlPicker value) → its parts. */
export function parseRepoUrl(value: string): { host: string; owner: string; repo: string } {
  const q = value.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : value.slice(q + 1));
  return { host: q < 0 ? value : value.slice(0, q), owner: params.get('owner') ?? '', repo: params.get('repo') ?? '' };
}

export function formatRepoUrl(host: string, owner: string, repo: string): string {
  return `${host}?owner=${encodeURIComponent(owner)}&repo=${encodeURIComponent(repo)}`;
}

/**
 * Backstage's `ui:options.catalogFilter` (an object, or a list of them: OR) or `allowedKinds`
 * as by-query `filter` parameters: `{ kind: [Group, User], 'spec.type': team }` → `kind=group,kind=user,spec.type=team`.
 */
export function catalogFilterOf(options: Record<string, unknown> | undefined, defaultKinds: string[] = []): string[] {
  const filter = options?.catalogFilter;
  const filters = Array.isArray(filter) ? filter : filter && typeof filter === 'object' ? [filter] : [];
  const kinds = (options?.allowedKinds as string[] | undefined) ?? defaultKinds;
  if (filters.length === 0) return kinds.length ? [kinds.map((k) => `kind=${k.toLowerCase()}`).join(',')] : [];
  return filters.map((one: Record<string, unknown>) =>
    Object.entries(one)
      .flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean').map((v) => `${key}=${String(v)}`))
      .join(','),
  );
}

/** What the review page shows for a value: secrets hidden, lists joined, objects as key: value. */
export function displayValue(schema: FieldSchema, value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  if (schema['ui:widget'] === 'password' || schema['ui:field'] === 'Secret') return '••••••••';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  if (schema.enum && schema.enumNames) {
    const i = schema.enum.indexOf(value);
    if (i >= 0 && schema.enumNames[i]) return schema.enumNames[i]!;
  }
  return String(value);
}
