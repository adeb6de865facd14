import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { PlinthError } from '../../core/errors.js';
import type { ResolvedWorkload } from '../workload.js';
import { applyKubernetesManifests, loadKubeConfig } from './apply.js';
import { renderKubernetesManifests, type KubernetesManifest } from './manifests.js';
import { validateManifest } from './test/validate-manifest.js';

function workload(overrides: Partial<ResolvedWorkload> = {}): ResolvedWorkload {
  return {
    name: 'orders',
    annotations: { 'team.example/owner': 'payments' },
    containers: [
      {
        name: 'main',
        image: 'ghcr.io/example/orders:1.2.3',
        command: ['/bin/orders'],
        args: ['--listen', ':8080'],
        variables: { LOG_LEVEL: 'info', DATABASE_URL: 'postgres://u:pw@db:5432/orders' },
        secretVariables: ['DATABASE_URL'],
        files: [
          { target: '/etc/orders/config.yaml', content: Buffer.from('name: orders\n'), mode: 0o644, secret: false },
          { target: '/etc/orders/token', content: Buffer.from('s3cret'), secret: true },
        ],
        volumes: [{ target: '/data', resource: 'data', source: '/var/lib/plinth/volumes/x', readOnly: false, path: 'sub' }],
        livenessProbe: { httpGet: { path: '/alive', port: 8080 } },
        readinessProbe: { exec: { command: ['/bin/ready'] } },
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m' } },
      },
    ],
    ports: [{ name: 'web', port: 80, targetPort: 8080, protocol: 'TCP' }],
    resources: [
      { name: 'data', type: 'volume', class: 'default', id: null, params: {}, outputs: { source: '/x' }, secretOutputKeys: [] },
      { name: 'route', type: 'route', class: 'default', id: null, params: { host: 'orders.dev.example.com', path: '/api', port: 'web' }, outputs: {}, secretOutputKeys: [] },
    ],
    ...overrides,
  };
}

const options = { namespace: 'plinth-dev', environment: 'dev', release: 'r-42' };

function byKind(manifests: KubernetesManifest[], kind: string): KubernetesManifest & { spec?: any; data?: any; binaryData?: any } {
  const found = manifests.find((m) => m.kind === kind);
  if (!found) throw new Error(`no ${kind}`);
  return found as never;
}

