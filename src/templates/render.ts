import nunjucks from 'nunjucks';
import { PlinthError, type ErrorLocation } from '../core/errors.js';

/**
 * Nunjucks as Backstage's scaffolder uses it: `${{ }}` for values, `{{ }}` left alone (or used
 * by cookiecutterCompat), filters parseRepoUrl, parseEntityRef, pick, projectSlug.
 *
 * Sandbox: Backstage runs nunjucks inside isolated-vm; Plinth keeps it in process and instead
 * guards the one door compiled templates use to reach JavaScript objects, the runtime's
 * `memberLookup`. While a Plinth render runs, a lookup may read own properties of plain data
 * and a short list of string and array methods; functions have no properties at all, and
 * `constructor`, `__proto__`, `prototype` and friends are refused with TEMPLATE_UNSAFE. No
 * loader is configured, so `include`/`import`/`extends` cannot read files.
 */

/** What a template expression sees. */
export interface RenderContext {
  parameters: Record<string, unknown>;
  steps: Record<string, { output: Record<string, unknown> }>;
  user: { entity?: unknown; ref: string };
  secrets: Record<string, string>;
  each?: { key: string; value: unknown };
  [key: string]: unknown;
}

/** Where a rendered string comes from, for error messages. */
export interface RenderSite {
  /** `step publish, input repoUrl` */
  what: string;
  location?: ErrorLocation;
}

const FORBIDDEN_KEYS = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'caller',
  'callee',
  'arguments',
  'bind',
  'call',
  'apply',
]);

const STRING_METHODS = new Set([
  'length', 'split', 'toUpperCase', 'toLowerCase', 'trim', 'trimStart', 'trimEnd', 'replace', 'replaceAll', 'startsWith', 'endsWith',
  'includes', 'indexOf', 'lastIndexOf', 'slice', 'substring', 'padStart', 'padEnd', 'charAt', 'at', 'concat', 'toString', 'localeCompare',
]);
const ARRAY_METHODS = new Set(['length', 'join', 'includes', 'indexOf', 'lastIndexOf', 'slice', 'concat', 'at', 'toString']);
const NUMBER_METHODS = new Set(['toFixed', 'toString', 'toPrecision']);

/** Most iterations `range()` may produce: a template must not exhaust the worker's memory. */
const MAX_RANGE = 10_000;
/** Longest rendered string. */
const MAX_OUTPUT = 10 * 1024 * 1024;

/** Operations (variable writes and lookups, outputs) one render may perform, and its time. */
const MAX_OPERATIONS = 5_000_000;
const MAX_RENDER_MS = 10_000;

let sandboxDepth = 0;
let budget = { operations: 0, deadline: 0 };
type Runtime = {
  memberLookup(obj: unknown, key: unknown): unknown;
  contextOrFrameLookup(context: unknown, frame: unknown, name: string): unknown;
  suppressValue(value: unknown, autoescape: boolean): unknown;
  Frame: { prototype: { set(name: string, value: unknown, resolveUp?: boolean): void } };
};
const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime;
const unguardedLookup = runtime.memberLookup;
const unguardedFrameLookup = runtime.contextOrFrameLookup;
const unguardedSuppress = runtime.suppressValue;
const unguardedSet = runtime.Frame.prototype.set;

/**
 * Every loop iteration writes frame variables and every output goes through suppressValue:
 * counting them (and checking the length of what is stored) bounds a render's work and memory
 * without a separate isolate.
 */
function spend(value?: unknown): void {
  if (++budget.operations > MAX_OPERATIONS || (budget.operations % 4096 === 0 && Date.now() > budget.deadline)) {
    throw new PlinthError('TEMPLATE_UNSAFE', `templates may not run longer than ${MAX_RENDER_MS / 1000} s or ${MAX_OPERATIONS} operations per text; this one would (a loop too large?)`);
  }
  if (typeof value === 'string' && value.length > MAX_OUTPUT) throw new PlinthError('TEMPLATE_UNSAFE', `templates may not build strings longer than ${MAX_OUTPUT} characters`);
}

