import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { AccessContext } from '../auth/actor.js';
import { recordAudit } from '../auth/audit.js';
import type { Authorizer, PermissionResource } from '../auth/permissions.js';
import { accessContext } from '../auth/request-context.js';
import { routeAccess } from '../auth/route-access.js';
import type { AuthTables } from '../auth/tables.js';
import { describeError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { StoreTables } from '../store/tables.js';
import type { DeploymentService, CreateReleaseInput } from './deployments.js';
import { ENVIRONMENT_NAME_PATTERN, VALUE_NAME_PATTERN, type EnvironmentView } from './model.js';
import { createEnvironmentInputSchema, type CreateEnvironmentInput, type EnvironmentService } from './service.js';

export interface EnvironmentRouteDeps {
  store: Store;
  authorizer: Authorizer;
  environments: EnvironmentService;
  deployments: DeploymentService;
}

type InTransaction = (trx: Kysely<StoreTables>) => Promise<void>;

const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: ENVIRONMENT_NAME_PATTERN } } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
const COMPONENT = { type: 'string', pattern: ENVIRONMENT_NAME_PATTERN, description: 'component name (a DNS label)' } as const;
const releaseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['component', 'score'],
  properties: {
    component: COMPONENT,
    commitSha: { type: 'string', pattern: '^[0-9a-f]{7,64}$' },
    artifact: { type: 'string', minLength: 1, maxLength: 4096, description: 'build reference; for the local runtime the checkout directory `image: .` runs from' },
    score: { type: 'string', minLength: 1, maxLength: 1_000_000, description: 'the Score spec (score.dev/v1b1) as YAML text' },
  },
} as const;

function resourceOf(environment: Pick<EnvironmentView, 'name' | 'owner'>): PermissionResource {
  return { ref: `environment:${environment.name}`, owners: environment.owner ? [environment.owner] : [] };
}

/**
 * Runs a change with its audit record in the change's transaction (through `inTransaction`);
 * a failure is audited on its own.
 */
async function audited<T>(store: Store, context: AccessContext, audit: { action: string; target: string; details?: Record<string, unknown> }, fn: (inTransaction: InTransaction) => Promise<T>): Promise<T> {
  try {
    return await fn((trx) => recordAudit(trx.withTables<AuthTables>(), context, { ...audit, outcome: 'success' }));
  } catch (error) {
    await recordAudit(store.db.withTables<AuthTables>(), context, { ...audit, outcome: 'failure', details: { ...audit.details, error: describeError(error).split('\n')[0] } });
    throw error;
  }
}

