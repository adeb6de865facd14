import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PlinthConfig } from '../core/config.js';
import type { Store } from '../store/store.js';
import { routeAccess } from './route-access.js';
import type { Authorizer } from './permissions.js';
import { PlinthError } from '../core/errors.js';
import { appendEvent } from '../store/events.js';
import type { StoreTables } from '../store/tables.js';
import type { Kysely } from 'kysely';
import type { Actor, Role } from './actor.js';
import type { AuthTables } from './tables.js';
import { accessContext } from './request-context.js';
import { listAudit, recordAudit, runAuditedMutation } from './audit.js';
import { assertMayGrantRole, createApiToken, findApiToken, listApiTokens, resolveApiToken, revokeApiToken } from './tokens.js';
import { createSession, deleteSession, SESSION_COOKIE } from './sessions.js';
import { authDb, createGroup, createUser, listGroups, listUsers, NAME_PATTERN } from './users.js';
import { createOidcLogin } from './oidc.js';

const roleSchema = { type: 'string', enum: ['admin', 'member', 'viewer'] } as const;
const actorSchema = {
  type: 'object',
  properties: { type: { type: 'string' }, name: { type: 'string' }, displayName: { type: 'string' }, role: roleSchema, groups: { type: 'array', items: { type: 'string' } } },
} as const;
const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: roleSchema,
    prefix: { type: 'string' },
    user: { type: ['string', 'null'] },
    createdBy: { type: 'string' },
    createdAt: { type: 'string' },
    expiresAt: { type: ['string', 'null'] },
    lastUsedAt: { type: ['string', 'null'] },
    revokedAt: { type: ['string', 'null'] },
  },
} as const;
const problem = { $ref: 'Problem#' };

function publicActor(actor: Actor) {
  return { type: actor.type, name: actor.name, displayName: actor.displayName ?? actor.name, role: actor.role, groups: actor.groups };
}

/** Writes an event in the same transaction as the mutation that caused it. */
function eventIn(store: Store, trx: Kysely<AuthTables>, event: { type: string; subject: string; actor: string; payload?: unknown }) {
  return appendEvent(store, event, trx as unknown as Kysely<StoreTables>);
}

export interface AuthRouteDeps {
  store: Store;
  authorizer: Authorizer;
  config: PlinthConfig;
}

