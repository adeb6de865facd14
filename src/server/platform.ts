import path from 'node:path';
import type { PlinthConfig } from '../core/config.js';
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
import { pipelineMigrations } from '../pipelines/migrations.js';
import { jobTokenScopeRule, pipelineActions } from '../pipelines/actions.js';
import { PipelineService } from '../pipelines/service.js';
import { pipelineJobHandlers } from '../pipelines/job-handler.js';
import { startPipelineTriggers } from '../pipelines/triggers.js';
import { createRepositorySource } from '../pipelines/repository-source.js';
import { runnerQueuesFor } from '../pipelines/model.js';

/** Every capability's migrations, in their global order. */
export const allMigrations: PlinthMigration[] = [...storeMigrations, ...authMigrations, ...catalogMigrations, ...repositoryMigrations, ...pipelineMigrations].sort((a, b) => a.name.localeCompare(b.name));

/** Every capability's job handlers. */
export function jobHandlersOf(platform: Platform): JobHandler[] {
  return [...platform.catalog.jobHandlers(), ...pipelineJobHandlers(platform.pipelines)];
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
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
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
  const secretBox = createSecretBox(loadSecretKey(config));
  const authorizer = createAuthorizer(store);
  authorizer.defineActions(authActions);
  authorizer.defineActions(catalogActions);
  catalogPermissionRules.forEach((rule) => authorizer.addRule(rule));
  authorizer.defineActions(repositoryActions);
  repositoryPermissionRules.forEach((rule) => authorizer.addRule(rule));
  const repositories = new RepositoryService({ store, dataDir: config.dataDir, publicUrl: () => config.publicUrl });
  const catalog = new CatalogService({
    store,
    config: config.catalog,
    dataDir: config.dataDir,
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
    sources: createRepositorySource(repositories, config.pipelines.remotes, path.join(config.dataDir, 'pipelines', 'mirrors')),
  });
  authorizer.addRule(jobTokenScopeRule((jobId) => pipelines.repositoryOfJob(jobId)));
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
    jobObservers: [],
    close: () => store.destroy(),
  };
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
