import type { FastifyInstance } from 'fastify';
import { cancelJob, getJob, listJobs, retryJob } from '../store/queue/jobs.js';
import { accessContext } from '../auth/request-context.js';
import { recordAudit } from '../auth/audit.js';
import { authDb } from '../auth/users.js';
import type { Platform } from './platform.js';
import { routeAccess } from '../auth/route-access.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

/** Queue administration: see failed jobs with their errors, cancel, retry. */
export function registerJobRoutes(app: FastifyInstance, platform: Platform): void {
  const { store } = platform;
  app.get<{ Querystring: { state?: 'ready' | 'running' | 'failed' | 'cancelled'; type?: string; limit?: number; before?: number } }>(
    '/jobs',
    {
      config: routeAccess({ action: 'job.read' }),
      schema: {
        tags: ['jobs'],
        summary: 'Queue jobs, newest first (completed jobs are removed)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { state: { type: 'string', enum: ['ready', 'running', 'failed', 'cancelled'] }, type: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 500 }, before: { type: 'integer' } },
        },
      },
    },
    async (request) => ({ items: await listJobs(store, request.query) }),
  );
  app.get<{ Params: { id: number } }>('/jobs/:id', { config: routeAccess({ action: 'job.read' }), schema: { tags: ['jobs'], params: idParams } }, async (request) => getJob(store, request.params.id));

  for (const [verb, operate] of [['cancel', cancelJob], ['retry', retryJob]] as const) {
    app.post<{ Params: { id: number } }>(
      `/jobs/:id/${verb}`,
      { config: routeAccess({ action: 'job.manage' }), schema: { tags: ['jobs'], summary: `${verb === 'cancel' ? 'Cancel' : 'Retry'} a job`, params: idParams } },
      async (request) => {
        const job = await operate(store, request.params.id);
        await recordAudit(authDb(store), accessContext(request), { action: `job.${verb}`, target: `job:${job.id}`, outcome: 'success', details: { type: job.type } });
        return job;
      },
    );
  }
}
