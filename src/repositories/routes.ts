import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PlinthError } from '../core/errors.js';
import type { Authorizer, PermissionResource } from '../auth/permissions.js';
import { accessContext, maybeAccessContext } from '../auth/request-context.js';
import { recordAudit } from '../auth/audit.js';
import type { AuthTables } from '../auth/tables.js';
import { authDb } from '../auth/users.js';
import { routeAccess } from '../auth/route-access.js';
import type { Store } from '../store/store.js';
import { listRefs } from '../git/bare-repository.js';
import { runHttpBackend } from '../git/http-backend.js';
import type { RepositoryService, RepositoryView } from './service.js';

export interface RepositoryRouteDeps {
  store: Store;
  authorizer: Authorizer;
  repositories: RepositoryService;
}

const NAME = '^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$';
const repoParams = { type: 'object', required: ['namespace', 'name'], properties: { namespace: { type: 'string' }, name: { type: 'string' } } };

function resourceOf(repository: RepositoryView): PermissionResource {
  return { ref: `repository:${repository.namespace}/${repository.name}`, owners: repository.owner ? [repository.owner] : [] };
}

/** Hosted repositories: the API under /api/repositories. */
export function registerRepositoryRoutes(app: FastifyInstance, deps: RepositoryRouteDeps): void {
  const { repositories, authorizer, store } = deps;

  app.get('/', { config: routeAccess({ action: 'repository.read' }), schema: { tags: ['repositories'], summary: 'Hosted repositories' } }, async () => ({ items: await repositories.list() }));

  app.post<{ Body: { namespace?: string; name: string; owner?: string; description?: string; defaultBranch?: string } }>(
    '/',
    {
      config: routeAccess({ action: 'repository.create' }),
      schema: {
        tags: ['repositories'],
        summary: 'Create a hosted repository (cloned and pushed at /git/<namespace>/<name>.git)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            namespace: { type: 'string', pattern: NAME },
            name: { type: 'string', pattern: NAME },
            owner: { type: 'string', pattern: '^(group|user):[a-z0-9._-]+/[A-Za-z0-9._-]+$' },
            description: { type: 'string', maxLength: 1000 },
            defaultBranch: { type: 'string', pattern: '^[A-Za-z0-9._/-]{1,100}$' },
          },
        },
      },
    },
    async (request, reply) => {
      const context = accessContext(request);
      const namespace = request.body.namespace ?? 'default';
      const target = `repository:${namespace}/${request.body.name}`;
      const created = await repositories.create({ ...request.body, namespace }, context.actor.ref, (trx) =>
        recordAudit(trx.withTables<AuthTables>(), context, { action: 'repository.create', target, outcome: 'success' }),
      );
      return reply.code(201).send(created);
    },
  );

  app.get<{ Params: { namespace: string; name: string } }>(
    '/:namespace/:name',
    { config: routeAccess({ action: 'repository.read' }), schema: { tags: ['repositories'], summary: 'A repository with its branches and recent commits', params: repoParams } },
    async (request) => repositories.details(request.params.namespace, request.params.name),
  );

  const read = { config: routeAccess({ action: 'repository.read' }) };
  type AtRef = { Params: { namespace: string; name: string; ref: string; '*'?: string } };
  const refParams = { type: 'object', required: ['namespace', 'name', 'ref'], properties: { namespace: { type: 'string' }, name: { type: 'string' }, ref: { type: 'string' }, '*': { type: 'string' } } };
  // A ref holding '/' (feature/x) is sent encoded (feature%2Fx): the path after it is the file path.
  const atRef = (what: string) => ({ ...read, schema: { tags: ['repositories'], summary: what, params: refParams } });

  app.get<{ Params: { namespace: string; name: string } }>(
    '/:namespace/:name/branches',
    { ...read, schema: { tags: ['repositories'], summary: 'Branches, newest commit first, each with its last commit', params: repoParams } },
    async (request) => ({ items: await repositories.branches(request.params.namespace, request.params.name) }),
  );

  app.get<{ Params: { namespace: string; name: string }; Querystring: { ref?: string; path?: string; limit: number; cursor?: string } }>(
    '/:namespace/:name/commits',
    {
      ...read,
      schema: {
        tags: ['repositories'],
        summary: 'Commits reachable from a ref (default branch when unset), newest first; `path` keeps those touching it',
        params: repoParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ref: { type: 'string' }, path: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 30 }, cursor: { type: 'string', pattern: '^[0-9]{1,9}$' } },
        },
      },
    },
    async (request) => repositories.commits(request.params.namespace, request.params.name, request.query),
  );

  const tree = async (request: FastifyRequest<AtRef>) => repositories.tree(request.params.namespace, request.params.name, request.params.ref, request.params['*'] ?? '');
  app.get<AtRef>('/:namespace/:name/tree/:ref', atRef('The root directory at a ref'), tree);
  app.get<AtRef>('/:namespace/:name/tree/:ref/*', atRef('A directory at a ref: entries (blob, tree, symlink, submodule) with size and last commit'), tree);

  app.get<AtRef>('/:namespace/:name/blob/:ref/*', atRef('A file at a ref: text content (first MiB), size, binary and truncated flags'), async (request) =>
    repositories.blob(request.params.namespace, request.params.name, request.params.ref, request.params['*'] ?? ''),
  );

  app.get<{ Params: { namespace: string; name: string }; Querystring: { ref?: string; path?: string } }>(
    '/:namespace/:name/readme',
    {
      ...read,
      schema: {
        tags: ['repositories'],
        summary: 'The README of a directory (README.md preferred) at a ref',
        params: repoParams,
        querystring: { type: 'object', additionalProperties: false, properties: { ref: { type: 'string' }, path: { type: 'string' } } },
      },
    },
    async (request) => repositories.readme(request.params.namespace, request.params.name, request.query.ref, request.query.path),
  );

  app.delete<{ Params: { namespace: string; name: string } }>(
    '/:namespace/:name',
    { config: routeAccess({ authorizeInHandler: true }), schema: { tags: ['repositories'], summary: 'Delete a hosted repository and its history', params: repoParams } },
    async (request, reply) => {
      const context = accessContext(request);
      const repository = await repositories.find(request.params.namespace, request.params.name);
      await authorizer.authorize(context, 'repository.delete', resourceOf(repository));
      await repositories.delete(repository.namespace, repository.name, context.actor.ref);
      await recordAudit(authDb(store), context, { action: 'repository.delete', target: resourceOf(repository).ref, outcome: 'success' });
      return reply.code(204).send();
    },
  );
}

