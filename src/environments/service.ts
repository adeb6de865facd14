import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EnvironmentsConfig, EnvironmentTypeConfig } from '../core/config.js';
import { PlinthError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../secrets/crypto.js';
import type { Store } from '../store/store.js';
import type { StoreTables } from '../store/tables.js';
import { appendEvent } from '../store/events.js';
import { enqueueJob } from '../store/queue/jobs.js';
import type { JobHandler } from '../store/queue/worker.js';
import type { LocalRuntime } from '../runtimes/local/local-runtime.js';
import { ENVIRONMENT_NAME_PATTERN, VALUE_NAME_PATTERN, MASK, iso, type EnvironmentDetails, type EnvironmentValueView, type EnvironmentView, type ResourceView, type WorkloadView } from './model.js';
import type { DbEnvironmentResourceRow, DbEnvironmentRow, EnvironmentTables } from './tables.js';
import type { ResourceProvisioning } from './resource-provisioning.js';

export const EXPIRE_ENVIRONMENT_JOB = 'environment.expire';

export interface CreateEnvironmentInput {
  name: string;
  type: string;
  owner?: string;
  description?: string;
  /** Overrides the type's TTL; 0 or null: never expires. */
  ttlHours?: number | null;
  values?: Record<string, string>;
  secrets?: Record<string, string>;
  /** Copy values, secrets and the running releases of this environment. */
  cloneFrom?: string;
}

export interface EnvironmentServiceDeps {
  store: Store;
  secretBox: SecretBox;
  config: EnvironmentsConfig;
  logger: Logger;
  resources: ResourceProvisioning;
  /** The local runtime of this process, when it runs one. */
  localRuntime?: LocalRuntime;
}

/** The JSON Schema of `environment:create` (scaffolder action) input, also the API body. */
export const createEnvironmentInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type'],
  properties: {
    name: { type: 'string', pattern: ENVIRONMENT_NAME_PATTERN, description: 'DNS label: workloads are reached at <workload>.<name>.localhost' },
    type: { type: 'string', description: 'An environment type of environments.types (development, preview, staging, production, …)' },
    owner: { type: 'string', pattern: '^(group|user):[a-z0-9._-]+/[A-Za-z0-9._-]+$' },
    description: { type: 'string', maxLength: 1000 },
    ttlHours: { type: ['number', 'null'], minimum: 0 },
    values: { type: 'object', propertyNames: { pattern: VALUE_NAME_PATTERN }, additionalProperties: { type: 'string' } },
    secrets: { type: 'object', propertyNames: { pattern: VALUE_NAME_PATTERN }, additionalProperties: { type: 'string' } },
    cloneFrom: { type: 'string', pattern: ENVIRONMENT_NAME_PATTERN },
  },
} as const;

/** The JSON Schema of `environment:create` output. */
export const createEnvironmentOutputSchema = {
  type: 'object',
  required: ['name', 'type', 'expiresAt'],
  properties: { name: { type: 'string' }, type: { type: 'string' }, expiresAt: { type: ['string', 'null'] }, deployments: { type: 'array', items: { type: 'string' }, description: 'deployments of the releases a clone runs' } },
} as const;

/**
 * Environments: typed, owned places where components run, with their configuration values,
 * secrets and provisioned resources. Deployments into them are DeploymentService's.
 */
export class EnvironmentService {
  readonly db: Kysely<EnvironmentTables>;

  constructor(private readonly deps: EnvironmentServiceDeps) {
    this.db = deps.store.db.withTables<EnvironmentTables>();
  }

  /** The local runtime of this process (logs, health). */
  localRuntime(): LocalRuntime {
    if (!this.deps.localRuntime) throw new PlinthError('LOCAL_RUNTIME_WORKLOAD_NOT_RUNNING', 'this Plinth process runs no local runtime: workloads run in the process that runs the queue workers');
    return this.deps.localRuntime;
  }

  types(): Array<{ name: string } & EnvironmentTypeConfig> {
    return Object.entries(this.deps.config.types).map(([name, type]) => ({ name, ...type }));
  }

  typeOf(name: string, field = '/body/type'): EnvironmentTypeConfig {
    const type = this.deps.config.types[name];
    if (!type) throw new PlinthError('ENVIRONMENT_TYPE_UNKNOWN', `unknown environment type '${name}'; known types: ${Object.keys(this.deps.config.types).join(', ')}`, { location: { field } });
    return type;
  }

  async findRow(name: string, db: Kysely<EnvironmentTables> = this.db): Promise<DbEnvironmentRow> {
    const row = await db.selectFrom('environments').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new PlinthError('ENVIRONMENT_NOT_FOUND', `no environment named '${name}'`);
    return row;
  }