describe('renderKubernetesManifests', () => {
  it('renders a Deployment, Service, ConfigMap, Secret, PVC and Ingress that pass the Kubernetes API schema', () => {
    const manifests = renderKubernetesManifests(workload(), options);
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Ingress', 'PersistentVolumeClaim', 'Secret', 'Service']);
    for (const manifest of manifests) {
      expect(validateManifest(manifest), `${manifest.kind} ${manifest.metadata.name}`).toEqual([]);
      expect(manifest.metadata.namespace).toBe('plinth-dev');
      expect(manifest.metadata.labels).toEqual({
        'app.kubernetes.io/name': 'orders',
        'app.kubernetes.io/instance': 'orders-dev',
        'app.kubernetes.io/version': 'r-42',
        'app.kubernetes.io/managed-by': 'plinth',
        'backstage.io/kubernetes-id': 'orders',
        'plinth.dev/environment': 'dev',
      });
    }
    const deployment = byKind(manifests, 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.env).toEqual([
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'orders-secrets', key: expect.stringMatching(/^env\.main\.DATABASE_URL\./) } } },
    ]);
    expect(container.ports).toEqual([{ containerPort: 8080, protocol: 'TCP' }]);
    expect(container.livenessProbe).toEqual({ httpGet: { path: '/alive', port: 8080 } });
    expect(container.readinessProbe).toEqual({ exec: { command: ['/bin/ready'] } });
    expect(container.resources.limits).toEqual({ cpu: '500m', memory: '256Mi' });
    expect(container.volumeMounts).toContainEqual({ name: 'volume-data', mountPath: '/data', readOnly: false, subPath: 'sub' });
    expect(deployment.metadata.annotations).toEqual({ 'team.example/owner': 'payments' });
    // Secrets never land in the ConfigMap or the Deployment.
    const secret = byKind(manifests, 'Secret');
    expect(Object.values(secret.data).map((v) => Buffer.from(String(v), 'base64').toString())).toEqual(['postgres://u:pw@db:5432/orders', 's3cret']);
    expect(JSON.stringify(byKind(manifests, 'ConfigMap'))).not.toContain(Buffer.from('s3cret').toString('base64'));
    expect(JSON.stringify(deployment)).not.toContain('pw@db');
    const configItems = deployment.spec.template.spec.volumes.find((v: any) => v.name === 'plinth-files').configMap.items;
    expect(configItems).toEqual([{ key: expect.any(String), path: expect.any(String), mode: 0o644 }]);
    expect(byKind(manifests, 'Service').spec.ports).toEqual([{ name: 'web', port: 80, targetPort: 8080, protocol: 'TCP' }]);
    expect(byKind(manifests, 'Ingress').spec.rules).toEqual([{ host: 'orders.dev.example.com', http: { paths: [{ path: '/api', pathType: 'Prefix', backend: { service: { name: 'orders', port: { name: 'web' } } } }] } }]);
  });

  it('a changed file or secret changes the pod template checksum (a rollout); the same input renders the same', () => {
    const checksum = (w: ResolvedWorkload) => (byKind(renderKubernetesManifests(w, options), 'Deployment').spec.template.metadata.annotations as Record<string, string>)['plinth.dev/config-checksum'];
    expect(checksum(workload())).toBe(checksum(workload()));
    const changed = workload();
    changed.containers[0]!.variables.DATABASE_URL = 'postgres://u:rotated@db:5432/orders';
    expect(checksum(changed)).not.toBe(checksum(workload()));
  });

  it('renders an HTTPRoute with a regular-expression path when asked, and Ingress regex paths as ImplementationSpecific', () => {
    const regex = workload();
    regex.resources[1]!.params.path = '/my/[^/]+/path';
    const httpRoute = byKind(renderKubernetesManifests(regex, { ...options, routes: { kind: 'HTTPRoute', gateway: { name: 'default', namespace: 'gateways' } } }), 'HTTPRoute');
    expect(httpRoute.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(httpRoute.spec).toEqual({ parentRefs: [{ name: 'default', namespace: 'gateways' }], hostnames: ['orders.dev.example.com'], rules: [{ matches: [{ path: { type: 'RegularExpression', value: '/my/[^/]+/path' } }], backendRefs: [{ name: 'orders', port: 80 }] }] });
    expect(byKind(renderKubernetesManifests(regex, options), 'Ingress').spec.rules[0].http.paths[0].pathType).toBe('ImplementationSpecific');
  });

  it("image '.' needs the release's image; a route to an undeclared port is an error naming the ports", () => {
    const dot = workload();
    dot.containers[0]!.image = '.';
    expect(() => renderKubernetesManifests(dot, options)).toThrow(/has image '\.', the image built for the release, but the release has no image/);
    expect(byKind(renderKubernetesManifests(dot, { ...options, image: 'registry.local/orders:r-42' }), 'Deployment').spec.template.spec.containers[0].image).toBe('registry.local/orders:r-42');
    const badRoute = workload();
    badRoute.resources[1]!.params.port = 'admin';
    const error = (() => {
      try {
        renderKubernetesManifests(badRoute, options);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PlinthError);
    expect(String(error)).toMatch(/route route of orders points at port 'admin', which the workload's service does not declare \(ports: web=80\)/);
  });

  it('a long release id still makes valid label values', () => {
    const manifests = renderKubernetesManifests(workload(), { ...options, release: `release-${'x'.repeat(100)}/with spaces` });
    for (const manifest of manifests) expect(validateManifest(manifest)).toEqual([]);
    expect(manifests[0]!.metadata.labels['app.kubernetes.io/version']!).toMatch(/^[A-Za-z0-9][-_.A-Za-z0-9]{0,61}[A-Za-z0-9]$/);
  });

  it('the schema check itself catches unknown fields, wrong types and missing required fields', () => {
    const deployment = structuredClone(byKind(renderKubernetesManifests(workload(), options), 'Deployment')) as any;
    deployment.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    deployment.spec.replicas = '1';
    delete deployment.spec.template.spec.containers[0].name;
    expect(validateManifest(deployment)).toEqual([
      'official schema: Deployment.spec.replicas: must be integer',
      'official schema: Deployment.spec.template.spec.containers.0: must have required property name',
      'Deployment.spec.replicas: expected a number, got "1"',
      'Deployment.spec.template.spec.containers[0].imagePullPolcy: unknown field of V1Container',
      'Deployment.spec.template.spec.containers[0]: missing required field name of V1Container',
    ]);
  });
});

describe('applyKubernetesManifests without a cluster', () => {
  it('an unreachable API server is KUBERNETES_APPLY_FAILED naming the server', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({ clusters: [{ name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: true }], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'none', cluster: 'none', user: 'u' }], currentContext: 'none' });
    const error = await applyKubernetesManifests(renderKubernetesManifests(workload(), options), { namespace: 'plinth-dev', workload: 'orders', environment: 'dev', rolloutTimeoutSeconds: 5, kubeConfig }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PlinthError);
    expect((error as PlinthError).code).toBe('KUBERNETES_APPLY_FAILED');
    expect((error as PlinthError).message).toBe('applying Namespace plinth-dev: cannot reach the Kubernetes API at https://127.0.0.1:1 (ECONNREFUSED)');
  });
});

describe.skipIf(!process.env.KUBECONFIG)('applyKubernetesManifests against a live cluster (KUBECONFIG)', () => {
  it('applies, prunes what a release no longer has, and waits for the rollout', async () => {
    const namespace = process.env.PLINTH_TEST_KUBERNETES_NAMESPACE ?? 'default';
    const base = workload({ resources: [], containers: [{ ...workload().containers[0]!, image: 'busybox', command: ['sh', '-c', 'sleep 3600'], args: [], volumes: [], livenessProbe: undefined, readinessProbe: undefined }] });
    const first = renderKubernetesManifests(base, { ...options, namespace });
    const applied = await applyKubernetesManifests(first, { namespace, workload: 'orders', environment: 'dev', rolloutTimeoutSeconds: 180, kubeConfig: loadKubeConfig() });
    expect(applied.applied).toContain(`Deployment ${namespace}/orders`);
    const withoutFiles = { ...base, containers: [{ ...base.containers[0]!, files: [] }] };
    const second = await applyKubernetesManifests(renderKubernetesManifests(withoutFiles, { ...options, namespace }), { namespace, workload: 'orders', environment: 'dev', rolloutTimeoutSeconds: 180 });
    expect(second.pruned).toContain(`ConfigMap ${namespace}/orders-files`);
  }, 400_000);
});

if (!process.env.KUBECONFIG) console.info('skipping the live Kubernetes apply test: KUBECONFIG is not set');