/**
 * Git's smart HTTP protocol at /git/<namespace>/<name>.git, served by `git http-backend`.
 * Credentials: HTTP basic auth with a Plinth token as the password. Reads need
 * repository.read; pushes need repository.push (owners, members, admins).
 */
export function registerGitHttpRoutes(app: FastifyInstance, deps: RepositoryRouteDeps): void {
  const { repositories, authorizer } = deps;
  app.register(async (git) => {
    // Pack data is streamed to git as it arrives, never buffered or parsed.
    git.addContentTypeParser(['application/x-git-upload-pack-request', 'application/x-git-receive-pack-request'], (_request, payload, done) => done(null, payload));
    git.route<{ Params: { namespace: string; repo: string; '*': string } }>({
      method: ['GET', 'POST'],
      url: '/git/:namespace/:repo/*',
      config: routeAccess({ authorizeInHandler: true }),
      schema: { hide: true },
      handler: async (request, reply) => {
        const { namespace, repo } = request.params;
        if (!repo.endsWith('.git')) throw new PlinthError('REPOSITORY_NOT_FOUND', `no repository at ${request.url}; clone URLs end in .git`);
        const name = repo.slice(0, -'.git'.length);
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        const pushing = request.params['*'] === 'git-receive-pack' || new URLSearchParams(query).get('service') === 'git-receive-pack';
        const context = maybeAccessContext(request);
        if (!context) {
          reply.header('www-authenticate', 'Basic realm="Plinth", charset="UTF-8"');
          throw new PlinthError('AUTH_REQUIRED', 'authentication required: use a Plinth token as the password');
        }
        const repository = await repositories.find(namespace, name);
        await authorizer.authorize(context, pushing ? 'repository.push' : 'repository.read', resourceOf(repository));
        const gitDir = repositories.gitDirOf(namespace, name);
        const before = pushing && request.method === 'POST' ? await listRefs(gitDir) : undefined;
        const response = await runHttpBackend({
          projectRoot: repositories.projectRoot,
          pathInfo: `/${namespace}/${repo}/${request.params['*']}`,
          method: request.method,
          query,
          contentType: request.headers['content-type'],
          contentEncoding: request.headers['content-encoding'] as string | undefined,
          remoteUser: context.actor.ref,
          remoteAddr: request.ip,
          body: request.method === 'POST' ? (request.body as FastifyRequest['raw']) : undefined,
        });
        reply.hijack();
        reply.raw.writeHead(response.status, { ...response.headers, 'x-request-id': String(request.id) });
        response.body.pipe(reply.raw);
        await response.done;
        if (before) await repositories.recordPush(namespace, name, before, context.actor.ref);
      },
    });
  });
}
