import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { PlinthError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../secrets/crypto.js';
import { createSecretMasker } from '../secrets/masking.js';
import type { Store } from '../store/store.js';
import type { StoreTables } from '../store/tables.js';
import { cancelJob, enqueueJob } from '../store/queue/jobs.js';
import type { JobHandler, RunningJob } from '../store/queue/worker.js';
import { assertActionsExist, runTemplate, stepsOf, type StepState } from './run-template.js';
import { toActionView, type ActionView, type ScaffolderAction } from './scaffolder-action.js';
import { assertRunnableTemplate, locateTemplateInFile, parameterSchemaOf, secretParameterNames, templateRefOf, validateParameterValues, type LocateInTemplate, type ParameterSchema, type TemplateEntity, type TemplateStep } from './template-spec.js';
import type { DbTemplateTaskRow, TaskStatus, TemplateTables } from './tables.js';
import { dryRunTemplate, type DryRunInput, type DryRunResult } from './dry-run.js';

export const RUN_TASK_JOB = 'templates.run-task';
/** Most events one read returns. */
export const TASK_EVENTS_PAGE = 5000;
/** Channel that tells event streams a task has new events; payload is the task id. */
export const TASK_EVENTS_CHANNEL = 'plinth_template_tasks';

/** A template as the catalog holds it, with where it was read from. */
export interface StoredTemplate {
  entity: TemplateEntity;
  /** The template file (path, git blob URL or URL); undefined when unknown. */
  source?: string;
  /** Positions in the template's YAML, when the file can be read. */
  locate?: LocateInTemplate;
}

export interface TemplateServiceDeps {
  store: Store;
  secretBox: SecretBox;
  dataDir: string;
  logger?: Logger;
  actions: ScaffolderAction[];
  getTemplate(ref: string): Promise<StoredTemplate | undefined>;
  getEntity(ref: string): Promise<unknown>;
}

/** What a task runs, in Backstage's TaskSpecV1beta3 shape. */
export interface TaskSpec {
  apiVersion: string;
  /** Values of the run, without the secret ones. */
  parameters: Record<string, unknown>;
  steps: TemplateStep[];
  output: Record<string, unknown>;
  templateInfo: {
    entityRef: string;
    /** The directory the template was read from (`file://…/` or a git blob URL), when known. */
    baseUrl?: string;
    /** The template file; fetch actions resolve relative URLs against it. */
    source?: string;
    entity: { metadata: TemplateEntity['metadata'] };
  };
  user: { ref: string };
}

/** The template a task spec runs. */
function templateOf(spec: TaskSpec): TemplateEntity {
  return { apiVersion: spec.apiVersion, kind: 'Template', metadata: spec.templateInfo.entity.metadata, spec: { steps: spec.steps, output: spec.output } };
}

function baseUrlOf(source: string | undefined): string | undefined {
  if (!source) return undefined;
  if (path.isAbsolute(source)) return `file://${path.dirname(source)}/`;
  return source.slice(0, source.lastIndexOf('/') + 1);
}

export interface TaskView {
  id: string;
  spec: TaskSpec;
  status: TaskStatus;
  createdAt: string;
  createdBy: string;
  lastHeartbeatAt: string | null;
  steps: StepState[];
  output: Record<string, unknown> | null;
  error: { name: string; message: string } | null;
}

export interface TaskEventView {
  id: number;
  taskId: string;
  type: 'log' | 'completion' | 'cancelled';
  body: { message: string; stepId?: string; status?: string; output?: unknown; error?: unknown };
  createdAt: string;
}

function toTaskView(row: DbTemplateTaskRow): TaskView {
  return {
    id: row.id,
    spec: JSON.parse(row.spec) as TaskSpec,
    status: row.status,
    createdAt: new Date(row.created_at).toISOString(),
    createdBy: row.created_by,
    lastHeartbeatAt: row.last_heartbeat_at === null ? null : new Date(row.last_heartbeat_at).toISOString(),
    steps: JSON.parse(row.steps) as StepState[],
    output: row.output === null ? null : (JSON.parse(row.output) as Record<string, unknown>),
    error: row.error === null ? null : { name: 'TemplateError', message: row.error },
  };
}

/** Splits values into what may be stored in clear and the hidden (Secret/password) ones. */
function splitSecretValues(entity: TemplateEntity, values: Record<string, unknown>) {
  const hidden = new Set(secretParameterNames(entity));
  const visible: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) (hidden.has(key) ? secret : visible)[key] = value;
  return { visible, secret };
}

