import type { Selectable } from 'kysely';
import type { Conclusion, DbPipelineJobRow, DbPipelineRunRow, JobStatus, RunStatus } from './tables.js';

/** A pipeline run as the API, the CLI and the portal show it. */
export interface RunView {
  id: number;
  repository: string;
  workflowPath: string;
  workflowName: string;
  runNumber: number;
  attempt: number;
  sha: string;
  ref: string;
  /** The branch or tag name of `ref`. */
  refName: string;
  event: string;
  actor: string;
  inputs: Record<string, unknown>;
  status: RunStatus;
  conclusion: Conclusion | null;
  concurrencyGroup: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

/** A repository's commit status at a commit or branch: the latest run of each workflow, and their combined state. */
export interface CommitStatusView {
  repository: string;
  sha: string | null;
  state: 'none' | 'pending' | 'success' | 'failure' | 'cancelled';
  runs: RunView[];
}

export interface StepView {
  number: number;
  name: string;
  status: 'pending' | 'in_progress' | 'completed';
  conclusion: Conclusion | null;
  startedAt: string | null;
  completedAt: string | null;
}

/** From `::error file=…,line=…::message` and friends. */
export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  file?: string;
  line?: number;
  column?: number;
  title?: string;
}

export interface JobView {
  id: number;
  runId: number;
  attempt: number;
  key: string;
  name: string;
  matrix: Record<string, unknown> | null;
  needs: string[];
  runsOn: string[];
  status: JobStatus;
  conclusion: Conclusion | null;
  /** The job's evaluated `concurrency` group, once it was about to start. */
  concurrencyGroup: string | null;
  /** Why a pending job has not started though its needs are done (`concurrency group deploy-main`). */
  waitingFor: string | null;
  runner: string | null;
  outputs: Record<string, string>;
  steps: StepView[];
  annotations: Annotation[];
  summary: string | null;
  error: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

export interface RunDetails extends RunView {
  jobs: JobView[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

export function refNameOf(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

export function toRunView(row: Selectable<DbPipelineRunRow>): RunView {
  return {
    id: Number(row.id),
    repository: row.repository,
    workflowPath: row.workflow_path,
    workflowName: row.workflow_name,
    runNumber: row.run_number,
    attempt: row.attempt,
    sha: row.sha,
    ref: row.ref,
    refName: refNameOf(row.ref),
    event: row.event,
    actor: row.actor,
    inputs: JSON.parse(row.inputs) as Record<string, unknown>,
    status: row.status,
    conclusion: row.conclusion,
    concurrencyGroup: row.concurrency_group,
    createdAt: iso(row.created_at)!,
    startedAt: iso(row.started_at),
    completedAt: iso(row.completed_at),
  };
}

export function toJobView(row: Selectable<DbPipelineJobRow>): JobView {
  return {
    id: Number(row.id),
    runId: Number(row.run_id),
    attempt: row.attempt,
    key: row.job_key,
    name: row.name,
    matrix: row.matrix ? (JSON.parse(row.matrix) as Record<string, unknown>) : null,
    needs: JSON.parse(row.needs) as string[],
    runsOn: JSON.parse(row.runs_on) as string[],
    status: row.status,
    conclusion: row.conclusion,
    concurrencyGroup: row.concurrency_group,
    waitingFor: row.status === 'pending' && row.concurrency_group !== null ? `concurrency group ${row.concurrency_group}` : null,
    runner: row.runner,
    outputs: JSON.parse(row.outputs) as Record<string, string>,
    steps: JSON.parse(row.steps) as StepView[],
    annotations: JSON.parse(row.annotations) as Annotation[],
    summary: row.summary,
    error: row.error,
    startedAt: iso(row.started_at),
    completedAt: iso(row.completed_at),
  };
}

/** The queue a job's runner labels map to: workers serve one queue per subset of their labels. */
export function runnerQueueOf(labels: string[]): string {
  return `label:${[...new Set(labels)].sort().join(',')}`;
}

/** Every queue a worker with these labels serves (each non-empty subset; labels beyond 8 are served singly). */
export function runnerQueuesFor(labels: string[]): string[] {
  const unique = [...new Set(labels)].sort();
  if (unique.length > 8) return unique.map((label) => runnerQueueOf([label]));
  const queues: string[] = [];
  for (let mask = 1; mask < 1 << unique.length; mask++) queues.push(runnerQueueOf(unique.filter((_, i) => mask & (1 << i))));
  return queues;
}
