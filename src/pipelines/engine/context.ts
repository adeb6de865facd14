/** The event a run answers and the contexts every expression of a run sees. */

export type Conclusion = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface WorkflowEvent {
  /** `push`, `workflow_dispatch`, `schedule`, `pull_request`, `repository_dispatch`, … */
  name: string;
  /** The webhook-style payload (`github.event`). */
  payload: Record<string, unknown>;
  /** Full ref: `refs/heads/main`. */
  ref: string;
  sha: string;
  /** `owner/name`. */
  repository: string;
  actor: string;
  runId: string;
  runNumber: number;
  runAttempt: number;
  /** Base URL of the Plinth server (`github.server_url`); defaults to http://localhost. */
  serverUrl?: string;
}

/** Results of jobs that finished, by job id (a matrix job's result covers all its legs). */
export type NeedsResults = Record<string, { result: Conclusion; outputs: Record<string, string> }>;

/** What job-level expressions (if, matrix, runs-on, concurrency, environment, name) can read. */
export interface JobEvaluationContext {
  event: WorkflowEvent;
  /** Results of every finished job of the run (not only direct needs: success() is transitive). */
  results: NeedsResults;
  inputs: Record<string, unknown>;
  vars: Record<string, string>;
  secrets?: Record<string, string>;
  /** Extra `env` context entries seen by every job (e.g. ACT=true in conformance runs). */
  env?: Record<string, string>;
}

function refFacts(ref: string): { refName: string; refType: 'branch' | 'tag' | '' } {
  if (ref.startsWith('refs/heads/')) return { refName: ref.slice(11), refType: 'branch' };
  if (ref.startsWith('refs/tags/')) return { refName: ref.slice(10), refType: 'tag' };
  return { refName: ref, refType: '' };
}

/** The `github` context; `extras` adds the runner-side fields (workspace, job, action, env files). */
export function githubContext(event: WorkflowEvent, workflowName: string, workflowFile: string, extras: Record<string, unknown> = {}): Record<string, unknown> {
  const { refName, refType } = refFacts(event.ref);
  const serverUrl = (event.serverUrl ?? 'http://localhost').replace(/\/$/, '');
  const pullRequest = (event.payload.pull_request ?? {}) as { head?: { ref?: string }; base?: { ref?: string } };
  const [owner] = event.repository.split('/');
  return {
    event: event.payload,
    event_name: event.name,
    sha: event.sha,
    ref: event.ref,
    ref_name: refName,
    ref_type: refType,
    ref_protected: false,
    head_ref: pullRequest.head?.ref ?? '',
    base_ref: pullRequest.base?.ref ?? '',
    repository: event.repository,
    repository_owner: owner ?? '',
    repositoryUrl: `${serverUrl}/${event.repository}.git`,
    actor: event.actor,
    triggering_actor: event.actor,
    run_id: event.runId,
    run_number: String(event.runNumber),
    run_attempt: String(event.runAttempt),
    retention_days: '90',
    workflow: workflowName,
    workflow_ref: `${event.repository}/${workflowFile}@${event.ref}`,
    workflow_sha: event.sha,
    server_url: serverUrl,
    api_url: `${serverUrl}/api`,
    graphql_url: `${serverUrl}/api/graphql`,
    token: '',
    action: '',
    action_path: '',
    action_ref: '',
    action_repository: '',
    job: '',
    workspace: '',
    ...extras,
  };
}

/** The `needs` context of a job: its direct needs only. */
export function needsContext(needs: string[], results: NeedsResults): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const id of needs) {
    const found = results[id];
    context[id] = { result: found?.result ?? 'skipped', outputs: found?.outputs ?? {} };
  }
  return context;
}

/** Every named context, so expressions naming one that is not available read an empty object. */
export const CONTEXT_NAMES = ['github', 'env', 'vars', 'secrets', 'inputs', 'job', 'jobs', 'steps', 'runner', 'matrix', 'strategy', 'needs'] as const;

export function withAllContexts(contexts: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const name of CONTEXT_NAMES) result[name] = contexts[name] ?? {};
  return { ...result, ...contexts };
}
