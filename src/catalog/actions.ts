import { ownsResource, type ActionDefinition, type PermissionRule } from '../auth/permissions.js';

export const catalogActions: ActionDefinition[] = [
  { action: 'catalog.entity.read', minimumRole: 'viewer', description: 'Read entities, facets, relations and kinds' },
  { action: 'catalog.entity.refresh', minimumRole: 'member', description: "Refresh an entity's location now" },
  { action: 'catalog.entity.delete', minimumRole: 'admin', description: 'Delete an entity (owners may delete their own)' },
  { action: 'catalog.location.read', minimumRole: 'viewer', description: 'See locations and their problems' },
  { action: 'catalog.location.create', minimumRole: 'member', description: 'Register a location' },
  { action: 'catalog.location.delete-own', minimumRole: 'member', description: 'Remove a location you registered' },
  { action: 'catalog.location.delete', minimumRole: 'admin', description: 'Remove any location' },
  { action: 'catalog.provider.write', minimumRole: 'admin', description: 'Post entities as an entity provider' },
];

export const catalogPermissionRules: PermissionRule[] = [
  {
    name: 'owners may delete their entities',
    actions: ['catalog.entity.delete'],
    decide: (actor, _action, resource) => (actor.role !== 'viewer' && ownsResource(actor, resource) ? 'allow' : undefined),
  },
];
