import path from 'node:path';
import type { EnvironmentsConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../secrets/crypto.js';
import type { Store } from '../store/store.js';
import type { JobHandler } from '../store/queue/worker.js';
import type { ResourceDriver } from '../resources/index.js';
import { LocalRuntime } from '../runtimes/local/local-runtime.js';
import { DeploymentService } from './deployments.js';
import { ResourceProvisioning } from './resource-provisioning.js';
import { createResourceBackend, type ResourceDefinitionSource } from './resource-backend.js';
import { scoreSupport } from './score-support.js';
import { EnvironmentService, type CreateEnvironmentInput } from './service.js';
import type { Actor } from '../auth/actor.js';
import { recordAudit } from '../auth/audit.js';
import type { AuthTables } from '../auth/tables.js';
import type { DeploymentView } from './model.js';

export { environmentMigrations } from './migrations.js';
export { environmentActions, environmentPermissionRules } from './actions.js';
export { createEnvironmentInputSchema, createEnvironmentOutputSchema, type CreateEnvironmentInput } from './service.js';
export type { EnvironmentService } from './service.js';
export type { DeploymentService } from './deployments.js';

export interface EnvironmentCapabilityDeps {
  store: Store;
  secretBox: SecretBox;
  config: EnvironmentsConfig;
  dataDir: string;
  logger: Logger;
  drivers: Map<string, ResourceDriver>;
  definitions: ResourceDefinitionSource;
  ownerOfComponent(component: string): Promise<string | undefined>;
}

/** Environments, deployments and the local runtime they run workloads on, wired together. */
export interface EnvironmentCapability {
  environments: EnvironmentService;
  deployments: DeploymentService;
  localRuntime: LocalRuntime;
  /**
   * The scaffolder action `environment:create` (input: createEnvironmentInputSchema, output:
   * createEnvironmentOutputSchema): creates or clones an environment; a clone deploys the
   * releases its source runs.
   */
  createEnvironment(input: CreateEnvironmentInput, actor: Actor): Promise<{ name: string; type: string; expiresAt: string | null; deployments: string[] }>;
  /** The pipelines action `plinth/deploy` (inputs environment, component, ref): deploys the component's release of commit `ref`. */
  deployComponent(input: { component: string; environment: string; ref: string; actor: Actor }): Promise<DeploymentView>;
  jobHandlers(): JobHandler[];
  /** Starts the proxy and brings back the workloads that should run (the process running workers calls it). */
  start(): Promise<void>;
  /** Stops supervising; the workload processes keep running for the next start to adopt. */
  close(): Promise<void>;
}

export function createEnvironmentCapability(deps: EnvironmentCapabilityDeps): EnvironmentCapability {
  const logger = deps.logger.child({ component: 'environments' });
  const localRuntime = new LocalRuntime({ directory: path.join(deps.dataDir, 'runtime'), proxy: deps.config.proxy, logger: logger.child({ runtime: 'local' }) });
  const backend = createResourceBackend({ drivers: deps.drivers, definitions: deps.definitions, logger });
  const resources = new ResourceProvisioning({ store: deps.store, secretBox: deps.secretBox, backend, logger });
  const environments = new EnvironmentService({ store: deps.store, secretBox: deps.secretBox, config: deps.config, logger, resources, localRuntime });
  const deployments = new DeploymentService({
    store: deps.store,
    secretBox: deps.secretBox,
    config: deps.config,
    logger,
    environments,
    resources,
    score: scoreSupport,
    localRuntime,
    ownerOfComponent: deps.ownerOfComponent,
    describeMatch: (request, environment, component) => backend.match(request, environment, component),
  });
  return {
    environments,
    deployments,
    localRuntime,
    async createEnvironment(input, actor) {
      const created = await environments.create(input, actor.ref, (trx) => recordAudit(trx.withTables<AuthTables>(), { actor }, { action: 'environment.create', target: `environment:${input.name}`, outcome: 'success', details: { via: 'environment:create' } }));
      const deployed = [];
      for (const { component, releaseId } of created.releasesToDeploy) deployed.push((await deployments.requestDeployment({ environment: input.name, component, release: releaseId }, actor)).id);
      return { name: created.environment.name, type: created.environment.type, expiresAt: created.environment.expiresAt, deployments: deployed };
    },
    deployComponent: (input) => deployments.deployComponent(input),
    jobHandlers: () => [...environments.jobHandlers(), ...deployments.jobHandlers()],
    async start() {
      await localRuntime.start();
      logger.info({ proxy: `http://<workload>.<environment>.localhost:${localRuntime.proxy.port}/` }, 'local runtime proxy listening');
      await deployments.reconcileLocalWorkloads();
      await deployments.requeueWaiting();
    },
    close: () => localRuntime.close(),
  };
}
