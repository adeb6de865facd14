import path from 'node:path';
import { createHmac } from 'node:crypto';
import type { PlinthConfig } from '../core/config.js';
import { PlinthError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { openStore, describeDatabase, type Store } from '../store/store.js';
import { migrateToLatest, type PlinthMigration } from '../store/migrate.js';
import { storeMigrations } from '../store/migrations.js';
import { subscribeToEvents } from '../store/events.js';
import { createWorker, type JobFinished, type JobHandler, type QueueWorker } from '../store/queue/worker.js';
import { authMigrations } from '../auth/migrations.js';
import { authActions } from '../auth/actions.js';
import { createAuthorizer, type Authorizer } from '../auth/permissions.js';
import { TOKEN_PATTERN } from '../auth/credentials.js';
import { createSecretBox, loadSecretKey, type SecretBox } from '../secrets/crypto.js';
import { createSecretMasker, type SecretMasker } from '../secrets/masking.js';
import { catalogMigrations } from '../catalog/migrations.js';
import { catalogActions, catalogPermissionRules } from '../catalog/actions.js';
import { CatalogService } from '../catalog/service.js';
import { repositoryMigrations } from '../repositories/migrations.js';
import { repositoryActions, repositoryPermissionRules } from '../repositories/actions.js';
import { RepositoryService } from '../repositories/service.js';
import { findEntityByRef } from '../catalog/query-entities.js';
import { templateMigrations } from '../templates/migrations.js';
import { templateActions } from '../templates/actions.js';
import { TemplateService } from '../templates/service.js';
import type { JsonSchema, TemplateEntity } from '../templates/template-spec.js';
import type { ScaffolderAction } from '../templates/scaffolder-action.js';
import { createScaffolderActions } from '../templates/scaffolder-actions/builtin-actions.js';
import { createEnvironmentInputSchema, createEnvironmentOutputSchema, type CreateEnvironmentInput } from '../environments/index.js';
import { createEnvironmentCapability, environmentActions, environmentMigrations, environmentPermissionRules, type EnvironmentCapability } from '../environments/index.js';
import { createResourceDrivers, DEFAULT_RESOURCE_DRIVERS_CONFIG } from '../resources/index.js';
import { validateResourceDefinitions } from '../environments/resource-definitions.js';
import type { CatalogTables } from '../catalog/tables.js';
import { pipelineMigrations } from '../pipelines/migrations.js';
import { jobTokenScopeRule, pipelineActions } from '../pipelines/actions.js';
import { PipelineService } from '../pipelines/service.js';
import { pipelineJobHandlers } from '../pipelines/job-handler.js';
import { startPipelineTriggers } from '../pipelines/triggers.js';
import { createRepositorySource } from '../pipelines/repository-source.js';
import { runnerQueuesFor } from '../pipelines/model.js';

/** Every capability's migrations, in their global order. */
export const allMigrations: PlinthMigration[] = [...storeMigrations, ...authMigrations, ...catalogMigrations, ...repositoryMigrations, ...templateMigrations, ...pipelineMigrations, ...environmentMigrations].sort((a, b) => a.name.localeCompare(b.name));

/** Every capability's job handlers. */
export function jobHandlersOf(platform: Platform): JobHandler[] {
  return [...platform.catalog.jobHandlers(), ...platform.templates.jobHandlers(), ...pipelineJobHandlers(platform.pipelines, { concurrency: platform.config.workers.pipelineJobs }), ...platform.environments.jobHandlers()];
}

/**
 * The running platform: configuration, store, security services and observers, shared by
 * `plinth serve`, `plinth worker` and the CLI's direct-database commands.
 */
export interface Platform {
  config: PlinthConfig;
  logger: Logger;
  store: Store;
  authorizer: Authorizer;
  secretBox: SecretBox;
  masker: SecretMasker;
  catalog: CatalogService;
  repositories: RepositoryService;
  pipelines: PipelineService;
  templates: TemplateService;
  /** Environments, releases, deployments and the local runtime (with its reverse proxy). */
  environments: EnvironmentCapability;
  jobObservers: Array<(finished: JobFinished) => void>;
  close(): Promise<void>;
}

export interface CreatePlatformOptions {
  /** Run migrations (serve, worker, migrate do; read-only tools may not). */
  migrate?: boolean;
  logDestination?: NodeJS.WritableStream;
}

export async function createPlatform(config: PlinthConfig, options: CreatePlatformOptions = {}): Promise<Platform> {
  const masker = createSecretMasker();
  masker.add(config.secretKey);
  const logger = createLogger({
    level: config.logLevel,
    redact: (line) => masker.mask(line).replace(TOKEN_PATTERN, 'plinth_***'),
    destination: options.logDestination,
  });
  const store = openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onListenerError: (error, channel) => logger.error({ err: error, channel }, 'a signal listener failed'),
  });
  try {
    await store.ping();
    if (options.migrate !== false) {
      const applied = await migrateToLatest(store.db as never, store.adapter, allMigrations);
      if (applied.length) logger.info({ applied, database: describeDatabase(config.databaseUrl, config.dataDir) }, 'migrations applied');
    }
  } catch (error) {
    await store.destroy();
    throw error;
  }
  const secretKey = loadSecretKey(config);
  const secretBox = createSecretBox(secretKey);
  const authorizer = createAuthorizer(store);
  authorizer.defineActions(authActions);
  authorizer.defineActions(catalogActions);
  catalogPermissionRules.forEach((rule) => authorizer.addRule(rule));
  authorizer.defineActions(repositoryActions);
  repositoryPermissionRules.forEach((rule) => authorizer.addRule(rule));
  authorizer.defineActions(templateActions);
  const repositories = new RepositoryService({ store, dataDir: config.dataDir, publicUrl: () => config.publicUrl });
  const catalog = new CatalogService({
    store,
    config: config.catalog,
    dataDir: config.dataDir,
    gitCredentials: config.git.credentials,
    logger: logger.child({ component: 'catalog' }),
    // Locations in repositories Plinth hosts are read from disk, not over HTTP.
    localRepository: (url) => repositories.localGitDirOf(url),
  });
  await catalog.reloadKinds();
  authorizer.defineActions(pipelineActions);
  const pipelines = new PipelineService({
    store,
    config: config.pipelines,
    dataDir: config.dataDir,
    publicUrl: () => config.publicUrl,
    secretBox,
    logger: logger.child({ component: 'pipelines' }),
    sources: createRepositorySource(repositories, config.pipelines.remotes, path.join(config.dataDir, 'pipelines', 'mirrors'), config.git.credentials),
    // `uses: plinth/deploy` deploys the run's commit (environments are created below; called at run time).
    platformActions: (run) => ({ 'plinth/deploy': (inputs, log) => deployFromPipeline(environments, run, inputs, log) }),
  });
  authorizer.addRule(jobTokenScopeRule((jobId) => pipelines.repositoryOfJob(jobId)));
  authorizer.defineActions(environmentActions);
  environmentPermissionRules.forEach((rule) => authorizer.addRule(rule));
  const catalogDb = store.db.withTables<CatalogTables>();
  const drivers = createResourceDrivers({ dataDir: config.dataDir, passwordSeed: createHmac('sha256', secretKey).update('resource-passwords').digest('hex'), ...DEFAULT_RESOURCE_DRIVERS_CONFIG });
  const resourceDefinitions = () =>
    validateResourceDefinitions(config.environments.resourceDefinitions, drivers, (at) => ({ field: ['environments.resourceDefinitions', ...at].join('.') }));
  resourceDefinitions();
  const environments = createEnvironmentCapability({
    store,
    secretBox,
    config: config.environments,
    dataDir: config.dataDir,
    logger,
    drivers,
    definitions: resourceDefinitions,
    // Approvals go to the owner the catalog gives the component (`spec.owner`).
    ownerOfComponent: async (component) => {
      const owner = (await findEntityByRef(catalogDb, `component:default/${component}`))?.spec?.owner;
      if (typeof owner !== 'string') return undefined;
      return owner.includes(':') ? (owner.includes('/') ? owner : owner.replace(':', ':default/')) : `group:default/${owner}`;
    },
  });
  const templates = createTemplateService(config, { store, secretBox, logger, catalog, repositories, capabilityActions: [environmentCreateAction(environments)] });
  return {
    config,
    logger,
    store,
    authorizer,
    secretBox,
    masker,
    catalog,
    repositories,
    pipelines,
    templates,
    environments,
    jobObservers: [],
    close: async () => {
      await environments.close();
      await catalog.close();
      await store.destroy();
    },
  };
}

