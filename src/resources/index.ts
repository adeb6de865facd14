/**
 * The built-in resource drivers, by driver name. A resource definition names its driver
 * (`driver: postgres`, or `driver: command` with `params.command` for a Score-compatible
 * command provisioner); the definition's `type` is what workloads ask for. Every driver but
 * `command` also provisions its own type without a definition.
 */
import { amqpDriver } from './amqp.js';
import { commandDriver } from './command.js';
import type { ResourceDriver, ResourceDriversConfig } from './driver.js';
import { mysqlDriver } from './mysql.js';
import { natsDriver } from './nats.js';
import { dnsDriver, environmentDriver, routeDriver, serviceDriver, servicePortDriver } from './network.js';
import { postgresDriver } from './postgres.js';
import { redisDriver } from './redis.js';
import { volumeDriver } from './volume.js';

export type { ResourceDriver, ResourceDriversConfig, ProvisionRequest, ProvisionResult, ProvisionMetadata, DeprovisionRequest, DriverContext } from './driver.js';
export { DEFAULT_RESOURCE_DRIVERS_CONFIG } from './driver.js';

export function createResourceDrivers(config: ResourceDriversConfig): Map<string, ResourceDriver> {
  const drivers = [
    postgresDriver(config),
    mysqlDriver(config),
    redisDriver(config),
    amqpDriver(config),
    natsDriver(config),
    volumeDriver(config),
    dnsDriver(config),
    routeDriver(),
    servicePortDriver(),
    serviceDriver(),
    environmentDriver(),
    commandDriver(),
  ];
  return new Map(drivers.map((driver) => [driver.type, driver]));
}

/** The types that provision without a definition: every built-in driver except `command`. */
export function builtInResourceTypes(drivers: ReadonlyMap<string, ResourceDriver>): Set<string> {
  return new Set([...drivers.keys()].filter((type) => type !== 'command'));
}
