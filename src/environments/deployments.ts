import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { EnvironmentsConfig } from '../core/config.js';
import { PlinthError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Actor } from '../auth/actor.js';
import type { SecretBox } from '../secrets/crypto.js';
import type { Store } from '../store/store.js';
import type { StoreTables } from '../store/tables.js';
import { appendEvent } from '../store/events.js';
import { enqueueJob } from '../store/queue/jobs.js';
import type { JobHandler, RunningJob } from '../store/queue/worker.js';
import type { LocalRuntime, LocalWorkloadSpec } from '../runtimes/local/local-runtime.js';
import { MASK, iso, type DeploymentView, type ReleaseView } from './model.js';
import type { EnvironmentService } from './service.js';
import type { ResourceOutputs, ResourceProvisioning } from './resource-provisioning.js';
import { renderLocalWorkload, type ParsedScore, type ScoreSupport } from './workload.js';
import type { ResolvedWorkload } from '../runtimes/workload.js';
import { applyKubernetesManifests, renderKubernetesManifests } from '../runtimes/kubernetes/index.js';
import type { DbDeploymentRow, DbEnvironmentRow, DbReleaseRow, DeploymentStatus, EnvironmentTables } from './tables.js';

export const DEPLOY_JOB = 'environment.deploy';

export interface CreateReleaseInput {
  component: string;
  commitSha?: string;
  /** Build reference; for the local runtime, the checkout directory `image: .` runs from. */
  artifact?: string;
  /** The Score spec (YAML text). */
  score: string;
}

export interface DeployInput {
  environment: string;
  component: string;
  /** An existing release, or the content of a new one. */
  release: string | CreateReleaseInput;
  runtime?: 'local' | 'kubernetes';
  action?: DbDeploymentRow['action'];
}

export interface DeploymentPlan {
  environment: string;
  component: string;
  release: string;
  requiresApproval: boolean;
  resources: Array<{ name: string; uid: string; type: string; class: string; definition: string; exists: boolean }>;
}

export interface DeploymentServiceDeps {
  store: Store;
  secretBox: SecretBox;
  config: EnvironmentsConfig;
  logger: Logger;
  environments: EnvironmentService;
  resources: ResourceProvisioning;
  score: ScoreSupport;
  localRuntime?: LocalRuntime;
  /** The owning group (entity ref) of a component, from the catalog. */
  ownerOfComponent(component: string): Promise<string | undefined>;
  /** Matches resource types without provisioning (dry runs, early errors). */
  describeMatch(request: ParsedScore['resources'][number], environment: { id: string; name: string; type: string }, component: string): { definition: string };
}

/**
 * Releases and deployments. A release is immutable (component, commit, artifact, Score spec);
 * a deployment puts one into an environment: provision resources → resolve placeholders →
 * render for the runtime → apply → wait until ready → record. Deployments are queue jobs with
 * one unique key per (environment, component); the newest waiting request wins.
 */
export class DeploymentService {
  readonly db: Kysely<EnvironmentTables>;

  constructor(private readonly deps: DeploymentServiceDeps) {
    this.db = deps.store.db.withTables<EnvironmentTables>();
  }

  // --- releases -------------------------------------------------------------------------------

  /** Creates a release, or returns the identical one that exists (same component, commit, artifact, spec). */
  async createRelease(input: CreateReleaseInput, actorRef: string): Promise<ReleaseView> {
    this.parse(input.score, input.component, input.artifact);
    const digest = createHash('sha256').update(JSON.stringify([input.component, input.commitSha ?? null, input.artifact ?? null, input.score])).digest('hex');
    const existing = await this.db.selectFrom('releases').selectAll().where('digest', '=', digest).executeTakeFirst();
    if (existing) return toReleaseView(existing);
    const row: DbReleaseRow = {
      id: `rel-${randomUUID().slice(0, 8)}`,
      component: input.component,
      commit_sha: input.commitSha ?? null,
      artifact: input.artifact ?? null,
      score: input.score,
      digest,
      created_by: actorRef,
      created_at: Date.now(),
    };
    try {
      await this.db.insertInto('releases').values(row).execute();
    } catch (error) {
      if (!this.deps.store.adapter.isUniqueViolation(error)) throw error;
      return toReleaseView((await this.db.selectFrom('releases').selectAll().where('digest', '=', digest).executeTakeFirstOrThrow()));
    }
    return toReleaseView(row);
  }

