import type { Kysely, Selectable } from 'kysely';
import { PlinthError, describeError, formatLocation } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/store.js';
import type { StoreTables } from '../store/tables.js';
import { appendEvent } from '../store/events.js';
import { cancelJob, enqueueJob } from '../store/queue/jobs.js';
import type { SecretBox } from '../secrets/crypto.js';
import type { PipelinesConfig } from '../core/config.js';
import * as engine from './engine/index.js';
import { runnerQueueOf, toJobView, toRunView, type CommitStatusView, type RunDetails, type RunView, type StepView } from './model.js';
import { announceRunChanged } from './log-store.js';
import { readWorkflowFiles, resolveRef, type RepositorySource, type WorkflowFile } from './repository-source.js';
import type { Conclusion, DbPipelineJobRow, DbPipelineRunRow, PipelineTables } from './tables.js';
import type { PlatformAction } from './engine/job-runner.js';

/** The queue job type that runs one pipeline job. */
export const PIPELINE_JOB = 'pipelines:job';
/** The queue job type that moves a run forward after another run's transaction changed its jobs. */
export const ADVANCE_RUN_JOB = 'pipelines:advance-run';

export interface PipelineServiceDeps {
  store: Store;
  config: PipelinesConfig;
  dataDir: string;
  /** Read at each use: known only once the server listens. */
  publicUrl: () => string;
  secretBox: SecretBox;
  logger: Logger;
  sources: RepositorySource;
  /** Actions other capabilities offer workflows (wired by the server: `plinth/deploy`). */
  platformActions?: (run: { repository: string; sha: string; actor: string }) => Record<string, PlatformAction>;
}

/** What starts a run: a push, a dispatch, a schedule, a webhook. */
export interface RunTrigger {
  repository: string;
  workflow: WorkflowFile;
  sha: string;
  ref: string;
  event: string;
  /** `github.event`: the push payload, `{ inputs }` for a dispatch. */
  eventPayload: Record<string, unknown>;
  actor: string;
  inputs?: Record<string, unknown>;
  /** Runs are created once per key, however often the trigger is delivered. */
  triggerKey?: string;
}

export interface ListRunsFilter {
  repository?: string;
  /** Branch or tag name (`main`), or a full ref. */
  branch?: string;
  status?: 'queued' | 'in_progress' | 'completed';
  conclusion?: Conclusion;
  actor?: string;
  workflow?: string;
  sha?: string;
  event?: string;
  limit?: number;
  /** Runs with an id below this (pages go from newest to oldest). */
  before?: number;
}

type Db = Kysely<PipelineTables>;
type RunRow = Selectable<DbPipelineRunRow>;
type JobRow = Selectable<DbPipelineJobRow>;

const asStore = (trx: Db) => trx as unknown as Kysely<StoreTables>;

/** Pipeline runs: creating them from triggers, scheduling their jobs as a DAG, cancel and re-run. */
export class PipelineService {
  readonly db: Db;

  constructor(readonly deps: PipelineServiceDeps) {
    this.db = deps.store.db.withTables<PipelineTables>();
  }

  // ---- reading -------------------------------------------------------------------------

  async getRun(id: number): Promise<RunView> {
    return toRunView(await this.runRow(this.db, id));
  }

  async runDetails(id: number): Promise<RunDetails> {
    const run = await this.runRow(this.db, id);
    const jobs = await this.db.selectFrom('pipeline_jobs').selectAll().where('run_id', '=', run.id).where('attempt', '=', run.attempt).orderBy('id').execute();
    return { ...toRunView(run), jobs: jobs.map(toJobView) };
  }

  async getJob(runId: number, jobId: number) {
    const row = await this.db.selectFrom('pipeline_jobs').selectAll().where('id', '=', jobId).where('run_id', '=', runId).executeTakeFirst();
    if (!row) throw new PlinthError('PIPELINE_JOB_NOT_FOUND', `run ${runId} has no job ${jobId}`);
    return toJobView(row);
  }

