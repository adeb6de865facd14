import type { ActionDefinition } from './permissions.js';

/** Actions defined by auth/ itself. */
export const authActions: ActionDefinition[] = [
  { action: 'self.read', minimumRole: 'viewer', description: 'See who you are' },
  { action: 'token.list', minimumRole: 'viewer', description: 'List API tokens (own ones; admins: all)' },
  { action: 'token.create', minimumRole: 'member', description: 'Create an API token (no stronger than yourself)' },
  { action: 'token.revoke', minimumRole: 'member', description: 'Revoke an API token you created or that acts as you' },
  { action: 'token.revoke-any', minimumRole: 'admin', description: "Revoke anyone's API token" },
  { action: 'user.list', minimumRole: 'viewer', description: 'List users' },
  { action: 'user.create', minimumRole: 'admin', description: 'Create a user' },
  { action: 'group.list', minimumRole: 'viewer', description: 'List groups' },
  { action: 'group.create', minimumRole: 'admin', description: 'Create a group' },
  { action: 'audit.read', minimumRole: 'admin', description: 'Read the audit log' },
  { action: 'event.read', minimumRole: 'viewer', description: 'Read and stream domain events' },
  { action: 'job.read', minimumRole: 'admin', description: 'See queue jobs' },
  { action: 'job.manage', minimumRole: 'admin', description: 'Cancel or retry queue jobs' },
];