  async release(id: string): Promise<ReleaseView> {
    return toReleaseView(await this.releaseRow(id));
  }

  async releases(component?: string): Promise<ReleaseView[]> {
    let query = this.db.selectFrom('releases').selectAll().orderBy('created_at', 'desc').limit(200);
    if (component) query = query.where('component', '=', component);
    return (await query.execute()).map(toReleaseView);
  }

  // --- deployments ----------------------------------------------------------------------------

  /** What a deployment would do, without doing it. */
  async plan(input: DeployInput): Promise<DeploymentPlan> {
    const environment = await this.activeEnvironment(input.environment);
    const release = typeof input.release === 'string' ? await this.releaseRow(input.release) : undefined;
    const score = release?.score ?? (input.release as CreateReleaseInput).score;
    const parsed = this.parse(score, input.component, release?.artifact ?? (input.release as CreateReleaseInput).artifact);
    const existing = new Set((await this.db.selectFrom('environment_resources').select('uid').where('environment_id', '=', environment.id).execute()).map((r) => r.uid));
    return {
      environment: environment.name,
      component: input.component,
      release: release?.id ?? '(new release)',
      requiresApproval: this.deps.environments.typeOf(environment.type).approval.required,
      resources: parsed.resources.map((request) => ({
        name: request.name,
        uid: request.uid,
        type: request.type,
        class: request.class,
        definition: this.deps.describeMatch(request, environment, input.component).definition,
        exists: existing.has(request.uid),
      })),
    };
  }

  /**
   * Records a deployment request. Environments whose type requires approval get it
   * `awaiting-approval`; others are queued at once. Bad Score and unknown resource types fail
   * here, before anything is recorded.
   */
  async requestDeployment(input: DeployInput, actor: Actor, inTransaction?: (trx: Kysely<StoreTables>) => Promise<void>): Promise<DeploymentView> {
    const environment = await this.activeEnvironment(input.environment);
    const release = typeof input.release === 'string' ? await this.releaseRow(input.release) : await this.releaseRow((await this.createRelease(input.release, actor.ref)).id);
    if (release.component !== input.component) {
      throw new PlinthError('RELEASE_INVALID', `release ${release.id} is of component ${release.component}, not ${input.component}`, { location: { field: '/body/release' } });
    }
    await this.plan({ ...input, release: release.id });
    const type = this.deps.environments.typeOf(environment.type);
    const current = await this.db.selectFrom('environment_workloads').select('release_id').where('environment_id', '=', environment.id).where('component', '=', input.component).executeTakeFirst();
    const runtime = input.runtime ?? this.deps.config.runtime;
    if (runtime === 'local' && !this.deps.localRuntime) {
      throw new PlinthError('DEPLOYMENT_FAILED', 'this Plinth runs no local runtime (it runs in `plinth serve` with workers); deploy with --runtime kubernetes or start one');
    }
    const row: DbDeploymentRow = {
      id: `dep-${randomUUID().slice(0, 12)}`,
      environment_id: environment.id,
      environment_name: environment.name,
      component: input.component,
      release_id: release.id,
      previous_release_id: current?.release_id ?? null,
      action: input.action ?? 'deploy',
      status: type.approval.required ? 'awaiting-approval' : 'queued',
      runtime,
      resolved: null,
      error: null,
      requested_by: actor.ref,
      approved_by: null,
      approved_at: null,
      rollback_of: null,
      created_at: Date.now(),
      started_at: null,
      finished_at: null,
    };
    await this.deps.store.transaction(async (trx) => {
      await trx.withTables<EnvironmentTables>().insertInto('deployments').values(row).execute();
      await appendEvent(this.deps.store, { type: 'deployment:requested', subject: `component:${row.component}`, actor: actor.ref, payload: this.eventPayload(row, release) }, trx);
      await inTransaction?.(trx);
    });
    if (row.status === 'queued') await this.enqueue(row);
    return this.toView(row, release);
  }

