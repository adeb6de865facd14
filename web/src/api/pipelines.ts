import { api, buildUrl } from './client.js';
import type { Annotation, CommitStatusView, JobView, RunDetails as ServerRunDetails, RunView, StepView } from '../../../src/pipelines/model.js';
import type { Conclusion, JobStatus, RunStatus } from '../../../src/pipelines/tables.js';

/** The domain events by which a run starts, ends, or starts again. */
export const PIPELINE_RUN_EVENTS = ['pipeline:run-created', 'pipeline:run-completed', 'pipeline:run-rerun', 'pipeline:run-cancel-requested'];

export type { Annotation, Conclusion, JobStatus, RunStatus };
export type PipelineRun = RunView;
export type PipelineStep = StepView;
export type PipelineJob = JobView;
export type CommitStatus = CommitStatusView;

export interface Artifact {
  name: string;
  size: number;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
}

export interface RunDetails extends ServerRunDetails {
  artifacts?: Artifact[];
}

export interface LogLine {
  line: number;
  step: number;
  at: string;
  text: string;
}

export interface DispatchInput {
  description?: string;
  type: 'string' | 'boolean' | 'number' | 'choice' | 'environment';
  required: boolean;
  default?: unknown;
  options?: string[];
}

export interface WorkflowSummary {
  path: string;
  name: string;
  valid: boolean;
  errors: string[];
  events: string[];
  dispatchInputs: Record<string, DispatchInput> | null;
}

export interface RunFilter {
  repository?: string;
  branch?: string;
  status?: RunStatus;
  actor?: string;
  workflow?: string;
  before?: number;
  limit?: number;
}

export const listRuns = (filter: RunFilter, signal?: AbortSignal) => api.get<{ items: PipelineRun[]; nextBefore: number | null }>('/pipelines/runs', { query: { ...filter }, signal });
export const getRun = (id: number, signal?: AbortSignal) => api.get<RunDetails>(`/pipelines/runs/${id}`, { signal });
export const getJobLogs = (runId: number, jobId: number, after = 0, signal?: AbortSignal) =>
  api.get<{ items: LogLine[]; nextAfter: number; completed: boolean }>(`/pipelines/runs/${runId}/jobs/${jobId}/logs`, { query: { after, limit: 10000 }, signal });
export const cancelRun = (id: number) => api.post<PipelineRun>(`/pipelines/runs/${id}/cancel`);
export const rerunRun = (id: number, failedOnly: boolean) => api.post<PipelineRun>(`/pipelines/runs/${id}/rerun`, { failedOnly });
export const listWorkflows = (repository: string, ref: string | undefined, signal?: AbortSignal) => api.get<{ items: WorkflowSummary[] }>('/pipelines/workflows', { query: { repository, ref }, signal });
export const dispatchWorkflow = (body: { repository: string; workflow: string; ref?: string; inputs: Record<string, string | number | boolean> }) => api.post<PipelineRun>('/pipelines/dispatch', body);
export const listRepositories = (signal?: AbortSignal) => api.get<{ items: Array<{ namespace: string; name: string; defaultBranch: string }> }>('/repositories', { signal });
/** The latest run of each workflow of a repository on a branch, and their combined state. */
export const getCommitStatus = (repository: string, branch: string, signal?: AbortSignal) => api.get<CommitStatus>('/pipelines/status', { query: { repository, ref: branch }, signal });
export const artifactUrl = (runId: number, name: string) => buildUrl(`/pipelines/runs/${runId}/artifacts/${encodeURIComponent(name)}`);

/**
 * Follows a run live: `onRun` with the run and its jobs on every change, `onLines` with new log
 * lines of each job as they are written. The server ends the stream when the run has completed.
 */
export function subscribeToRun(id: number, handlers: { onRun(run: RunDetails): void; onLines(jobId: number, lines: LogLine[]): void; onEnd(): void }): () => void {
  if (typeof EventSource === 'undefined') return () => {};
  const source = new EventSource(buildUrl(`/pipelines/runs/${id}/stream`));
  source.addEventListener('run', (message) => handlers.onRun(JSON.parse((message as MessageEvent<string>).data) as RunDetails));
  source.addEventListener('lines', (message) => {
    const { jobId, lines } = JSON.parse((message as MessageEvent<string>).data) as { jobId: number; lines: LogLine[] };
    handlers.onLines(jobId, lines);
  });
  source.addEventListener('end', () => {
    // Closed here, or EventSource would reconnect and replay the run from the start.
    source.close();
    handlers.onEnd();
  });
  return () => source.close();
}
