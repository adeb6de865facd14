import type { FastifyInstance } from 'fastify';
import type { AuthTables } from '../auth/tables.js';
import { recordAudit } from '../auth/audit.js';
import { accessContext } from '../auth/request-context.js';
import { routeAccess } from '../auth/route-access.js';
import { authDb } from '../auth/users.js';
import type { Store } from '../store/store.js';
import { TASK_EVENTS_CHANNEL, TASK_EVENTS_PAGE, type TemplateService } from './service.js';
import type { TaskStatus } from './tables.js';

export interface TemplateRouteDeps {
  store: Store;
  templates: TemplateService;
}

const read = routeAccess({ action: 'template.read' });
const run = routeAccess({ action: 'template.run' });
const taskParams = { type: 'object', required: ['taskId'], properties: { taskId: { type: 'string' } } } as const;
const valuesSchema = { type: 'object', additionalProperties: true };
const secretsSchema = { type: 'object', additionalProperties: { type: 'string' } };

/** Backstage's scaffolder API, under /api/scaffolder/v2. */
export function registerTemplateRoutes(app: FastifyInstance, deps: TemplateRouteDeps): void {
  const { templates, store } = deps;

  app.get<{ Params: { namespace: string; kind: string; name: string } }>(
    '/templates/:namespace/:kind/:name/parameter-schema',
    { config: read, schema: { tags: ['templates'], summary: "A template's parameter form: its pages' JSON Schemas", params: { type: 'object', properties: { namespace: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' } } } } },
    async (request) => templates.parameterSchema(`${request.params.kind}:${request.params.namespace}/${request.params.name}`),
  );

  app.get('/actions', { config: read, schema: { tags: ['templates'], summary: 'The actions template steps may call, with their input and output schemas' } }, async () => templates.listActions());

  app.post<{ Body: { templateRef: string; values?: Record<string, unknown>; secrets?: Record<string, string> } }>(
    '/tasks',
    {
      config: run,
      schema: {
        tags: ['templates'],
        summary: 'Run a template: validates the values and queues a task',
        body: { type: 'object', required: ['templateRef'], properties: { templateRef: { type: 'string', minLength: 1 }, values: valuesSchema, secrets: secretsSchema } },
      },
    },
    async (request, reply) => {
      const context = accessContext(request);
      const created = await templates.createTask({ templateRef: request.body.templateRef, values: request.body.values ?? {}, secrets: request.body.secrets }, context.actor.ref, (trx) =>
        recordAudit(trx.withTables<AuthTables>(), context, { action: 'template.run', target: request.body.templateRef, outcome: 'success' }),
      );
      return reply.code(201).send(created);
    },
  );

  app.get<{ Querystring: { createdBy?: string; status?: TaskStatus; limit?: number } }>(
    '/tasks',
    {
      config: read,
      schema: {
        tags: ['templates'],
        summary: 'Tasks, newest first',
        querystring: { type: 'object', properties: { createdBy: { type: 'string' }, status: { type: 'string', enum: ['open', 'processing', 'completed', 'failed', 'cancelled'] }, limit: { type: 'integer', minimum: 1, maximum: 500 } } },
      },
    },
    async (request) => {
      const tasks = await templates.listTasks(request.query);
      return { tasks, totalTasks: tasks.length };
    },
  );

  app.get<{ Params: { taskId: string } }>('/tasks/:taskId', { config: read, schema: { tags: ['templates'], summary: 'A task: status, steps, output, error', params: taskParams } }, async (request) => templates.getTask(request.params.taskId));

  app.get<{ Params: { taskId: string }; Querystring: { after?: number } }>(
    '/tasks/:taskId/events',
    { config: read, schema: { tags: ['templates'], summary: "A task's log and completion events after an id", params: taskParams, querystring: { type: 'object', properties: { after: { type: 'integer', minimum: 0 } } } } },
    async (request) => {
      await templates.getTask(request.params.taskId);
      return templates.taskEvents(request.params.taskId, request.query.after);
    },
  );

  app.get<{ Params: { taskId: string }; Querystring: { after?: number } }>(
    '/tasks/:taskId/eventstream',
    { config: read, schema: { tags: ['templates'], summary: "A task's events live (text/event-stream); replays after `after` or Last-Event-ID, ends after completion", params: taskParams, querystring: { type: 'object', properties: { after: { type: 'integer', minimum: 0 } } } } },
    async (request, reply) => {
      const { taskId } = request.params;
      await templates.getTask(taskId);
      const lastEventId = Number(request.headers['last-event-id']);
      let after = request.query.after ?? (Number.isFinite(lastEventId) ? lastEventId : 0);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': String(request.id) });
      raw.write(': connected\n\n');
      let closed = false;
      let sending = false;
      let again = false;
      const stop = () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        unlisten();
        raw.end();
      };
      const send = async () => {
        if (sending) {
          again = true;
          return;
        }
        sending = true;
        try {
          do {
            again = false;
            let page: Awaited<ReturnType<typeof templates.taskEvents>>;
            do {
              page = await templates.taskEvents(taskId, after);
              for (const event of page) {
                if (closed) return;
                raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
                after = event.id;
                if (event.type !== 'log') return stop();
              }
            } while (page.length === TASK_EVENTS_PAGE && !closed);
          } while (again && !closed);
        } catch (error) {
          request.log.warn({ err: error }, 'task event stream read failed');
        } finally {
          sending = false;
        }
      };
      const unlisten = await store.onNotification(TASK_EVENTS_CHANNEL, (payload) => {
        if (payload === taskId) void send();
      });
      // Keep-alive, and a check that notices a task the queue gave up on (getTask reconciles it).
      const timer = setInterval(() => {
        raw.write(': keep-alive\n\n');
        void templates.getTask(taskId).then(() => send(), () => undefined);
      }, 5000);
      request.raw.on('close', stop);
      await send();
    },
  );

  app.post<{ Params: { taskId: string } }>(
    '/tasks/:taskId/cancel',
    { config: run, schema: { tags: ['templates'], summary: 'Cancel an open or processing task', params: taskParams } },
    async (request) => {
      const context = accessContext(request);
      const task = await templates.cancelTask(request.params.taskId, context.actor);
      await recordAudit(authDb(store), context, { action: 'template.task.cancel', target: `task:${task.id}`, outcome: 'success' });
      return { status: task.status };
    },
  );

  app.post<{ Params: { taskId: string } }>(
    '/tasks/:taskId/retry',
    { config: run, schema: { tags: ['templates'], summary: 'Run a failed or cancelled task again from the start', params: taskParams } },
    async (request, reply) => {
      const context = accessContext(request);
      const task = await templates.retryTask(request.params.taskId, context.actor);
      await recordAudit(authDb(store), context, { action: 'template.task.retry', target: `task:${task.id}`, outcome: 'success' });
      return reply.code(201).send({ id: task.id });
    },
  );

  app.post<{ Body: { template: unknown; values?: Record<string, unknown>; secrets?: Record<string, string>; directoryContents?: Array<{ path: string; base64Content: string }> } }>(
    '/dry-run',
    {
      config: run,
      schema: {
        tags: ['templates'],
        summary: 'Render a template without side effects: the log, steps, output and the files it would write',
        body: {
          type: 'object',
          required: ['template'],
          properties: {
            template: { type: 'object' },
            values: valuesSchema,
            secrets: secretsSchema,
            directoryContents: { type: 'array', items: { type: 'object', required: ['path', 'base64Content'], properties: { path: { type: 'string' }, base64Content: { type: 'string' } } } },
          },
        },
      },
    },
    async (request) => templates.dryRun({ template: request.body.template, values: request.body.values ?? {}, secrets: request.body.secrets, directoryContents: request.body.directoryContents }, accessContext(request).actor.ref),
  );
}