  /**
   * Approves a deployment waiting for approval. Who may: members of the component's owning group
   * (or of the environment's owner when the catalog knows no owner) and admins, or admins only,
   * as the environment type says; the requester only when the type allows self-approval.
   */
  async approve(id: string, actor: Actor, inTransaction?: (trx: Kysely<StoreTables>) => Promise<void>): Promise<DeploymentView> {
    const row = await this.deploymentRow(id);
    if (row.status !== 'awaiting-approval') throw new PlinthError('DEPLOYMENT_NOT_AWAITING_APPROVAL', `deployment ${id} is ${row.status}, not awaiting approval`);
    const environment = await this.deps.environments.findRowById(row.environment_id);
    if (!environment) throw new PlinthError('ENVIRONMENT_NOT_FOUND', `the environment of deployment ${id} no longer exists`);
    const rule = this.deps.environments.typeOf(environment.type).approval;
    if (!rule.allowSelfApproval && actor.ref === row.requested_by) {
      throw new PlinthError('AUTH_NOT_ALLOWED', `not allowed: ${actor.ref} asked for deployment ${id} and ${environment.type} deployments need another person's approval`);
    }
    const owner = (await this.deps.ownerOfComponent(row.component)) ?? environment.owner ?? undefined;
    const inOwningGroup = owner !== undefined && actor.groups.some((g) => owner === `group:default/${g}` || owner === `group:${g}`);
    const allowed = actor.role === 'admin' || (rule.approvers === 'owning-group' && inOwningGroup);
    if (!allowed) {
      const who = rule.approvers === 'admins' ? 'an admin' : `a member of ${owner ?? 'the owning group'} or an admin`;
      throw new PlinthError('AUTH_NOT_ALLOWED', `not allowed: deployments to ${environment.type} environments are approved by ${who}; ${actor.ref} is not`);
    }
    const now = Date.now();
    await this.deps.store.transaction(async (trx) => {
      const updated = await trx.withTables<EnvironmentTables>().updateTable('deployments').set({ status: 'queued', approved_by: actor.ref, approved_at: now }).where('id', '=', id).where('status', '=', 'awaiting-approval').executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new PlinthError('DEPLOYMENT_NOT_AWAITING_APPROVAL', `deployment ${id} was approved by someone else meanwhile`);
      await appendEvent(this.deps.store, { type: 'deployment:approved', subject: `component:${row.component}`, actor: actor.ref, payload: { deployment: id, environment: row.environment_name } }, trx);
      await inTransaction?.(trx);
    });
    await this.enqueue(row);
    return this.get(id);
  }

  /** Deploys the release running in `from` to `to`, whose type must be the next in the promotion order. */
  async promote(input: { component: string; from: string; to: string }, actor: Actor, inTransaction?: (trx: Kysely<StoreTables>) => Promise<void>): Promise<DeploymentView> {
    const from = await this.deps.environments.findRow(input.from);
    const to = await this.deps.environments.findRow(input.to);
    const fromType = this.deps.environments.typeOf(from.type);
    if (fromType.promotesTo !== to.type) {
      throw new PlinthError('DEPLOYMENT_PROMOTION_INVALID', `releases in ${from.type} environments are promoted to ${fromType.promotesTo ?? 'nothing (the end of the promotion order)'}, not to ${to.type} (${to.name})`, { location: { field: '/body/to' } });
    }
    const running = await this.db.selectFrom('environment_workloads').select('release_id').where('environment_id', '=', from.id).where('component', '=', input.component).executeTakeFirst();
    if (!running) throw new PlinthError('DEPLOYMENT_PROMOTION_INVALID', `${input.component} runs no release in ${from.name}: deploy it there first`, { location: { field: '/body/from' } });
    return this.requestDeployment({ environment: to.name, component: input.component, release: running.release_id, action: 'promote' }, actor, inTransaction);
  }

  /** Redeploys an earlier release: `to`, or the one that ran before the current one. */
  async rollback(input: { component: string; environment: string; to?: string }, actor: Actor, inTransaction?: (trx: Kysely<StoreTables>) => Promise<void>): Promise<DeploymentView> {
    const environment = await this.deps.environments.findRow(input.environment);
    let target = input.to;
    if (!target) {
      const current = await this.db.selectFrom('environment_workloads').select('release_id').where('environment_id', '=', environment.id).where('component', '=', input.component).executeTakeFirst();
      const earlier = await this.db
        .selectFrom('deployments')
        .select('release_id')
        .where('environment_id', '=', environment.id)
        .where('component', '=', input.component)
        .where('status', '=', 'succeeded')
        .where('release_id', '!=', current?.release_id ?? '')
        .orderBy('finished_at', 'desc')
        .executeTakeFirst();
      if (!earlier) throw new PlinthError('RELEASE_NOT_FOUND', `${input.component} has no earlier release in ${environment.name} to roll back to`);
      target = earlier.release_id;
    }
    return this.requestDeployment({ environment: environment.name, component: input.component, release: target, action: 'rollback' }, actor, inTransaction);
  }

