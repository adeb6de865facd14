import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import { PlinthError } from '../core/errors.js';
import { guestActor, type AccessContext } from '../auth/actor.js';
import { setAccessContext, maybeAccessContext } from '../auth/request-context.js';
import { resolveApiToken } from '../auth/tokens.js';
import { resolveSession, SESSION_COOKIE } from '../auth/sessions.js';
import { authDb } from '../auth/users.js';
import { registerAuthRoutes } from '../auth/routes.js';
import { registerCatalogRoutes } from '../catalog/routes.js';
import { registerGitHttpRoutes, registerRepositoryRoutes } from '../repositories/routes.js';
import { registerTemplateRoutes } from '../templates/routes.js';
import { registerDeploymentRoutes, registerEnvironmentRoutes, registerReleaseRoutes, registerResourceRoutes } from '../environments/routes.js';
import { registerPipelineRoutes } from '../pipelines/routes.js';
import type { QueueWorker } from '../store/queue/worker.js';
import type { Platform } from './platform.js';
import { routeAccess, type RouteAccess } from '../auth/route-access.js';
import { problemSchema, sendProblem, validationProblem } from './problem.js';
import { createServerMetrics } from './metrics.js';
import { registerHealthRoutes } from './health-routes.js';
import { registerEventRoutes } from './event-routes.js';
import { registerJobRoutes } from './job-routes.js';


