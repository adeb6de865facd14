import { createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PlinthError } from '../core/errors.js';
import type { AccessContext } from '../auth/actor.js';
import type { Authorizer } from '../auth/permissions.js';
import { accessContext } from '../auth/request-context.js';
import { recordAudit } from '../auth/audit.js';
import { describeError } from '../core/errors.js';
import type { AuthTables } from '../auth/tables.js';
import type { Store } from '../store/store.js';
import { routeAccess } from '../auth/route-access.js';
import { PIPELINE_LOGS_CHANNEL, PIPELINE_RUNS_CHANNEL, readLogLines } from './log-store.js';
import { findArtifact, listArtifacts } from './run-storage.js';
import { startRunsForPush } from './triggers.js';
import type { ListRunsFilter, PipelineService } from './service.js';

export interface PipelineRouteDeps {
  pipelines: PipelineService;
  authorizer: Authorizer;
}

const problem = { $ref: 'Problem#' };
const REPOSITORY = '^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$';
const runParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const jobParams = { type: 'object', required: ['id', 'jobId'], properties: { id: { type: 'integer', minimum: 1 }, jobId: { type: 'integer', minimum: 1 } } } as const;

/** Pipelines API under /api/pipelines: runs, jobs, logs (JSON and live), artifacts, triggers, status. */
export function registerPipelineRoutes(app: FastifyInstance, deps: PipelineRouteDeps): void {
  const { pipelines } = deps;
  const read = routeAccess({ action: 'pipeline.read' });
  // Mutations name the repository they act on, so rules can scope them (job tokens: their own repository).
  const run = routeAccess({ authorizeInHandler: true });
  const authorizeOn = (context: AccessContext, action: string, repository: string) => deps.authorizer.authorize(context, action, { ref: `repository:${repository}` });
  const store = pipelines.deps.store;

  /** Runs fn, then writes its audit record (success or failure); fn has its own transaction. */
  const audited = async <T>(request: FastifyRequest, action: string, target: string, fn: (context: AccessContext) => Promise<T>, details?: (result: T) => Record<string, unknown>): Promise<T> => {
    const context = accessContext(request);
    const audit = store.db.withTables<AuthTables>();
    try {
      const result = await fn(context);
      await recordAudit(audit, context, { action, target, outcome: 'success', details: details?.(result) });
      return result;
    } catch (error) {
      await recordAudit(audit, context, { action, target, outcome: 'failure', details: { error: describeError(error).split('\n')[0] } });
      throw error;
    }
  };

  app.get<{ Querystring: ListRunsFilter }>(
    '/runs',
    {
      config: read,
      schema: {
        tags: ['pipelines'],
        summary: 'Pipeline runs, newest first (page with `before`)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            repository: { type: 'string' },
            branch: { type: 'string' },
            status: { type: 'string', enum: ['queued', 'in_progress', 'completed'] },
            conclusion: { type: 'string', enum: ['success', 'failure', 'cancelled', 'skipped'] },
            actor: { type: 'string' },
            workflow: { type: 'string' },
            sha: { type: 'string' },
            event: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 200 },
            before: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (request) => pipelines.listRuns(request.query),
  );

  app.get<{ Params: { id: number } }>(
    '/runs/:id',
    { config: read, schema: { tags: ['pipelines'], summary: 'A run with its jobs (needs graph, steps, annotations, summaries) and artifacts', params: runParams, response: { 404: problem } } },
    async (request) => ({ ...(await pipelines.runDetails(request.params.id)), artifacts: await listArtifacts(pipelines, request.params.id) }),
  );

  app.get<{ Params: { id: number; jobId: number }; Querystring: { after?: number; limit?: number; follow?: '0' | '1' | 'true' | 'false' } }>(
    '/runs/:id/jobs/:jobId/logs',
    {
      config: read,
      schema: {
        tags: ['pipelines'],
        summary: 'A job\'s log lines after a line number; with follow=1 a live text/event-stream that ends when the job has',
        params: jobParams,
        querystring: { type: 'object', additionalProperties: false, properties: { after: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 10000 }, follow: { type: 'string', enum: ['0', '1', 'true', 'false'] } } },
      },
    },
    async (request, reply) => {
      const { id, jobId } = request.params;
      const job = await pipelines.getJob(id, jobId);
      if (request.query.follow !== '1' && request.query.follow !== 'true') {
        const items = await readLogLines(pipelines.db, jobId, request.query.after ?? 0, request.query.limit ?? 1000);
        return { items, nextAfter: items.at(-1)?.line ?? request.query.after ?? 0, completed: job.status === 'completed' };
      }
      let after = request.query.after ?? (Number(request.headers['last-event-id']) || 0);
      const relevant = (channel: string, payload: string) => payload === String(channel === PIPELINE_LOGS_CHANNEL ? jobId : id);
      await streamEvents(store, request, reply, [PIPELINE_LOGS_CHANNEL, PIPELINE_RUNS_CHANNEL], relevant, async (write) => {
        for (;;) {
          const lines = await readLogLines(pipelines.db, jobId, after, 2000);
          if (lines.length === 0) break;
          after = lines.at(-1)!.line;
          write('lines', lines, after);
        }
        const current = await pipelines.getJob(id, jobId);
        if (current.status !== 'completed') return false;
        // Lines are flushed before the job completes: what is stored now is all there is.
        const rest = await readLogLines(pipelines.db, jobId, after, 100_000);
        if (rest.length) write('lines', rest, (after = rest.at(-1)!.line));
        write('end', { conclusion: current.conclusion });
        return true;
      });
    },
  );

  app.get<{ Params: { id: number } }>(
    '/runs/:id/stream',
    { config: read, schema: { tags: ['pipelines'], summary: 'Live run (text/event-stream): `run` with the jobs on every change, `lines` with new log lines of each job; ends when the run has', params: runParams } },
    async (request, reply) => {
      const { id } = request.params;
      await pipelines.getRun(id);
      const sentLines = new Map<number, number>();
      let lastSnapshot = '';
      let jobIds = new Set<string>();
      // Other runs' notifications are ignored; a new job of this run comes with a run notification first.
      const relevant = (channel: string, payload: string) => (channel === PIPELINE_RUNS_CHANNEL ? payload === String(id) : jobIds.has(payload));
      await streamEvents(store, request, reply, [PIPELINE_LOGS_CHANNEL, PIPELINE_RUNS_CHANNEL], relevant, async (write) => {
        const details = await pipelines.runDetails(id);
        jobIds = new Set(details.jobs.map((job) => String(job.id)));
        const snapshot = JSON.stringify(details);
        if (snapshot !== lastSnapshot) write('run', details);
        lastSnapshot = snapshot;
        for (const job of details.jobs) {
          if (job.status === 'pending' || job.status === 'queued') continue;
          for (;;) {
            const lines = await readLogLines(pipelines.db, job.id, sentLines.get(job.id) ?? 0, 2000);
            if (lines.length === 0) break;
            sentLines.set(job.id, lines.at(-1)!.line);
            write('lines', { jobId: job.id, lines });
          }
        }
        if (details.status !== 'completed') return false;
        write('end', { conclusion: details.conclusion });
        return true;
      });
    },
  );

  app.post<{ Params: { id: number } }>(
    '/runs/:id/cancel',
    { config: run, schema: { tags: ['pipelines'], summary: 'Cancel a run: waiting jobs end, running ones are stopped (post steps run)', params: runParams, response: { 404: problem, 409: problem } } },
    async (request) => {
      await authorizeOn(accessContext(request), 'pipeline.run', (await pipelines.getRun(request.params.id)).repository);
      return audited(request, 'pipeline.run.cancel', `pipeline-run:${request.params.id}`, (context) => pipelines.cancelRun(request.params.id, context.actor.ref));
    },
  );

  app.post<{ Params: { id: number }; Body: { failedOnly?: boolean } }>(
    '/runs/:id/rerun',
    {
      config: run,
      schema: {
        tags: ['pipelines'],
        summary: 'Re-run a completed run as a new attempt: every job, or with failedOnly the failed and cancelled ones and what needs them',
        params: runParams,
        body: { type: 'object', additionalProperties: false, properties: { failedOnly: { type: 'boolean' } } },
        response: { 404: problem, 409: problem },
      },
    },
    async (request) => {
      const mode = request.body?.failedOnly ? 'failed' : 'all';
      await authorizeOn(accessContext(request), 'pipeline.run', (await pipelines.getRun(request.params.id)).repository);
      return audited(request, 'pipeline.run.rerun', `pipeline-run:${request.params.id}`, (context) => pipelines.rerun(request.params.id, mode, context.actor.ref), () => ({ mode }));
    },
  );

  app.get<{ Params: { id: number } }>(
    '/runs/:id/artifacts',
    { config: read, schema: { tags: ['pipelines'], summary: "A run's artifacts", params: runParams } },
    async (request) => {
      await pipelines.getRun(request.params.id);
      return { items: await listArtifacts(pipelines, request.params.id) };
    },
  );

  app.get<{ Params: { id: number; name: string } }>(
    '/runs/:id/artifacts/:name',
    { config: read, schema: { tags: ['pipelines'], summary: 'Download an artifact (a gzipped tar of the uploaded files)', params: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer', minimum: 1 }, name: { type: 'string' } } }, response: { 404: problem } } },
    async (request, reply) => {
      const artifact = await findArtifact(pipelines, request.params.id, request.params.name);
      reply.header('content-type', 'application/gzip');
      reply.header('content-disposition', `attachment; filename="${encodeURIComponent(artifact.name)}.tar.gz"`);
      return reply.send(createReadStream(artifact.file));
    },
  );

  app.post<{ Body: { repository: string; workflow: string; ref?: string; inputs?: Record<string, unknown> } }>(
    '/dispatch',
    {
      config: run,
      schema: {
        tags: ['pipelines'],
        summary: 'Run a workflow with a workflow_dispatch trigger (inputs checked against its workflow_dispatch.inputs)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['repository', 'workflow'],
          properties: {
            repository: { type: 'string', pattern: REPOSITORY },
            workflow: { type: 'string', minLength: 1 },
            ref: { type: 'string', minLength: 1 },
            inputs: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
          },
        },
        response: { 400: problem, 404: problem },
      },
    },
    async (request, reply) => {
      await authorizeOn(accessContext(request), 'pipeline.run', request.body.repository);
      const created = await audited(request, 'pipeline.dispatch', `repository:${request.body.repository}`, (context) => pipelines.dispatch(request.body, context.actor.ref), (r) => ({ run: r.id, workflow: request.body.workflow }));
      return reply.code(201).send(created);
    },
  );

  app.post<{ Body: { repository: string; eventType: string; clientPayload?: Record<string, unknown> } }>(
    '/repository-dispatch',
    {
      config: run,
      schema: {
        tags: ['pipelines'],
        summary: 'A repository_dispatch event: runs the default branch\'s workflows that listen for this type',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['repository', 'eventType'],
          properties: { repository: { type: 'string', pattern: REPOSITORY }, eventType: { type: 'string', minLength: 1, maxLength: 100 }, clientPayload: { type: 'object' } },
        },
      },
    },
    async (request, reply) => {
      await authorizeOn(accessContext(request), 'pipeline.run', request.body.repository);
      const items = await audited(request, 'pipeline.dispatch', `repository:${request.body.repository}`, (context) => pipelines.repositoryDispatch(request.body, context.actor.ref), (runs) => ({ runs: runs.map((r) => r.id), eventType: request.body.eventType }));
      return reply.code(201).send({ items });
    },
  );

  app.get<{ Querystring: { repository: string; ref?: string } }>(
    '/workflows',
    {
      config: read,
      schema: {
        tags: ['pipelines'],
        summary: 'Workflow files of a repository at a ref (default branch), with their triggers and dispatch inputs',
        querystring: { type: 'object', additionalProperties: false, required: ['repository'], properties: { repository: { type: 'string', pattern: REPOSITORY }, ref: { type: 'string' } } },
      },
    },
    async (request) => ({ items: await pipelines.listWorkflows(request.query.repository, request.query.ref) }),
  );

  app.get<{ Querystring: { repository: string; ref?: string; sha?: string } }>(
    '/status',
    {
      config: read,
      schema: {
        tags: ['pipelines'],
        summary: 'Commit status: the latest run of each workflow at a commit (sha) or branch (ref), and their combined state',
        querystring: { type: 'object', additionalProperties: false, required: ['repository'], properties: { repository: { type: 'string', pattern: REPOSITORY }, ref: { type: 'string' }, sha: { type: 'string', pattern: '^[0-9a-f]{7,40}$' } } },
      },
    },
    async (request) => pipelines.commitStatus(request.query.repository, { sha: request.query.sha, branch: request.query.ref }),
  );

  app.get<{ Querystring: { repository: string } }>(
    '/secrets',
    { config: read, schema: { tags: ['pipelines'], summary: "Names of a repository's pipeline secrets (never their values)", querystring: { type: 'object', additionalProperties: false, required: ['repository'], properties: { repository: { type: 'string', pattern: REPOSITORY } } } } },
    async (request) => ({ items: await pipelines.listSecrets(request.query.repository) }),
  );

  app.put<{ Params: { namespace: string; name: string; secret: string }; Body: { value: string } }>(
    '/secrets/:namespace/:name/:secret',
    {
      config: run,
      schema: {
        tags: ['pipelines'],
        summary: 'Set a repository secret (`secrets.<NAME>` in its workflows; masked in logs)',
        params: { type: 'object', required: ['namespace', 'name', 'secret'], properties: { namespace: { type: 'string' }, name: { type: 'string' }, secret: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,99}$' } } },
        body: { type: 'object', additionalProperties: false, required: ['value'], properties: { value: { type: 'string', minLength: 1, maxLength: 65536 } } },
      },
    },
    async (request, reply) => {
      const repository = `${request.params.namespace}/${request.params.name}`;
      await authorizeOn(accessContext(request), 'pipeline.secret.write', repository);
      await audited(request, 'pipeline.secret.write', `repository:${repository}`, (context) => pipelines.setSecret(repository, request.params.secret, request.body.value, context.actor.ref), () => ({ secret: request.params.secret }));
      return reply.code(204).send();
    },
  );

  registerPushWebhooks(app, pipelines);
}

/**
 * GitHub (X-Hub-Signature-256) and GitLab (X-Gitlab-Token) push webhooks for the remote
 * repositories configured in `pipelines.remotes`: each push runs the matching workflows.
 */
function registerPushWebhooks(app: FastifyInstance, pipelines: PipelineService): void {
  const { config } = pipelines.deps;
  app.register(async (hooks) => {
    // Signatures are computed over the exact bytes sent: keep them.
    hooks.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
      try {
        done(null, { raw: body, json: JSON.parse((body as Buffer).toString('utf8')) });
      } catch {
        done(new PlinthError('REQUEST_INVALID', 'the webhook body is not JSON'), undefined);
      }
    });
    const hook = (provider: 'github' | 'gitlab', check: (secret: string, headers: Record<string, unknown>, raw: Buffer) => boolean, pushOf: (json: any) => { urls: string[]; ref: string; before: string; after: string; pusher: string }) =>
      hooks.post<{ Body: { raw: Buffer; json: unknown } }>(`/webhooks/${provider}`, { config: routeAccess({ public: true }), schema: { tags: ['pipelines'], summary: `${provider === 'github' ? 'GitHub' : 'GitLab'} push webhook of a configured remote repository` } }, async (request, reply) => {
        if (!config.webhookSecret) throw new PlinthError('PIPELINE_WEBHOOK_SIGNATURE_INVALID', 'pipeline webhooks are off: set pipelines.webhookSecret (or PLINTH_PIPELINES_WEBHOOK_SECRET)');
        if (!check(config.webhookSecret, request.headers, request.body.raw)) throw new PlinthError('PIPELINE_WEBHOOK_SIGNATURE_INVALID', 'the webhook signature does not match pipelines.webhookSecret');
        const push = pushOf(request.body.json);
        const remote = config.remotes.find((r) => push.urls.some((url) => url && (url === r.url || url.replace(/\.git$/, '') === r.url.replace(/\.git$/, '') || url === r.name)));
        if (!remote) throw new PlinthError('PIPELINE_REMOTE_NOT_FOUND', `no remote in pipelines.remotes matches ${push.urls.filter(Boolean).join(' or ')}`);
        if (!push.ref || !push.after) throw new PlinthError('REQUEST_INVALID', 'the webhook is not a push: ref and after are missing', { location: { field: '/body/ref' } });
        const delivery = String(request.headers['x-github-delivery'] ?? request.headers['x-gitlab-event-uuid'] ?? `${push.ref}:${push.after}`);
        const runs = await startRunsForPush(pipelines, { repository: remote.name, ref: push.ref, before: push.before || '0'.repeat(40), after: push.after, pusher: push.pusher || 'webhook' }, `webhook:${remote.name}:${delivery}`);
        return reply.code(202).send({ runs: runs.map((r) => r.id) });
      });
    hook('github', (secret, headers, raw) => verifyHmac(secret, raw, headers['x-hub-signature-256'] as string | undefined), (json) => ({
      urls: [json?.repository?.clone_url, json?.repository?.html_url, json?.repository?.full_name],
      ref: json?.ref,
      before: json?.before,
      after: json?.after,
      pusher: json?.pusher?.name,
    }));
    hook('gitlab', (secret, headers) => {
      const token = Buffer.from(String(headers['x-gitlab-token'] ?? ''));
      return token.length === secret.length && timingSafeEqual(token, Buffer.from(secret));
    }, (json) => ({
      urls: [json?.project?.git_http_url, json?.project?.web_url, json?.project?.path_with_namespace],
      ref: json?.ref,
      before: json?.before,
      after: json?.after,
      pusher: json?.user_username,
    }));
  });
}

function verifyHmac(secret: string, raw: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A Server-Sent-Events response driven by notifications: `pump` runs at once and on every
 * relevant notification of `channels` (never twice at the same time) and returns true when the
 * stream is done.
 */
async function streamEvents(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  channels: string[],
  relevant: (channel: string, payload: string) => boolean,
  pump: (write: (event: string, data: unknown, id?: number) => void) => Promise<boolean>,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': String(request.id) });
  raw.write(': connected\n\n');
  const write = (event: string, data: unknown, id?: number) => raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  let running = false;
  let again = false;
  let done = false;
  const unlisteners: Array<() => void> = [];
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(keepAlive);
    unlisteners.forEach((stop) => stop());
    raw.end();
  };
  const run = async () => {
    if (done) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        if (await pump(write)) finish();
      } while (again && !done);
    } catch (error) {
      request.log.warn({ err: error }, 'pipeline stream read failed');
      finish();
    } finally {
      running = false;
    }
  };
  const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
  request.raw.on('close', finish);
  for (const channel of channels) unlisteners.push(await store.onNotification(channel, (payload) => relevant(channel, payload) && void run()));
  await run();
}