/** The scaffolder, wired to the catalog and hosted repositories through the functions it needs. */
const DEPLOYMENT_ENDED = new Set(['succeeded', 'failed', 'rolled-back', 'superseded']);

/**
 * The workflow action `plinth/deploy` (`with: environment, component, ref`): deploys the run's
 * commit (or `ref`) and waits until the deployment ends; a production deployment waiting for
 * approval ends the step successfully with `status: awaiting-approval`.
 */
async function deployFromPipeline(environments: EnvironmentCapability, run: { repository: string; sha: string; actor: string }, inputs: Record<string, string>, log: (text: string) => void): Promise<Record<string, string>> {
  const { environment, component } = inputs;
  if (!environment || !component) throw new PlinthError('PIPELINE_ACTION_INVALID', 'plinth/deploy needs the inputs environment and component');
  const ref = inputs.ref || run.sha;
  const actor = { type: 'user' as const, id: run.actor, ref: run.actor, name: run.actor, role: 'member' as const, groups: [] };
  let deployment = await environments.deployComponent({ component, environment, ref, actor });
  log(`deployment ${deployment.id}: ${component}@${ref.slice(0, 12)} to ${environment} (${deployment.status})`);
  const deadline = Date.now() + Number(inputs['timeout-seconds'] || 600) * 1000;
  while (!DEPLOYMENT_ENDED.has(deployment.status) && deployment.status !== 'awaiting-approval') {
    if (Date.now() > deadline) throw new PlinthError('DEPLOYMENT_FAILED', `deployment ${deployment.id} still ${deployment.status} after the step's timeout`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    deployment = await environments.deployments.get(deployment.id);
  }
  log(`deployment ${deployment.id}: ${deployment.status}${deployment.error ? ` — ${deployment.error}` : ''}`);
  if (deployment.status !== 'succeeded' && deployment.status !== 'awaiting-approval') throw new PlinthError('DEPLOYMENT_FAILED', `deployment ${deployment.id} ${deployment.status}${deployment.error ? `: ${deployment.error}` : ''}`);
  return { deployment: deployment.id, status: deployment.status, release: deployment.release };
}

/** The scaffolder action `environment:create`: templates create (or clone) an environment. */
function environmentCreateAction(environments: EnvironmentCapability): ScaffolderAction<CreateEnvironmentInput> {
  return {
    id: 'environment:create',
    description: 'Creates an environment (or clones one, deploying what runs there); outputs name, type, expiresAt and the deployments started',
    schema: { input: createEnvironmentInputSchema as JsonSchema, output: createEnvironmentOutputSchema as JsonSchema },
    supportsDryRun: true,
    async handler(ctx) {
      if (ctx.isDryRun) {
        ctx.log(`would create environment ${ctx.input.name} of type ${ctx.input.type}${ctx.input.cloneFrom ? ` from ${ctx.input.cloneFrom}` : ''}`);
        ctx.output('name', ctx.input.name);
        ctx.output('type', ctx.input.type);
        return;
      }
      // The task runs for its creator, who needed the member role to run a template.
      const created = await environments.createEnvironment(ctx.input, { type: 'user', id: ctx.user.ref, ref: ctx.user.ref, name: ctx.user.ref, role: 'member', groups: [] });
      ctx.log(`created environment ${created.name} (${created.type})${created.deployments.length ? `, deploying ${created.deployments.length} release(s)` : ''}`);
      for (const [name, value] of Object.entries(created)) ctx.output(name, value);
    },
  };
}

function createTemplateService(
  config: PlinthConfig,
  deps: { store: Store; secretBox: SecretBox; logger: Logger; catalog: CatalogService; repositories: RepositoryService; capabilityActions: ScaffolderAction[] },
): TemplateService {
  const { catalog, repositories } = deps;
  const getEntity = (ref: string) => findEntityByRef(catalog.db, ref);
  const findRepository = async (namespace: string, name: string) => {
    const found = await repositories.find(namespace, name).catch(() => undefined);
    return found && { gitDir: repositories.gitDirOf(namespace, name), cloneUrl: found.cloneUrl, defaultBranch: found.defaultBranch, createdBy: found.createdBy };
  };
  const actions = createScaffolderActions({
    source: {
      localRepository: (url) => repositories.localGitDirOf(url),
      cacheDir: path.join(config.dataDir, 'scaffolder', 'git-cache'),
      gitCredentials: config.git.credentials,
    },
    catalog: {
      getEntity,
      registerLocation: (target, actorRef) => catalog.registerOrRefreshLocation({ type: 'url', target }, actorRef),
    },
    repositories: {
      find: findRepository,
      create: async (input, actorRef) => {
        const created = await repositories.create(input, actorRef);
        return { gitDir: repositories.gitDirOf(created.namespace, created.name), cloneUrl: created.cloneUrl };
      },
      recordPush: (namespace, name, before, pusher) => repositories.recordPush(namespace, name, before, pusher),
    },
    github: config.templates.github,
    commandActions: config.templates.actions,
    capabilityActions: deps.capabilityActions,
  });
  return new TemplateService({
    store: deps.store,
    secretBox: deps.secretBox,
    dataDir: config.dataDir,
    logger: deps.logger.child({ component: 'templates' }),
    actions,
    getEntity,
    getTemplate: async (ref) => {
      const entity = await getEntity(ref);
      if (!entity || entity.kind !== 'Template') return undefined;
      const status = await catalog.entityStatus(`${entity.kind}:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`);
      return { entity: entity as unknown as TemplateEntity, source: status?.file ?? undefined };
    },
  });
}

/** Starts the queue workers of this process with every capability's handlers. */
export async function startQueueWorker(platform: Platform, handlers: JobHandler[] = jobHandlersOf(platform)): Promise<QueueWorker> {
  const { config } = platform;
  const worker = createWorker(platform.store, {
    handlers,
    queues: ['default', ...runnerQueuesFor(config.workers.labels)],
    labels: config.workers.labels,
    concurrency: config.workers.concurrency,
    leaseMs: config.workers.leaseSeconds * 1000,
    logger: platform.logger.child({ component: 'worker' }),
    onJobFinished: (finished) => platform.jobObservers.forEach((observe) => observe(finished)),
  });
  await worker.start();
  platform.logger.info({ worker: worker.id, concurrency: config.workers.concurrency, labels: config.workers.labels }, 'queue worker started');
  return worker;
}

/**
 * Starts what capabilities run in the background of a serving process: registering configured
 * catalog locations, and reacting to pushes (`git:pushed`) by refreshing catalog locations.
 */
export async function startCapabilities(platform: Platform): Promise<{ stop(): Promise<void> }> {
  await platform.catalog.registerConfigLocations();
  // Workloads run where deployments run: in the process with queue workers.
  if (platform.config.workers.enabled) await platform.environments.start();
  const pushes = await subscribeToEvents(
    platform.store,
    'catalog:refresh-on-push',
    async (event) => {
      const url = (event.payload as { url?: string }).url;
      if (url) await platform.catalog.refreshLocationsOfRepository(url);
    },
    { types: ['git:pushed'], onError: (error) => platform.logger.warn({ err: error }, 'catalog push subscriber failed') },
  );
  const pipelineTriggers = await startPipelineTriggers(platform.pipelines, platform.logger.child({ component: 'pipelines' }));
  return {
    stop: async () => {
      await pushes.stop();
      await pipelineTriggers.stop();
    },
  };
}
