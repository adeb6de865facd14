/** The Kubernetes runtime: render a resolved workload as manifests, apply them, prune, wait. */
export { renderKubernetesManifests, workloadSelector, labelValue, type KubernetesManifest, type RenderOptions } from './manifests.js';
import type { ApplyOptions, ApplyResult } from './apply.js';
import type { KubernetesManifest } from './manifests.js';

export type { ApplyOptions, ApplyResult };

/** Applies manifests; the Kubernetes client (about 75 MiB resident) is loaded on the first apply only. */
export async function applyKubernetesManifests(manifests: KubernetesManifest[], options: ApplyOptions): Promise<ApplyResult> {
  return (await import('./apply.js')).applyKubernetesManifests(manifests, options);
}
