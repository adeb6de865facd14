import type { Logger } from '../core/logger.js';
import { PlinthError } from '../core/errors.js';
import { builtInResourceTypes, type ResourceDriver } from '../resources/index.js';
import { defaultResourceDefinition, matchResourceDefinition, type ResourceDefinition } from './resource-definitions.js';
import type { EnvironmentRef, MatchedResource, ResourceBackend, ResourceRequest } from './resource-provisioning.js';

/** Where resource definitions come from (config, read at each match so reloads apply). */
export type ResourceDefinitionSource = () => readonly ResourceDefinition[];

/**
 * The driver identity of a resource: `<environment>.<shared id>` for a resource shared by id,
 * `<environment>.<workload>.<name>` otherwise (stable across deployments: drivers name
 * databases and users after it).
 */
export function resourceIdOf(environment: string, uid: string, sharedId: string | null): string {
  return sharedId ? `${environment}.${sharedId}` : `${environment}.${uid.slice(uid.indexOf('#') + 1)}`;
}

/** Resource definitions matched to the built-in drivers of src/resources. */
export function createResourceBackend(deps: { drivers: Map<string, ResourceDriver>; definitions: ResourceDefinitionSource; logger: Logger }): ResourceBackend {
  const builtInTypes = builtInResourceTypes(deps.drivers);

  const bind = (definition: ResourceDefinition, resource: { name: string; type: string; class: string; uid: string; id: string | null }, environment: EnvironmentRef, component: string): MatchedResource => {
    const driver = deps.drivers.get(definition.driver);
    if (!driver) throw new PlinthError('RESOURCE_TYPE_UNKNOWN', `resource definition ${definition.name} names driver '${definition.driver}', which this Plinth does not have (known: ${[...deps.drivers.keys()].sort().join(', ')})`);
    const resourceId = resourceIdOf(environment.name, resource.uid, resource.id);
    const ctx = { logger: deps.logger.child({ resource: resourceId, driver: definition.driver }) };
    return {
      definition: definition.name,
      dataBearing: driver.dataBearing,
      provision: (previousState, params) =>
        driver.provision(
          { resourceId, type: resource.type, class: resource.class, settings: definition.params, params: params ?? {}, metadata: {
              environment: environment.name,
              environmentType: environment.type,
              workload: component,
              resourceName: resource.name,
              uid: resource.uid,
              ...(resource.id ? { sharedId: resource.id } : {}),
              environmentValues: environment.values?.values ?? {},
              secretValueKeys: environment.values?.secretKeys ?? [],
            }, previousState: previousState as Record<string, unknown> | undefined },
          ctx,
        ),
      deprovision: (state) => driver.deprovision({ resourceId, type: resource.type, class: resource.class, settings: definition.params, state: (state ?? {}) as Record<string, unknown> }, ctx),
    };
  };

  return {
    match(request: ResourceRequest, environment: EnvironmentRef, component: string) {
      const definition = matchResourceDefinition(deps.definitions(), { type: request.type, class: request.class, id: request.id, environment: environment.name, environmentType: environment.type, component }, builtInTypes);
      return bind(definition, request, environment, component);
    },
    matchStored(row, environment) {
      const component = row.uid.slice(row.uid.indexOf('#') + 1).split('.')[0] ?? '';
      const definition = deps.definitions().find((d) => d.name === row.definition) ?? (row.definition === `default-${row.type}` ? defaultResourceDefinition(row.type) : undefined);
      if (!definition) {
        // The definition was removed from config since: deprovision with whatever matches now.
        return this.match({ name: row.uid, uid: row.uid, type: row.type, class: row.class, id: row.resource_id, params: {} }, environment, component);
      }
      return bind(definition, { name: row.uid, type: row.type, class: row.class, uid: row.uid, id: row.resource_id }, environment, component);
    },
  };
}
