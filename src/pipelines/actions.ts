import type { ActionDefinition, PermissionRule } from '../auth/permissions.js';

export const pipelineActions: ActionDefinition[] = [
  { action: 'pipeline.read', minimumRole: 'viewer', description: 'See pipeline runs, their logs, artifacts and workflows' },
  { action: 'pipeline.run', minimumRole: 'member', description: 'Dispatch, cancel and re-run pipeline runs' },
  { action: 'pipeline.secret.write', minimumRole: 'member', description: "Set a repository's pipeline secrets (values are never shown)" },
];

/** The name of the token a pipeline job's steps get (`PLINTH_TOKEN`). */
export const jobTokenName = (jobId: number) => `pipeline-job-${jobId}`;
const JOB_TOKEN_NAME = /^pipeline-job-(\d+)$/;

/**
 * A job token acts only on its run's repository: any action on another repository is denied,
 * and it cannot mint tokens (which would outlive the job and its scope).
 */
export function jobTokenScopeRule(repositoryOfJob: (jobId: number) => Promise<string | undefined>): PermissionRule {
  return {
    name: "pipeline job tokens act on their run's repository only",
    actions: ['repository.read', 'repository.push', 'repository.create', 'repository.delete', 'pipeline.run', 'pipeline.secret.write', 'token.create'],
    async decide(actor, action, resource) {
      const match = actor.type === 'token' ? JOB_TOKEN_NAME.exec(actor.name) : null;
      if (!match) return undefined;
      if (action === 'token.create' || action === 'repository.create' || action === 'repository.delete') return 'deny';
      const target = resource?.ref.startsWith('repository:') ? resource.ref.slice('repository:'.length) : undefined;
      if (target === undefined) return undefined;
      return target === (await repositoryOfJob(Number(match[1]))) ? undefined : 'deny';
    },
  };
}