/** Environments: the API under /api/environments. */
export function registerEnvironmentRoutes(app: FastifyInstance, deps: EnvironmentRouteDeps): void {
  const { environments, deployments, authorizer, store } = deps;

  app.get('/types', { config: routeAccess({ action: 'environment.read' }), schema: { tags: ['environments'], summary: 'Environment types: TTL, production-likeness, approval rules, promotion order' } }, async () => ({ items: environments.types() }));

  app.get('/', { config: routeAccess({ action: 'environment.read' }), schema: { tags: ['environments'], summary: 'Environments' } }, async () => ({ items: await environments.list() }));

  app.post<{ Body: CreateEnvironmentInput }>(
    '/',
    { config: routeAccess({ action: 'environment.create' }), schema: { tags: ['environments'], summary: 'Create an environment, or clone one (cloneFrom: values, secrets and running releases)', body: createEnvironmentInputSchema } },
    async (request, reply) => {
      const context = accessContext(request);
      const created = await audited(store, context, { action: 'environment.create', target: `environment:${request.body.name}`, details: { type: request.body.type, cloneFrom: request.body.cloneFrom } }, (inTransaction) =>
        environments.create(request.body, context.actor.ref, inTransaction),
      );
      const cloned = [];
      for (const { component, releaseId } of created.releasesToDeploy) {
        cloned.push(await deployments.requestDeployment({ environment: created.environment.name, component, release: releaseId }, context.actor));
      }
      return reply.code(201).send({ ...created.environment, deployments: cloned });
    },
  );

  app.get<{ Params: { name: string }; Querystring: { showSecrets?: boolean } }>(
    '/:name',
    {
      config: routeAccess({ authorizeInHandler: true }),
      schema: { tags: ['environments'], summary: 'An environment: values, resources (secret outputs masked unless showSecrets and permitted), workloads', params: nameParams, querystring: { type: 'object', additionalProperties: false, properties: { showSecrets: { type: 'boolean' } } } },
    },
    async (request) => {
      const context = accessContext(request);
      await authorizer.authorize(context, 'environment.read', { ref: `environment:${request.params.name}` });
      const view = environments.toView(await environments.findRow(request.params.name));
      let showSecrets = false;
      if (request.query.showSecrets) {
        await authorizer.authorize(context, 'environment.secrets.read', resourceOf(view));
        await recordAudit(store.db.withTables<AuthTables>(), context, { action: 'environment.secrets.read', target: resourceOf(view).ref, outcome: 'success' });
        showSecrets = true;
      }
      const details = await environments.details(request.params.name, { showSecrets });
      const mayReadSecrets = showSecrets || (await authorizer.isAllowed(context.actor, 'environment.secrets.read', resourceOf(view)));
      return { ...details, mayReadSecrets };
    },
  );

  app.patch<{ Params: { name: string }; Body: { values?: Record<string, string | null>; secrets?: Record<string, string | null> } }>(
    '/:name/values',
    {
      config: routeAccess({ authorizeInHandler: true }),
      schema: {
        tags: ['environments'],
        summary: 'Set configuration values and secrets (null removes one); usable as ${resources.<name>.<key>} through a `type: environment` resource',
        params: nameParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            values: { type: 'object', propertyNames: { pattern: VALUE_NAME_PATTERN }, additionalProperties: { type: ['string', 'null'] } },
            secrets: { type: 'object', propertyNames: { pattern: VALUE_NAME_PATTERN }, additionalProperties: { type: ['string', 'null'] } },
          },
        },
      },
    },
    async (request) => {
      const context = accessContext(request);
      const view = environments.toView(await environments.findRow(request.params.name));
      await authorizer.authorize(context, 'environment.update', resourceOf(view));
      const values = await audited(store, context, { action: 'environment.update', target: resourceOf(view).ref, details: { values: Object.keys(request.body.values ?? {}), secrets: Object.keys(request.body.secrets ?? {}) } }, (inTransaction) =>
        environments.setValues(view.name, request.body, context.actor.ref, inTransaction),
      );
      return { items: values };
    },
  );

  app.delete<{ Params: { name: string }; Querystring: { confirm?: string }; Body: { confirm?: string } | undefined }>(
    '/:name',
    {
      config: routeAccess({ authorizeInHandler: true }),
      schema: {
        tags: ['environments'],
        summary: 'Destroy an environment: stop its workloads, deprovision its resources (production-like types with data need confirm=<name>)',
        params: nameParams,
        querystring: { type: 'object', additionalProperties: false, properties: { confirm: { type: 'string' } } },
      },
    },
    async (request) => {
      const context = accessContext(request);
      const view = environments.toView(await environments.findRow(request.params.name));
      await authorizer.authorize(context, 'environment.destroy', resourceOf(view));
      const confirm = request.query.confirm ?? request.body?.confirm;
      const result = await audited(store, context, { action: 'environment.destroy', target: resourceOf(view).ref }, async (inTransaction) => {
        const destroyed = await environments.destroy(view.name, { confirm }, context.actor.ref);
        await store.transaction(inTransaction);
        return destroyed;
      });
      return result;
    },
  );

  app.get<{ Params: { name: string; component: string }; Querystring: { follow?: boolean; tailBytes?: number } }>(
    '/:name/workloads/:component/logs',
    {
      config: routeAccess({ action: 'environment.logs' }),
      schema: {
        tags: ['environments'],
        summary: 'Workload logs: the tail as text, or with follow=true a live text/event-stream of {container, text}',
        params: { type: 'object', required: ['name', 'component'], properties: { name: { type: 'string' }, component: { type: 'string' } } },
        querystring: { type: 'object', additionalProperties: false, properties: { follow: { type: 'boolean' }, tailBytes: { type: 'integer', minimum: 0, maximum: 10_000_000 } } },
      },
    },
    async (request, reply) => {
      const { name, component } = request.params;
      await environments.findRow(name);
      const runtime = environments.localRuntime();
      runtime.logFiles(name, component);
      if (!request.query.follow) {
        let text = '';
        await runtime.followLogs(name, component, { follow: false, tailBytes: request.query.tailBytes }, (_container, chunk) => (text += chunk));
        return reply.type('text/plain; charset=utf-8').send(text);
      }
      const controller = new AbortController();
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': String(request.id) });
      raw.write(': connected\n\n');
      request.raw.on('close', () => controller.abort());
      await runtime.followLogs(name, component, { follow: true, tailBytes: request.query.tailBytes, signal: controller.signal }, (container, text) => raw.write(`event: log\ndata: ${JSON.stringify({ container, text })}\n\n`));
      raw.end();
    },
  );

  app.get<{ Params: { name: string } }>(
    '/:name/resources',
    { config: routeAccess({ action: 'environment.read' }), schema: { tags: ['environments'], summary: "An environment's resources (secret outputs masked)", params: nameParams } },
    async (request) => ({ items: await environments.resourcesOf(await environments.findRow(request.params.name), { showSecrets: false }) }),
  );
}

