import type { Generated } from 'kysely';

/** Tables owned by pipelines/. */
export type PipelineTables = {
  pipeline_runs: DbPipelineRunRow;
  pipeline_jobs: DbPipelineJobRow;
  pipeline_log_lines: DbPipelineLogLineRow;
  pipeline_artifacts: DbPipelineArtifactRow;
  pipeline_caches: DbPipelineCacheRow;
  pipeline_secrets: DbPipelineSecretRow;
};

export type RunStatus = 'queued' | 'in_progress' | 'completed';
/**
 * `pending`: its needs are not done, or (with a `concurrency_group`) it waits for its group;
 * `waiting`: a matrix leg waiting for a `max-parallel` slot.
 */
export type JobStatus = 'pending' | 'waiting' | 'queued' | 'in_progress' | 'completed';
export type Conclusion = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface DbPipelineRunRow {
  id: Generated<number>;
  /** `namespace/name` of a hosted repository, or the name of a configured remote. */
  repository: string;
  workflow_path: string;
  workflow_name: string;
  /** The workflow file's text at `sha`: every job of the run reads this, never the branch again. */
  workflow_source: string;
  run_number: number;
  attempt: number;
  sha: string;
  ref: string;
  event: string;
  /** JSON: the event payload (`github.event`), including dispatch inputs. */
  event_payload: string;
  actor: string;
  /** JSON object of workflow_dispatch inputs. */
  inputs: string;
  status: RunStatus;
  conclusion: Conclusion | null;
  concurrency_group: string | null;
  /** Dedupe of triggers delivered more than once (events are at-least-once; replicas race). */
  trigger_key: string | null;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  updated_at: number;
}

export interface DbPipelineJobRow {
  id: Generated<number>;
  run_id: number;
  attempt: number;
  /** The job's id in the workflow (`build`). */
  job_key: string;
  /** Display name, with the matrix values for matrix instances. */
  name: string;
  /** JSON object of this instance's matrix values, or null. */
  matrix: string | null;
  /** JSON array of job keys this one waits for. */
  needs: string;
  /** JSON array of runner labels (after aliases). */
  runs_on: string;
  status: JobStatus;
  conclusion: Conclusion | null;
  /** The evaluated `concurrency` group of this leg (set when it is about to start), or null. */
  concurrency_group: string | null;
  queue_job_id: number | null;
  /** The queue attempt that owns the job while it runs: fences a runner whose lease was taken over. */
  queue_attempt: number | null;
  runner: string | null;
  /** JSON object. */
  outputs: string;
  /** JSON array of step results. */
  steps: string;
  /** JSON array of ::error/::warning/::notice annotations. */
  annotations: string;
  /** Markdown from $GITHUB_STEP_SUMMARY. */
  summary: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
}

export interface DbPipelineLogLineRow {
  id: Generated<number>;
  job_id: number;
  /** 1-based line number within the job. */
  line: number;
  /** Step number (0: set-up before the first step). */
  step: number;
  at: number;
  text: string;
}

export interface DbPipelineArtifactRow {
  id: Generated<number>;
  run_id: number;
  job_id: number;
  name: string;
  /** Path of the stored file under the data dir (a tar of the uploaded files). */
  file: string;
  size: number;
  created_at: number;
  expires_at: number;
}

export interface DbPipelineCacheRow {
  id: Generated<number>;
  repository: string;
  key: string;
  file: string;
  size: number;
  created_at: number;
  last_used_at: number;
}

export interface DbPipelineSecretRow {
  repository: string;
  name: string;
  /** Encrypted with the platform's secret box. */
  value: string;
  updated_by: string;
  updated_at: number;
}