function refuse(key: string): never {
  throw new PlinthError('TEMPLATE_UNSAFE', `templates may not access '${key}': expressions read template data only, never JavaScript internals`);
}

function bindMethod(target: unknown, method: unknown): unknown {
  return (...args: unknown[]) => (method as (...a: unknown[]) => unknown).apply(target, args);
}

function guardedLookup(obj: unknown, rawKey: unknown): unknown {
  if (obj === undefined || obj === null) return undefined;
  const key = String(rawKey);
  if (FORBIDDEN_KEYS.has(key)) refuse(key);
  if (typeof obj === 'function') refuse(`${key}' of a function ('${(obj as { name?: string }).name || 'anonymous'}`);
  if (typeof obj === 'string') {
    if (/^\d+$/.test(key)) return obj[Number(key)];
    if (key === 'padStart' || key === 'padEnd') {
      // Bounded, like range(): a template must not allocate gigabytes.
      return (length: number, fill?: string) => {
        if (Number(length) > MAX_OUTPUT) throw new PlinthError('TEMPLATE_UNSAFE', `${key}() may produce at most ${MAX_OUTPUT} characters`);
        return obj[key](length, fill);
      };
    }
    if (STRING_METHODS.has(key)) return key === 'length' ? obj.length : bindMethod(obj, (String.prototype as unknown as Record<string, unknown>)[key]);
    return undefined;
  }
  if (typeof obj === 'number') return NUMBER_METHODS.has(key) ? bindMethod(obj, (Number.prototype as unknown as Record<string, unknown>)[key]) : undefined;
  if (typeof obj !== 'object') return undefined;
  if (Array.isArray(obj)) {
    if (/^-?\d+$/.test(key)) return obj[Number(key)];
    if (ARRAY_METHODS.has(key)) return key === 'length' ? obj.length : bindMethod(obj, (Array.prototype as unknown as Record<string, unknown>)[key]);
    return undefined;
  }
  if (!Object.prototype.hasOwnProperty.call(obj, key)) return undefined;
  const value = (obj as Record<string, unknown>)[key];
  return typeof value === 'function' ? bindMethod(obj, value) : value;
}

runtime.memberLookup = (obj, key) => {
  if (sandboxDepth === 0) return unguardedLookup(obj, key);
  spend();
  return guardedLookup(obj, key);
};
runtime.contextOrFrameLookup = (context, frame, name) => {
  if (sandboxDepth > 0) spend();
  return unguardedFrameLookup(context, frame, name);
};
runtime.suppressValue = (value, autoescape) => {
  if (sandboxDepth > 0) spend(value);
  return unguardedSuppress(value, autoescape);
};
runtime.Frame.prototype.set = function set(this: unknown, name: string, value: unknown, resolveUp?: boolean) {
  if (sandboxDepth > 0) spend(value);
  return unguardedSet.call(this as never, name, value, resolveUp);
};

export interface ParsedRepoUrl {
  host: string;
  owner?: string;
  repo: string;
  organization?: string;
  workspace?: string;
  project?: string;
}

/** `github.com?owner=o&repo=r` (RepoUrlPicker's value) → its parts. */
export function parseRepoUrl(repoUrl: unknown): ParsedRepoUrl {
  if (typeof repoUrl !== 'string' || !repoUrl) throw new PlinthError('TEMPLATE_INPUT_INVALID', `repoUrl must be a string like "github.com?owner=team&repo=name", got ${JSON.stringify(repoUrl)}`);
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(repoUrl) ? repoUrl : `https://${repoUrl}`);
  } catch {
    throw new PlinthError('TEMPLATE_INPUT_INVALID', `repoUrl "${repoUrl}" is not of the form "<host>?owner=<owner>&repo=<name>"`);
  }
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  const repo = param('repo');
  if (!url.host || !repo) throw new PlinthError('TEMPLATE_INPUT_INVALID', `repoUrl "${repoUrl}" has no host or no repo= parameter; expected "<host>?owner=<owner>&repo=<name>"`);
  const parsed: ParsedRepoUrl = { host: url.host, repo };
  for (const key of ['owner', 'organization', 'workspace', 'project'] as const) {
    const value = param(key);
    if (value !== undefined) parsed[key] = value;
  }
  return parsed;
}

