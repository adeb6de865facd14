/** The Kubernetes runtime: render a resolved workload as manifests, apply them, prune, wait. */
export { renderKubernetesManifests, workloadSelector, labelValue, type KubernetesManifest, type RenderOptions } from './manifests.js';
export { applyKubernetesManifests, loadKubeConfig, type ApplyOptions, type ApplyResult } from './apply.js';
