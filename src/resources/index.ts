/**
 * The built-in resource drivers, by driver name. A resource definition names its driver
 * (`driver: postgres`, or `driver: command` with `params.command` for a Score-compatible
 * command provisioner); the definition's `type` is what workloads ask for.
 */
import type { ResourceDriver, ResourceDriversConfig } from './driver.js';

export type { ResourceDriver, ResourceDriversConfig, ProvisionRequest, ProvisionResult, DeprovisionRequest, DriverContext } from './driver.js';
export { DEFAULT_RESOURCE_DRIVERS_CONFIG } from './driver.js';

export function createResourceDrivers(config: ResourceDriversConfig): Map<string, ResourceDriver> {
  void config;
  return new Map();
}
