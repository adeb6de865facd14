import type { DeploymentStatus } from './tables.js';

/** DNS label: environments and components become host names (`<workload>.<environment>.localhost`). */
export const ENVIRONMENT_NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
export const VALUE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,127}$';
export const MASK = '********';

export interface EnvironmentValueView {
  name: string;
  /** Null for a secret the caller may not read. */
  value: string | null;
  secret: boolean;
}

export interface EnvironmentView {
  name: string;
  type: string;
  owner: string | null;
  description: string | null;
  clonedFrom: string | null;
  expiresAt: string | null;
  status: 'active' | 'destroying';
  productionLike: boolean;
  createdBy: string;
  createdAt: string;
}

export interface ResourceView {
  uid: string;
  type: string;
  class: string;
  id: string | null;
  definition: string;
  status: 'provisioning' | 'ready' | 'failed' | 'deprovisioning';
  error: string | null;
  /** Secret outputs are `********` unless the caller may read the environment's secrets. */
  outputs: Record<string, unknown>;
  secretOutputKeys: string[];
  secretsHidden: boolean;
  dataBearing: boolean;
  usedBy: string[];
  environment: string;
  createdAt: string;
}

export interface WorkloadView {
  component: string;
  release: string;
  deployment: string;
  runtime: 'local' | 'kubernetes';
  url: string | null;
  /** running / restarting / stopped, from the runtime; unknown where this process does not run it. */
  health: 'running' | 'restarting' | 'stopped' | 'unknown';
  updatedAt: string;
}

export interface EnvironmentDetails extends EnvironmentView {
  values: EnvironmentValueView[];
  resources: ResourceView[];
  workloads: WorkloadView[];
}

export interface ReleaseView {
  id: string;
  component: string;
  commitSha: string | null;
  artifact: string | null;
  score: string;
  createdBy: string;
  createdAt: string;
}

export interface DeploymentView {
  id: string;
  environment: string;
  component: string;
  release: string;
  commitSha: string | null;
  previousRelease: string | null;
  action: 'deploy' | 'promote' | 'rollback';
  status: DeploymentStatus;
  runtime: 'local' | 'kubernetes';
  resolved: Record<string, Record<string, string>> | null;
  error: string | null;
  requestedBy: string;
  approvedBy: string | null;
  rollbackOf: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export function iso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}
