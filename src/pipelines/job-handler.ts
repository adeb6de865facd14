import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { describeError } from '../core/errors.js';
import type { JobHandler, RunningJob } from '../store/queue/worker.js';
import { createSecretMasker } from '../secrets/masking.js';
import { jobTokenName } from './actions.js';
import { createApiToken, revokeApiToken } from '../auth/tokens.js';
import type { AuthTables } from '../auth/tables.js';
import * as engine from './engine/index.js';
import { createJobLogWriter, lastLogLine } from './log-store.js';
import type { Annotation, StepView } from './model.js';
import { checkoutWorkspace } from './repository-source.js';
import { ADVANCE_RUN_JOB, PIPELINE_JOB, type PipelineService } from './service.js';
import type { Conclusion, PipelineTables } from './tables.js';
import { createRunStorage } from './run-storage.js';
import { scheduleTickHandler } from './triggers.js';

interface JobOutcome {
  conclusion: Conclusion;
  outputs?: Record<string, string>;
  steps?: StepView[];
  annotations?: Annotation[];
  summary?: string | null;
  error?: string | null;
}

interface PipelineJobPayload {
  runId: number;
  jobId: number;
}

/**
 * Runs one pipeline job on this worker: a clean checkout of the run's commit, a job token for
 * the `plinth` CLI in steps, the engine running the steps with logs stored as they come, then
 * the result recorded and the run's next jobs queued — all fenced so a job whose runner was
 * lost is recorded once, by whoever finds out.
 */
export function pipelineJobHandlers(service: PipelineService, options: { concurrency?: number } = {}): JobHandler[] {
  const runJobHandler: JobHandler<PipelineJobPayload> = { type: PIPELINE_JOB, concurrency: options.concurrency, run: (job) => runPipelineJob(service, job) };
  const advanceRunHandler: JobHandler<{ runId: number }> = { type: ADVANCE_RUN_JOB, run: (job) => service.advanceRunNow(job.payload.runId) };
  return [runJobHandler, advanceRunHandler, scheduleTickHandler(service, service.deps.logger)];
}