/**
 * The scaffolder: runs templates as durable tasks (a queue job each), stores each step's
 * status and log, and answers Backstage's scaffolder API.
 */
export class TemplateService {
  readonly db: Kysely<TemplateTables>;
  private readonly actionsById: Map<string, ScaffolderAction>;

  constructor(private readonly deps: TemplateServiceDeps) {
    this.db = deps.store.db.withTables<TemplateTables>();
    this.actionsById = new Map(deps.actions.map((action) => [action.id, action]));
  }

  listActions(): ActionView[] {
    return [...this.actionsById.values()].map(toActionView);
  }

  private async loadTemplate(ref: string): Promise<StoredTemplate> {
    const stored = await this.deps.getTemplate(ref);
    if (!stored) throw new PlinthError('TEMPLATE_NOT_FOUND', `no template ${ref} in the catalog`, { location: { field: '/templateRef' } });
    const locate = stored.locate ?? (await locateTemplateInFile(stored.source, stored.entity));
    assertRunnableTemplate(stored.entity, locate);
    return { ...stored, locate };
  }

  async parameterSchema(ref: string): Promise<ParameterSchema> {
    return parameterSchemaOf((await this.loadTemplate(ref)).entity);
  }

  /** Validates and stores a task, and queues its job; the task id is returned at once. */
  async createTask(input: { templateRef: string; values: unknown; secrets?: Record<string, string> }, actorRef: string, inTransaction?: (trx: Kysely<StoreTables>) => Promise<void>): Promise<{ id: string }> {
    const template = await this.loadTemplate(input.templateRef);
    const values = validateParameterValues(template.entity, input.values ?? {});
    assertActionsExist(template.entity, this.actionsById, template.locate);
    const { visible, secret } = splitSecretValues(template.entity, values);
    const secrets = input.secrets ?? {};
    const id = randomUUID();
    const spec: TaskSpec = {
      apiVersion: template.entity.apiVersion,
      parameters: visible,
      steps: template.entity.spec.steps ?? [],
      output: template.entity.spec.output ?? {},
      templateInfo: { entityRef: templateRefOf(template.entity), baseUrl: baseUrlOf(template.source), source: template.source, entity: { metadata: template.entity.metadata } },
      user: { ref: actorRef },
    };
    const hasSecrets = Object.keys(secret).length > 0 || Object.keys(secrets).length > 0;
    await this.deps.store.transaction(async (trx) => {
      const job = await enqueueJob(this.deps.store, { type: RUN_TASK_JOB, payload: { taskId: id }, maxAttempts: 2 }, trx);
      await trx
        .withTables<TemplateTables>()
        .insertInto('template_tasks')
        .values({
          id,
          template_ref: templateRefOf(template.entity),
          spec: JSON.stringify(spec),
          secrets: hasSecrets ? this.deps.secretBox.encrypt(JSON.stringify({ secrets, parameters: secret })) : null,
          status: 'open',
          created_by: actorRef,
          created_at: Date.now(),
          last_heartbeat_at: null,
          steps: JSON.stringify(stepsOf(template.entity)),
          output: null,
          error: null,
          job_id: job.id,
        })
        .execute();
      await inTransaction?.(trx);
    });
    return { id };
  }

