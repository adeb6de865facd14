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
import { EnvironmentService } from './service.js';

export { environmentMigrations } from './migrations.js';
export { environmentActions, environmentPermissionRules } from './actions.js';
export { createEnvironmentInputSchema, createEnvironmentOutputSchema } from './service.js';
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
    jobHandlers: () => [...environments.jobHandlers(), ...deployments.jobHandlers()],
    async start() {
      await localRuntime.start();
      await deployments.reconcileLocalWorkloads();
    },
    close: () => localRuntime.close(),
  };
}
