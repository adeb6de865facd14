/**
 * Resource drivers: the contract between environments (rank 4) and the servers that hold
 * resources (rank 3). A driver provisions one resource type — a postgres role + database, a
 * redis ACL user, a rabbitmq vhost… — and returns its outputs, which of them are secret, and
 * the state its deprovision needs.
 *
 * Contract every driver keeps:
 * - Idempotent: provisioning the same `resourceId` again (with or without `previousState`)
 *   converges to the same resource and returns the same outputs (passwords are derived from
 *   `previousState` when given, otherwise re-read or re-set deterministically — see each driver).
 * - Concurrency-safe: two concurrent provisions of one `resourceId` end with one resource.
 * - All or nothing: a failed provision removes what that call created and throws a PlinthError
 *   (RESOURCE_SERVER_UNREACHABLE when the server cannot be reached, RESOURCE_PROVISION_FAILED
 *   when it refuses), naming the resource and the server.
 * - Deprovision of something already gone succeeds (at-least-once callers).
 *
 * Persisting outputs and state (secret outputs encrypted) is the caller's job (environments).
 */
import type { Logger } from '../core/logger.js';

export interface ProvisionRequest {
  /**
   * Stable identity of the resource: `<environment>.<workload>.<resource name>`, or
   * `<environment>.<shared id>` for a resource shared by id. Drivers derive server-side names
   * from it (sanitised, hashed when too long), so it must not change between deployments.
   */
  resourceId: string;
  type: string;
  class: string;
  /**
   * The matched resource definition's params: trusted operator settings — server addresses
   * (adminUrl, url, rabbitmqctl, host/port as workloads reach the server), a command
   * provisioner's program. Drivers read addresses and programs only from here.
   */
  settings: Record<string, unknown>;
  /**
   * The workload's Score `params`, placeholders resolved. Written by whoever writes the Score
   * file, so never an address or program a driver would use with its own credentials.
   */
  params: Record<string, unknown>;
  /**
   * Who asks. Keys drivers read: `environment` and `workload` (names; dns and service-port
   * build hosts from them), `environmentValues` (the environment's configured values: the
   * `environment` driver's outputs), `secretValueKeys` (which of those are secret).
   * Also passed through: `resourceName`, `environmentType`, `annotations`.
   */
  metadata: ProvisionMetadata;
  /** The `state` an earlier provision of this resourceId returned, when there was one. */
  previousState?: Record<string, unknown>;
}

export interface ProvisionMetadata {
  environment?: string;
  environmentType?: string;
  workload?: string;
  resourceName?: string;
  annotations?: Record<string, string>;
  environmentValues?: Record<string, string>;
  /** The Score uid (`type.class#id` or `type.class#workload.name`): command provisioners get it as resource_uid. */
  uid?: string;
  /** The Score `id` when the resource is shared by id (dns names shared hosts after it). */
  sharedId?: string;
  secretValueKeys?: string[];
  [key: string]: unknown;
}

export interface ProvisionResult {
  /** What `${resources.<name>.<output>}` resolves against. */
  outputs: Record<string, unknown>;
  /** Output keys that are credentials (stored encrypted, masked in logs and the UI). */
  secretOutputKeys: string[];
  /** Everything deprovision (and the next provision) needs; may hold secrets, store encrypted. */
  state: Record<string, unknown>;
}

export interface DeprovisionRequest {
  resourceId: string;
  type: string;
  class: string;
  /** The definition's params (see ProvisionRequest.settings). */
  settings: Record<string, unknown>;
  /** The state the last successful provision returned. */
  state: Record<string, unknown>;
}

export interface DriverContext {
  logger: Logger;
  /** Aborts long operations (command provisioners, waits) when the deployment is cancelled. */
  signal?: AbortSignal;
  /**
   * Where another workload of the environment listens (service-port). Without it the
   * Kubernetes form is returned: the workload's Service name and the declared port.
   */
  lookupService?: (workload: string, port: string) => Promise<{ hostname: string; port: number } | undefined>;
}

export interface ResourceDriver {
  /** The resource type it provisions (`postgres`, `redis`, …; command drivers use their own). */
  readonly type: string;
  /** Databases, volumes and queues hold data; DNS names and routes do not. */
  readonly dataBearing: boolean;
  /** JSON Schema of the settings (a definition's params) it reads; definitions are checked against it. */
  readonly settingsSchema: Record<string, unknown>;
  provision(request: ProvisionRequest, ctx: DriverContext): Promise<ProvisionResult>;
  deprovision(request: DeprovisionRequest, ctx: DriverContext): Promise<void>;
}

/** Where the servers are and how drivers reach them. Every field has a loopback default. */
export interface ResourceDriversConfig {
  /** Volumes live under `<dataDir>/volumes`. */
  dataDir: string;
  /**
   * Secret that derives resource passwords from resource ids (HMAC), so re-provisioning and
   * concurrent provisioning agree on one password. Wire it from the platform's secret key.
   */
  passwordSeed: string;
  postgres: { adminUrl: string };
  mysql: { adminUrl: string };
  redis: { url: string };
  amqp: {
    /** Host and port workloads connect to (outputs). */
    url: string;
    /** rabbitmqctl binary (the management API is not needed). */
    rabbitmqctl: string;
  };
  nats: { url: string };
  /** The host `dns` resources are made under: `<workload>-<environment>.<domain>`. */
  dns: { domain: string };
}

export const DEFAULT_RESOURCE_DRIVERS_CONFIG: Omit<ResourceDriversConfig, 'dataDir' | 'passwordSeed'> = {
  postgres: { adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres' },
  mysql: { adminUrl: 'mysql://root@127.0.0.1:3306/' },
  redis: { url: 'redis://127.0.0.1:6379' },
  amqp: { url: 'amqp://guest:guest@127.0.0.1:5672', rabbitmqctl: 'rabbitmqctl' },
  nats: { url: 'nats://127.0.0.1:4222' },
  dns: { domain: 'localhost' },
};