  async get(id: string): Promise<DeploymentView> {
    const row = await this.deploymentRow(id);
    return this.toView(row, await this.releaseRow(row.release_id));
  }

  async history(filter: { environment?: string; component?: string; limit?: number }): Promise<DeploymentView[]> {
    let query = this.db
      .selectFrom('deployments')
      .innerJoin('releases', 'releases.id', 'deployments.release_id')
      .selectAll('deployments')
      .select(['releases.commit_sha as commit_sha'])
      .orderBy('deployments.created_at', 'desc')
      .limit(Math.min(filter.limit ?? 50, 500));
    if (filter.environment) query = query.where('deployments.environment_name', '=', filter.environment);
    if (filter.component) query = query.where('deployments.component', '=', filter.component);
    return (await query.execute()).map((row) => this.toView(row, { commit_sha: row.commit_sha }));
  }

  /** What changed between two deployments: the Score spec (line diff) and the resolved variables (secrets masked). */
  async diff(fromId: string, toId: string): Promise<{ from: string; to: string; score: Array<{ op: ' ' | '-' | '+'; line: string }>; variables: Array<{ container: string; name: string; from: string | null; to: string | null }> }> {
    const [from, to] = [await this.deploymentRow(fromId), await this.deploymentRow(toId)];
    const [fromRelease, toRelease] = [await this.releaseRow(from.release_id), await this.releaseRow(to.release_id)];
    const fromVariables = from.resolved ? (JSON.parse(from.resolved) as Record<string, Record<string, string>>) : {};
    const toVariables = to.resolved ? (JSON.parse(to.resolved) as Record<string, Record<string, string>>) : {};
    const variables = [];
    for (const container of [...new Set([...Object.keys(fromVariables), ...Object.keys(toVariables)])].sort()) {
      const a = fromVariables[container] ?? {};
      const b = toVariables[container] ?? {};
      for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        if (a[name] !== b[name]) variables.push({ container, name, from: a[name] ?? null, to: b[name] ?? null });
      }
    }
    return { from: fromId, to: toId, score: lineDiff(fromRelease.score, toRelease.score), variables };
  }

  /** Components × environments: what runs where, its last deployment's status and its health. */
  async matrix(): Promise<{ environments: Array<{ name: string; type: string }>; components: string[]; cells: Array<{ environment: string; component: string; release: string | null; commitSha: string | null; status: DeploymentStatus; health: string; deployedAt: string | null; deployment: string; url: string | null }> }> {
    const environments = await this.deps.environments.list();
    const latest = await this.db
      .selectFrom('deployments')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .innerJoin('releases', 'releases.id', 'deployments.release_id')
      .selectAll('deployments')
      .select(['releases.commit_sha as commit_sha'])
      .orderBy('deployments.created_at', 'desc')
      .limit(2000)
      .execute();
    const cells = new Map<string, (typeof latest)[number]>();
    for (const row of latest) if (!cells.has(`${row.environment_name}/${row.component}`)) cells.set(`${row.environment_name}/${row.component}`, row);
    const result = [];
    for (const environment of environments) {
      const workloads = new Map((await this.deps.environments.workloadsOf(await this.deps.environments.findRow(environment.name))).map((w) => [w.component, w]));
      for (const row of [...cells.values()].filter((r) => r.environment_name === environment.name)) {
        const workload = workloads.get(row.component);
        result.push({
          environment: environment.name,
          component: row.component,
          release: workload?.release ?? null,
          commitSha: row.commit_sha,
          status: row.status,
          health: workload?.health ?? 'stopped',
          deployedAt: workload?.updatedAt ?? null,
          deployment: row.id,
          url: workload?.url ?? null,
        });
      }
    }
    return { environments: environments.map((e) => ({ name: e.name, type: e.type })), components: [...new Set(result.map((c) => c.component))].sort(), cells: result };
  }

  /** The pipelines hook (`plinth/deploy` action): deploys the component's release built from `ref`. */
  async deployComponent(input: { component: string; environment: string; ref: string; actor: Actor }): Promise<DeploymentView> {
    const release = await this.db.selectFrom('releases').select('id').where('component', '=', input.component).where('commit_sha', '=', input.ref).orderBy('created_at', 'desc').executeTakeFirst();
    if (!release) throw new PlinthError('RELEASE_NOT_FOUND', `${input.component} has no release of commit ${input.ref}; create it first (POST /api/releases with the Score spec and artifact)`);
    return this.requestDeployment({ environment: input.environment, component: input.component, release: release.id }, input.actor);
  }

  /** Brings local workloads back after a start: adopt what still runs, restart the rest. */
  async reconcileLocalWorkloads(): Promise<void> {
    const runtime = this.deps.localRuntime;
    if (!runtime) return;
    const rows = await this.db.selectFrom('environment_workloads').selectAll().where('runtime', '=', 'local').execute();
    const specs = rows.map((row) => JSON.parse(this.deps.secretBox.decrypt(row.spec)) as LocalWorkloadSpec);
    const outcomes = await runtime.reconcile(specs, this.deps.config.readinessTimeoutSeconds * 1000);
    if (outcomes.length) this.deps.logger.info({ outcomes }, 'local workloads reconciled');
  }

  jobHandlers(): JobHandler[] {
    return [
      {
        type: DEPLOY_JOB,
        timeoutMs: 30 * 60_000,
        // A deployment reports its own failure; the job is not retried (a retry would redeploy blindly).
        backoffMs: () => 1000,
        run: (job: RunningJob<{ environmentId: string; component: string }>) => this.runDeployJob(job),
      },
    ];
  }

  // --- execution ------------------------------------------------------------------------------

  private async runDeployJob(job: RunningJob<{ environmentId: string; component: string }>): Promise<void> {
    const { environmentId, component } = job.payload;
    // Jobs of one (environment, component) never overlap, so a `running` deployment found here lost
    // its worker mid-way: it is resumed like a queued one (drivers and rollouts are idempotent).
    const queued = await this.db.selectFrom('deployments').selectAll().where('environment_id', '=', environmentId).where('component', '=', component).where('status', 'in', ['queued', 'running']).orderBy('created_at', 'desc').execute();
    const [newest, ...older] = queued;
    if (!newest) return;
    if (older.length) await this.db.updateTable('deployments').set({ status: 'superseded', finished_at: Date.now() }).where('id', 'in', older.map((d) => d.id)).where('status', 'in', ['queued', 'running']).execute();
    await this.execute(newest, job);
  }

  private async execute(row: DbDeploymentRow, job?: RunningJob): Promise<boolean> {
    const release = await this.releaseRow(row.release_id);
    const startedAt = Date.now();
    await this.db.updateTable('deployments').set({ status: 'running', started_at: startedAt }).where('id', '=', row.id).execute();
    // Read after marking it running: destroy marks the environment first and then looks for running deployments.
    const environment = await this.deps.environments.findRowById(row.environment_id);
    await appendEvent(this.deps.store, { type: 'deployment:started', subject: `component:${row.component}`, actor: row.requested_by, payload: this.eventPayload(row, release) });
    let undoResources: (() => Promise<void>) | undefined;
    try {
      if (!environment || environment.status !== 'active') throw new PlinthError('ENVIRONMENT_BUSY', `environment ${row.environment_name} is ${environment ? 'being destroyed' : 'gone'}`);
      const parsed = this.parse(release.score, row.component, release.artifact);
      const outputs = await this.provision(environment, row.component, parsed, (undo) => (undoResources = undo));
      const resolved = parsed.resolve(outputs);
      const masked = maskedVariables(resolved);
      const { url, spec } = await this.apply(row, environment, release, resolved);
      const finishedAt = Date.now();
      const record = async (trx: Kysely<StoreTables>) => {
        const db = trx.withTables<EnvironmentTables>();
        await db.updateTable('deployments').set({ status: 'succeeded', resolved: JSON.stringify(masked), finished_at: finishedAt, error: null }).where('id', '=', row.id).execute();
        await db.deleteFrom('environment_workloads').where('environment_id', '=', environment.id).where('component', '=', row.component).execute();
        await db
          .insertInto('environment_workloads')
          .values({ environment_id: environment.id, component: row.component, deployment_id: row.id, release_id: release.id, runtime: row.runtime, url, spec: this.deps.secretBox.encrypt(JSON.stringify(spec)), updated_at: finishedAt })
          .execute();
        await appendEvent(this.deps.store, { type: 'deployment:succeeded', subject: `component:${row.component}`, actor: row.requested_by, payload: { ...this.eventPayload(row, release), startedAt: iso(startedAt), finishedAt: iso(finishedAt), url } }, trx);
      };
      if (job) await job.completeWith(record);
      else await this.deps.store.transaction(record);
      return true;
    } catch (error) {
      const message = describeError(error);
      this.deps.logger.warn({ deployment: row.id, component: row.component, environment: row.environment_name, err: error }, 'deployment failed');
      // A first deployment leaves nothing behind; with a release running, its resources stay in use.
      if (!row.previous_release_id) await undoResources?.();
      const finishedAt = Date.now();
      const rollsBack = Boolean(environment && row.previous_release_id && row.rollback_of === null && this.deps.environments.typeOf(environment.type).rollbackOnFailure);
      await this.deps.store.transaction(async (trx) => {
        await trx.withTables<EnvironmentTables>().updateTable('deployments').set({ status: rollsBack ? 'rolling-back' : 'failed', error: message.slice(0, 8000), finished_at: finishedAt }).where('id', '=', row.id).execute();
        await appendEvent(this.deps.store, { type: 'deployment:failed', subject: `component:${row.component}`, actor: row.requested_by, payload: { ...this.eventPayload(row, release), startedAt: iso(startedAt), finishedAt: iso(finishedAt), error: message.split('\n')[0] } }, trx);
      });
      if (rollsBack) await this.rollBackAutomatically(row, environment!);
      return false;
    }
  }

  /**
   * Renders for the deployment's runtime, applies and waits until ready. Local: a zero-downtime
   * rollout behind the proxy. Kubernetes: server-side apply into the namespace named after the
   * environment (`image: .` is the release's artifact, an image reference), then the rollout.
   */
  private async apply(row: DbDeploymentRow, environment: DbEnvironmentRow, release: DbReleaseRow, resolved: ResolvedWorkload): Promise<{ url: string | null; spec: unknown }> {
    const timeoutSeconds = this.deps.config.readinessTimeoutSeconds;
    if (row.runtime === 'kubernetes') {
      const manifests = renderKubernetesManifests({ ...resolved, name: row.component }, { namespace: environment.name, environment: environment.name, release: release.id, image: release.artifact ?? undefined });
      await applyKubernetesManifests(manifests, { namespace: environment.name, workload: row.component, environment: environment.name, rolloutTimeoutSeconds: timeoutSeconds });
      return { url: null, spec: manifests };
    }
    if (!this.deps.localRuntime) throw new PlinthError('DEPLOYMENT_FAILED', 'the local runtime is not available in this process');
    const spec = renderLocalWorkload(resolved, { environment: environment.name, component: row.component, revision: row.id, artifact: release.artifact });
    const status = await this.deps.localRuntime.deploy(spec, timeoutSeconds * 1000);
    return { url: status.url, spec };
  }

  private async rollBackAutomatically(failed: DbDeploymentRow, environment: DbEnvironmentRow): Promise<void> {
    const rollback: DbDeploymentRow = {
      ...failed,
      id: `dep-${randomUUID().slice(0, 12)}`,
      release_id: failed.previous_release_id!,
      previous_release_id: failed.release_id,
      action: 'rollback',
      status: 'queued',
      resolved: null,
      error: null,
      requested_by: 'system:auto-rollback',
      approved_by: null,
      approved_at: null,
      rollback_of: failed.id,
      created_at: Date.now(),
      started_at: null,
      finished_at: null,
    };
    await this.db.insertInto('deployments').values(rollback).execute();
    const restored = await this.execute(rollback);
    if (!restored) {
      await this.db.updateTable('deployments').set({ status: 'failed' }).where('id', '=', failed.id).execute();
      return;
    }
    const release = await this.releaseRow(failed.release_id);
    await this.deps.store.transaction(async (trx) => {
      await trx.withTables<EnvironmentTables>().updateTable('deployments').set({ status: 'rolled-back' }).where('id', '=', failed.id).execute();
      await appendEvent(this.deps.store, { type: 'deployment:rolled-back', subject: `component:${failed.component}`, actor: 'system:auto-rollback', payload: { ...this.eventPayload(failed, release), restoredRelease: rollback.release_id, rollbackDeployment: rollback.id, environmentType: environment.type } }, trx);
    });
  }

  private async provision(environment: DbEnvironmentRow, component: string, parsed: ParsedScore, onUndo: (undo: () => Promise<void>) => void): Promise<Map<string, ResourceOutputs>> {
    const values = await this.deps.environments.resolvedValues(environment.id);
    const ref = { id: environment.id, name: environment.name, type: environment.type, values };
    const provisioned = await this.deps.resources.provisionAll(ref, component, parsed.resources);
    onUndo(provisioned.undo);
    return provisioned.outputs;
  }

  /** File names in errors and `files[].source` are relative to the release's checkout when it has one. */
  private parse(score: string, component: string, artifact?: string | null): ParsedScore {
    return this.deps.score.parse(score, artifact ? path.join(artifact, 'score.yaml') : `${component}/score.yaml`);
  }

  /**
   * Enqueued after the deployment row commits, never in its transaction: a job deduplicated into
   * a waiting one that a worker claims meanwhile would otherwise look before the row is visible
   * (PostgreSQL) and finish without it. A crash between the two is repaired by requeueWaiting.
   */
  private async enqueue(row: Pick<DbDeploymentRow, 'environment_id' | 'component'>): Promise<void> {
    await enqueueJob(this.deps.store, { type: DEPLOY_JOB, payload: { environmentId: row.environment_id, component: row.component }, uniqueKey: `deploy:${row.environment_id}:${row.component}`, maxAttempts: 3, priority: 5 });
  }

  /** Enqueues a job for every (environment, component) with a queued or running deployment (at start). */
  async requeueWaiting(): Promise<void> {
    const waiting = await this.db.selectFrom('deployments').select(['environment_id', 'component']).distinct().where('status', 'in', ['queued', 'running']).execute();
    for (const key of waiting) await this.enqueue(key);
  }

  private async activeEnvironment(name: string): Promise<DbEnvironmentRow> {
    const environment = await this.deps.environments.findRow(name);
    if (environment.status !== 'active') throw new PlinthError('ENVIRONMENT_BUSY', `environment ${name} is being destroyed`);
    return environment;
  }

  private async releaseRow(id: string): Promise<DbReleaseRow> {
    const row = await this.db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlinthError('RELEASE_NOT_FOUND', `no release ${id}`);
    return row;
  }

  private async deploymentRow(id: string): Promise<DbDeploymentRow> {
    const row = await this.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlinthError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}`);
    return row;
  }

  private eventPayload(row: DbDeploymentRow, release: Pick<DbReleaseRow, 'commit_sha'>) {
    return {
      deployment: row.id,
      component: row.component,
      environment: row.environment_name,
      release: row.release_id,
      commit: release.commit_sha,
      action: row.action,
      requestedAt: iso(row.created_at),
    };
  }

  private toView(row: DbDeploymentRow, release: Pick<DbReleaseRow, 'commit_sha'>): DeploymentView {
    return {
      id: row.id,
      environment: row.environment_name,
      component: row.component,
      release: row.release_id,
      commitSha: release.commit_sha,
      previousRelease: row.previous_release_id,
      action: row.action,
      status: row.status,
      runtime: row.runtime,
      resolved: row.resolved ? (JSON.parse(row.resolved) as Record<string, Record<string, string>>) : null,
      error: row.error,
      requestedBy: row.requested_by,
      approvedBy: row.approved_by,
      rollbackOf: row.rollback_of,
      createdAt: iso(row.created_at)!,
      startedAt: iso(row.started_at),
      finishedAt: iso(row.finished_at),
    };
  }
}

function toReleaseView(row: DbReleaseRow): ReleaseView {
  return { id: row.id, component: row.component, commitSha: row.commit_sha, artifact: row.artifact, score: row.score, createdBy: row.created_by, createdAt: iso(row.created_at)! };
}

/** Container variables with every value that holds a secret output masked, for history and diffs. */
function maskedVariables(workload: ResolvedWorkload): Record<string, Record<string, string>> {
  return Object.fromEntries(workload.containers.map((c) => [c.name, Object.fromEntries(Object.entries(c.variables).map(([k, v]) => [k, c.secretVariables.includes(k) ? MASK : v]))]));
}

/** A line diff (longest common subsequence): enough for Score files of a few hundred lines. */
export function lineDiff(before: string, after: string): Array<{ op: ' ' | '-' | '+'; line: string }> {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const result: Array<{ op: ' ' | '-' | '+'; line: string }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      result.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) result.push({ op: '-', line: a[i++]! });
    else result.push({ op: '+', line: b[j++]! });
  }
  while (i < a.length) result.push({ op: '-', line: a[i++]! });
  while (j < b.length) result.push({ op: '+', line: b[j++]! });
  return result;
}
