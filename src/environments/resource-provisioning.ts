import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { PlinthError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../secrets/crypto.js';
import type { Store } from '../store/store.js';
import type { DbEnvironmentResourceRow, EnvironmentTables } from './tables.js';

/** A resource a workload asks for (one entry of Score `resources`). */
export interface ResourceRequest {
  /** The name the workload gives it (`db` in `${resources.db.host}`). */
  name: string;
  /** Score identity: `type.class#id` when shared by id, `type.class#workload.name` otherwise. */
  uid: string;
  type: string;
  class: string;
  id: string | null;
  params: Record<string, unknown>;
  /** Params with placeholders resolved against the resources provisioned before it (a route naming a dns host). */
  resolveParams?(provisioned: Map<string, ResourceOutputs>): Record<string, unknown>;
}

export interface EnvironmentRef {
  id: string;
  name: string;
  type: string;
  /** The environment's configuration values and secrets (outputs of `type: environment` resources). */
  values?: { values: Record<string, string>; secretKeys: string[] };
}

/** Outputs of a provisioned resource, secret ones named. */
export interface ResourceOutputs {
  outputs: Record<string, unknown>;
  secretOutputKeys: string[];
}

/** The matched provisioner of one resource: what environments/ needs from resources/. */
export interface MatchedResource {
  /** The resource definition that matched (recorded with the resource). */
  definition: string;
  /** Databases, volumes and queues hold data; DNS names and routes do not. */
  dataBearing: boolean;
  provision(previousState: unknown, params: Record<string, unknown>): Promise<ResourceOutputs & { state: unknown }>;
  deprovision(state: unknown): Promise<void>;
}

/** Matches a request to a resource definition and its driver (adapter over src/resources). */
export interface ResourceBackend {
  /** Throws a PlinthError naming the type when nothing provisions it. */
  match(request: ResourceRequest, environment: EnvironmentRef, component: string): MatchedResource;
  /** The provisioner of a stored resource, by its recorded definition. */
  matchStored(row: { type: string; class: string; uid: string; resource_id: string | null; definition: string }, environment: EnvironmentRef): MatchedResource;
}

/**
 * Provisions a workload's resources in an environment and keeps their state: one row per
 * resource (unique per environment and uid, so concurrent deployments share one), secret
 * outputs and driver state encrypted. A failure deprovisions what this call created and
 * removes its rows, so nothing half-provisioned is left behind.
 */
export class ResourceProvisioning {
  private readonly db: Kysely<EnvironmentTables>;
  /** Provisioning in one environment runs one resource at a time per uid within this process. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: { store: Store; secretBox: SecretBox; backend: ResourceBackend; logger: Logger }) {
    this.db = deps.store.db.withTables<EnvironmentTables>();
  }

  /**
   * Provisions every request (or converges existing ones). Returns their outputs, and `undo`,
   * which deprovisions what this call created (for a later failure of a first deployment).
   */
  async provisionAll(environment: EnvironmentRef, workload: string, requests: ResourceRequest[]): Promise<{ outputs: Map<string, ResourceOutputs>; undo: () => Promise<void> }> {
    // Match everything first: an unknown type fails before anything is created.
    const matched = requests.map((request) => ({ request, provisioner: this.deps.backend.match(request, environment, workload) }));
    const created: Array<{ row: DbEnvironmentResourceRow; provisioner: MatchedResource; state: unknown }> = [];
    const results = new Map<string, ResourceOutputs>();
    try {
      for (const { request, provisioner } of matched) {
        const params = request.resolveParams ? request.resolveParams(results) : request.params;
        const outcome = await this.serialized(`${environment.id}/${request.uid}`, () => this.provisionOne(environment, workload, request, params, provisioner, created));
        results.set(request.name, outcome);
      }
    } catch (error) {
      await this.undo(environment, created);
      throw error;
    }
    return { outputs: results, undo: () => this.undo(environment, created) };
  }

  async deprovision(environment: { name: string; type: string }, row: DbEnvironmentResourceRow): Promise<void> {
    const ref = { id: row.environment_id, ...environment };
    const provisioner = this.deps.backend.matchStored(row, ref);
    await this.db.updateTable('environment_resources').set({ status: 'deprovisioning', updated_at: Date.now() }).where('id', '=', row.id).execute();
    try {
      await provisioner.deprovision(this.stateOf(row));
    } catch (error) {
      await this.db.updateTable('environment_resources').set({ status: 'failed', error: `deprovisioning failed: ${describeError(error).split('\n')[0]}`, updated_at: Date.now() }).where('id', '=', row.id).execute();
      throw error;
    }
    await this.db.deleteFrom('environment_resources').where('id', '=', row.id).execute();
  }

  private async provisionOne(
    environment: EnvironmentRef,
    workload: string,
    request: ResourceRequest,
    params: Record<string, unknown>,
    provisioner: MatchedResource,
    created: Array<{ row: DbEnvironmentResourceRow; provisioner: MatchedResource; state: unknown }>,
  ): Promise<ResourceOutputs> {
    const existing = await this.db.selectFrom('environment_resources').selectAll().where('environment_id', '=', environment.id).where('uid', '=', request.uid).executeTakeFirst();
    const now = Date.now();
    let row = existing;
    if (!row) {
      row = {
        id: randomUUID(),
        environment_id: environment.id,
        uid: request.uid,
        type: request.type,
        class: request.class,
        resource_id: request.id,
        definition: provisioner.definition,
        state: null,
        outputs: '{}',
        secret_outputs: null,
        status: 'provisioning',
        error: null,
        data_bearing: provisioner.dataBearing ? 1 : 0,
        used_by: JSON.stringify([workload]),
        created_at: now,
        updated_at: now,
      };
      try {
        await this.db.insertInto('environment_resources').values(row).execute();
      } catch (error) {
        // Another process inserted it first: provision on top of its row.
        if (!this.deps.store.adapter.isUniqueViolation(error)) throw error;
        row = await this.db.selectFrom('environment_resources').selectAll().where('environment_id', '=', environment.id).where('uid', '=', request.uid).executeTakeFirstOrThrow();
      }
    }
    const isNew = !existing || existing.status !== 'ready';
    let result: ResourceOutputs & { state: unknown };
    try {
      // Drivers are idempotent: given their previous state they converge, not duplicate.
      result = await provisioner.provision(this.stateOf(row), params);
    } catch (error) {
      // Drivers undo what a failed provision created: only our row of a new resource goes.
      if (!existing) await this.db.deleteFrom('environment_resources').where('id', '=', row.id).where('status', '=', 'provisioning').execute();
      throw error instanceof PlinthError ? error : new PlinthError('DEPLOYMENT_FAILED', `resource ${request.name} (${request.uid}) could not be provisioned: ${describeError(error).split('\n')[0]}`, { cause: error });
    }
    const secretOutputs = Object.fromEntries(result.secretOutputKeys.map((key) => [key, result.outputs[key]]));
    const plainOutputs = Object.fromEntries(Object.entries(result.outputs).filter(([key]) => !result.secretOutputKeys.includes(key)));
    const usedBy = [...new Set([...(JSON.parse(row.used_by) as string[]), workload])].sort();
    await this.db
      .updateTable('environment_resources')
      .set({
        state: result.state === undefined ? null : this.deps.secretBox.encrypt(JSON.stringify(result.state)),
        outputs: JSON.stringify(plainOutputs),
        secret_outputs: result.secretOutputKeys.length ? this.deps.secretBox.encrypt(JSON.stringify(secretOutputs)) : null,
        status: 'ready',
        error: null,
        used_by: JSON.stringify(usedBy),
        updated_at: Date.now(),
      })
      .where('id', '=', row.id)
      .execute();
    if (isNew) created.push({ row, provisioner, state: result.state });
    return { outputs: result.outputs, secretOutputKeys: result.secretOutputKeys };
  }

  private async undo(environment: EnvironmentRef, created: Array<{ row: DbEnvironmentResourceRow; provisioner: MatchedResource; state: unknown }>): Promise<void> {
    for (const { row, provisioner, state } of created.splice(0).reverse()) {
      try {
        await provisioner.deprovision(state);
        await this.db.deleteFrom('environment_resources').where('id', '=', row.id).execute();
      } catch (error) {
        this.deps.logger.error({ err: error, environment: environment.name, resource: row.uid }, 'could not undo a resource of a failed deployment');
        await this.db.updateTable('environment_resources').set({ status: 'failed', error: `undo failed: ${describeError(error).split('\n')[0]}`, updated_at: Date.now() }).where('id', '=', row.id).execute();
      }
    }
  }

  private stateOf(row: Pick<DbEnvironmentResourceRow, 'state'>): unknown {
    return row.state ? JSON.parse(this.deps.secretBox.decrypt(row.state)) : undefined;
  }

  private async serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(fn);
    this.locks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === run) this.locks.delete(key);
    }
  }
}