  async getTask(id: string): Promise<TaskView> {
    const row = await this.db.selectFrom('template_tasks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlinthError('TEMPLATE_TASK_NOT_FOUND', `no task ${id}`);
    return toTaskView(await this.reconcile(row));
  }

  async listTasks(filter: { createdBy?: string; status?: TaskStatus; limit?: number } = {}): Promise<TaskView[]> {
    let query = this.db.selectFrom('template_tasks').selectAll().orderBy('created_at', 'desc').limit(Math.min(filter.limit ?? 100, 500));
    if (filter.createdBy) query = query.where('created_by', '=', filter.createdBy);
    if (filter.status) query = query.where('status', '=', filter.status);
    const rows = await query.execute();
    return Promise.all(rows.map(async (row) => toTaskView(await this.reconcile(row))));
  }

  /**
   * A task whose job the queue gave up on (its worker died on the last attempt) is failed
   * visibly here, so no task stays "processing" for ever.
   */
  private async reconcile(row: DbTemplateTaskRow): Promise<DbTemplateTaskRow> {
    if ((row.status !== 'open' && row.status !== 'processing') || row.job_id === null) return row;
    const job = await this.deps.store.db.selectFrom('jobs').select(['state', 'last_error']).where('id', '=', row.job_id).executeTakeFirst();
    if (job && job.state !== 'failed') return row;
    const error = job ? `the task's worker stopped: ${job.last_error ?? 'no error recorded'}` : 'the task was lost by the queue';
    const steps = (JSON.parse(row.steps) as StepState[]).map((step) => (step.status === 'processing' ? { ...step, status: 'failed' as const } : step));
    if (await this.finish(row.id, 'failed', { error, steps })) return { ...row, status: 'failed', error, steps: JSON.stringify(steps) };
    // The task ended between reading it and its job (a completed job's row is removed): as it ended.
    return this.db.selectFrom('template_tasks').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
  }

  async taskEvents(taskId: string, after = 0): Promise<TaskEventView[]> {
    const rows = await this.db.selectFrom('template_task_events').selectAll().where('task_id', '=', taskId).where('id', '>', after).orderBy('id').limit(TASK_EVENTS_PAGE).execute();
    return rows.map((row) => ({ id: row.id, taskId: row.task_id, type: row.type, body: JSON.parse(row.body) as TaskEventView['body'], createdAt: new Date(row.created_at).toISOString() }));
  }

  private async appendTaskEvent(taskId: string, type: TaskEventView['type'], body: TaskEventView['body'], db: Kysely<TemplateTables> = this.db): Promise<void> {
    const values = { task_id: taskId, type, body: JSON.stringify(body), created_at: Date.now() };
    if (type === 'log') {
      // The end of a task is its last event: a step still logging after a cancel writes nothing more.
      const inserted = await db
        .insertInto('template_task_events')
        .columns(['task_id', 'type', 'body', 'created_at'])
        .expression((eb) =>
          eb
            .selectFrom('template_tasks')
            .select([eb.val(values.task_id).as('task_id'), eb.val(values.type).as('type'), eb.val(values.body).as('body'), eb.val(values.created_at).as('created_at')])
            .where('id', '=', taskId)
            .where('status', 'in', ['open', 'processing'])
            // PostgreSQL: wait for a cancel or completion changing the task row, then re-check
            // its status (SQLite writes one at a time anyway).
            .$if(this.deps.store.adapter.supportsSkipLocked, (q) => q.forShare()),
        )
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return;
    } else {
      await db.insertInto('template_task_events').values(values).execute();
    }
    await this.deps.store.notify(db, TASK_EVENTS_CHANNEL, taskId);
  }

  /** Ends a task still open or processing and appends its completion event; false when it had ended already. */
  private async finish(taskId: string, status: 'completed' | 'failed' | 'cancelled', result: { output?: unknown; error?: string; steps?: StepState[] }, trx?: Kysely<StoreTables>): Promise<boolean> {
    const write = async (db: Kysely<TemplateTables>): Promise<boolean> => {
      const updated = await db
        .updateTable('template_tasks')
        .set({
          status,
          output: result.output === undefined ? null : JSON.stringify(result.output),
          error: result.error ?? null,
          last_heartbeat_at: Date.now(),
          // Kept encrypted for a retry of a failed or cancelled task; a completed one needs them no more.
          ...(status === 'completed' ? { secrets: null } : {}),
          ...(result.steps ? { steps: JSON.stringify(result.steps) } : {}),
        })
        .where('id', '=', taskId)
        .where('status', 'in', ['open', 'processing'])
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      const message = status === 'completed' ? 'Run completed' : status === 'cancelled' ? 'Run cancelled' : `Run failed: ${result.error}`;
      await this.appendTaskEvent(taskId, status === 'cancelled' ? 'cancelled' : 'completion', { message, status, ...(result.output !== undefined ? { output: result.output } : {}), ...(result.error ? { error: { name: 'TemplateError', message: result.error } } : {}) }, db);
      return true;
    };
    if (trx) return write(trx.withTables<TemplateTables>());
    return this.deps.store.transaction((t) => write(t.withTables<TemplateTables>()));
  }

  private async assertMayControl(task: TaskView, actor: { ref: string; role: string }): Promise<void> {
    if (task.createdBy !== actor.ref && actor.role !== 'admin') throw new PlinthError('AUTH_NOT_ALLOWED', `task ${task.id} was created by ${task.createdBy}; only they or an admin may change it`);
  }

  async cancelTask(id: string, actor: { ref: string; role: string }): Promise<TaskView> {
    const task = await this.getTask(id);
    await this.assertMayControl(task, actor);
    if (task.status !== 'open' && task.status !== 'processing') throw new PlinthError('TEMPLATE_TASK_NOT_CANCELLABLE', `task ${id} is ${task.status}; only open or processing tasks can be cancelled`);
    const row = await this.db.selectFrom('template_tasks').select('job_id').where('id', '=', id).executeTakeFirstOrThrow();
    if (row.job_id !== null) await cancelJob(this.deps.store, row.job_id).catch(() => undefined);
    await this.finish(id, 'cancelled', { steps: task.steps.map((s) => (s.status === 'processing' || s.status === 'open' ? { ...s, status: 'cancelled' as const } : s)) });
    return this.getTask(id);
  }

  /** Runs a failed or cancelled task again from the start, in a clean workspace. */
  async retryTask(id: string, actor: { ref: string; role: string }): Promise<TaskView> {
    const task = await this.getTask(id);
    await this.assertMayControl(task, actor);
    if (task.status !== 'failed' && task.status !== 'cancelled') throw new PlinthError('TEMPLATE_TASK_NOT_RETRYABLE', `task ${id} is ${task.status}; only failed or cancelled tasks can be retried`);
    await this.deps.store.transaction(async (trx) => {
      const job = await enqueueJob(this.deps.store, { type: RUN_TASK_JOB, payload: { taskId: id }, maxAttempts: 2 }, trx);
      const db = trx.withTables<TemplateTables>();
      await db.updateTable('template_tasks').set({ status: 'open', output: null, error: null, job_id: job.id, steps: JSON.stringify(stepsOf(templateOf(task.spec))) }).where('id', '=', id).execute();
      await this.appendTaskEvent(id, 'log', { message: `Retry requested by ${actor.ref}: running again from the start` }, db);
    });
    return this.getTask(id);
  }

  private workspaceOf(taskId: string): string {
    return path.join(this.deps.dataDir, 'scaffolder', 'tasks', taskId);
  }

  jobHandlers(): JobHandler[] {
    return [{ type: RUN_TASK_JOB, timeoutMs: 60 * 60_000, backoffMs: () => 0, run: (job) => this.runTaskJob(job as RunningJob<{ taskId: string }>) }];
  }

  private async runTaskJob(job: RunningJob<{ taskId: string }>): Promise<void> {
    const { taskId } = job.payload;
    const row = await this.db.selectFrom('template_tasks').selectAll().where('id', '=', taskId).executeTakeFirst();
    if (!row || (row.status !== 'open' && row.status !== 'processing')) return;
    const spec = JSON.parse(row.spec) as TaskSpec;
    const template = templateOf(spec);
    const hidden = row.secrets ? (JSON.parse(this.deps.secretBox.decrypt(row.secrets)) as { secrets: Record<string, string>; parameters: Record<string, unknown> }) : { secrets: {}, parameters: {} };
    const masker = createSecretMasker();
    Object.values(hidden.secrets).forEach((value) => masker.add(String(value)));
    Object.values(hidden.parameters).forEach((value) => masker.add(typeof value === 'string' ? value : JSON.stringify(value)));
    const steps = stepsOf(template);
    await this.db.updateTable('template_tasks').set({ status: 'processing', last_heartbeat_at: Date.now(), steps: JSON.stringify(steps) }).where('id', '=', taskId).execute();
    if (job.attempt > 1) await this.appendTaskEvent(taskId, 'log', { message: `Running again from the start (attempt ${job.attempt}): the previous worker stopped` });
    const workspace = this.workspaceOf(taskId);
    await rm(workspace, { recursive: true, force: true });
    await mkdir(workspace, { recursive: true });
    const heartbeat = setInterval(() => void this.db.updateTable('template_tasks').set({ last_heartbeat_at: Date.now() }).where('id', '=', taskId).execute().catch(() => undefined), 5000);
    const stored = await this.loadTemplate(spec.templateInfo.entityRef).catch(() => undefined);
    try {
      const output = await runTemplate({
        template,
        // Positions only when the catalog's copy is the one the task runs.
        locate: stored && JSON.stringify(stored.entity.spec.steps) === JSON.stringify(spec.steps) && JSON.stringify(stored.entity.spec.output ?? {}) === JSON.stringify(spec.output) ? stored.locate : undefined,
        templateInfo: { entityRef: spec.templateInfo.entityRef, source: spec.templateInfo.source, entity: template },
        values: { ...spec.parameters, ...hidden.parameters },
        secrets: hidden.secrets,
        user: { ref: spec.user.ref, entity: await this.deps.getEntity(spec.user.ref).catch(() => undefined) },
        taskId,
        workspacePath: workspace,
        isDryRun: false,
        signal: job.signal,
        actions: this.actionsById,
        mask: (text) => masker.mask(text),
        observer: {
          log: (message, stepId) => this.appendTaskEvent(taskId, 'log', { message, ...(stepId ? { stepId } : {}) }),
          stepChanged: async (state) => {
            const index = steps.findIndex((s) => s.id === state.id);
            steps[index] = state;
            await this.db.updateTable('template_tasks').set({ steps: JSON.stringify(steps), last_heartbeat_at: Date.now() }).where('id', '=', taskId).where('status', '=', 'processing').execute();
          },
        },
      });
      const maskedOutput = JSON.parse(masker.mask(JSON.stringify(output))) as Record<string, unknown>;
      await job.completeWith((trx) => this.finish(taskId, 'completed', { output: maskedOutput, steps }, trx));
    } catch (error) {
      if (job.signal.aborted) {
        // Cancelled (the cancel request wrote the task), or this worker is stopping: let the queue decide.
        const current = await this.db.selectFrom('template_tasks').select('status').where('id', '=', taskId).executeTakeFirst();
        if (current?.status === 'cancelled') return;
        throw error;
      }
      const message = masker.mask(error instanceof PlinthError ? error.toString() : describeError(error).split('\n')[0]!);
      this.deps.logger?.info({ task: taskId, error: message }, 'template task failed');
      await this.appendTaskEvent(taskId, 'log', { message: `Error: ${message}`, ...(steps.find((s) => s.status === 'failed') ? { stepId: steps.find((s) => s.status === 'failed')!.id } : {}) });
      // A failing template is an outcome, not a crash: the job completes, the task is failed.
      await job.completeWith((trx) => this.finish(taskId, 'failed', { error: message, steps }, trx));
    } finally {
      clearInterval(heartbeat);
      await rm(workspace, { recursive: true, force: true });
    }
  }

  dryRun(input: Omit<DryRunInput, 'actions' | 'getEntity'>, actorRef: string): Promise<DryRunResult> {
    return dryRunTemplate({ ...input, actions: this.actionsById, getEntity: this.deps.getEntity }, actorRef);
  }
}
