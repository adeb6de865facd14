/**
 * Renders a resolved Score workload as Kubernetes objects:
 *
 * - Deployment `<workload>`: one pod per workload, every Score container in it; secret
 *   variables come from the Secret, the rest are literal env values; files are mounted from
 *   the ConfigMap (or the Secret, when they hold a secret output) with their mode; volumes
 *   from PersistentVolumeClaims; probes and resource limits as declared.
 * - Service `<workload>` (when the workload has ports), ConfigMap `<workload>-files`, Secret
 *   `<workload>-secrets`, a PersistentVolumeClaim per `volume` resource, and an Ingress (or a
 *   Gateway API HTTPRoute) per `route` resource.
 *
 * Every object carries the labels `app.kubernetes.io/name|instance|version|managed-by: plinth`,
 * `backstage.io/kubernetes-id` (the Backstage Kubernetes plugin finds them by it) and
 * `plinth.dev/environment`; the apply step prunes by them. The pod template carries a
 * checksum of the ConfigMap and Secret, so changing a file or secret rolls the Deployment.
 */
import { createHash } from 'node:crypto';
import { PlinthError } from '../../core/errors.js';
import type { ResolvedContainer, ResolvedProbe, ResolvedWorkload } from '../workload.js';

/** The shape every manifest has (apiVersion, kind, metadata.name/namespace/labels). */
export interface KubernetesManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderOptions {
  namespace: string;
  environment: string;
  /** The release being deployed (label app.kubernetes.io/version). */
  release: string;
  /** The image for containers whose Score image is `.` (built by the pipeline). */
  image?: string;
  /** How `route` resources are exposed: Ingress (default) or a Gateway API HTTPRoute. */
  routes?: { kind: 'Ingress'; ingressClassName?: string } | { kind: 'HTTPRoute'; gateway: { name: string; namespace?: string } };
  /** PersistentVolumeClaim storage class; unset: the cluster default. */
  storageClassName?: string;
}

export const MANAGED_BY = 'plinth';
export const ENVIRONMENT_LABEL = 'plinth.dev/environment';

/** The label selector of every object Plinth manages for one workload in one environment. */
export function workloadSelector(workload: string, environment: string): string {
  return `app.kubernetes.io/managed-by=${MANAGED_BY},app.kubernetes.io/name=${workload},${ENVIRONMENT_LABEL}=${labelValue(environment)}`;
}

export function renderKubernetesManifests(workload: ResolvedWorkload, options: RenderOptions): KubernetesManifest[] {
  const name = workload.name;
  const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': labelValue(`${name}-${options.environment}`) };
  const labels = {
    ...selector,
    'app.kubernetes.io/version': labelValue(options.release),
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'backstage.io/kubernetes-id': name,
    [ENVIRONMENT_LABEL]: labelValue(options.environment),
  };
  const meta = (objectName: string) => ({ name: objectName, namespace: options.namespace, labels });
  const configMapName = `${name}-files`;
  const secretName = `${name}-secrets`;

  const configData: Record<string, string> = {};
  const secretData: Record<string, string> = {};
  const podVolumes: Array<Record<string, unknown>> = [];
  const configItems: Array<{ key: string; path: string; mode?: number }> = [];
  const secretItems: Array<{ key: string; path: string; mode?: number }> = [];
  const claims: KubernetesManifest[] = [];

  const containers = workload.containers.map((container) => {
    const env = Object.entries(container.variables).map(([variable, value]) => {
      if (!container.secretVariables.includes(variable)) return { name: variable, value };
      const key = dataKey('env', container.name, variable);
      secretData[key] = Buffer.from(value).toString('base64');
      return { name: variable, valueFrom: { secretKeyRef: { name: secretName, key } } };
    });
    const volumeMounts: Array<Record<string, unknown>> = [];
    for (const file of container.files) {
      const key = dataKey('file', container.name, file.target);
      const item = { key, path: key, ...(file.mode === undefined ? {} : { mode: file.mode }) };
      (file.secret ? secretData : configData)[key] = file.content.toString('base64');
      (file.secret ? secretItems : configItems).push(item);
      volumeMounts.push({ name: file.secret ? 'plinth-secret-files' : 'plinth-files', mountPath: file.target, subPath: key, readOnly: true });
    }
    for (const volume of container.volumes) {
      const resource = workload.resources.find((r) => r.name === volume.resource);
      const claimName = resource?.id ? labelValue(resource.id) : `${name}-${volume.resource}`;
      const volumeName = `volume-${volume.resource}`;
      if (!podVolumes.some((v) => v.name === volumeName)) {
        podVolumes.push({ name: volumeName, persistentVolumeClaim: { claimName } });
        const size = typeof resource?.params.size === 'string' ? resource.params.size : '1Gi';
        claims.push({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: meta(claimName),
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...(options.storageClassName ? { storageClassName: options.storageClassName } : {}) },
        });
      }
      volumeMounts.push({ name: volumeName, mountPath: volume.target, readOnly: volume.readOnly, ...(volume.path ? { subPath: volume.path.replace(/^\/+/, '') } : {}) });
    }
    return renderContainer(container, { env, volumeMounts, image: imageOf(container, options, name) });
  });
  // Score ports belong to the workload; Kubernetes lists them on a container (the first).
  if (containers[0] && workload.ports.length > 0) {
    const unique = new Map(workload.ports.map((p) => [`${p.targetPort}/${p.protocol}`, { containerPort: p.targetPort, protocol: p.protocol }]));
    containers[0].ports = [...unique.values()];
  }
  if (configItems.length > 0) podVolumes.push({ name: 'plinth-files', configMap: { name: configMapName, items: configItems } });
  if (secretItems.length > 0) podVolumes.push({ name: 'plinth-secret-files', secret: { secretName, items: secretItems } });

  const manifests: KubernetesManifest[] = [];
  if (Object.keys(configData).length > 0) manifests.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(configMapName), binaryData: configData });
  if (Object.keys(secretData).length > 0) manifests.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta(secretName), type: 'Opaque', data: secretData });
  manifests.push(...claims);
  const checksum = createHash('sha256').update(JSON.stringify([configData, secretData])).digest('hex');
  manifests.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...meta(name), ...(Object.keys(workload.annotations).length ? { annotations: workload.annotations } : {}) },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, annotations: { 'plinth.dev/config-checksum': checksum } },
        spec: { containers, ...(podVolumes.length ? { volumes: podVolumes } : {}) },
      },
    },
  });
  if (workload.ports.length > 0) {
    manifests.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name),
      spec: { type: 'ClusterIP', selector, ports: workload.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol })) },
    });
  }
  for (const route of workload.resources.filter((r) => r.type === 'route')) manifests.push(renderRoute(workload, route, options, meta(`${name}-${route.name}`)));
  return manifests;
}