/** Login, sessions, API tokens, users and groups, and the audit log. */
export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const { store, config, authorizer } = deps;
  const db = authDb(store);
  const oidc = config.auth.oidc ? createOidcLogin(config) : undefined;

  const setSessionCookie = (reply: FastifyReply, id: string, expiresAt: number) =>
    reply.setCookie(SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.publicUrl.startsWith('https://'), expires: new Date(expiresAt) });

  app.get('/auth/providers', { config: routeAccess({ public: true }), schema: { tags: ['auth'], summary: 'How one can log in' } }, async () => ({
    token: true,
    oidc: Boolean(oidc),
    guest: config.auth.guest.enabled,
  }));

  app.get(
    '/auth/me',
    { config: routeAccess({ action: 'self.read' }), schema: { tags: ['auth'], summary: 'The caller', response: { 200: { type: 'object', properties: { actor: actorSchema } }, 401: problem } } },
    async (request) => ({ actor: publicActor(accessContext(request).actor) }),
  );

  app.post<{ Body: { token: string } }>(
    '/auth/login',
    {
      config: routeAccess({ public: true }),
      schema: {
        tags: ['auth'],
        summary: 'Start a portal session with an API token (sets an httpOnly cookie)',
        body: { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string', minLength: 1 } } },
        response: { 200: { type: 'object', properties: { actor: actorSchema } }, 401: problem },
      },
    },
    async (request, reply) => {
      const actor = await resolveApiToken(db, request.body.token);
      const context = { actor: actor ?? { type: 'guest' as const, id: 'anonymous', ref: 'anonymous', name: 'anonymous', role: 'viewer' as Role, groups: [] }, sourceIp: request.ip, requestId: String(request.id) };
      if (!actor?.tokenId) {
        await recordAudit(db, context, { action: 'session.create', target: 'session', outcome: 'denied', details: { reason: 'invalid token' } });
        throw new PlinthError('AUTH_TOKEN_INVALID', 'the API token is unknown, revoked or expired', { location: { field: '/body/token' } });
      }
      const session = await runAuditedMutation(store, context, { action: 'session.create', target: actor.ref }, (trx) => createSession(trx, { tokenId: actor.tokenId }, config.auth.sessionTtlHours));
      setSessionCookie(reply, session.id, session.expiresAt);
      return { actor: publicActor(actor) };
    },
  );

  app.post('/auth/logout', { config: routeAccess({ public: true }), schema: { tags: ['auth'], summary: 'End the portal session' } }, async (request, reply) => {
    const session = request.cookies[SESSION_COOKIE];
    if (session) await deleteSession(db, session);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get('/auth/oidc/login', { config: routeAccess({ public: true }), schema: { tags: ['auth'], summary: 'Redirect to the OpenID Connect provider' } }, async (_request, reply) => {
    if (!oidc) throw new PlinthError('AUTH_OIDC_NOT_CONFIGURED', 'OIDC login is not configured (auth.oidc in plinth.yaml)');
    const { url, state } = await oidc.start();
    reply.setCookie('plinth_oidc', state, { path: '/api/auth/oidc', httpOnly: true, sameSite: 'lax', maxAge: 600 });
    return reply.redirect(url);
  });

  app.get('/auth/oidc/callback', { config: routeAccess({ public: true }), schema: { tags: ['auth'], summary: 'Return from the OpenID Connect provider' } }, async (request, reply) => {
    if (!oidc) throw new PlinthError('AUTH_OIDC_NOT_CONFIGURED', 'OIDC login is not configured (auth.oidc in plinth.yaml)');
    const state = request.cookies.plinth_oidc;
    if (!state) throw new PlinthError('AUTH_OIDC_FAILED', 'the OIDC login expired or was started elsewhere; start again');
    const identity = await oidc.finish(new URL(request.url, config.publicUrl), state);
    const system = { actor: { type: 'system' as const, id: 'oidc', ref: 'system:oidc', name: 'oidc', role: 'admin' as Role, groups: [] }, sourceIp: request.ip, requestId: String(request.id) };
    const session = await runAuditedMutation(store, system, { action: 'session.create', target: `user:${identity.name}`, details: { via: 'oidc' } }, async (trx) => {
      let user = await trx.selectFrom('users').selectAll().where('oidc_subject', '=', identity.subject).executeTakeFirst();
      user ??= await trx.selectFrom('users').selectAll().where('name', '=', identity.name).executeTakeFirst();
      const userId = user?.id ?? (await createUser(trx, { name: identity.name, displayName: identity.displayName, email: identity.email, role: config.auth.oidc!.defaultRole, oidcSubject: identity.subject })).id;
      if (user && !user.oidc_subject) await trx.updateTable('users').set({ oidc_subject: identity.subject }).where('id', '=', user.id).execute();
      return createSession(trx, { userId }, config.auth.sessionTtlHours);
    });
    reply.clearCookie('plinth_oidc', { path: '/api/auth/oidc' });
    setSessionCookie(reply, session.id, session.expiresAt);
    return reply.redirect('/');
  });

  app.get(
    '/tokens',
    { config: routeAccess({ action: 'token.list' }), schema: { tags: ['tokens'], summary: 'API tokens you may see', response: { 200: { type: 'object', properties: { items: { type: 'array', items: tokenSchema } } } } } },
    async (request) => ({ items: await listApiTokens(db, accessContext(request).actor) }),
  );

  app.post<{ Body: { name: string; role: Role; expiresInDays?: number } }>(
    '/tokens',
    {
      config: routeAccess({ action: 'token.create' }),
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token; the value is in this response only',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: { name: { type: 'string', pattern: NAME_PATTERN }, role: roleSchema, expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 } },
        },
        response: { 201: { type: 'object', properties: { token: { type: 'string' }, item: tokenSchema } }, 400: problem, 403: problem },
      },
    },
    async (request, reply) => {
      const context = accessContext(request);
      const { name, role, expiresInDays } = request.body;
      assertMayGrantRole(context.actor, role);
      const created = await runAuditedMutation(store, context, { action: 'token.create', target: `token:${name}`, details: { role } }, async (trx) => {
        const result = await createApiToken(trx, { name, role, expiresInDays, userId: context.actor.type === 'user' ? context.actor.id : undefined, createdBy: context.actor.ref });
        await eventIn(store, trx, { type: 'token:created', subject: `token:${result.item.id}`, actor: context.actor.ref, payload: { name, role } });
        return result;
      });
      return reply.code(201).send(created);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/tokens/:id',
    { config: routeAccess({ authorizeInHandler: true }), schema: { tags: ['tokens'], summary: 'Revoke an API token', params: { type: 'object', properties: { id: { type: 'string' } } } } },
    async (request, reply) => {
      const context = accessContext(request);
      const token = await findApiToken(db, request.params.id);
      const { actor } = context;
      const ownsToken = token.created_by === actor.ref || (actor.type === 'user' && token.user_id === actor.id);
      await authorizer.authorize(context, ownsToken ? 'token.revoke' : 'token.revoke-any', { ref: `token:${token.name}` });
      await runAuditedMutation(store, context, { action: 'token.revoke', target: `token:${token.name}` }, async (trx) => {
        await revokeApiToken(trx, token.id);
        await eventIn(store, trx, { type: 'token:revoked', subject: `token:${token.id}`, actor: context.actor.ref, payload: { name: token.name } });
      });
      return reply.code(204).send();
    },
  );

  app.get('/users', { config: routeAccess({ action: 'user.list' }), schema: { tags: ['users'], summary: 'Users' } }, async () => ({ items: await listUsers(db) }));
  app.post<{ Body: { name: string; displayName?: string; email?: string; role: Role } }>(
    '/users',
    {
      config: routeAccess({ action: 'user.create' }),
      schema: {
        tags: ['users'],
        summary: 'Create a user (linked to the catalog User entity of the same name)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: { name: { type: 'string', pattern: NAME_PATTERN }, displayName: { type: 'string' }, email: { type: 'string', format: 'email' }, role: roleSchema },
        },
      },
    },
    async (request, reply) => {
      const context = accessContext(request);
      const user = await runAuditedMutation(store, context, { action: 'user.create', target: `user:${request.body.name}` }, async (trx) => {
        const created = await createUser(trx, request.body);
        await eventIn(store, trx, { type: 'user:created', subject: `user:default/${created.name}`, actor: context.actor.ref, payload: { role: created.role } });
        return created;
      });
      return reply.code(201).send(user);
    },
  );

  app.get('/groups', { config: routeAccess({ action: 'group.list' }), schema: { tags: ['users'], summary: 'Groups and their members' } }, async () => ({ items: await listGroups(db) }));
  app.post<{ Body: { name: string; displayName?: string; members?: string[] } }>(
    '/groups',
    {
      config: routeAccess({ action: 'group.create' }),
      schema: {
        tags: ['users'],
        summary: 'Create a group',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', pattern: NAME_PATTERN }, displayName: { type: 'string' }, members: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
    async (request, reply) => {
      const context = accessContext(request);
      const group = await runAuditedMutation(store, context, { action: 'group.create', target: `group:${request.body.name}` }, async (trx) => {
        const created = await createGroup(trx, request.body);
        await eventIn(store, trx, { type: 'group:created', subject: `group:default/${created.name}`, actor: context.actor.ref, payload: { members: created.members } });
        return created;
      });
      return reply.code(201).send(group);
    },
  );

  app.get<{ Querystring: { actor?: string; action?: string; target?: string; outcome?: 'success' | 'denied' | 'failure'; before?: number; limit?: number } }>(
    '/audit',
    {
      config: routeAccess({ action: 'audit.read' }),
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first (read-only: nothing in the API changes it)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            actor: { type: 'string' },
            action: { type: 'string' },
            target: { type: 'string' },
            outcome: { type: 'string', enum: ['success', 'denied', 'failure'] },
            before: { type: 'integer', minimum: 1 },
            limit: { type: 'integer', minimum: 1, maximum: 500 },
          },
        },
      },
    },
    async (request) => listAudit(store, request.query),
  );
}
