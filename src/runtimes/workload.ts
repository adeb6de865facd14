/**
 * A workload after Score placeholder resolution: what every runtime renders from. Built by
 * environments/score (resolvePlaceholders); rendered by runtimes/kubernetes
 * (renderKubernetesManifests) and, through environments, the local runtime.
 */

export interface ResolvedProbe {
  httpGet?: { path: string; port: number; host?: string; scheme?: 'HTTP' | 'HTTPS'; httpHeaders?: Array<{ name: string; value: string }> };
  exec?: { command: string[] };
}

export interface ResolvedFile {
  /** Absolute path in the container. */
  target: string;
  /** The file's bytes: placeholder-expanded text, or decoded `binaryContent`. */
  content: Buffer;
  /** Unix mode (`0644` → 0o644) when the Score file sets one. */
  mode?: number;
  /** The content holds a secret output: runtimes keep it in a Secret, not a ConfigMap. */
  secret: boolean;
}

export interface ResolvedVolume {
  /** Mount path in the container. */
  target: string;
  /** The Score resource name the volume's `source: ${resources.<name>}` points at. */
  resource: string;
  /** The resolved source (the volume resource's `source` output). */
  source: string;
  /** Sub-path within the volume. */
  path?: string;
  readOnly: boolean;
}

export interface ResolvedContainer {
  name: string;
  /** `.` means: the image (or checkout) supplied at deploy time. */
  image: string;
  command: string[];
  args: string[];
  variables: Record<string, string>;
  /** Variables whose value holds a secret output (runtimes keep them in a Secret). */
  secretVariables: string[];
  files: ResolvedFile[];
  volumes: ResolvedVolume[];
  livenessProbe?: ResolvedProbe;
  readinessProbe?: ResolvedProbe;
  resources?: { limits?: { cpu?: string; memory?: string }; requests?: { cpu?: string; memory?: string } };
}

export interface ResolvedPort {
  name: string;
  port: number;
  targetPort: number;
  protocol: 'TCP' | 'UDP';
}

export interface ResolvedResource {
  name: string;
  type: string;
  class: string;
  id: string | null;
  /** Params with placeholders resolved (a route's host may be `${resources.dns.host}`). */
  params: Record<string, unknown>;
  /** The provisioned outputs (secret ones included: runtimes put them into Secrets). */
  outputs: Record<string, unknown>;
  secretOutputKeys: string[];
}

export interface ResolvedWorkload {
  name: string;
  annotations: Record<string, string>;
  containers: ResolvedContainer[];
  ports: ResolvedPort[];
  resources: ResolvedResource[];
}