/** Every resource of every environment: /api/resources. */
export function registerResourceRoutes(app: FastifyInstance, deps: EnvironmentRouteDeps): void {
  app.get('/', { config: routeAccess({ action: 'environment.read' }), schema: { tags: ['environments'], summary: 'Resources of every environment (secret outputs masked)' } }, async () => ({ items: await deps.environments.allResources() }));
}

/** Releases: /api/releases. */
export function registerReleaseRoutes(app: FastifyInstance, deps: EnvironmentRouteDeps): void {
  const { deployments, store } = deps;
  app.get<{ Querystring: { component?: string } }>(
    '/',
    { config: routeAccess({ action: 'environment.read' }), schema: { tags: ['deployments'], summary: 'Releases, newest first', querystring: { type: 'object', additionalProperties: false, properties: { component: { type: 'string' } } } } },
    async (request) => ({ items: await deployments.releases(request.query.component) }),
  );
  app.post<{ Body: CreateReleaseInput }>(
    '/',
    { config: routeAccess({ action: 'environment.deploy' }), schema: { tags: ['deployments'], summary: 'Create an immutable release (the same content returns the existing one)', body: releaseBody } },
    async (request, reply) => {
      const context = accessContext(request);
      const release = await audited(store, context, { action: 'release.create', target: `component:${request.body.component}`, details: { commitSha: request.body.commitSha } }, async (inTransaction) => {
        const created = await deployments.createRelease(request.body, context.actor.ref);
        await store.transaction(inTransaction);
        return created;
      });
      return reply.code(201).send(release);
    },
  );
  app.get<{ Params: { id: string } }>('/:id', { config: routeAccess({ action: 'environment.read' }), schema: { tags: ['deployments'], summary: 'A release', params: idParams } }, async (request) =>
    deployments.release(request.params.id),
  );
}

interface DeployBody {
  environment: string;
  component: string;
  release?: string;
  score?: string;
  artifact?: string;
  commitSha?: string;
  runtime?: 'local' | 'kubernetes';
  dryRun?: boolean;
}