/** `[kind:][namespace/]name` with defaults, as the scaffolder's parseEntityRef filter. */
export function parseTemplateEntityRef(ref: unknown, options: { defaultKind?: string; defaultNamespace?: string } = {}): { kind: string; namespace: string; name: string } {
  const match = typeof ref === 'string' ? /^(?:([^:/]+):)?(?:([^:/]+)\/)?([^:/]+)$/.exec(ref) : null;
  if (!match) throw new PlinthError('TEMPLATE_INPUT_INVALID', `parseEntityRef: ${JSON.stringify(ref)} is not an entity ref [kind:][namespace/]name`);
  const kind = match[1] ?? options.defaultKind;
  if (!kind) throw new PlinthError('TEMPLATE_INPUT_INVALID', `parseEntityRef: "${String(ref)}" has no kind; pass { defaultKind: '...' }`);
  return { kind, namespace: match[2] ?? options.defaultNamespace ?? 'default', name: match[3]! };
}

function createEnvironment(syntax: 'scaffolder' | 'cookiecutter'): nunjucks.Environment {
  const environment = new nunjucks.Environment([], {
    autoescape: false,
    throwOnUndefined: false,
    tags: syntax === 'scaffolder' ? { variableStart: '${{', variableEnd: '}}' } : undefined,
  });
  environment.addFilter('parseRepoUrl', (value: unknown) => parseRepoUrl(value));
  environment.addFilter('parseEntityRef', (value: unknown, options?: { defaultKind?: string; defaultNamespace?: string }) => parseTemplateEntityRef(value, options));
  environment.addFilter('pick', (value: unknown, key: string) => (value && typeof value === 'object' ? guardedLookup(value, key) : undefined));
  environment.addFilter('projectSlug', (value: unknown) => {
    const { owner, repo, organization, workspace, project } = parseRepoUrl(value);
    return `${owner ?? organization ?? workspace ?? project}/${repo}`;
  });
  // nunjucks' own range, capped.
  environment.addGlobal('range', (start: number, stop?: number, step = 1) => {
    const [from, to] = stop === undefined ? [0, start] : [start, stop];
    if (!step || Math.abs((to - from) / step) > MAX_RANGE) throw new PlinthError('TEMPLATE_UNSAFE', `range() may produce at most ${MAX_RANGE} values`);
    const out: number[] = [];
    for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
    return out;
  });
  return environment;
}

const environments = { scaffolder: createEnvironment('scaffolder'), cookiecutter: createEnvironment('cookiecutter') };

/** nunjucks errors read "(unknown path) [Line 1, Column 5]\n  Error: …": keep the message and the position. */
function describeNunjucksError(error: unknown): { message: string; line?: number; column?: number } {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof PlinthError) return { message: cause.message };
  const text = error instanceof Error ? error.message : String(error);
  const position = /\[Line (\d+), Column (\d+)\]/.exec(text);
  const message =
    text
      .replace(/\(unknown path\)|\[Line \d+, Column \d+\]|Template render error:|\b(Plinth)?Error:/g, '')
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? text;
  // nunjucks counts lines and columns from 0.
  return { message, line: position ? Number(position[1]) + 1 : undefined, column: position ? Number(position[2]) + 1 : undefined };
}

