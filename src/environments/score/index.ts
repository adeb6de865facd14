/**
 * Score workloads (`score.dev/v1b1`).
 *
 * - parseScoreFile(text, fileName) → ScoreWorkload: YAML parsed and validated against the
 *   official Score JSON Schema (score-v1b1.schema.ts); errors are PlinthError SCORE_INVALID at
 *   file:line:column. The deprecated array forms of `files`/`volumes` are accepted and keyed
 *   by target; a resource's class defaults to `default`.
 * - scoreResourceRequests(workload) → the resources it asks for with their Score uid
 *   (`type.class#id` when shared by id, else `type.class#<workload>.<name>`), ordered so a
 *   resource comes after those its params refer to (a route after the dns it names).
 * - resolveResourceParams(workload, name, resources) → one resource's params, resolved
 *   against the outputs provisioned so far.
 * - resolvePlaceholders(workload, {resources}) → ResolvedWorkload (src/runtimes/workload.ts):
 *   every `${metadata.…}` / `${resources.<name>.<output>}` substituted; `$$` escapes `$`
 *   (`$${X}` → `${X}`), `\.` is a dot inside a key; non-string values become JSON; an unknown
 *   one is SCORE_PLACEHOLDER_UNKNOWN at file:line:column. These are score-go's substitution
 *   rules (framework/substitution.go), which score-compose and score-k8s share.
 * - scoreFilePathOf(annotations) → the component's Score file (annotation `plinth.dev/score`,
 *   default `score.yaml`), relative to the component's source directory.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { PlinthError, type ErrorDetail } from '../../core/errors.js';
import { parseYamlDocuments, pointerToPath, type LocatedDocument } from '../../core/yaml.js';
import type { ResolvedContainer, ResolvedFile, ResolvedProbe, ResolvedResource, ResolvedVolume, ResolvedWorkload } from '../../runtimes/workload.js';
import { scoreV1b1Schema } from './score-v1b1.schema.js';

export type { ResolvedWorkload, ResolvedContainer, ResolvedFile, ResolvedProbe, ResolvedResource, ResolvedVolume, ResolvedPort } from '../../runtimes/workload.js';

/** Annotation of a catalog component naming its Score file. */
export const SCORE_FILE_ANNOTATION = 'plinth.dev/score';
export const DEFAULT_SCORE_FILE = 'score.yaml';

export interface ScoreFile {
  mode?: string;
  source?: string;
  content?: string;
  binaryContent?: string;
  noExpand?: boolean;
}

export interface ScoreVolume {
  source: string;
  path?: string;
  readOnly?: boolean;
}

export interface ScoreProbe {
  httpGet?: { path: string; port: number; host?: string; scheme?: 'HTTP' | 'HTTPS'; httpHeaders?: Array<{ name: string; value: string }> };
  exec?: { command: string[] };
}

export interface ScoreContainer {
  image: string;
  command?: string[];
  args?: string[];
  variables?: Record<string, string>;
  /** Keyed by target path (the deprecated array form is converted). */
  files: Record<string, ScoreFile>;
  volumes: Record<string, ScoreVolume>;
  resources?: { limits?: { cpu?: string; memory?: string }; requests?: { cpu?: string; memory?: string } };
  livenessProbe?: ScoreProbe;
  readinessProbe?: ScoreProbe;
}

export interface ScoreResource {
  type: string;
  class: string;
  id?: string;
  metadata?: Record<string, unknown> & { annotations?: Record<string, string> };
  params?: Record<string, unknown>;
}

/** A validated Score file. `locate` points back into the file for later (placeholder) errors. */
export interface ScoreWorkload {
  name: string;
  metadata: Record<string, unknown> & { name: string; annotations?: Record<string, string> };
  containers: Record<string, ScoreContainer>;
  ports: Record<string, { port: number; targetPort?: number; protocol?: 'TCP' | 'UDP' }>;
  resources: Record<string, ScoreResource>;
  file: string;
  locate: LocatedDocument['locate'];
  /** How a container or file path looked in the file (array forms keep their index). */
  sourcePaths: Map<string, Array<string | number>>;
}

/** One resource a workload asks for (`${resources.<name>…}`). */
export interface ScoreResourceRequest {
  name: string;
  /** `type.class#id` when shared by id, `type.class#<workload>.<name>` otherwise. */
  uid: string;
  type: string;
  class: string;
  id: string | null;
  /** Raw params (placeholders unresolved; see resolveResourceParams). */
  params: Record<string, unknown>;
  annotations: Record<string, string>;
}

