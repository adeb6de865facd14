import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { pointerToPath } from '../../core/yaml.js';
import type { KindDefinition } from './kind-registry.js';

/** A problem found by a kind's spec schema, its path relative to the entity root. */
export interface SpecProblem {
  rule: string;
  message: string;
  path: Array<string | number>;
}

// strict: false because kind schemas are user data: annotation keywords such as `ui:field` or
// `examples` must not stop a kind from loading; the meta-schema check still catches real mistakes.
const AJV_OPTIONS = { allErrors: true, strict: false, validateSchema: true } as const;

const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Compiles a spec schema (each in its own ajv instance, so that two kinds may use the same `$id`).
 * Throws ajv's error when the schema is not a valid JSON Schema.
 */
export function compileSpecSchema(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = new Ajv(AJV_OPTIONS).compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Checks `spec` against the kind's schema; every problem, with a message saying what was expected. */
export function checkSpec(definition: KindDefinition, spec: unknown): SpecProblem[] {
  const validate = compileSpecSchema(definition.specSchema);
  if (validate(spec)) return [];
  const problems = (validate.errors ?? []).filter((e) => !isUnhelpful(e)).map((error) => describeSchemaError(definition.kind, error));
  return dedupe(problems);
}

function describeSchemaError(kind: string, error: ErrorObject): SpecProblem {
  const path: Array<string | number> = ['spec', ...pointerToPath(error.instancePath)];
  const field = formatPath(path);
  const rule = `spec.schema.${error.keyword}`;
  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty);
      return { rule, path: [...path, missing], message: `${formatPath([...path, missing])} is required (${kind} needs it)` };
    }
    case 'additionalProperties': {
      const extra = String(error.params.additionalProperty);
      return { rule, path: [...path, extra], message: `${formatPath([...path, extra])} is not a known field of ${field} for ${kind}` };
    }
    case 'type':
      return { rule, path, message: `${field} must be ${article(String(error.params.type))}` };
    case 'minLength':
      return error.params.limit === 1
        ? { rule, path, message: `${field} must not be empty` }
        : { rule, path, message: `${field} must be at least ${String(error.params.limit)} characters long` };
    case 'enum':
      return { rule, path, message: `${field} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern':
      return { rule, path, message: `${field} must match ${String(error.params.pattern)}` };
    case 'minItems':
      return { rule, path, message: `${field} must have at least ${String(error.params.limit)} item${error.params.limit === 1 ? '' : 's'}` };
    case 'oneOf':
      return { rule, path, message: `${field} must match exactly one of the allowed shapes` };
    default:
      return { rule, path, message: `${field} ${error.message ?? 'is invalid'}` };
  }
}

// An `if`/`then` failure repeats what the `then` branch already reported.
function isUnhelpful(error: ErrorObject): boolean {
  return error.keyword === 'if';
}

function dedupe(problems: SpecProblem[]): SpecProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.rule}\u0000${p.path.join('\u0000')}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function article(type: string): string {
  if (type.includes(',')) return `one of ${type}`;
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping (object)';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** `metadata.tags[1]`, `metadata.annotations["backstage.io/source-location"]`: a path as users read it. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let result = '';
  for (const segment of path) {
    if (typeof segment === 'number') result += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) result += result ? `.${segment}` : segment;
    else result += `[${JSON.stringify(segment)}]`;
  }
  return result;
}