/** Compile errors (an unknown filter) carry no position: find the first line that names the culprit. */
function lineNaming(source: string, message: string): { line: number; column: number } | undefined {
  const culprit = /filter not found: (\S+)/.exec(message)?.[1];
  if (!culprit) return undefined;
  const lines = source.split('\n');
  const index = lines.findIndex((line) => new RegExp(`\\|\\s*${culprit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(line));
  return index < 0 ? undefined : { line: index + 1, column: lines[index]!.indexOf(culprit) + 1 };
}

/**
 * Renders one string. Errors become TEMPLATE_RENDER_FAILED (or TEMPLATE_UNSAFE) naming the site
 * and, when the string sits in a file, the line within it.
 */
export function renderTemplateString(source: string, context: Record<string, unknown>, site: RenderSite, syntax: 'scaffolder' | 'cookiecutter' = 'scaffolder'): string {
  // Most file names and many files hold no template syntax: skip compiling them.
  if (!source.includes(syntax === 'scaffolder' ? '${{' : '{{') && !source.includes('{%') && !source.includes('{#')) return source;
  if (sandboxDepth === 0) budget = { operations: 0, deadline: Date.now() + MAX_RENDER_MS };
  sandboxDepth++;
  try {
    const rendered = environments[syntax].renderString(source, context);
    if (rendered.length > MAX_OUTPUT) throw new PlinthError('TEMPLATE_RENDER_FAILED', `${site.what}: rendered text is longer than ${MAX_OUTPUT} bytes`, { location: site.location });
    return rendered;
  } catch (error) {
    if (error instanceof PlinthError) throw error;
    const unsafe = /templates may not (access|run longer|build strings)|\w+\(\) may produce at most/.test(String(error));
    const described = describeNunjucksError(error);
    const { message } = described;
    const { line, column } = described.line !== undefined ? described : (lineNaming(source, message) ?? {});
    const location = site.location?.file && line !== undefined ? { file: site.location.file, line: (site.location.line ?? 1) + line - 1, column: line === 1 ? (site.location.column ?? 1) + column! - 1 : column } : site.location;
    throw new PlinthError(unsafe ? 'TEMPLATE_UNSAFE' : 'TEMPLATE_RENDER_FAILED', `${site.what}: ${message}`, { location, cause: error });
  } finally {
    sandboxDepth--;
  }
}

const SINGLE_EXPRESSION = /^\s*\$\{\{((?:(?!\$\{\{|\}\}).)*)\}\}\s*$/s;

/**
 * Renders every string in a value (objects and arrays deeply). A string that is exactly one
 * `${{ expr }}` keeps the type of what it evaluates to (an object, number, boolean), and an empty
 * result becomes undefined, as in Backstage.
 */
export function renderTemplateValue(value: unknown, context: Record<string, unknown>, site: RenderSite, locate?: (path: Array<string | number>) => ErrorLocation | undefined, path: Array<string | number> = []): unknown {
  if (typeof value === 'string') {
    const here: RenderSite = { what: path.length ? `${site.what}${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}` : site.what, location: locate?.(path) ?? site.location };
    const single = SINGLE_EXPRESSION.exec(value);
    if (single) {
      const dumped = renderTemplateString(`\${{ (${single[1]}) | dump }}`, context, here);
      if (dumped === '') return undefined;
      try {
        return JSON.parse(dumped) as unknown;
      } catch {
        // Not JSON (a function, say): fall back to the text.
      }
    }
    const rendered = renderTemplateString(value, context, here);
    return rendered === '' ? undefined : rendered;
  }
  if (Array.isArray(value)) return value.map((item, index) => renderTemplateValue(item, context, site, locate, [...path, index]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const rendered = renderTemplateValue(item, context, site, locate, [...path, key]);
      if (rendered !== undefined) out[key] = rendered;
    }
    return out;
  }
  return value;
}

/** Backstage's truthiness for `if:` — an empty array is false. */
export function isTruthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}
