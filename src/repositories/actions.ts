import { ownsResource, type ActionDefinition, type PermissionRule } from '../auth/permissions.js';

export const repositoryActions: ActionDefinition[] = [
  { action: 'repository.read', minimumRole: 'viewer', description: 'List, browse, clone and fetch hosted repositories' },
  { action: 'repository.create', minimumRole: 'member', description: 'Create a hosted repository' },
  { action: 'repository.push', minimumRole: 'admin', description: 'Push to a hosted repository (owners and members may push to theirs)' },
  { action: 'repository.delete', minimumRole: 'admin', description: 'Delete a hosted repository (owners may delete theirs)' },
];

export const repositoryPermissionRules: PermissionRule[] = [
  {
    // Pushes need ownership or the member role; deleting needs ownership.
    name: 'owners and members may push; owners may delete',
    actions: ['repository.push', 'repository.delete'],
    decide: (actor, action, resource) => {
      if (actor.role === 'viewer') return undefined;
      if (ownsResource(actor, resource)) return 'allow';
      return action === 'repository.push' && actor.role === 'member' ? 'allow' : undefined;
    },
  },
];
