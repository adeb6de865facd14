import type { ActionDefinition } from '../auth/permissions.js';

export const pipelineActions: ActionDefinition[] = [
  { action: 'pipeline.read', minimumRole: 'viewer', description: 'See pipeline runs, their logs, artifacts and workflows' },
  { action: 'pipeline.run', minimumRole: 'member', description: 'Dispatch, cancel and re-run pipeline runs' },
  { action: 'pipeline.secret.write', minimumRole: 'member', description: "Set a repository's pipeline secrets (values are never shown)" },
];
