/**
 * Applies a workload's manifests to a cluster: server-side apply (field manager `plinth`,
 * forced, so Plinth owns the fields it renders), then prunes the objects of this workload
 * and environment the new release no longer has (found by label), then waits for the
 * Deployment's rollout. PersistentVolumeClaims are never pruned here: they hold data and
 * go with their `volume` resource's deprovisioning.
 */
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { PlinthError } from '../../core/errors.js';
import { MANAGED_BY, workloadSelector, type KubernetesManifest } from './manifests.js';

/** The kinds prune looks at (apiVersion, kind). */
const PRUNED_KINDS: Array<[string, string]> = [
  ['apps/v1', 'Deployment'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
];

export interface ApplyOptions {
  namespace: string;
  workload: string;
  environment: string;
  /** How long the Deployment has to become available. */
  rolloutTimeoutSeconds: number;
  /** A kubeconfig; default: KUBECONFIG or in-cluster. */
  kubeConfig?: KubeConfig;
  /** Apply the namespace too (default true; a 403 — Plinth may only write inside it — is ignored). */
  ensureNamespace?: boolean;
}

export interface ApplyResult {
  applied: string[];
  pruned: string[];
}

export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

function describeObject(object: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  return `${object.kind ?? '?'} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name ?? '?'}`;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

function applyError(error: unknown, what: string, server?: string): PlinthError {
  if (error instanceof PlinthError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) {
    return new PlinthError('KUBERNETES_APPLY_FAILED', `${what}: cannot reach the Kubernetes API at ${server ?? 'the configured cluster'} (${code})`, { cause: error });
  }
  const body = (error as { body?: unknown }).body;
  const detail = typeof body === 'string' ? body : body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : error instanceof Error ? error.message : String(error);
  return new PlinthError('KUBERNETES_APPLY_FAILED', `${what}: ${detail}`, { cause: error });
}

export async function applyKubernetesManifests(manifests: KubernetesManifest[], options: ApplyOptions): Promise<ApplyResult> {
  const kubeConfig = options.kubeConfig ?? loadKubeConfig();
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  const server = kubeConfig.getCurrentCluster()?.server;
  const applied: string[] = [];
  if (options.ensureNamespace !== false) {
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.namespace, labels: { 'app.kubernetes.io/managed-by': MANAGED_BY } } };
    try {
      await client.patch(namespace, undefined, undefined, 'plinth', true, PatchStrategy.ServerSideApply);
      applied.push(describeObject(namespace));
    } catch (error) {
      if ((error as { code?: number }).code !== 403) throw applyError(error, `applying Namespace ${options.namespace}`, server);
    }
  }
  // ConfigMaps, Secrets and claims first: the Deployment's pods mount them.
  const order = ['Namespace', 'ConfigMap', 'Secret', 'PersistentVolumeClaim', 'Service', 'Deployment', 'Ingress', 'HTTPRoute'];
  const sorted = [...manifests].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  for (const manifest of sorted) {
    try {
      await client.patch(manifest as KubernetesObject, undefined, undefined, 'plinth', true, PatchStrategy.ServerSideApply);
    } catch (error) {
      throw applyError(error, `applying ${describeObject(manifest)}`, server);
    }
    applied.push(describeObject(manifest));
  }
  const pruned = await prune(client, manifests, options);
  const deployment = manifests.find((m) => m.kind === 'Deployment');
  if (deployment) await waitForRollout(client, deployment, options.rolloutTimeoutSeconds);
  return { applied, pruned };
}

async function prune(client: KubernetesObjectApi, manifests: KubernetesManifest[], options: ApplyOptions): Promise<string[]> {
  const keep = new Set(manifests.map((m) => `${m.kind}/${m.metadata.name}`));
  const pruned: string[] = [];
  for (const [apiVersion, kind] of PRUNED_KINDS) {
    let items: KubernetesObject[];
    try {
      items = (await client.list(apiVersion, kind, options.namespace, undefined, undefined, undefined, undefined, workloadSelector(options.workload, options.environment))).items;
    } catch (error) {
      // A cluster without the Gateway API has no HTTPRoute kind: nothing of it to prune.
      if ((error as { code?: number }).code === 404) continue;
      throw applyError(error, `listing ${kind} objects to prune`);
    }
    for (const item of items) {
      if (keep.has(`${kind}/${item.metadata?.name}`)) continue;
      try {
        await client.delete({ apiVersion, kind, metadata: { name: item.metadata?.name, namespace: options.namespace } });
      } catch (error) {
        if ((error as { code?: number }).code !== 404) throw applyError(error, `pruning ${kind} ${item.metadata?.name}`);
      }
      pruned.push(`${kind} ${options.namespace}/${item.metadata?.name}`);
    }
  }
  return pruned;
}

interface DeploymentState extends KubernetesObject {
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

async function waitForRollout(client: KubernetesObjectApi, deployment: KubernetesManifest, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last: DeploymentState | undefined;
  while (Date.now() < deadline) {
    try {
      last = await client.read<DeploymentState>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: deployment.metadata.name, namespace: deployment.metadata.namespace ?? '' } });
    } catch (error) {
      throw applyError(error, `reading ${describeObject(deployment)}`);
    }
    const wanted = last.spec?.replicas ?? 1;
    const status = last.status ?? {};
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') break;
    if ((status.observedGeneration ?? 0) >= (last.metadata?.generation ?? 0) && (status.updatedReplicas ?? 0) === wanted && (status.availableReplicas ?? 0) >= wanted && (status.replicas ?? 0) === wanted) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const conditions = (last?.status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ''}`).join('; ');
  throw new PlinthError('KUBERNETES_ROLLOUT_FAILED', `${describeObject(deployment)} did not become available within ${timeoutSeconds}s${conditions ? `: ${conditions}` : ''}`);
}