function renderContainer(container: ResolvedContainer, parts: { env: unknown[]; volumeMounts: unknown[]; image: string }): Record<string, unknown> {
  return {
    name: container.name,
    image: parts.image,
    ...(container.command.length ? { command: container.command } : {}),
    ...(container.args.length ? { args: container.args } : {}),
    ...(parts.env.length ? { env: parts.env } : {}),
    ...(parts.volumeMounts.length ? { volumeMounts: parts.volumeMounts } : {}),
    ...(container.livenessProbe ? { livenessProbe: renderProbe(container.livenessProbe) } : {}),
    ...(container.readinessProbe ? { readinessProbe: renderProbe(container.readinessProbe) } : {}),
    ...(container.resources ? { resources: container.resources } : {}),
  };
}

function renderProbe(probe: ResolvedProbe): Record<string, unknown> {
  if (probe.httpGet) {
    const { path, port, host, scheme, httpHeaders } = probe.httpGet;
    return { httpGet: { path, port, ...(host ? { host } : {}), ...(scheme ? { scheme } : {}), ...(httpHeaders ? { httpHeaders } : {}) } };
  }
  return { exec: { command: probe.exec?.command ?? [] } };
}

function imageOf(container: ResolvedContainer, options: RenderOptions, workload: string): string {
  if (container.image !== '.') return container.image;
  if (!options.image) {
    throw new PlinthError('RELEASE_INVALID', `container ${container.name} of ${workload} has image '.', the image built for the release, but the release has no image (build one, or set the image in the Score file)`);
  }
  return options.image;
}

/** Characters of a regular expression: a route path with them is a regex (Score 09-dns-and-route). */
const REGEX_CHARACTERS = /[[\]()*+?^$|\\{}]/;

function renderRoute(workload: ResolvedWorkload, route: ResolvedWorkload['resources'][number], options: RenderOptions, metadata: KubernetesManifest['metadata']): KubernetesManifest {
  const host = String(route.params.host ?? route.outputs.host ?? '');
  const path = String(route.params.path ?? '/');
  const rawPort = route.params.port;
  const port = workload.ports.find((p) => p.name === String(rawPort) || p.port === Number(rawPort));
  if (!host) throw new PlinthError('RESOURCE_DEFINITION_INVALID', `route ${route.name} of ${workload.name} has no host`);
  if (!port) {
    throw new PlinthError('RESOURCE_DEFINITION_INVALID', `route ${route.name} of ${workload.name} points at port '${String(rawPort)}', which the workload's service does not declare (ports: ${workload.ports.map((p) => `${p.name}=${p.port}`).join(', ') || 'none'})`);
  }
  const isRegex = REGEX_CHARACTERS.test(path);
  const routes = options.routes ?? { kind: 'Ingress' };
  if (routes.kind === 'HTTPRoute') {
    return {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata,
      spec: {
        parentRefs: [{ name: routes.gateway.name, ...(routes.gateway.namespace ? { namespace: routes.gateway.namespace } : {}) }],
        hostnames: [host],
        rules: [{ matches: [{ path: { type: isRegex ? 'RegularExpression' : 'PathPrefix', value: path } }], backendRefs: [{ name: workload.name, port: port.port }] }],
      },
    };
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata,
    spec: {
      ...(routes.ingressClassName ? { ingressClassName: routes.ingressClassName } : {}),
      rules: [{ host, http: { paths: [{ path, pathType: isRegex ? 'ImplementationSpecific' : 'Prefix', backend: { service: { name: workload.name, port: { name: port.name } } } }] } }],
    },
  };
}

/** A ConfigMap/Secret key for a variable or file: readable, valid ([-._a-zA-Z0-9]), unique by hash. */
function dataKey(kind: string, container: string, item: string): string {
  const hash = createHash('sha256').update(`${container}\0${item}`).digest('hex').slice(0, 8);
  const readable = item.replace(/[^-._a-zA-Z0-9]+/g, '-').replace(/^[-.]+/, '').slice(0, 200);
  return `${kind}.${container}.${readable}.${hash}`;
}

/** A label value: at most 63 characters of [-_.A-Za-z0-9], starting and ending alphanumeric. */
export function labelValue(value: string): string {
  const cleaned = value.replace(/[^-_.A-Za-z0-9]+/g, '-');
  const short = cleaned.length <= 63 ? cleaned : `${cleaned.slice(0, 54)}-${createHash('sha256').update(value).digest('hex').slice(0, 8)}`;
  return short.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'x';
}
