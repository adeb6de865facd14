/**
 * Validates a manifest twice:
 * - against the official Kubernetes OpenAPI schemas, as JSON Schemas generated from them
 *   (`kubernetes-models`, `@kubernetes-models/gateway-api` for HTTPRoute): types, enums,
 *   formats and `required`;
 * - against the API types @kubernetes/client-node ships (`attributeTypeMap`, generated from the
 *   same spec), which also catches unknown fields (the JSON Schemas allow any extra field).
 */
import { createRequire } from 'node:module';
import * as k8s from '@kubernetes/client-node';

type Model = { attributeTypeMap: Array<{ baseName: string; type: string }> };

const KINDS: Record<string, string> = {
  'v1/ConfigMap': 'V1ConfigMap',
  'v1/Secret': 'V1Secret',
  'v1/Service': 'V1Service',
  'v1/PersistentVolumeClaim': 'V1PersistentVolumeClaim',
  'apps/v1/Deployment': 'V1Deployment',
  'networking.k8s.io/v1/Ingress': 'V1Ingress',
  'v1/Namespace': 'V1Namespace',
};

/** OpenAPI `required` of the types our manifests use (the models do not carry it). */
const REQUIRED: Record<string, string[]> = {
  V1DeploymentSpec: ['selector', 'template'],
  V1Container: ['name'],
  V1EnvVar: ['name'],
  V1SecretKeySelector: ['key'],
  V1VolumeMount: ['name', 'mountPath'],
  V1Volume: ['name'],
  V1KeyToPath: ['key', 'path'],
  V1ServicePort: ['port'],
  V1ContainerPort: ['containerPort'],
  V1HTTPGetAction: ['port'],
  V1PersistentVolumeClaimVolumeSource: ['claimName'],
  V1HTTPIngressPath: ['pathType', 'backend'],
  V1HTTPIngressRuleValue: ['paths'],
  V1IngressServiceBackend: ['name'],
};

function model(type: string): Model | undefined {
  const candidate = (k8s as unknown as Record<string, unknown>)[type];
  return candidate && typeof candidate === 'function' && 'attributeTypeMap' in candidate ? (candidate as unknown as Model) : undefined;
}

function check(value: unknown, type: string, at: string, problems: string[]): void {
  if (value === undefined || value === null) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return void problems.push(`${at}: expected a list (${type})`);
    value.forEach((item, i) => check(item, array[1]!, `${at}[${i}]`, problems));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${at}: expected a map (${type})`);
    for (const [key, item] of Object.entries(value)) check(item, map[1]!, `${at}.${key}`, problems);
    return;
  }
  if (type === 'string') return void (typeof value !== 'string' && problems.push(`${at}: expected a string, got ${JSON.stringify(value)}`));
  if (type === 'number') return void (typeof value !== 'number' && problems.push(`${at}: expected a number, got ${JSON.stringify(value)}`));
  if (type === 'boolean') return void (typeof value !== 'boolean' && problems.push(`${at}: expected a boolean, got ${JSON.stringify(value)}`));
  if (type === 'IntOrString') return void (typeof value !== 'string' && !Number.isInteger(value) && problems.push(`${at}: expected an integer or a string`));
  if (type === 'any' || type === 'object' || type === 'Date') return;
  const found = model(type);
  if (!found) return void problems.push(`${at}: unknown type ${type}`);
  if (typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${at}: expected an object (${type})`);
  const fields = new Map(found.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const [key, item] of Object.entries(value)) {
    const fieldType = fields.get(key);
    if (!fieldType) problems.push(`${at}.${key}: unknown field of ${type}`);
    else check(item, fieldType, `${at}.${key}`, problems);
  }
  for (const key of REQUIRED[type] ?? []) if ((value as Record<string, unknown>)[key] === undefined) problems.push(`${at}: missing required field ${key} of ${type}`);
}

const require = createRequire(import.meta.url);

/** The official schema's complaints, `<Kind>.<path>: <message>`; undefined when no package has the kind. */
function officialSchemaProblems(manifest: { apiVersion?: unknown; kind?: unknown }): string[] | undefined {
  const apiVersion = String(manifest.apiVersion);
  const kind = String(manifest.kind);
  const module = apiVersion.startsWith('gateway.networking.k8s.io/') ? `@kubernetes-models/gateway-api/${apiVersion}/${kind}` : `kubernetes-models/${apiVersion}/${kind}`;
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = (require(module) as Record<string, new (data: unknown) => { validate(): void }>)[kind]!;
  } catch {
    return undefined;
  }
  try {
    new Model(manifest).validate();
    return [];
  } catch (error) {
    // "data/spec/replicas must be integer, data/… must have required property 'name'"
    return String((error as Error).message)
      .split(/, (?=data[/ ])/)
      .map((message) => message.replace(/^data\/?/, `${kind}.`).replace(/\//g, '.').replace(/^(\S+) /, '$1: '));
  }
}

/** Problems with a manifest; empty when it is valid. */
export function validateManifest(manifest: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } }): string[] {
  const official = officialSchemaProblems(manifest);
  const type = KINDS[`${String(manifest.apiVersion)}/${String(manifest.kind)}`];
  if (!official && !type) return [`${String(manifest.apiVersion)} ${String(manifest.kind)}: no schema for this kind`];
  const problems: string[] = (official ?? []).map((problem) => `official schema: ${problem}`);
  if (type) check(manifest, type, String(manifest.kind), problems);
  if (typeof manifest.metadata?.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(manifest.metadata.name)) problems.push(`${String(manifest.kind)}.metadata.name: not a valid object name`);
  return problems;
}
