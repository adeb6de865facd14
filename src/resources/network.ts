import { PlinthError } from '../core/errors.js';
import type { ProvisionRequest, ResourceDriver, ResourceDriversConfig } from './driver.js';
import { settingsSchema } from './support.js';

/**
 * Drivers that name things rather than create them: `dns` (a host name), `route` (host +
 * path → a workload port, read by the proxy or rendered as an HTTPRoute), `service-port`
 * (where another workload listens) and `service` (the Score community type naming another
 * workload's service). None holds data; deprovisioning has nothing to remove.
 */

function required(request: ProvisionRequest, key: string): string {
  const value = request.metadata[key];
  if (typeof value !== 'string' || !value) throw new PlinthError('RESOURCE_PROVISION_FAILED', `${request.type} resource ${request.resourceId}: the caller did not say which ${key} it is for`);
  return value;
}

function param(request: ProvisionRequest, key: string): unknown {
  const value = request.params[key];
  if (value === undefined || value === null || value === '') {
    throw new PlinthError('RESOURCE_DEFINITION_INVALID', `${request.type} resource ${request.resourceId}: param '${key}' is required`);
  }
  return value;
}

const nothingToRemove = async (): Promise<void> => undefined;

/** `dns`: `<workload>.<environment>.<domain>` (`<id>.…` when shared by id); a definition's `host` setting overrides. */
export function dnsDriver(config: ResourceDriversConfig): ResourceDriver {
  return {
    type: 'dns',
    dataBearing: false,
    settingsSchema: settingsSchema({ host: { type: 'string', minLength: 1 } }),
    async provision(request) {
      const environment = required(request, 'environment');
      const label = typeof request.metadata.sharedId === 'string' ? request.metadata.sharedId : required(request, 'workload');
      // Only the definition may fix a host: a workload naming one could take another's.
      const host = typeof request.settings.host === 'string' && request.settings.host ? request.settings.host : `${label}.${environment}.${config.dns.domain}`.toLowerCase();
      if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
        throw new PlinthError('RESOURCE_PROVISION_FAILED', `dns resource ${request.resourceId}: '${host}' is not a valid host name`);
      }
      return { outputs: { host }, secretOutputKeys: [], state: {} };
    },
    deprovision: nothingToRemove,
  };
}

/** `route`: validates params host, path, port (a number or a port name) and returns them as outputs. */
export function routeDriver(): ResourceDriver {
  return {
    type: 'route',
    dataBearing: false,
    settingsSchema: settingsSchema({}),
    async provision(request) {
      const host = String(param(request, 'host'));
      const path = request.params.path === undefined ? '/' : String(request.params.path);
      const port = param(request, 'port');
      if (!path.startsWith('/')) throw new PlinthError('RESOURCE_DEFINITION_INVALID', `route resource ${request.resourceId}: path must start with / (got '${path}')`);
      if (typeof port !== 'number' && typeof port !== 'string') throw new PlinthError('RESOURCE_DEFINITION_INVALID', `route resource ${request.resourceId}: port must be a port number or name`);
      const numeric = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
      return { outputs: { host, path, port: numeric }, secretOutputKeys: [], state: {} };
    },
    deprovision: nothingToRemove,
  };
}

/** `service-port`: params workload, port → outputs hostname, port of that workload. */
export function servicePortDriver(): ResourceDriver {
  return {
    type: 'service-port',
    dataBearing: false,
    settingsSchema: settingsSchema({}),
    async provision(request, ctx) {
      const workload = String(param(request, 'workload'));
      const port = String(param(request, 'port'));
      const found = ctx.lookupService ? await ctx.lookupService(workload, port) : undefined;
      if (ctx.lookupService && !found) {
        throw new PlinthError('RESOURCE_PROVISION_FAILED', `service-port resource ${request.resourceId}: workload ${workload} has no port '${port}' in environment ${String(request.metadata.environment ?? '')}`);
      }
      // Kubernetes form: the Service is named after the workload.
      const address = found ?? { hostname: workload, port: Number(port) };
      if (!Number.isInteger(address.port)) throw new PlinthError('RESOURCE_PROVISION_FAILED', `service-port resource ${request.resourceId}: port '${port}' of ${workload} is not a number and no runtime can resolve its name`);
      return { outputs: { hostname: address.hostname, port: address.port }, secretOutputKeys: [], state: {} };
    },
    deprovision: nothingToRemove,
  };
}

/** `service` (Score community provisioner): output `name`, the workload named like the resource. */
export function serviceDriver(): ResourceDriver {
  return {
    type: 'service',
    dataBearing: false,
    settingsSchema: settingsSchema({}),
    async provision(request) {
      const name = typeof request.params.workload === 'string' ? request.params.workload : required(request, 'resourceName');
      return { outputs: { name }, secretOutputKeys: [], state: {} };
    },
    deprovision: nothingToRemove,
  };
}

/** `environment`: the environment's configured values, each one an output (`${resources.env.KEY}`). */
export function environmentDriver(): ResourceDriver {
  return {
    type: 'environment',
    dataBearing: false,
    settingsSchema: settingsSchema({}),
    async provision(request) {
      const values = request.metadata.environmentValues ?? {};
      const secretOutputKeys = (request.metadata.secretValueKeys ?? []).filter((key) => key in values);
      return { outputs: { ...values }, secretOutputKeys, state: {} };
    },
    deprovision: nothingToRemove,
  };
}
