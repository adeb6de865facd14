import { ownsResource, type ActionDefinition, type PermissionRule } from '../auth/permissions.js';

export const environmentActions: ActionDefinition[] = [
  { action: 'environment.read', minimumRole: 'viewer', description: 'See environments, their resources (without secrets), workloads, releases and deployments' },
  { action: 'environment.create', minimumRole: 'member', description: 'Create or clone an environment' },
  { action: 'environment.update', minimumRole: 'member', description: "Change an environment's configuration values and secrets (owners and members)" },
  { action: 'environment.destroy', minimumRole: 'member', description: 'Destroy an environment and deprovision its resources' },
  { action: 'environment.secrets.read', minimumRole: 'admin', description: 'Read secret values and secret resource outputs (owners may read theirs)' },
  { action: 'environment.deploy', minimumRole: 'member', description: 'Deploy, promote and roll back releases' },
  { action: 'environment.approve', minimumRole: 'member', description: 'Approve a deployment that waits for approval (the environment type says who may)' },
  { action: 'environment.logs', minimumRole: 'viewer', description: 'Read workload logs' },
];

export const environmentPermissionRules: PermissionRule[] = [
  {
    name: 'owners may read the secrets of their environments',
    actions: ['environment.secrets.read'],
    decide: (actor, _action, resource) => (actor.role !== 'viewer' && ownsResource(actor, resource) ? 'allow' : undefined),
  },
];