export interface BuildAppOptions {
  /** This process's queue worker, if it runs one: /readyz checks its heartbeat. */
  worker?: QueueWorker;
  /** Where the built portal is; defaults to web/dist of the package. */
  webRoot?: string;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function buildApp(platform: Platform, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: platform.logger.child({ component: 'http' }),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    trustProxy: false,
    bodyLimit: 10 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } },
  }) as unknown as FastifyInstance;
  const metrics = createServerMetrics(platform);

  app.addSchema(problemSchema);
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Plinth API', version: '0.1.0', description: 'One REST API over the catalog, templates, pipelines, environments and platform administration.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } } },
      security: [{ bearer: [] }, { session: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => String(json.$id ?? `def-${index}`) },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (!request.url.startsWith('/api/') && !request.url.startsWith('/git/')) return;
    const context = await authenticate(platform, request);
    if (context) setAccessContext(request, context);
  });

  // Refuse to start with an /api route that does not say how it is protected.
  app.addHook('onRoute', (route) => {
    const access = (route.config ?? {}) as RouteAccess;
    if (route.url.startsWith('/api/') && !access.public && !access.action && !access.authorizeInHandler) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access (public, action or authorizeInHandler)`);
    }
  });

  // Before body validation, so an anonymous caller learns nothing about the route's schema.
  app.addHook('preValidation', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const access = (request.routeOptions.config ?? {}) as RouteAccess;
    if (access.public) return;
    const context = maybeAccessContext(request);
    if (!context) {
      if (request.headers.authorization) throw new PlinthError('AUTH_TOKEN_INVALID', 'the API token is unknown, revoked or expired');
      throw new PlinthError('AUTH_REQUIRED', 'authentication required: send "Authorization: Bearer <token>" or log in');
    }
    if (access.action) await platform.authorizer.authorize(context, access.action, { ref: access.action.split('.')[0] ?? '-' });
  });

  // The server's own time for the request (Server-Timing): browser tools show it next to the
  // network time, and benchmarks tell the server's share of a latency from the client's.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PlinthError) return sendProblem(reply, request, error);
    if (error.validation) return sendProblem(reply, request, validationProblem(error));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, unsupported media type, body too large.
      return sendProblem(reply, request, new PlinthError('REQUEST_INVALID', error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, request, new PlinthError('INTERNAL', `internal error; quote request id ${request.id} when reporting it`, { cause: error }));
  });

  app.get('/api/openapi.json', { schema: { hide: true }, config: routeAccess({ public: true }) }, async () => app.swagger());

  registerHealthRoutes(app, { platform, worker: options.worker, metrics });
  await app.register(
    async (api) => {
      registerAuthRoutes(api, platform);
      registerEventRoutes(api, platform);
      registerJobRoutes(api, platform);
      await api.register(async (repositoryApi) => registerRepositoryRoutes(repositoryApi, platform), { prefix: '/repositories' });
      await api.register(async (scaffolderApi) => registerTemplateRoutes(scaffolderApi, { store: platform.store, templates: platform.templates }), { prefix: '/scaffolder/v2' });
      const environmentDeps = { store: platform.store, authorizer: platform.authorizer, environments: platform.environments.environments, deployments: platform.environments.deployments };
      await api.register(async (environmentApi) => registerEnvironmentRoutes(environmentApi, environmentDeps), { prefix: '/environments' });
      await api.register(async (releaseApi) => registerReleaseRoutes(releaseApi, environmentDeps), { prefix: '/releases' });
      await api.register(async (deploymentApi) => registerDeploymentRoutes(deploymentApi, environmentDeps), { prefix: '/deployments' });
      await api.register(async (resourceApi) => registerResourceRoutes(resourceApi, environmentDeps), { prefix: '/resources' });
      await api.register(async (pipelineApi) => registerPipelineRoutes(pipelineApi, { pipelines: platform.pipelines, authorizer: platform.authorizer }), { prefix: '/pipelines' });
      await api.register(async (catalogApi) => registerCatalogRoutes(catalogApi, { store: platform.store, authorizer: platform.authorizer, catalog: platform.catalog, webhookSecret: platform.config.catalog.webhookSecret }), { prefix: '/catalog' });
    },
    { prefix: '/api' },
  );

  registerGitHttpRoutes(app, platform);

  const webRoot = options.webRoot ?? path.join(packageRoot, 'web', 'dist');
  const hasPortal = existsSync(path.join(webRoot, 'index.html'));
  if (hasPortal) await app.register(fastifyStatic, { root: webRoot, wildcard: false, index: ['index.html'] });

  app.setNotFoundHandler((request, reply) => {
    const isApi = request.url.startsWith('/api/') || request.url === '/api';
    if (!isApi && request.method === 'GET' && hasPortal) return reply.type('text/html').sendFile('index.html');
    if (!isApi && request.method === 'GET') {
      return reply.type('text/plain').code(404).send('The portal is not built: run `npm run build:web` (the API is at /api).');
    }
    return sendProblem(reply, request, new PlinthError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; see /api/openapi.json`));
  });

  return app;
}

/**
 * Who sent the request: a bearer token, basic auth with the token as password (what git
 * clients send), a portal session cookie, or a guest when guest mode is on.
 */
async function authenticate(platform: Platform, request: FastifyRequest): Promise<AccessContext | undefined> {
  const db = authDb(platform.store);
  const base = { sourceIp: request.ip, requestId: String(request.id) };
  const header = request.headers.authorization;
  if (header) {
    const token = tokenFromAuthorization(header);
    const actor = token ? await resolveApiToken(db, token) : undefined;
    // An invalid token is an error, not a fall-back to guest: the preHandler answers 401.
    return actor ? { actor, ...base } : undefined;
  }
  const session = request.cookies[SESSION_COOKIE];
  if (session) {
    const actor = await resolveSession(db, session);
    if (actor) {
      // A cookie is sent by the browser on its own: mutations must also carry a header no other site can set.
      if (MUTATING_METHODS.has(request.method) && !request.headers['x-plinth-csrf']) {
        throw new PlinthError('AUTH_NOT_ALLOWED', 'cookie-authenticated changes need the x-plinth-csrf header');
      }
      return { actor, ...base };
    }
  }
  const guest = platform.config.auth.guest;
  return guest.enabled ? { actor: guestActor(guest.role), ...base } : undefined;
}

function tokenFromAuthorization(header: string): string | undefined {
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}