async function runPipelineJob(service: PipelineService, queued: RunningJob<PipelineJobPayload>): Promise<void> {
  const { store, logger, dataDir } = service.deps;
  const db = service.db;
  const { jobId, runId } = queued.payload;
  const row = await db.selectFrom('pipeline_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  if (!row || row.status === 'completed') return;
  if (row.status === 'in_progress') {
    // A previous attempt claimed it and its worker stopped heartbeating (killed, or stalled past its lease).
    const logs = createJobLogWriter(store, jobId, { startLine: await lastLogLine(db, jobId) });
    logs.write(`##[error]The runner ${row.runner ?? ''} stopped responding while running this job (its lease expired); the job failed.`, 0);
    await logs.close();
    await finishJob(service, row.run_id, jobId, row.queue_attempt, { conclusion: 'failure', error: `runner ${row.runner ?? '?'} lost: it stopped heartbeating mid-job` });
    // What the lost runner would have cleaned up: its job token, and its workspace if it is on this machine.
    const authDb = store.db.withTables<AuthTables>();
    const lostToken = await authDb.selectFrom('api_tokens').select('id').where('name', '=', jobTokenName(jobId)).where('revoked_at', 'is', null).execute();
    for (const token of lostToken) await revokeApiToken(authDb, token.id);
    for (const dir of Object.values(jobDirectories(dataDir, jobId))) await rm(dir, { recursive: true, force: true });
    return;
  }
  const run = await service.getRun(runId);
  const runner = `${hostname()}:${process.pid}`;
  const claimed = await db
    .updateTable('pipeline_jobs')
    .set({ status: 'in_progress', queue_attempt: queued.attempt, runner, started_at: Date.now() })
    .where('id', '=', jobId)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) return;

  const masker = createSecretMasker();
  const logs = createJobLogWriter(store, jobId, { mask: (text) => masker.mask(text), logger });
  const { workspace, runnerTemp } = jobDirectories(dataDir, jobId);
  const authDb = store.db.withTables<AuthTables>();
  const groups = createGroupTracker();
  const steps = createStepTracker((current) => void service.recordSteps(runId, jobId, current).catch(() => {}));
  let token: { token: string; id: string } | undefined;
  let result: JobOutcome;
  try {
    const runRow = await db.selectFrom('pipeline_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
    const jobRow = await db.selectFrom('pipeline_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    // The job token lets the `plinth` CLI in steps act on this server; it is revoked when the job ends.
    const created = await createApiToken(authDb, { name: jobTokenName(jobId), role: 'member', expiresInDays: 1, createdBy: `pipeline-run:${runId}` });
    token = { token: created.token, id: created.item.id };
    masker.add(token.token);
    const secrets = { ...(await service.secretsOf(run.repository)), PLINTH_TOKEN: token.token };
    for (const value of Object.values(secrets)) masker.add(value);
    const serverUrl = service.deps.publicUrl();

    logs.write(`Runner ${runner}: checking out ${run.repository}@${run.sha.slice(0, 12)} (${run.ref})`, 0);
    const gitDir = await service.deps.sources.gitDirOf(run.repository);
    await checkoutWorkspace(gitDir, run.sha, workspace);
    const workflow = await engine.parseWorkflowFile(runRow.workflow_source, runRow.workflow_path);
    const outcome = await engine.runJob(
      { workflow, jobId: jobRow.job_key, matrix: jobRow.matrix ? (JSON.parse(jobRow.matrix) as Record<string, unknown>) : undefined },
      {
        event: service.workflowEventOf(runRow),
        results: await service.finishedResultsOf(jobRow),
        inputs: run.inputs,
        secrets,
        vars: {},
        workspaceDir: workspace,
        runnerTempDir: runnerTemp,
        hostEnv: stepEnvironment({ PLINTH_TOKEN: token.token, PLINTH_SERVER: serverUrl }),
        repositoryCheckout: async (dir, target) => checkoutWorkspace(target.repository === run.repository ? gitDir : await service.deps.sources.gitDirOf(target.repository), target.sha || target.ref, dir),
        ...createRunStorage(service, { runId, jobId, repository: run.repository }),
        // `uses: owner/action@v1` is cloned from the repositories this Plinth hosts.
        actionSources: [withCredentials(`${serverUrl}/git`, token.token)],
        actionCacheDir: path.join(dataDir, 'pipelines', 'actions'),
        runnerName: runner,
        platformActions: service.deps.platformActions?.({ repository: run.repository, sha: run.sha, actor: runRow.actor }),
        onLog: (line) => {
          steps.observe(line);
          const text = groups.textOf(line);
          if (text !== undefined) logs.write(text, line.stepNumber);
        },
        signal: queued.signal,
      },
    );
    const stopped = queued.signal.aborted && outcome.conclusion !== 'success' ? await stopReason(service, runId, jobId, queued.signal) : undefined;
    result = {
      conclusion: stopped?.conclusion ?? outcome.conclusion,
      outputs: outcome.outputs,
      steps: outcome.steps.map(toStepView),
      annotations: outcome.annotations,
      summary: outcome.summary.trim() ? masker.mask(outcome.summary) : null,
      error: stopped?.error ?? (outcome.error ? masker.mask(outcome.error) : null),
    };
  } catch (error) {
    const stopped = queued.signal.aborted ? await stopReason(service, runId, jobId, queued.signal) : undefined;
    logs.write(`##[error]${stopped?.error ?? masker.mask(describeError(error).split('\n')[0]!)}`, 0);
    result = { conclusion: stopped?.conclusion ?? 'failure', steps: steps.current(), error: stopped?.error ?? masker.mask(describeError(error)).slice(0, 4000) };
    if (!stopped) logger.warn({ err: error, job: jobId, run: runId }, 'pipeline job failed to run');
  } finally {
    await logs.close();
    if (token) await revokeApiToken(authDb, token.id).catch((error) => logger.warn({ err: error }, 'could not revoke a job token'));
    await rm(workspace, { recursive: true, force: true }).catch(() => {});
    await rm(runnerTemp, { recursive: true, force: true }).catch(() => {});
  }
  await finishJob(service, runId, jobId, queued.attempt, result);
}

/**
 * Records a job's result and moves its run forward, in one transaction. Fenced by the queue
 * attempt that ran it: a runner that lost its job to another worker records nothing.
 */
async function finishJob(service: PipelineService, runId: number, jobId: number, queueAttempt: number | null, result: JobOutcome): Promise<void> {
  const stops = await service.deps.store.transaction(async (storeTrx) => {
    const trx = storeTrx.withTables<PipelineTables>() as Kysely<PipelineTables>;
    // The run's lock first, as every change to a run's jobs takes it (no lock-order deadlocks).
    await service.lockRun(trx, runId);
    let update = trx
      .updateTable('pipeline_jobs')
      .set({
        status: 'completed',
        conclusion: result.conclusion,
        completed_at: Date.now(),
        ...(result.outputs ? { outputs: JSON.stringify(result.outputs) } : {}),
        ...(result.steps ? { steps: JSON.stringify(result.steps) } : {}),
        ...(result.annotations ? { annotations: JSON.stringify(result.annotations) } : {}),
        ...(result.summary !== undefined ? { summary: result.summary } : {}),
        ...(result.error !== undefined ? { error: result.error } : {}),
      })
      .where('id', '=', jobId)
      .where('status', '=', 'in_progress');
    update = queueAttempt === null ? update.where('queue_attempt', 'is', null) : update.where('queue_attempt', '=', queueAttempt);
    const updated = await update.executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1 ? service.advanceRun(trx, runId) : [];
  });
  await service.stopQueueJobs(stops);
}

/** Where a job runs: its checkout and the runner's temporary files. */
function jobDirectories(dataDir: string, jobId: number): { workspace: string; runnerTemp: string } {
  return { workspace: path.join(dataDir, 'workspaces', `job-${jobId}`), runnerTemp: path.join(dataDir, 'workspaces', `job-${jobId}-temp`) };
}

/**
 * Why the queue stopped a job: its run was cancelled, a leg of its fail-fast matrix failed or a
 * newer job of its concurrency group cancelled it (the job is cancelled), or this worker lost
 * the job — its lease ran out while it stalled, or it is shutting down (the job fails, saying so).
 */
async function stopReason(service: PipelineService, runId: number, jobId: number, signal: AbortSignal): Promise<{ conclusion: Conclusion; error: string }> {
  const run = await service.getRun(runId);
  if (run.conclusion === 'cancelled') return { conclusion: 'cancelled', error: 'The job was cancelled.' };
  // Whoever cancelled the job alone (fail-fast, concurrency group) wrote why.
  const job = await service.getJob(runId, jobId);
  if (job.conclusion === 'cancelled') return { conclusion: 'cancelled', error: job.error ?? 'The job was cancelled.' };
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  return { conclusion: 'failure', error: `The runner stopped the job: ${reason}.` };
}

/**
 * What steps' processes start from: the basics of this process's environment — including the
 * network's proxy and CA settings, which `npm install` and `git` in steps need behind a
 * corporate proxy — never its PLINTH_* settings (database URL, secret key), plus the job's own
 * variables.
 */
function stepEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const kept = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SHELL', 'TERM', ...NETWORK_VARIABLES];
  return { ...Object.fromEntries(kept.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]])), ...extra };
}

