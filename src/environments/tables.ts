/** Tables owned by environments/. Timestamps are epoch ms; JSON is stored as text. */
export type EnvironmentTables = {
  environments: DbEnvironmentRow;
  environment_values: DbEnvironmentValueRow;
  environment_resources: DbEnvironmentResourceRow;
  releases: DbReleaseRow;
  deployments: DbDeploymentRow;
  environment_workloads: DbEnvironmentWorkloadRow;
};

export interface DbEnvironmentRow {
  id: string;
  name: string;
  type: string;
  /** Entity ref of the owning group or user. */
  owner: string | null;
  description: string | null;
  cloned_from: string | null;
  /** When the environment destroys itself (epoch ms), or null. */
  expires_at: number | null;
  /** `active`, or `destroying` while its resources are deprovisioned. */
  status: 'active' | 'destroying';
  created_by: string;
  created_at: number;
  updated_at: number;
}

/** A configuration value or secret of an environment, usable as `${environment.<name>}`... see README. */
export interface DbEnvironmentValueRow {
  environment_id: string;
  name: string;
  /** The value; for secrets, encrypted with the secret box. */
  value: string;
  secret: number;
  updated_at: number;
}

export interface DbEnvironmentResourceRow {
  id: string;
  environment_id: string;
  /** Score identity: `type.class#id` for shared resources, `type.class#workload.name` otherwise. */
  uid: string;
  type: string;
  class: string;
  /** Score `id` of a shared resource. */
  resource_id: string | null;
  /** The resource definition (provisioner) that provisioned it. */
  definition: string;
  /** Driver state (JSON), encrypted: it may name credentials. */
  state: string | null;
  /** Non-secret outputs (JSON). */
  outputs: string;
  /** Secret outputs (JSON), encrypted. */
  secret_outputs: string | null;
  status: 'provisioning' | 'ready' | 'failed' | 'deprovisioning';
  error: string | null;
  /** Holds data (databases, volumes): destroying it in a production-like environment needs confirmation. */
  data_bearing: number;
  /** Workloads that use it (JSON array of component names). */
  used_by: string;
  created_at: number;
  updated_at: number;
}

/** An immutable release: what gets deployed, promoted and rolled back to. */
export interface DbReleaseRow {
  id: string;
  component: string;
  commit_sha: string | null;
  /** Build reference: for the local runtime the checkout directory `image: .` runs from. */
  artifact: string | null;
  /** The Score spec, verbatim. */
  score: string;
  /** sha256 of component, commit, artifact and score: one release per distinct content. */
  digest: string;
  created_by: string;
  created_at: number;
}

export type DeploymentStatus = 'awaiting-approval' | 'queued' | 'running' | 'succeeded' | 'failed' | 'rolling-back' | 'rolled-back' | 'superseded';

export interface DbDeploymentRow {
  id: string;
  environment_id: string;
  /** Kept after the environment is destroyed, for history and DORA. */
  environment_name: string;
  component: string;
  release_id: string;
  /** The release that ran before (what a failure rolls back to). */
  previous_release_id: string | null;
  action: 'deploy' | 'promote' | 'rollback';
  status: DeploymentStatus;
  runtime: 'local' | 'kubernetes';
  /** Resolved variables with secret values masked (JSON): what the history diff compares. */
  resolved: string | null;
  error: string | null;
  requested_by: string;
  approved_by: string | null;
  approved_at: number | null;
  /** The deployment this one rolled back from, for automatic rollbacks. */
  rollback_of: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/** Desired state: the release each component runs in each environment (reconciled after restarts). */
export interface DbEnvironmentWorkloadRow {
  environment_id: string;
  component: string;
  deployment_id: string;
  release_id: string;
  runtime: 'local' | 'kubernetes';
  url: string | null;
  /** The rendered runtime spec (JSON), encrypted: its variables hold resource passwords. */
  spec: string;
  updated_at: number;
}