/** Deployments: /api/deployments (deploy, promote, rollback, approve, history, diff, matrix). */
export function registerDeploymentRoutes(app: FastifyInstance, deps: EnvironmentRouteDeps): void {
  const { deployments, environments, authorizer, store } = deps;

  const authorizeDeploy = async (request: FastifyRequest, environment: string) => {
    const context = accessContext(request);
    const view = environments.toView(await environments.findRow(environment));
    await authorizer.authorize(context, 'environment.deploy', resourceOf(view));
    return context;
  };

  app.get<{ Querystring: { environment?: string; component?: string; limit?: number } }>(
    '/',
    {
      config: routeAccess({ action: 'environment.read' }),
      schema: { tags: ['deployments'], summary: 'Deployment history, newest first', querystring: { type: 'object', additionalProperties: false, properties: { environment: { type: 'string' }, component: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 500 } } } },
    },
    async (request) => ({ items: await deployments.history(request.query) }),
  );

  app.get('/matrix', { config: routeAccess({ action: 'environment.read' }), schema: { tags: ['deployments'], summary: 'Components × environments: release, status, health, age' } }, async () => deployments.matrix());

  app.get<{ Querystring: { from: string; to: string } }>(
    '/diff',
    {
      config: routeAccess({ action: 'environment.read' }),
      schema: { tags: ['deployments'], summary: 'What changed between two deployments: Score spec lines and resolved variables (secrets masked)', querystring: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: { type: 'string' }, to: { type: 'string' } } } },
    },
    async (request) => deployments.diff(request.query.from, request.query.to),
  );

  app.post<{ Body: DeployBody }>(
    '/',
    {
      config: routeAccess({ authorizeInHandler: true }),
      schema: {
        tags: ['deployments'],
        summary: 'Deploy a release (or a new one from score + artifact + commitSha) to an environment; dryRun shows the plan',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['environment', 'component'],
          properties: {
            environment: { type: 'string', pattern: ENVIRONMENT_NAME_PATTERN },
            component: COMPONENT,
            release: { type: 'string', minLength: 1 },
            score: releaseBody.properties.score,
            artifact: releaseBody.properties.artifact,
            commitSha: releaseBody.properties.commitSha,
            runtime: { type: 'string', enum: ['local', 'kubernetes'] },
            dryRun: { type: 'boolean' },
          },
          oneOf: [{ required: ['release'] }, { required: ['score'] }],
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const context = await authorizeDeploy(request, body.environment);
      const release = body.release ?? { component: body.component, score: body.score!, artifact: body.artifact, commitSha: body.commitSha };
      const input = { environment: body.environment, component: body.component, release, runtime: body.runtime };
      if (body.dryRun) return deployments.plan(input);
      const deployment = await audited(store, context, { action: 'environment.deploy', target: `environment:${body.environment}`, details: { component: body.component } }, (inTransaction) => deployments.requestDeployment(input, context.actor, inTransaction));
      return reply.code(202).send(deployment);
    },
  );

  app.post<{ Body: { component: string; from: string; to: string } }>(
    '/promote',
    {
      config: routeAccess({ authorizeInHandler: true }),
      schema: {
        tags: ['deployments'],
        summary: 'Deploy the release running in one environment to the next one in the promotion order',
        body: { type: 'object', additionalProperties: false, required: ['component', 'from', 'to'], properties: { component: COMPONENT, from: { type: 'string', pattern: ENVIRONMENT_NAME_PATTERN }, to: { type: 'string', pattern: ENVIRONMENT_NAME_PATTERN } } },
      },
    },
    async (request, reply) => {
      const context = await authorizeDeploy(request, request.body.to);
      const deployment = await audited(store, context, { action: 'environment.promote', target: `environment:${request.body.to}`, details: { ...request.body } }, (inTransaction) => deployments.promote(request.body, context.actor, inTransaction));
      return reply.code(202).send(deployment);
    },
  );

  app.post<{ Body: { component: string; environment: string; to?: string } }>(
    '/rollback',
    {
      config: routeAccess({ authorizeInHandler: true }),
      schema: {
        tags: ['deployments'],
        summary: 'Redeploy an earlier release (default: the one before the current)',
        body: { type: 'object', additionalProperties: false, required: ['component', 'environment'], properties: { component: COMPONENT, environment: { type: 'string', pattern: ENVIRONMENT_NAME_PATTERN }, to: { type: 'string', minLength: 1 } } },
      },
    },
    async (request, reply) => {
      const context = await authorizeDeploy(request, request.body.environment);
      const deployment = await audited(store, context, { action: 'environment.rollback', target: `environment:${request.body.environment}`, details: { ...request.body } }, (inTransaction) => deployments.rollback(request.body, context.actor, inTransaction));
      return reply.code(202).send(deployment);
    },
  );

  app.get<{ Params: { id: string } }>('/:id', { config: routeAccess({ action: 'environment.read' }), schema: { tags: ['deployments'], summary: 'A deployment', params: idParams } }, async (request) => deployments.get(request.params.id));

  app.post<{ Params: { id: string } }>(
    '/:id/approve',
    { config: routeAccess({ action: 'environment.approve' }), schema: { tags: ['deployments'], summary: 'Approve a deployment waiting for approval (recorded in the audit log)', params: idParams } },
    async (request) => {
      const context = accessContext(request);
      return audited(store, context, { action: 'deployment.approve', target: `deployment:${request.params.id}` }, (inTransaction) => deployments.approve(request.params.id, context.actor, inTransaction));
    },
  );
}