const NETWORK_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'GIT_SSL_CAINFO', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

function withCredentials(url: string, token: string): string {
  const parsed = new URL(url);
  parsed.username = 'x';
  parsed.password = token;
  return parsed.toString().replace(/\/$/, '');
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toStepView(step: engine.StepResult): StepView {
  return { number: step.number, name: step.name, status: 'completed', conclusion: step.conclusion, startedAt: iso(step.startedAt), completedAt: iso(step.endedAt) };
}

/**
 * Step progress while a job runs, read from its log lines (the engine reports step results only
 * at the end): a step is running from its first line until the next step's first line.
 */
function createStepTracker(onChange: (steps: StepView[]) => void) {
  const steps: StepView[] = [];
  return {
    observe(line: engine.LogLine) {
      if (line.stepNumber === 0 || steps.some((s) => s.number === line.stepNumber)) return;
      const now = new Date(line.timestamp).toISOString();
      for (const step of steps) if (step.status === 'in_progress') Object.assign(step, { status: 'completed', completedAt: now });
      steps.push({ number: line.stepNumber, name: line.stepName, status: 'in_progress', conclusion: null, startedAt: now, completedAt: null });
      onChange(steps.map((s) => ({ ...s })));
    },
    current: () => steps.map((s) => ({ ...s })),
  };
}

/**
 * The engine opens a group around each step (its header) and for each `::group::` inside it.
 * Stored, a step header is a plain line (the portal makes sections of steps by their number) and
 * its end is dropped; groups inside steps keep their `::group::` / `::endgroup::` lines.
 */
function createGroupTracker() {
  let depth = 0;
  return {
    textOf(line: engine.LogLine): string | undefined {
      if (line.group === 'start') return depth++ === 0 ? line.text : `::group::${line.text}`;
      if (line.group === 'end') return --depth <= 0 ? ((depth = 0), undefined) : '::endgroup::';
      return line.text;
    },
  };
}
