import type { ActionDefinition } from '../auth/permissions.js';

/** Permissions of the scaffolder (not to be confused with the scaffolder's actions, in scaffolder-actions/). */
export const templateActions: ActionDefinition[] = [
  { action: 'template.read', minimumRole: 'viewer', description: 'See templates, their parameter schemas, the available actions and tasks' },
  { action: 'template.run', minimumRole: 'member', description: 'Run a template (create a task), dry-run one, cancel or retry your tasks' },
];
