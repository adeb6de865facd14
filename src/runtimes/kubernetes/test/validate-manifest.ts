/**
 * Validates a manifest against the Kubernetes API types @kubernetes/client-node ships (its
 * generated models carry each type's fields as `attributeTypeMap`, generated from the
 * official OpenAPI spec): unknown fields, wrong value types and the OpenAPI `required`
 * fields of the types we render. Stand-in until the lead installs `kubernetes-models`
 * (JSON-Schema validators generated from the same OpenAPI spec).
 */
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

/** Problems with a manifest; empty when it is valid. */
export function validateManifest(manifest: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } }): string[] {
  const type = KINDS[`${String(manifest.apiVersion)}/${String(manifest.kind)}`];
  if (!type) return [`${String(manifest.apiVersion)} ${String(manifest.kind)}: no schema for this kind`];
  const problems: string[] = [];
  check(manifest, type, String(manifest.kind), problems);
  if (typeof manifest.metadata?.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(manifest.metadata.name)) problems.push(`${String(manifest.kind)}.metadata.name: not a valid object name`);
  return problems;
}