/** What a provisioned resource gives placeholders. */
export interface ProvisionedOutputs {
  outputs: Record<string, unknown>;
  secretOutputKeys: string[];
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateScore = ajv.compile(scoreV1b1Schema);

export function parseScoreFile(text: string, fileName: string): ScoreWorkload {
  const documents = parseYamlDocuments(text, fileName, 'SCORE_INVALID');
  const document = documents[0];
  if (!document) throw new PlinthError('SCORE_INVALID', 'the Score file is empty: expected apiVersion score.dev/v1b1, metadata.name and containers', { location: { file: fileName, line: 1, column: 1 } });
  if (documents.length > 1) throw new PlinthError('SCORE_INVALID', 'a Score file holds one workload; found several YAML documents', { location: documents[1]!.locate([]) });
  if (!validateScore(document.value)) {
    const problems = mostSpecificErrors(validateScore.errors ?? []);
    const details: ErrorDetail[] = problems.map((e) => describeSchemaError(e, document));
    throw new PlinthError('SCORE_INVALID', details[0]!.message, { location: details[0]!.location, details });
  }
  return normalize(document.value as unknown as RawScore, document);
}

interface RawScore {
  metadata: ScoreWorkload['metadata'];
  service?: { ports?: ScoreWorkload['ports'] };
  containers: Record<string, Omit<ScoreContainer, 'files' | 'volumes'> & { files?: unknown; volumes?: unknown }>;
  resources?: Record<string, Omit<ScoreResource, 'class'> & { class?: string }>;
}

function normalize(raw: RawScore, document: LocatedDocument): ScoreWorkload {
  const sourcePaths = new Map<string, Array<string | number>>();
  const containers: Record<string, ScoreContainer> = {};
  for (const [name, container] of Object.entries(raw.containers)) {
    const files = keyedByTarget<ScoreFile>(container.files, ['containers', name, 'files'], sourcePaths, document, 'file');
    const volumes = keyedByTarget<ScoreVolume>(container.volumes, ['containers', name, 'volumes'], sourcePaths, document, 'volume');
    containers[name] = { ...container, files, volumes };
  }
  const resources: Record<string, ScoreResource> = {};
  for (const [name, resource] of Object.entries(raw.resources ?? {})) resources[name] = { ...resource, class: resource.class ?? 'default' };
  return {
    name: raw.metadata.name,
    metadata: raw.metadata,
    containers,
    ports: raw.service?.ports ?? {},
    resources,
    file: document.file,
    locate: document.locate,
    sourcePaths,
  };
}

/** The deprecated array form (`- target: /x`) becomes the map form; duplicate targets are an error. */
function keyedByTarget<T>(value: unknown, at: Array<string | number>, sourcePaths: Map<string, Array<string | number>>, document: LocatedDocument, what: string): Record<string, T> {
  if (value === undefined) return {};
  if (!Array.isArray(value)) {
    for (const target of Object.keys(value as object)) sourcePaths.set(JSON.stringify([...at, target]), [...at, target]);
    return value as Record<string, T>;
  }
  const result: Record<string, T> = {};
  value.forEach((item: T & { target?: string }, index) => {
    const { target, ...rest } = item;
    if (!target) throw new PlinthError('SCORE_INVALID', `${what} ${index} has no target (the array form needs one; prefer the map form keyed by target)`, { location: document.locate([...at, index]) });
    if (target in result) throw new PlinthError('SCORE_INVALID', `${what} target ${target} appears twice`, { location: document.locate([...at, index]) });
    result[target] = rest as T;
    sourcePaths.set(JSON.stringify([...at, target]), [...at, index]);
  });
  return result;
}

/** ajv reports every branch of a oneOf; the deepest non-combinator findings are the useful ones. */
function mostSpecificErrors(errors: ErrorObject[]): ErrorObject[] {
  const concrete = errors.filter((e) => !['oneOf', 'anyOf', 'allOf', 'not', 'if'].includes(e.keyword));
  const candidates = concrete.length > 0 ? concrete : errors;
  const depth = (e: ErrorObject) => pointerToPath(e.instancePath).length + (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 1 : 0);
  const deepest = Math.max(...candidates.map(depth));
  const chosen = candidates.filter((e) => depth(e) === deepest);
  // The same message reached through several oneOf branches is reported once.
  const seen = new Set<string>();
  return chosen.filter((e) => {
    const key = `${e.instancePath} ${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describeSchemaError(error: ErrorObject, document: LocatedDocument): ErrorDetail {
  const at = pointerToPath(error.instancePath);
  const field = at.length ? at.join('.') : '(top level)';
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    const extra = String(params.additionalProperty);
    return { message: `${field}: unknown field '${extra}'`, location: document.locate([...at, extra], 'key') };
  }
  if (error.keyword === 'required') return { message: `${field}: missing required field '${String(params.missingProperty)}'`, location: document.locate(at) };
  if (error.keyword === 'propertyNames') return { message: `${field}: invalid name '${String(params.propertyName)}'`, location: document.locate([...at, String(params.propertyName)], 'key') };
  if (error.keyword === 'pattern' && at.length === 0) return { message: `${error.message}`, location: document.locate(at) };
  if (error.keyword === 'pattern' && error.instancePath === '/apiVersion') return { message: `apiVersion must be score.dev/v1b1`, location: document.locate(at) };
  if (error.keyword === 'enum') return { message: `${field}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`, location: document.locate(at) };
  // A name (`propertyNames` failure) reaches ajv as the key path itself: point at the key.
  const isKey = error.propertyName !== undefined;
  return { message: `${field}: ${error.message ?? 'is invalid'}`, location: document.locate(at, isKey ? 'key' : 'value') };
}

export function scoreFilePathOf(annotations: Record<string, string> | undefined): string {
  const declared = annotations?.[SCORE_FILE_ANNOTATION] ?? DEFAULT_SCORE_FILE;
  const normalized = path.posix.normalize(declared.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
    throw new PlinthError('SCORE_INVALID', `annotation ${SCORE_FILE_ANNOTATION}: '${declared}' must be a path inside the component's source directory`);
  }
  return normalized;
}

export function scoreResourceRequests(workload: ScoreWorkload): ScoreResourceRequest[] {
  const requests = Object.entries(workload.resources).map(([name, resource]): ScoreResourceRequest => ({
    name,
    uid: resource.id ? `${resource.type}.${resource.class}#${resource.id}` : `${resource.type}.${resource.class}#${workload.name}.${name}`,
    type: resource.type,
    class: resource.class,
    id: resource.id ?? null,
    params: resource.params ?? {},
    annotations: resource.metadata?.annotations ?? {},
  }));
  // Order by the resources each one's params refer to (depth-first; a cycle is an error).
  const byName = new Map(requests.map((r) => [r.name, r]));
  const ordered: ScoreResourceRequest[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (request: ScoreResourceRequest, chain: string[]): void => {
    if (state.get(request.name) === 'done') return;
    if (state.get(request.name) === 'visiting') {
      throw new PlinthError('SCORE_INVALID', `resources refer to each other in a cycle: ${[...chain, request.name].join(' → ')}`, { location: workload.locate(['resources', request.name, 'params']) });
    }
    state.set(request.name, 'visiting');
    for (const dependency of referencedResources(request.params)) {
      const target = byName.get(dependency);
      if (target) visit(target, [...chain, request.name]);
    }
    state.set(request.name, 'done');
    ordered.push(request);
  };
  for (const request of requests) visit(request, []);
  return ordered;
}

function referencedResources(value: unknown): string[] {
  if (typeof value === 'string') {
    const names: string[] = [];
    forEachPlaceholder(value, (ref) => {
      const parts = splitRefParts(ref);
      if (parts[0] === 'resources' && parts[1]) names.push(parts[1]);
    });
    return names;
  }
  if (Array.isArray(value)) return value.flatMap(referencedResources);
  if (value && typeof value === 'object') return Object.values(value).flatMap(referencedResources);
  return [];
}

/** score-go's placeholder pattern: `$$` and `$${…}` are escapes, `${…}` a reference. */
const PLACEHOLDER = /\$((?:\$?\{([^}]*)\})|\$)/g;

function forEachPlaceholder(text: string, onReference: (ref: string) => void): void {
  for (const match of text.matchAll(PLACEHOLDER)) if (!match[1]!.startsWith('$')) onReference(match[2]!);
}

/** Splits a reference at dots; `\.` is a dot inside a part. */
export function splitRefParts(ref: string): string[] {
  return ref
    .replace(/\\\./g, '\0')
    .split('.')
    .map((part) => part.replace(/\0/g, '.'));
}

interface Substitution {
  value: string;
  secret: boolean;
}

class Resolver {
  constructor(
    private readonly workload: ScoreWorkload,
    private readonly resources: Record<string, ProvisionedOutputs>,
  ) {}

  /** Substitutes one string; `at` is its path in the Score file, for errors. */
  string(text: string, at: Array<string | number>): Substitution {
    let secret = false;
    const value = text.replace(PLACEHOLDER, (whole: string, escapeOrRef: string, ref: string | undefined) => {
      if (escapeOrRef.startsWith('$')) return whole.slice(1);
      const resolved = this.reference(ref ?? '', at);
      secret ||= resolved.secret;
      return resolved.value;
    });
    return { value, secret };
  }

  deep(value: unknown, at: Array<string | number>): { value: unknown; secret: boolean } {
    if (typeof value === 'string') return this.string(value, at);
    let secret = false;
    if (Array.isArray(value)) {
      const items = value.map((item, index) => {
        const r = this.deep(item, [...at, index]);
        secret ||= r.secret;
        return r.value;
      });
      return { value: items, secret };
    }
    if (value && typeof value === 'object') {
      const entries = Object.entries(value).map(([key, item]) => {
        const r = this.deep(item, [...at, key]);
        secret ||= r.secret;
        return [key, r.value] as const;
      });
      return { value: Object.fromEntries(entries), secret };
    }
    return { value, secret };
  }

  private reference(ref: string, at: Array<string | number>): Substitution {
    const parts = splitRefParts(ref);
    const fail = (why: string): never => {
      throw new PlinthError('SCORE_PLACEHOLDER_UNKNOWN', `\${${ref}}: ${why} (write $\${…} for a literal \${…})`, { location: this.workloadLocate(at) });
    };
    if (parts[0] === 'metadata') {
      if (parts.length < 2) fail('name a metadata key, e.g. ${metadata.name}');
      return { value: stringify(lookup(this.workload.metadata, parts.slice(1), fail)), secret: false };
    }
    if (parts[0] === 'resources') {
      const name = parts[1];
      if (!name) return fail('name a resource, e.g. ${resources.db.host}');
      if (!(name in this.workload.resources)) return fail(`the workload has no resource '${name}' (it has: ${Object.keys(this.workload.resources).join(', ') || 'none'})`);
      const provisioned = this.resources[name];
      if (!provisioned) return fail(`resource '${name}' is not provisioned yet`);
      const keys = parts.slice(2);
      if (keys.length === 0) {
        // `${resources.data}` names the resource itself: a volume's source.
        if ('source' in provisioned.outputs) return { value: stringify(provisioned.outputs.source), secret: false };
        return { value: stringify(publicOutputs(provisioned)), secret: false };
      }
      const value = lookup(provisioned.outputs, keys, (why) => fail(`${why}; resource '${name}' outputs: ${Object.keys(provisioned.outputs).join(', ') || 'none'}`));
      return { value: stringify(value), secret: provisioned.secretOutputKeys.includes(keys[0]!) };
    }
    return fail(`unknown reference root '${parts[0]}': use metadata or resources`);
  }

  workloadLocate(at: Array<string | number>): ReturnType<LocatedDocument['locate']> {
    return this.workload.locate(this.sourcePath(at));
  }

  /** Errors point at where the value was written (array forms keep their index). */
  private sourcePath(at: Array<string | number>): Array<string | number> {
    for (let length = at.length; length > 0; length -= 1) {
      const mapped = this.workload.sourcePaths.get(JSON.stringify(at.slice(0, length)));
      if (mapped) return [...mapped, ...at.slice(length)];
    }
    return at;
  }
}

function publicOutputs(provisioned: ProvisionedOutputs): Record<string, unknown> {
  return Object.fromEntries(Object.entries(provisioned.outputs).filter(([key]) => !provisioned.secretOutputKeys.includes(key)));
}

function lookup(root: unknown, keys: string[], fail: (why: string) => never): unknown {
  let current: unknown = root;
  for (const key of keys) {
    if (!current || typeof current !== 'object' || Array.isArray(current)) fail(`cannot look up '${key}': not a map`);
    if (!Object.prototype.hasOwnProperty.call(current, key)) fail(`key '${key}' not found`);
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function resolveResourceParams(workload: ScoreWorkload, name: string, resources: Record<string, ProvisionedOutputs>): Record<string, unknown> {
  const resource = workload.resources[name];
  if (!resource) throw new PlinthError('SCORE_PLACEHOLDER_UNKNOWN', `the workload has no resource '${name}'`, { location: workload.locate(['resources']) });
  return new Resolver(workload, resources).deep(resource.params ?? {}, ['resources', name, 'params']).value as Record<string, unknown>;
}

export interface ResolveOptions {
  /** Outputs of every provisioned resource, by the workload's resource name. */
  resources: Record<string, ProvisionedOutputs>;
  /** Reads a file `source` (relative to the Score file); defaults to the file system. */
  readSource?: (source: string) => Buffer;
}

export function resolvePlaceholders(workload: ScoreWorkload, options: ResolveOptions): ResolvedWorkload {
  const resolver = new Resolver(workload, options.resources);
  const readSource = options.readSource ?? ((source: string) => readFileSync(path.resolve(path.dirname(workload.file), source)));
  const containers = Object.entries(workload.containers).map(([name, container]): ResolvedContainer => {
    const at = ['containers', name];
    const variables: Record<string, string> = {};
    const secretVariables: string[] = [];
    for (const [key, value] of Object.entries(container.variables ?? {})) {
      const r = resolver.string(value, [...at, 'variables', key]);
      variables[key] = r.value;
      if (r.secret) secretVariables.push(key);
    }
    return {
      name,
      image: container.image,
      command: (container.command ?? []).map((part, i) => resolver.string(part, [...at, 'command', i]).value),
      args: (container.args ?? []).map((part, i) => resolver.string(part, [...at, 'args', i]).value),
      variables,
      secretVariables,
      files: Object.entries(container.files).map(([target, file]) => resolveFile(resolver, readSource, target, file, [...at, 'files', target])),
      volumes: Object.entries(container.volumes).map(([target, volume]) => resolveVolume(resolver, workload, target, volume, [...at, 'volumes', target])),
      ...(container.livenessProbe ? { livenessProbe: container.livenessProbe as ResolvedProbe } : {}),
      ...(container.readinessProbe ? { readinessProbe: container.readinessProbe as ResolvedProbe } : {}),
      ...(container.resources ? { resources: container.resources } : {}),
    };
  });
  const ports = Object.entries(workload.ports).map(([name, port]) => ({ name, port: port.port, targetPort: port.targetPort ?? port.port, protocol: port.protocol ?? 'TCP' }) as const);
  const resources = Object.entries(workload.resources).map(([name, resource]): ResolvedResource => {
    const provisioned = options.resources[name];
    return {
      name,
      type: resource.type,
      class: resource.class,
      id: resource.id ?? null,
      params: resolveResourceParams(workload, name, options.resources),
      outputs: provisioned?.outputs ?? {},
      secretOutputKeys: provisioned?.secretOutputKeys ?? [],
    };
  });
  return { name: workload.name, annotations: workload.metadata.annotations ?? {}, containers, ports, resources };
}

function resolveFile(resolver: Resolver, readSource: (source: string) => Buffer, target: string, file: ScoreFile, at: Array<string | number>): ResolvedFile {
  const mode = file.mode === undefined ? {} : { mode: parseInt(file.mode, 8) };
  if (file.binaryContent !== undefined) return { target, content: Buffer.from(file.binaryContent, 'base64'), secret: false, ...mode };
  let text: string;
  if (file.source !== undefined) {
    const source = resolver.string(file.source, [...at, 'source']).value;
    try {
      text = readSource(source).toString('utf8');
    } catch (error) {
      throw new PlinthError('SCORE_INVALID', `file ${target}: cannot read source '${source}': ${(error as Error).message}`, { location: resolver.workloadLocate([...at, 'source']), cause: error });
    }
  } else {
    text = file.content ?? '';
  }
  if (file.noExpand) return { target, content: Buffer.from(text), secret: false, ...mode };
  const expanded = resolver.string(text, [...at, file.source !== undefined ? 'source' : 'content']);
  return { target, content: Buffer.from(expanded.value), secret: expanded.secret, ...mode };
}

function resolveVolume(resolver: Resolver, workload: ScoreWorkload, target: string, volume: ScoreVolume, at: Array<string | number>): ResolvedVolume {
  const named = /^\$\{resources\.([^.}]+)\}$/.exec(volume.source);
  const resource = named?.[1];
  if (!resource || !(resource in workload.resources)) {
    throw new PlinthError('SCORE_PLACEHOLDER_UNKNOWN', `volume ${target}: source must name a resource of the workload as \${resources.<name>} (got '${volume.source}')`, { location: resolver.workloadLocate([...at, 'source']) });
  }
  const source = resolver.string(volume.source, [...at, 'source']).value;
  return { target, resource, source, readOnly: volume.readOnly ?? false, ...(volume.path ? { path: volume.path } : {}) };
}