  async listRuns(filter: ListRunsFilter = {}): Promise<{ items: RunView[]; nextBefore: number | null }> {
    const limit = Math.min(filter.limit ?? 50, 200);
    let query = this.db.selectFrom('pipeline_runs').selectAll().orderBy('id', 'desc').limit(limit + 1);
    if (filter.repository) query = query.where('repository', '=', filter.repository);
    if (filter.branch) query = query.where('ref', 'in', filter.branch.startsWith('refs/') ? [filter.branch] : [`refs/heads/${filter.branch}`, `refs/tags/${filter.branch}`]);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.conclusion) query = query.where('conclusion', '=', filter.conclusion);
    if (filter.actor) query = query.where('actor', '=', filter.actor);
    if (filter.workflow) {
      // A path, a file name (`ci.yml`) or the workflow's name.
      const paths = [filter.workflow, `.github/workflows/${filter.workflow}`, `.plinth/workflows/${filter.workflow}`];
      query = query.where((eb) => eb.or([eb('workflow_path', 'in', paths), eb('workflow_name', '=', filter.workflow!)]));
    }
    if (filter.sha) query = query.where('sha', '=', filter.sha);
    if (filter.event) query = query.where('event', '=', filter.event);
    if (filter.before !== undefined) query = query.where('id', '<', filter.before);
    const rows = await query.execute();
    const page = rows.slice(0, limit);
    return { items: page.map(toRunView), nextBefore: rows.length > limit ? Number(page[page.length - 1]!.id) : null };
  }

  /**
   * The commit status of a repository at a commit or branch: the latest run of each workflow
   * and their combined state (`pending` while any runs, then `failure` if any failed).
   */
  async commitStatus(repository: string, ref: { sha?: string; branch?: string }): Promise<CommitStatusView> {
    let query = this.db.selectFrom('pipeline_runs').selectAll().where('repository', '=', repository).orderBy('id', 'desc').limit(200);
    if (ref.sha) query = query.where('sha', '=', ref.sha);
    if (ref.branch) query = query.where('ref', '=', ref.branch.startsWith('refs/') ? ref.branch : `refs/heads/${ref.branch}`);
    const latest = new Map<string, RunRow>();
    for (const row of await query.execute()) if (!latest.has(row.workflow_path)) latest.set(row.workflow_path, row);
    const runs = [...latest.values()].map(toRunView);
    const state = runs.length === 0 ? 'none' : runs.some((r) => r.status !== 'completed') ? 'pending' : runs.some((r) => r.conclusion === 'failure') ? 'failure' : runs.some((r) => r.conclusion === 'cancelled') ? 'cancelled' : 'success';
    return { repository, sha: ref.sha ?? runs[0]?.sha ?? null, state, runs };
  }

  /** Workflows of a repository at a ref, with their triggers and dispatch inputs. */
  async listWorkflows(repository: string, ref?: string) {
    const gitDir = await this.deps.sources.gitDirOf(repository);
    const resolved = await resolveRef(gitDir, ref ?? (await this.deps.sources.defaultBranchOf(repository)));
    const files = await readWorkflowFiles(gitDir, resolved.sha);
    return Promise.all(
      files.map(async (file) => {
        const parsed = await parseWorkflow(file.text, file.path);
        if (!parsed.ok) return { path: file.path, name: file.path, valid: false, errors: describeInvalid(parsed.error), events: [], dispatchInputs: null };
        const triggers = engine.workflowTriggers(parsed.workflow);
        return { path: file.path, name: parsed.workflow.name, valid: true, errors: [], events: triggers.events, dispatchInputs: triggers.workflowDispatch?.inputs ?? null };
      }),
    );
  }

  /**
   * Reads a run in a transaction, holding its row lock where the database has row locks: jobs of
   * one run finishing at the same moment then move the run forward one after the other, each
   * seeing the other's result (on SQLite the write transaction already serialises them).
   */
  async lockRun(trx: Db, id: number): Promise<RunRow> {
    const row = await trx
      .selectFrom('pipeline_runs')
      .selectAll()
      .where('id', '=', id)
      .$if(this.deps.store.adapter.supportsSkipLocked, (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (!row) throw new PlinthError('PIPELINE_RUN_NOT_FOUND', `no pipeline run ${id}`);
    // Job concurrency groups span the repository's runs, and a run's transaction changes jobs of
    // other runs in its groups: those transactions take one lock per repository, always right
    // after their run's and before any job row, so they never deadlock. (SQLite's write
    // transaction serialises everything already.)
    if (await usesJobConcurrency(row)) await this.deps.store.adapter.lockUntilCommit(trx, `plinth:pipelines:concurrency:${row.repository}`);
    return row;
  }

  private async runRow(db: Db, id: number): Promise<RunRow> {
    const row = await db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlinthError('PIPELINE_RUN_NOT_FOUND', `no pipeline run ${id}`);
    return row;
  }

  // ---- creating runs -------------------------------------------------------------------

  /**
   * Creates a run and queues the jobs without needs. A trigger delivered twice (same
   * `triggerKey`) returns the first run. An invalid workflow file makes a failed run that says why.
   */
  async createRun(trigger: RunTrigger): Promise<{ run: RunView; created: boolean }> {
    const parsed = await parseWorkflow(trigger.workflow.text, trigger.workflow.path);
    const now = Date.now();
    let cancelInProgress = false;
    const { run, created, stops } = await this.deps.store.transaction(async (storeTrx) => {
      const trx = storeTrx.withTables<PipelineTables>();
      if (trigger.triggerKey) {
        const existing = await trx.selectFrom('pipeline_runs').selectAll().where('trigger_key', '=', trigger.triggerKey).executeTakeFirst();
        if (existing) return { run: existing, created: false, stops: [] };
      }
      const last = await trx
        .selectFrom('pipeline_runs')
        .select((eb) => eb.fn.max('run_number').as('n'))
        .where('repository', '=', trigger.repository)
        .where('workflow_path', '=', trigger.workflow.path)
        .executeTakeFirst();
      const inserted = await trx
        .insertInto('pipeline_runs')
        .values({
          repository: trigger.repository,
          workflow_path: trigger.workflow.path,
          workflow_name: parsed.ok ? parsed.workflow.name : trigger.workflow.path,
          workflow_source: trigger.workflow.text,
          run_number: Number(last?.n ?? 0) + 1,
          attempt: 1,
          sha: trigger.sha,
          ref: trigger.ref,
          event: trigger.event,
          event_payload: JSON.stringify(trigger.eventPayload),
          actor: trigger.actor,
          inputs: JSON.stringify(trigger.inputs ?? {}),
          status: 'queued',
          conclusion: null,
          concurrency_group: null,
          trigger_key: trigger.triggerKey ?? null,
          created_at: now,
          started_at: null,
          completed_at: null,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (!parsed.ok) {
        // The run exists so the push shows up, failed with the reasons at file:line:column.
        await trx
          .insertInto('pipeline_jobs')
          .values({
            ...newJobRow(Number(inserted.id), 1, { key: 'workflow', name: 'Workflow file', needs: [], runsOn: [] }, now),
            status: 'completed',
            conclusion: 'failure',
            error: describeInvalid(parsed.error).join('\n'),
            annotations: JSON.stringify(annotationsOf(parsed.error)),
            completed_at: now,
          })
          .execute();
        await this.completeRun(trx, inserted, 'failure');
        return { run: inserted, created: true, stops: [] };
      }
      const concurrency = engine.evaluateConcurrency(parsed.workflow, undefined, this.evaluationContext(inserted));
      if (concurrency) {
        await trx.updateTable('pipeline_runs').set({ concurrency_group: concurrency.group }).where('id', '=', inserted.id).execute();
        inserted.concurrency_group = concurrency.group;
        cancelInProgress = concurrency.cancelInProgress;
      }
      for (const job of engine.planJobs(parsed.workflow)) {
        await trx.insertInto('pipeline_jobs').values(newJobRow(Number(inserted.id), 1, { key: job.id, name: job.name, needs: job.needs, runsOn: job.runsOn ?? [] }, now)).execute();
      }
      await appendEvent(this.deps.store, { type: 'pipeline:run-created', subject: `pipeline-run:${inserted.id}`, actor: trigger.actor, payload: { repository: trigger.repository, workflow: trigger.workflow.path, sha: trigger.sha, ref: trigger.ref, event: trigger.event } }, asStore(trx));
      // What it stops is another run's job, cancelled by its concurrency group.
      return { run: inserted, created: true, stops: await this.advanceRun(trx, Number(inserted.id)) };
    });
    await this.stopQueueJobs(stops);
    if (created && cancelInProgress) await this.cancelOlderInGroup(run);
    return { run: await this.getRun(Number(run.id)), created };
  }

  /** The event a run answers, as the engine's expressions see it (`github.*`). */
  workflowEventOf(run: RunRow): engine.WorkflowEvent {
    return {
      name: run.event,
      payload: JSON.parse(run.event_payload) as Record<string, unknown>,
      ref: run.ref,
      sha: run.sha,
      repository: run.repository,
      actor: run.actor,
      runId: String(run.id),
      runNumber: run.run_number,
      runAttempt: run.attempt,
      serverUrl: this.deps.publicUrl(),
    };
  }

  private evaluationContext(run: RunRow, results: engine.NeedsResults = {}): engine.JobEvaluationContext {
    return { event: this.workflowEventOf(run), results, inputs: JSON.parse(run.inputs) as Record<string, unknown>, vars: {} };
  }

  private async cancelOlderInGroup(run: RunRow): Promise<void> {
    const older = await this.db.selectFrom('pipeline_runs').select('id').where('repository', '=', run.repository).where('concurrency_group', '=', run.concurrency_group).where('status', '!=', 'completed').where('id', '<', run.id).execute();
    for (const other of older) await this.cancelRun(Number(other.id), 'system:concurrency').catch(() => {});
  }

  /** Starts runs on every workflow a trigger of this kind selects. */
  async createRunsForWorkflows(base: Omit<RunTrigger, 'workflow' | 'triggerKey'>, files: WorkflowFile[], select: (workflow: engine.ParsedWorkflow) => boolean, triggerKeyOf: (file: WorkflowFile) => string): Promise<RunView[]> {
    const runs: RunView[] = [];
    for (const file of files) {
      const parsed = await parseWorkflow(file.text, file.path);
      // An invalid file still makes a (failed) run for pushes, so the author sees why.
      if (parsed.ok && !select(parsed.workflow)) continue;
      if (!parsed.ok && base.event !== 'push') continue;
      const { run, created } = await this.createRun({ ...base, workflow: file, triggerKey: triggerKeyOf(file) });
      if (created) runs.push(run);
    }
    return runs;
  }

  // ---- the DAG -------------------------------------------------------------------------

  /**
   * Moves a run forward inside a transaction: queues every job whose needs are done (its `if`
   * evaluated, its matrix expanded; legs beyond `max-parallel` wait for a slot, legs whose
   * concurrency group is busy wait for it, and a group's waiter starts when it frees), stops the other
   * legs of a failed fail-fast matrix, skips the jobs that should not run, and completes the run
   * when every job has. Safe to call any number of times. Returns the queue jobs of running legs
   * to stop: the caller cancels them after commit (the queue's cancel is its own write).
   */
  async advanceRun(trx: Db, runId: number): Promise<number[]> {
    const toStop: number[] = [];
    const run = await this.lockRun(trx, runId);
    if (run.status === 'completed') return toStop;
    if (run.concurrency_group && run.status === 'queued') {
      const ahead = await trx.selectFrom('pipeline_runs').select('id').where('repository', '=', run.repository).where('concurrency_group', '=', run.concurrency_group).where('status', '!=', 'completed').where('id', '<', run.id).executeTakeFirst();
      if (ahead) return toStop; // Waits for the run ahead of it in its concurrency group.
    }
    const parsed = await parseWorkflow(run.workflow_source, run.workflow_path);
    if (!parsed.ok) return toStop;
    const workflow = parsed.workflow;
    const planned = new Set(engine.planJobs(workflow).map((job) => job.id));
    const now = Date.now();
    const cancelling = run.conclusion === 'cancelled';
    /** Queues a leg for a runner, unless its concurrency group makes it wait; a bad `concurrency` expression fails it. */
    const startLeg = async (leg: { id: number; key: string; matrix: Record<string, unknown> }, runsOn: string[], context: engine.JobEvaluationContext) => {
      let concurrency: engine.ConcurrencySetting | undefined;
      try {
        concurrency = engine.evaluateConcurrency(workflow, leg.key, context, leg.matrix);
      } catch (error) {
        await trx.updateTable('pipeline_jobs').set({ status: 'completed', conclusion: 'failure', error: describeError(error), completed_at: now }).where('id', '=', leg.id).execute();
        return;
      }
      if (concurrency && !(await this.enterConcurrencyGroup(trx, run, leg.id, concurrency, toStop))) return;
      await this.enqueueLeg(trx, run.id, leg.id, runsOn);
    };
    for (;;) {
      const jobs = await trx.selectFrom('pipeline_jobs').selectAll().where('run_id', '=', run.id).where('attempt', '=', run.attempt).orderBy('id').execute();
      const byKey = groupBy(jobs, (j) => j.job_key);
      const context = this.evaluationContext(run, finishedResults(byKey));
      let changed = false;
      // Pending with a group: its needs were done, it waits for its concurrency group.
      for (const job of jobs.filter((j) => j.status === 'pending' && j.concurrency_group === null)) {
        const needs = JSON.parse(job.needs) as string[];
        if (!needs.every((key) => (byKey.get(key) ?? []).every((i) => i.status === 'completed'))) continue;
        changed = true;
        let expansion: engine.MatrixExpansion | undefined;
        try {
          if (!cancelling && planned.has(job.job_key) && engine.jobIfResult(workflow, job.job_key, context)) expansion = engine.expandMatrix(workflow, job.job_key, context);
        } catch (error) {
          // A job whose `if` or matrix cannot be evaluated fails, saying why; the rest of the run goes on.
          await trx.updateTable('pipeline_jobs').set({ status: 'completed', conclusion: 'failure', error: describeError(error), completed_at: now }).where('id', '=', job.id).execute();
          continue;
        }
        if (!expansion?.legs.length) {
          await trx.updateTable('pipeline_jobs').set({ status: 'completed', conclusion: cancelling ? 'cancelled' : 'skipped', completed_at: now }).where('id', '=', job.id).execute();
          continue;
        }
        for (const [index, leg] of expansion.legs.entries()) {
          const runsOn = this.aliasLabels(engine.evaluateRunsOn(workflow, job.job_key, context, leg.matrix));
          const values = { name: leg.name, matrix: Object.keys(leg.matrix).length ? JSON.stringify(leg.matrix) : null, runs_on: JSON.stringify(runsOn), status: 'waiting' as const };
          const jobId = index === 0 ? Number(job.id) : Number((await trx.insertInto('pipeline_jobs').values({ ...newJobRow(run.id, run.attempt, { key: job.job_key, name: leg.name, needs, runsOn }, now), ...values }).returning('id').executeTakeFirstOrThrow()).id);
          if (index === 0) await trx.updateTable('pipeline_jobs').set(values).where('id', '=', jobId).execute();
          if (index < (expansion.maxParallel ?? Infinity)) await startLeg({ id: jobId, key: job.job_key, matrix: leg.matrix }, runsOn, context);
        }
      }
      // Matrix legs already expanded: fail-fast stops the others when one fails; max-parallel frees slots.
      for (const [key, legs] of byKey) {
        const waiting = legs.filter((l) => l.status === 'waiting');
        // Legs waiting for their concurrency group have started, as far as max-parallel and fail-fast go.
        const active = legs.filter((l) => l.status === 'queued' || (l.status === 'pending' && l.concurrency_group !== null) || (l.status === 'in_progress' && l.conclusion === null));
        const failed = legs.some((l) => l.status === 'completed' && l.conclusion === 'failure');
        if (waiting.length === 0 && !(failed && active.length > 0)) continue;
        let expansion: engine.MatrixExpansion;
        try {
          expansion = engine.expandMatrix(workflow, key, context);
        } catch {
          continue; // It was evaluated when the legs were made; nothing new to decide.
        }
        if (cancelling || (failed && expansion.failFast)) {
          const ending = [...waiting, ...active.filter((l) => l.status !== 'in_progress')];
          if (ending.length) await trx.updateTable('pipeline_jobs').set({ status: 'completed', conclusion: 'cancelled', completed_at: now }).where('id', 'in', ending.map((l) => l.id)).where('status', 'in', ['waiting', 'pending', 'queued']).execute();
          const running = active.filter((l) => l.status === 'in_progress');
          // Marked now (with the reason their runner records), recorded by their runner when it has stopped them.
          if (running.length) await trx.updateTable('pipeline_jobs').set({ conclusion: 'cancelled', ...(cancelling ? {} : { error: 'The job was cancelled: another job of its matrix failed (fail-fast).' }) }).where('id', 'in', running.map((l) => l.id)).execute();
          toStop.push(...[...ending, ...running].flatMap((l) => (l.queue_job_id === null ? [] : [Number(l.queue_job_id)])));
          changed ||= ending.length > 0;
        } else {
          for (const leg of waiting.slice(0, Math.max(0, (expansion.maxParallel ?? Infinity) - active.length))) {
            await startLeg({ id: Number(leg.id), key, matrix: leg.matrix ? (JSON.parse(leg.matrix) as Record<string, unknown>) : {} }, JSON.parse(leg.runs_on) as string[], context);
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    await this.admitGroupWaiters(trx, run);
    await announceRunChanged(this.deps.store, run.id, trx as Kysely<unknown>);
    const jobs = await trx.selectFrom('pipeline_jobs').select(['status', 'conclusion']).where('run_id', '=', run.id).where('attempt', '=', run.attempt).execute();
    if (jobs.every((j) => j.status === 'completed')) {
      await this.completeRun(trx, run, cancelling ? 'cancelled' : conclusionOfJobs(jobs.map((j) => j.conclusion)));
    } else if (run.status === 'queued') {
      await trx.updateTable('pipeline_runs').set({ status: 'in_progress', started_at: run.started_at ?? now, updated_at: now }).where('id', '=', run.id).execute();
    }
    return toStop;
  }

  /** Stops running legs whose queue jobs `advanceRun` named (after its transaction committed). */
  async stopQueueJobs(ids: number[]): Promise<void> {
    for (const id of ids) await cancelJob(this.deps.store, id).catch(() => {});
  }

  /** Moves a run forward in a transaction of its own (the `pipelines:advance-run` queue job). */
  async advanceRunNow(runId: number): Promise<void> {
    const stops = await this.deps.store.transaction((storeTrx) => this.advanceRun(storeTrx.withTables<PipelineTables>(), runId));
    await this.stopQueueJobs(stops);
  }

  /**
   * Moves another run forward once this transaction has committed: as a queue job, so it is not
   * lost, and so no transaction ever holds two runs' locks.
   */
  private async advanceRunLater(trx: Db, runId: number): Promise<void> {
    await enqueueJob(this.deps.store, { type: ADVANCE_RUN_JOB, payload: { runId }, uniqueKey: `${ADVANCE_RUN_JOB}:${runId}` }, asStore(trx));
  }

  private async enqueueLeg(trx: Db, runId: number, jobId: number, runsOn: string[]): Promise<void> {
    const queued = await enqueueJob(this.deps.store, { type: PIPELINE_JOB, queue: runnerQueueOf(runsOn), payload: { runId, jobId }, maxAttempts: 2 }, asStore(trx));
    await trx.updateTable('pipeline_jobs').set({ status: 'queued', queue_job_id: queued.id }).where('id', '=', jobId).execute();
  }

  /**
   * GitHub's job concurrency, across the runs of a repository: at most one job of a group runs
   * and one waits. The leg entering replaces the one waiting, which ends cancelled; with
   * cancel-in-progress it cancels the one running too (its runner stops it: process group
   * killed, post steps run). True when the leg may start now; otherwise it waits, pending, until
   * the group's holder ends (`admitGroupWaiters`).
   */
  private async enterConcurrencyGroup(trx: Db, run: RunRow, legId: number, setting: engine.ConcurrencySetting, toStop: number[]): Promise<boolean> {
    const reason = `Canceling since a higher priority waiting request for '${setting.group}' exists`;
    const now = Date.now();
    const members = await this.unfinishedGroupMembers(trx, run.repository, setting.group);
    const cancels = (member: (typeof members)[number]) => member.status === 'pending' || (setting.cancelInProgress && member.conclusion === null);
    for (const member of members.filter(cancels)) {
      // Not at a runner: ends now. At a runner (perhaps claimed this instant): marked now, and
      // recorded cancelled, with this reason, by its runner once it has stopped it.
      await trx.updateTable('pipeline_jobs').set({ status: 'completed', conclusion: 'cancelled', error: reason, completed_at: now }).where('id', '=', member.id).where('status', 'in', ['pending', 'queued']).execute();
      await trx.updateTable('pipeline_jobs').set({ conclusion: 'cancelled', error: reason }).where('id', '=', member.id).where('status', '=', 'in_progress').execute();
      if (member.queue_job_id !== null) toStop.push(Number(member.queue_job_id));
      // Its run moves on (the jobs that need it, its completion) in a transaction of its own.
      if (member.status !== 'in_progress' && member.run_id !== run.id) await this.advanceRunLater(trx, member.run_id);
    }
    // Still holding the group: a running job (one cancelled here ends once its runner has stopped
    // it) or a queued one left alone; what was pending or queued and cancelled has completed.
    const held = members.some((member) => member.status === 'in_progress' || (member.status === 'queued' && !cancels(member)));
    await trx.updateTable('pipeline_jobs').set({ concurrency_group: setting.group, ...(held ? { status: 'pending' as const } : {}) }).where('id', '=', legId).execute();
    return !held;
  }

  /** Starts the leg waiting in each concurrency group of this run's jobs that nobody holds any more. */
  private async admitGroupWaiters(trx: Db, run: RunRow): Promise<void> {
    const groups = await trx.selectFrom('pipeline_jobs').select('concurrency_group').distinct().where('run_id', '=', run.id).where('attempt', '=', run.attempt).where('concurrency_group', 'is not', null).execute();
    for (const { concurrency_group: group } of groups) {
      const members = await this.unfinishedGroupMembers(trx, run.repository, group!);
      const waiter = members.find((member) => member.status === 'pending');
      if (!waiter || members.some((member) => member.status !== 'pending')) continue;
      await this.enqueueLeg(trx, waiter.run_id, waiter.id, JSON.parse(waiter.runs_on) as string[]);
      if (waiter.run_id !== run.id) await announceRunChanged(this.deps.store, waiter.run_id, trx as Kysely<unknown>);
    }
  }

  /** The legs of a repository's runs in a concurrency group that have not completed: pending (waiting for it), queued or running. */
  private async unfinishedGroupMembers(trx: Db, repository: string, group: string) {
    const rows = await trx
      .selectFrom('pipeline_jobs')
      .innerJoin('pipeline_runs', 'pipeline_runs.id', 'pipeline_jobs.run_id')
      .select(['pipeline_jobs.id', 'pipeline_jobs.run_id', 'pipeline_jobs.status', 'pipeline_jobs.conclusion', 'pipeline_jobs.queue_job_id', 'pipeline_jobs.runs_on'])
      .where('pipeline_runs.repository', '=', repository)
      .where('pipeline_jobs.concurrency_group', '=', group)
      .where('pipeline_jobs.status', '!=', 'completed')
      .orderBy('pipeline_jobs.id')
      .execute();
    return rows.map((row) => ({ ...row, id: Number(row.id), run_id: Number(row.run_id) }));
  }

  private aliasLabels(labels: string[]): string[] {
    return [...new Set(labels.flatMap((label) => this.deps.config.labelAliases[label] ?? [label]))];
  }

  private async completeRun(trx: Db, run: RunRow, conclusion: Conclusion): Promise<void> {
    const now = Date.now();
    const updated = await trx.updateTable('pipeline_runs').set({ status: 'completed', conclusion, completed_at: now, updated_at: now }).where('id', '=', run.id).where('status', '!=', 'completed').executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return;
    await appendEvent(
      this.deps.store,
      { type: 'pipeline:run-completed', subject: `pipeline-run:${run.id}`, actor: run.actor, payload: { repository: run.repository, workflow: run.workflow_path, sha: run.sha, ref: run.ref, conclusion, runNumber: run.run_number, attempt: run.attempt } },
      asStore(trx),
    );
    // The next run waiting in this concurrency group (groups are per repository, as on GitHub)
    // may start now, in a transaction of its own.
    if (run.concurrency_group) {
      const next = await trx.selectFrom('pipeline_runs').select('id').where('repository', '=', run.repository).where('concurrency_group', '=', run.concurrency_group).where('status', '=', 'queued').orderBy('id').executeTakeFirst();
      if (next) await this.advanceRunLater(trx, Number(next.id));
    }
  }

  // ---- cancel and re-run ---------------------------------------------------------------

  /**
   * Cancels a run: waiting jobs end at once; running jobs are told to stop (their process
   * groups are killed and their post steps run) and end cancelled.
   */
  async cancelRun(runId: number, actor: string): Promise<RunView> {
    const running = await this.deps.store.transaction(async (storeTrx) => {
      const trx = storeTrx.withTables<PipelineTables>();
      const run = await this.lockRun(trx, runId);
      if (run.status === 'completed') throw new PlinthError('PIPELINE_RUN_NOT_CANCELLABLE', `run ${runId} has completed already (${run.conclusion})`);
      const now = Date.now();
      await trx.updateTable('pipeline_runs').set({ conclusion: 'cancelled', updated_at: now }).where('id', '=', run.id).execute();
      const jobs = await trx.selectFrom('pipeline_jobs').select(['id', 'status', 'queue_job_id']).where('run_id', '=', run.id).where('attempt', '=', run.attempt).where('status', '!=', 'completed').execute();
      const waiting = jobs.filter((j) => j.status !== 'in_progress').map((j) => Number(j.id));
      // A runner may have claimed one meanwhile: that one is stopped through its queue job below.
      if (waiting.length) await trx.updateTable('pipeline_jobs').set({ status: 'completed', conclusion: 'cancelled', completed_at: now }).where('id', 'in', waiting).where('status', 'in', ['pending', 'waiting', 'queued']).execute();
      await appendEvent(this.deps.store, { type: 'pipeline:run-cancel-requested', subject: `pipeline-run:${run.id}`, actor, payload: {} }, asStore(trx));
      const stops = await this.advanceRun(trx, run.id);
      return [...stops, ...jobs.flatMap((j) => (j.queue_job_id === null ? [] : [Number(j.queue_job_id)]))];
    });
    // The queue tells the worker running each job (here or in another process) to abort it.
    await this.stopQueueJobs([...new Set(running)]);
    return this.getRun(runId);
  }

  /** Runs a completed run again as its next attempt: every job, or the failed ones (and what needs them). */
  async rerun(runId: number, mode: 'all' | 'failed', actor: string): Promise<RunView> {
    const stops = await this.deps.store.transaction(async (storeTrx) => {
      const trx = storeTrx.withTables<PipelineTables>();
      const run = await this.lockRun(trx, runId);
      if (run.status !== 'completed') throw new PlinthError('PIPELINE_RUN_NOT_RERUNNABLE', `run ${runId} is ${run.status}; only completed runs can be re-run`);
      const previous = await trx.selectFrom('pipeline_jobs').selectAll().where('run_id', '=', run.id).where('attempt', '=', run.attempt).orderBy('id').execute();
      const parsed = await parseWorkflow(run.workflow_source, run.workflow_path);
      if (!parsed.ok) throw new PlinthError('PIPELINE_RUN_NOT_RERUNNABLE', `run ${runId}'s workflow file is invalid; push a fixed one`);
      const planned = engine.planJobs(parsed.workflow);
      const failedKeys = new Set(previous.filter((j) => j.conclusion === 'failure' || j.conclusion === 'cancelled').map((j) => j.job_key));
      if (mode === 'failed' && failedKeys.size === 0) throw new PlinthError('PIPELINE_RUN_NOT_RERUNNABLE', `run ${runId} has no failed or cancelled jobs to re-run`);
      // Dependents of a re-run job run again too.
      const rerunKeys = new Set(mode === 'all' ? planned.map((j) => j.id) : failedKeys);
      for (let grew = true; grew; ) {
        grew = false;
        for (const job of planned) if (!rerunKeys.has(job.id) && job.needs.some((n) => rerunKeys.has(n))) grew = rerunKeys.add(job.id) !== undefined;
      }
      const attempt = run.attempt + 1;
      const now = Date.now();
      await trx.updateTable('pipeline_runs').set({ attempt, status: 'queued', conclusion: null, completed_at: null, started_at: null, updated_at: now }).where('id', '=', run.id).execute();
      for (const job of planned) {
        if (rerunKeys.has(job.id)) {
          await trx.insertInto('pipeline_jobs').values(newJobRow(run.id, attempt, { key: job.id, name: job.name, needs: job.needs, runsOn: job.runsOn ?? [] }, now)).execute();
        } else {
          // Kept results: copied so the new attempt's needs see them.
          for (const kept of previous.filter((j) => j.job_key === job.id)) {
            const { id: _id, ...copy } = kept;
            await trx.insertInto('pipeline_jobs').values({ ...copy, attempt, queue_job_id: null }).execute();
          }
        }
      }
      await appendEvent(this.deps.store, { type: 'pipeline:run-rerun', subject: `pipeline-run:${run.id}`, actor, payload: { attempt, mode } }, asStore(trx));
      // What it stops is another run's job, cancelled by its concurrency group.
      return this.advanceRun(trx, run.id);
    });
    await this.stopQueueJobs(stops);
    return this.getRun(runId);
  }

  // ---- what a running job needs ---------------------------------------------------------

  /** The repository of a job's run (what its job token may act on). */
  async repositoryOfJob(jobId: number): Promise<string | undefined> {
    const row = await this.db.selectFrom('pipeline_jobs').innerJoin('pipeline_runs', 'pipeline_runs.id', 'pipeline_jobs.run_id').select('pipeline_runs.repository').where('pipeline_jobs.id', '=', jobId).executeTakeFirst();
    return row?.repository;
  }

  /** Results of the jobs of a job's run attempt that have finished (the engine's `needs` and status). */
  async finishedResultsOf(job: JobRow): Promise<engine.NeedsResults> {
    const rows = await this.db.selectFrom('pipeline_jobs').selectAll().where('run_id', '=', job.run_id).where('attempt', '=', job.attempt).execute();
    return finishedResults(groupBy(rows, (r) => r.job_key));
  }

  /** Step progress while a job runs, for the portal; the final list is written with the result. */
  async recordSteps(runId: number, jobId: number, steps: StepView[]): Promise<void> {
    await this.db.updateTable('pipeline_jobs').set({ steps: JSON.stringify(steps) }).where('id', '=', jobId).where('status', '=', 'in_progress').execute();
    await announceRunChanged(this.deps.store, runId);
  }

  /** A repository's secrets, decrypted, for a job of one of its runs. */
  async secretsOf(repository: string): Promise<Record<string, string>> {
    const rows = await this.db.selectFrom('pipeline_secrets').select(['name', 'value']).where('repository', '=', repository).execute();
    return Object.fromEntries(rows.map((r) => [r.name, this.deps.secretBox.decrypt(r.value)]));
  }

  /** Sets a repository secret (stored encrypted; never shown again). */
  async setSecret(repository: string, name: string, value: string, actor: string, trx: Db = this.db): Promise<void> {
    const now = Date.now();
    const encrypted = this.deps.secretBox.encrypt(value);
    await trx
      .insertInto('pipeline_secrets')
      .values({ repository, name, value: encrypted, updated_by: actor, updated_at: now })
      .onConflict((oc) => oc.columns(['repository', 'name']).doUpdateSet({ value: encrypted, updated_by: actor, updated_at: now }))
      .execute();
  }

  async listSecrets(repository: string): Promise<Array<{ name: string; updatedBy: string; updatedAt: string }>> {
    const rows = await this.db.selectFrom('pipeline_secrets').select(['name', 'updated_by', 'updated_at']).where('repository', '=', repository).orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, updatedBy: r.updated_by, updatedAt: new Date(Number(r.updated_at)).toISOString() }));
  }

  // ---- manual triggers -----------------------------------------------------------------

  /** `workflow_dispatch`: runs one workflow at a ref with validated inputs. */
  async dispatch(input: { repository: string; workflow: string; ref?: string; inputs?: Record<string, unknown> }, actor: string): Promise<RunView> {
    const gitDir = await this.deps.sources.gitDirOf(input.repository);
    const resolved = await resolveRef(gitDir, input.ref ?? (await this.deps.sources.defaultBranchOf(input.repository)));
    const files = await readWorkflowFiles(gitDir, resolved.sha);
    const file = files.find((f) => f.path === input.workflow || f.path.split('/').pop() === input.workflow || f.path.split('/').pop()?.replace(/\.ya?ml$/, '') === input.workflow);
    if (!file) throw new PlinthError('PIPELINE_WORKFLOW_NOT_FOUND', `no workflow '${input.workflow}' in ${input.repository} at ${input.ref ?? 'the default branch'} (have: ${files.map((f) => f.path).join(', ') || 'none'})`, { location: { field: '/body/workflow' } });
    const parsed = await parseWorkflow(file.text, file.path);
    if (!parsed.ok) throw parsed.error;
    const dispatch = engine.workflowTriggers(parsed.workflow).workflowDispatch;
    if (!dispatch) throw new PlinthError('PIPELINE_DISPATCH_INVALID', `workflow ${file.path} has no workflow_dispatch trigger`, { location: { field: '/body/workflow' } });
    const inputs = resolveInputsOfBody(dispatch.inputs, input.inputs ?? {});
    const { run } = await this.createRun({ repository: input.repository, workflow: file, sha: resolved.sha, ref: resolved.ref, event: 'workflow_dispatch', eventPayload: { inputs, ref: resolved.ref }, actor, inputs });
    return run;
  }

  /** `repository_dispatch`: runs the workflows of the default branch that listen for this event type. */
  async repositoryDispatch(input: { repository: string; eventType: string; clientPayload?: Record<string, unknown> }, actor: string): Promise<RunView[]> {
    const gitDir = await this.deps.sources.gitDirOf(input.repository);
    const resolved = await resolveRef(gitDir, await this.deps.sources.defaultBranchOf(input.repository));
    const files = await readWorkflowFiles(gitDir, resolved.sha);
    return this.createRunsForWorkflows(
      { repository: input.repository, sha: resolved.sha, ref: resolved.ref, event: 'repository_dispatch', eventPayload: { action: input.eventType, client_payload: input.clientPayload ?? {} }, actor },
      files,
      (workflow) => {
        const trigger = engine.workflowTriggers(workflow).repositoryDispatch;
        return trigger !== undefined && (!trigger.types?.length || trigger.types.includes(input.eventType));
      },
      () => `repository_dispatch:${crypto.randomUUID()}`,
    );
  }
}

function newJobRow(runId: number, attempt: number, job: { key: string; name: string; needs: string[]; runsOn: string[] }, now: number) {
  return {
    run_id: runId,
    attempt,
    job_key: job.key,
    name: job.name,
    matrix: null,
    needs: JSON.stringify(job.needs),
    runs_on: JSON.stringify(job.runsOn),
    status: 'pending' as const,
    conclusion: null,
    concurrency_group: null,
    queue_job_id: null,
    queue_attempt: null,
    runner: null,
    outputs: '{}',
    steps: '[]',
    annotations: '[]',
    summary: null,
    error: null,
    created_at: now,
    started_at: null,
    completed_at: null,
  };
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

/** `needs.<job>`: the combined result of a job's matrix instances, and their outputs. */
function resultOfInstances(instances: JobRow[]): { result: Conclusion; outputs: Record<string, string> } {
  const outputs = Object.assign({}, ...instances.map((i) => JSON.parse(i.outputs) as Record<string, string>)) as Record<string, string>;
  return { result: conclusionOfJobs(instances.map((i) => i.conclusion)), outputs };
}

/** Results of the jobs whose every matrix leg has completed, by job key. */
function finishedResults(byKey: Map<string, JobRow[]>): engine.NeedsResults {
  return Object.fromEntries([...byKey].filter(([, instances]) => instances.every((i) => i.status === 'completed')).map(([key, instances]) => [key, resultOfInstances(instances)]));
}

/** A run fails if a job failed, is cancelled if one was, is skipped if all were, else succeeds. */
export function conclusionOfJobs(conclusions: Array<Conclusion | null>): Conclusion {
  if (conclusions.includes('failure')) return 'failure';
  if (conclusions.includes('cancelled')) return 'cancelled';
  if (conclusions.length > 0 && conclusions.every((c) => c === 'skipped')) return 'skipped';
  return 'success';
}

/** The engine's dispatch input check, with field paths of the API body (`/body/inputs/<name>`). */
function resolveInputsOfBody(specs: Record<string, engine.DispatchInput>, given: Record<string, unknown>): Record<string, string | number | boolean> {
  try {
    return engine.resolveDispatchInputs(specs, given);
  } catch (error) {
    if (!(error instanceof PlinthError)) throw error;
    const toBody = (field?: string) => (field ? { field: `/body/${field.replace(/\./g, '/')}` } : undefined);
    const details = error.details.map((d) => ({ message: d.message, location: toBody(d.location?.field) }));
    throw new PlinthError(error.code, details[0]?.message ?? error.message, { location: details[0]?.location ?? toBody(error.location?.field), details });
  }
}

/** Whether a run's workflow has job-level `concurrency` (its transactions take the repository's concurrency lock). */
async function usesJobConcurrency(run: RunRow): Promise<boolean> {
  const parsed = await parseWorkflow(run.workflow_source, run.workflow_path);
  return parsed.ok && parsed.workflow.jobs.some((job) => job.concurrency !== undefined && job.concurrency !== null);
}

type ParseOutcome = { ok: true; workflow: engine.ParsedWorkflow } | { ok: false; error: PlinthError };
const parsedWorkflows = new Map<string, ParseOutcome>();

/**
 * Parses a workflow file, remembering the last few hundred: a run's file is read at every step
 * of its DAG, and its text never changes.
 */
async function parseWorkflow(text: string, file: string): Promise<ParseOutcome> {
  const key = `${file}\0${text}`;
  const known = parsedWorkflows.get(key);
  if (known) return known;
  let outcome: ParseOutcome;
  try {
    outcome = { ok: true, workflow: await engine.parseWorkflowFile(text, file) };
  } catch (error) {
    if (!(error instanceof PlinthError)) throw error;
    outcome = { ok: false, error };
  }
  if (parsedWorkflows.size >= 500) parsedWorkflows.delete(parsedWorkflows.keys().next().value!);
  parsedWorkflows.set(key, outcome);
  return outcome;
}

function describeInvalid(error: PlinthError): string[] {
  return error.details.length ? error.details.map((d) => `${formatLocation(d.location)}${d.message}`) : [error.toString()];
}

function annotationsOf(error: PlinthError) {
  const details = error.details.length ? error.details : [{ message: error.message, location: error.location }];
  return details.map((d) => ({ level: 'error', message: d.message, file: d.location?.file, line: d.location?.line, column: d.location?.column }));
}