  async findRowById(id: string): Promise<DbEnvironmentRow | undefined> {
    return this.db.selectFrom('environments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  toView(row: DbEnvironmentRow): EnvironmentView {
    return {
      name: row.name,
      type: row.type,
      owner: row.owner,
      description: row.description,
      clonedFrom: row.cloned_from,
      expiresAt: iso(row.expires_at),
      status: row.status,
      productionLike: this.deps.config.types[row.type]?.productionLike ?? false,
      createdBy: row.created_by,
      createdAt: iso(row.created_at)!,
    };
  }

  async list(): Promise<EnvironmentView[]> {
    return (await this.db.selectFrom('environments').selectAll().orderBy('name').execute()).map((row) => this.toView(row));
  }

  async details(name: string, options: { showSecrets: boolean }): Promise<EnvironmentDetails> {
    const row = await this.findRow(name);
    return {
      ...this.toView(row),
      values: await this.values(row.id, options.showSecrets),
      resources: await this.resourcesOf(row, options),
      workloads: await this.workloadsOf(row),
    };
  }

  /**
   * Creates an environment (copying values, secrets and running releases of `cloneFrom`), and
   * schedules its expiry. `inTransaction` lets the caller write its audit record atomically.
   * Returns the releases the clone should run, for DeploymentService to deploy.
   */
  async create(
    input: CreateEnvironmentInput,
    actorRef: string,
    inTransaction?: (trx: Kysely<StoreTables>) => Promise<void>,
  ): Promise<{ environment: EnvironmentView; releasesToDeploy: Array<{ component: string; releaseId: string }> }> {
    const type = this.typeOf(input.type);
    if (!new RegExp(ENVIRONMENT_NAME_PATTERN).test(input.name)) {
      throw new PlinthError('ENVIRONMENT_INVALID', `environment name '${input.name}' must be a DNS label: lower-case letters, digits and '-', at most 63 characters`, { location: { field: '/body/name' } });
    }
    const source = input.cloneFrom ? await this.findRow(input.cloneFrom).catch(() => {
      throw new PlinthError('ENVIRONMENT_INVALID', `cannot clone: no environment named '${input.cloneFrom}'`, { location: { field: '/body/cloneFrom' } });
    }) : undefined;
    const now = Date.now();
    const ttlHours = input.ttlHours === undefined ? type.ttlHours : input.ttlHours || null;
    const row: DbEnvironmentRow = {
      id: randomUUID(),
      name: input.name,
      type: input.type,
      owner: input.owner ?? source?.owner ?? null,
      description: input.description ?? null,
      cloned_from: source?.name ?? null,
      expires_at: ttlHours ? now + Math.round(ttlHours * 3_600_000) : null,
      status: 'active',
      created_by: actorRef,
      created_at: now,
      updated_at: now,
    };
    const releasesToDeploy = source
      ? (await this.db.selectFrom('environment_workloads').select(['component', 'release_id']).where('environment_id', '=', source.id).execute()).map((w) => ({ component: w.component, releaseId: w.release_id }))
      : [];
    try {
      await this.deps.store.transaction(async (trx) => {
        const db = trx.withTables<EnvironmentTables>();
        await db.insertInto('environments').values(row).execute();
        const inherited = source ? await db.selectFrom('environment_values').selectAll().where('environment_id', '=', source.id).execute() : [];
        const values = new Map<string, { value: string; secret: boolean }>();
        for (const [name, value] of Object.entries(type.values)) values.set(name, { value, secret: false });
        for (const value of inherited) values.set(value.name, { value: value.secret ? this.deps.secretBox.decrypt(value.value) : value.value, secret: value.secret === 1 });
        for (const [name, value] of Object.entries(input.values ?? {})) values.set(name, { value, secret: false });
        for (const [name, value] of Object.entries(input.secrets ?? {})) values.set(name, { value, secret: true });
        if (values.size) {
          await db
            .insertInto('environment_values')
            .values([...values].map(([name, v]) => ({ environment_id: row.id, name, value: v.secret ? this.deps.secretBox.encrypt(v.value) : v.value, secret: v.secret ? 1 : 0, updated_at: now })))
            .execute();
        }
        await appendEvent(this.deps.store, { type: 'environment:created', subject: `environment:${row.name}`, actor: actorRef, payload: { type: row.type, clonedFrom: row.cloned_from, expiresAt: iso(row.expires_at) } }, trx);
        if (row.expires_at !== null) {
          await enqueueJob(this.deps.store, { type: EXPIRE_ENVIRONMENT_JOB, payload: { environmentId: row.id }, uniqueKey: `environment-expire:${row.id}`, runAt: row.expires_at, maxAttempts: 10 }, trx);
        }
        await inTransaction?.(trx);
      });
    } catch (error) {
      if (this.deps.store.adapter.isUniqueViolation(error)) throw new PlinthError('ENVIRONMENT_EXISTS', `an environment named '${input.name}' exists already`, { location: { field: '/body/name' } });
      throw error;
    }
    return { environment: this.toView(row), releasesToDeploy };
  }

  /** Sets (or with null, removes) configuration values and secrets. */
  async setValues(name: string, changes: { values?: Record<string, string | null>; secrets?: Record<string, string | null> }, actorRef: string, inTransaction?: (trx: Kysely<StoreTables>) => Promise<void>): Promise<EnvironmentValueView[]> {
    const row = await this.findRow(name);
    const now = Date.now();
    await this.deps.store.transaction(async (trx) => {
      const db = trx.withTables<EnvironmentTables>();
      for (const [kind, entries] of [['value', changes.values ?? {}], ['secret', changes.secrets ?? {}]] as const) {
        for (const [key, value] of Object.entries(entries)) {
          if (!new RegExp(VALUE_NAME_PATTERN).test(key)) throw new PlinthError('ENVIRONMENT_INVALID', `'${key}' is not a valid value name (letters, digits, '_', '.', '-')`, { location: { field: `/body/${kind}s/${key}` } });
          await db.deleteFrom('environment_values').where('environment_id', '=', row.id).where('name', '=', key).execute();
          if (value === null) continue;
          const secret = kind === 'secret';
          await db.insertInto('environment_values').values({ environment_id: row.id, name: key, value: secret ? this.deps.secretBox.encrypt(value) : value, secret: secret ? 1 : 0, updated_at: now }).execute();
        }
      }
      await appendEvent(this.deps.store, { type: 'environment:values-changed', subject: `environment:${row.name}`, actor: actorRef, payload: { values: Object.keys(changes.values ?? {}), secrets: Object.keys(changes.secrets ?? {}) } }, trx);
      await inTransaction?.(trx);
    });
    return this.values(row.id, false);
  }

  async values(environmentId: string, showSecrets: boolean): Promise<EnvironmentValueView[]> {
    const rows = await this.db.selectFrom('environment_values').selectAll().where('environment_id', '=', environmentId).orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, secret: r.secret === 1, value: r.secret === 1 ? (showSecrets ? this.deps.secretBox.decrypt(r.value) : null) : r.value }));
  }

  /** Values and decrypted secrets, for placeholder resolution. */
  async resolvedValues(environmentId: string): Promise<{ values: Record<string, string>; secretKeys: string[] }> {
    const rows = await this.db.selectFrom('environment_values').selectAll().where('environment_id', '=', environmentId).execute();
    return {
      values: Object.fromEntries(rows.map((r) => [r.name, r.secret === 1 ? this.deps.secretBox.decrypt(r.value) : r.value])),
      secretKeys: rows.filter((r) => r.secret === 1).map((r) => r.name),
    };
  }

  async resourcesOf(environment: DbEnvironmentRow, options: { showSecrets: boolean }): Promise<ResourceView[]> {
    const rows = await this.db.selectFrom('environment_resources').selectAll().where('environment_id', '=', environment.id).orderBy('uid').execute();
    return rows.map((row) => this.resourceView(environment.name, row, options.showSecrets));
  }

  /** Every resource of every environment (`plinth resources list`). */
  async allResources(): Promise<ResourceView[]> {
    const rows = await this.db
      .selectFrom('environment_resources')
      .innerJoin('environments', 'environments.id', 'environment_resources.environment_id')
      .selectAll('environment_resources')
      .select('environments.name as environment_name')
      .orderBy('environments.name')
      .orderBy('environment_resources.uid')
      .execute();
    return rows.map((row) => this.resourceView(row.environment_name, row, false));
  }

  private resourceView(environment: string, row: DbEnvironmentResourceRow, showSecrets: boolean): ResourceView {
    const secretOutputs = row.secret_outputs ? (JSON.parse(this.deps.secretBox.decrypt(row.secret_outputs)) as Record<string, unknown>) : {};
    const secretOutputKeys = Object.keys(secretOutputs);
    const outputs = { ...(JSON.parse(row.outputs) as Record<string, unknown>) };
    for (const key of secretOutputKeys) outputs[key] = showSecrets ? secretOutputs[key] : MASK;
    return {
      uid: row.uid,
      type: row.type,
      class: row.class,
      id: row.resource_id,
      definition: row.definition,
      status: row.status,
      error: row.error,
      outputs,
      secretOutputKeys,
      secretsHidden: !showSecrets && secretOutputKeys.length > 0,
      dataBearing: row.data_bearing === 1,
      usedBy: JSON.parse(row.used_by) as string[],
      environment,
      createdAt: iso(row.created_at)!,
    };
  }

  async workloadsOf(environment: DbEnvironmentRow): Promise<WorkloadView[]> {
    const rows = await this.db.selectFrom('environment_workloads').selectAll().where('environment_id', '=', environment.id).orderBy('component').execute();
    return rows.map((row) => {
      const status = row.runtime === 'local' ? this.deps.localRuntime?.status(environment.name, row.component) : undefined;
      return {
        component: row.component,
        release: row.release_id,
        deployment: row.deployment_id,
        runtime: row.runtime,
        url: row.url,
        health: status?.state ?? (row.runtime === 'local' && this.deps.localRuntime ? 'stopped' : 'unknown'),
        updatedAt: iso(row.updated_at)!,
      };
    });
  }

  /**
   * Destroys an environment: stops its workloads, deprovisions its resources (dropping their
   * data), deletes its rows. Data-bearing resources of a production-like type need
   * `confirm` equal to the environment's name. A deprovisioning failure leaves the environment
   * `destroying` with the resource's error recorded; destroying again retries.
   */
  async destroy(name: string, options: { confirm?: string }, actorRef: string): Promise<{ deprovisioned: string[] }> {
    const row = await this.findRow(name);
    const type = this.deps.config.types[row.type];
    const dataBearing = await this.db.selectFrom('environment_resources').select('uid').where('environment_id', '=', row.id).where('data_bearing', '=', 1).execute();
    if (type?.productionLike && dataBearing.length > 0 && options.confirm !== row.name) {
      throw new PlinthError(
        'ENVIRONMENT_CONFIRMATION_REQUIRED',
        `environment '${row.name}' is ${row.type} (production-like) and holds data in ${dataBearing.map((r) => r.uid).join(', ')}: destroying it drops that data; repeat with confirm: ${row.name}`,
        { location: { field: '/body/confirm' } },
      );
    }
    const marked = await this.db.updateTable('environments').set({ status: 'destroying', updated_at: Date.now() }).where('id', '=', row.id).executeTakeFirst();
    if (Number(marked.numUpdatedRows) !== 1) throw new PlinthError('ENVIRONMENT_NOT_FOUND', `no environment named '${name}'`);
    // Marked first, checked second: a deployment starting from now on sees `destroying` and stops.
    const running = await this.db.selectFrom('deployments').select(['id', 'component']).where('environment_id', '=', row.id).where('status', '=', 'running').execute();
    if (running.length > 0) {
      await this.db.updateTable('environments').set({ status: row.status }).where('id', '=', row.id).execute();
      throw new PlinthError('ENVIRONMENT_BUSY', `environment '${row.name}' has deployments running (${running.map((d) => `${d.id} of ${d.component}`).join(', ')}); destroy it when they finish`);
    }
    await this.deps.localRuntime?.removeEnvironment(row.name);
    await this.db.deleteFrom('environment_workloads').where('environment_id', '=', row.id).execute();
    const deprovisioned: string[] = [];
    const resources = await this.db.selectFrom('environment_resources').selectAll().where('environment_id', '=', row.id).execute();
    for (const resource of resources) {
      await this.deps.resources.deprovision({ name: row.name, type: row.type }, resource);
      deprovisioned.push(resource.uid);
    }
    await this.deps.store.transaction(async (trx) => {
      const db = trx.withTables<EnvironmentTables>();
      await db.deleteFrom('environment_values').where('environment_id', '=', row.id).execute();
      await db.deleteFrom('environment_resources').where('environment_id', '=', row.id).execute();
      await db.deleteFrom('environments').where('id', '=', row.id).execute();
      await appendEvent(this.deps.store, { type: 'environment:destroyed', subject: `environment:${row.name}`, actor: actorRef, payload: { type: row.type, deprovisioned } }, trx);
    });
    return { deprovisioned };
  }

  jobHandlers(): JobHandler[] {
    return [
      {
        type: EXPIRE_ENVIRONMENT_JOB,
        run: async (job: { payload: { environmentId: string } }) => {
          const row = await this.findRowById(job.payload.environmentId);
          // Gone already, or its TTL was extended: nothing to do.
          if (!row || row.expires_at === null || row.expires_at > Date.now()) return;
          this.deps.logger.info({ environment: row.name }, 'environment expired; destroying it');
          await this.destroy(row.name, { confirm: row.name }, 'system:environment-ttl');
        },
      },
    ];
  }
}
