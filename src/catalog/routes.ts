import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PlinthError } from '../core/errors.js';
import type { Authorizer, PermissionResource } from '../auth/permissions.js';
import { accessContext } from '../auth/request-context.js';
import { recordAudit } from '../auth/audit.js';
import { authDb } from '../auth/users.js';
import { routeAccess } from '../auth/route-access.js';
import type { Store } from '../store/store.js';
import { parseEntityRef, stringifyEntityRef, type Entity } from './model/index.js';
import {
  cachedEntityFacets,
  decodeCursor,
  findEntitiesByRefs,
  findEntityByRef,
  findEntityByUid,
  normalizeRef,
  parseEntityFilter,
  queryEntities,
  type EntityQuery,
} from './query-entities.js';
import type { CatalogService } from './service.js';

export interface CatalogRouteDeps {
  store: Store;
  authorizer: Authorizer;
  catalog: CatalogService;
  webhookSecret?: string;
}

const problem = { $ref: 'Problem#' };
const stringOrList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

/** The owners of an entity, for ownership rules ("owners of a component may delete it"). */
export function entityResource(entity: Entity): PermissionResource {
  const ref = stringifyEntityRef(parseEntityRef({ kind: entity.kind, namespace: entity.metadata.namespace, name: entity.metadata.name }));
  const owners = (entity.relations ?? []).filter((r) => r.type === 'ownedBy').map((r) => r.targetRef);
  return { ref, owners };
}

/** Backstage-compatible catalog API under /api/catalog, plus Plinth's status, provider and webhook routes. */
export function registerCatalogRoutes(app: FastifyInstance, deps: CatalogRouteDeps): void {
  const { catalog, authorizer, store } = deps;
  const db = catalog.db;
  const read = routeAccess({ action: 'catalog.entity.read' });
  const facetsOf = cachedEntityFacets(store, db);

  app.get<{ Querystring: { filter?: string | string[]; fields?: string | string[]; orderField?: string | string[]; limit?: number; cursor?: string; fullTextFilterTerm?: string; fullTextFilterFields?: string | string[] } }>(
    '/entities/by-query',
    {
      config: read,
      schema: {
        tags: ['catalog'],
        summary: 'Entities matching filters, keyset-paginated (Backstage-compatible)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            filter: stringOrList,
            fields: stringOrList,
            orderField: stringOrList,
            limit: { type: 'integer', minimum: 0, maximum: 10000 },
            cursor: { type: 'string' },
            fullTextFilterTerm: { type: 'string' },
            fullTextFilterFields: stringOrList,
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.cursor) {
        const cursor = decodeCursor(q.cursor);
        if (q.limit !== undefined) cursor.query.limit = q.limit;
        return queryEntities(db, store.adapter, catalog.kinds().relationTypes, cursor);
      }
      const orderParts = asList(q.orderField);
      const query: EntityQuery = {
        filter: parseEntityFilter(q.filter),
        fields: asList(q.fields),
        limit: q.limit ?? 20,
        fullTextFilterTerm: q.fullTextFilterTerm?.trim() || undefined,
      };
      const fullTextFields = asList(q.fullTextFilterFields).flatMap((f) => f.split(',')).map((f) => f.trim().toLowerCase()).filter(Boolean);
      if (query.fullTextFilterTerm && fullTextFields.length) query.fullTextFilterFields = fullTextFields;
      if (orderParts.length) {
        const order = orderParts[1]?.toLowerCase() ?? 'asc';
        if (order !== 'asc' && order !== 'desc') throw new PlinthError('CATALOG_FILTER_INVALID', `orderField order must be asc or desc, got '${orderParts[1]}'`, { location: { field: '/query/orderField' } });
        query.orderField = { field: orderParts[0]!, order };
      }
      if (!query.fields?.length) delete query.fields;
      return queryEntities(db, store.adapter, catalog.kinds().relationTypes, { query });
    },
  );

  app.post<{ Body: { entityRefs: string[]; fields?: string[] } }>(
    '/entities/by-refs',
    {
      config: read,
      schema: {
        tags: ['catalog'],
        summary: 'Entities by ref, in the order asked (null where unknown)',
        body: { type: 'object', additionalProperties: false, required: ['entityRefs'], properties: { entityRefs: { type: 'array', maxItems: 10000, items: { type: 'string' } }, fields: { type: 'array', items: { type: 'string' } } } },
      },
    },
    async (request) => ({ items: await findEntitiesByRefs(db, request.body.entityRefs, request.body.fields) }),
  );

  const nameParams = { type: 'object', required: ['kind', 'namespace', 'name'], properties: { kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' } } };
  const byName = async (params: { kind: string; namespace: string; name: string }) => {
    const ref = `${params.kind}:${params.namespace}/${params.name}`;
    const entity = await findEntityByRef(db, ref);
    if (!entity) throw new PlinthError('CATALOG_ENTITY_NOT_FOUND', `no entity ${ref.toLowerCase()}`);
    return entity;
  };
  app.get<{ Params: { kind: string; namespace: string; name: string } }>(
    '/entities/by-name/:kind/:namespace/:name',
    { config: read, schema: { tags: ['catalog'], summary: 'One entity by kind, namespace and name', params: nameParams, response: { 404: problem } } },
    async (request) => byName(request.params),
  );
  app.get<{ Params: { kind: string; namespace: string; name: string } }>(
    '/entities/by-name/:kind/:namespace/:name/status',
    { config: read, schema: { tags: ['catalog'], summary: 'Where an entity comes from, whether it is orphaned, its errors and conflicts', params: nameParams } },
    async (request) => {
      const entity = await byName(request.params);
      return catalog.entityStatus(entityResource(entity).ref);
    },
  );

  const uidParams = { type: 'object', required: ['uid'], properties: { uid: { type: 'string' } } };
  app.get<{ Params: { uid: string } }>('/entities/by-uid/:uid', { config: read, schema: { tags: ['catalog'], summary: 'One entity by uid', params: uidParams } }, async (request) => {
    const entity = await findEntityByUid(db, request.params.uid);
    if (!entity) throw new PlinthError('CATALOG_ENTITY_NOT_FOUND', `no entity with uid '${request.params.uid}'`);
    return entity;
  });
  app.delete<{ Params: { uid: string } }>(
    '/entities/by-uid/:uid',
    { config: routeAccess({ authorizeInHandler: true }), schema: { tags: ['catalog'], summary: 'Delete an entity (its location may bring it back)', params: uidParams } },
    async (request, reply) => {
      const context = accessContext(request);
      const entity = await findEntityByUid(db, request.params.uid);
      if (!entity) throw new PlinthError('CATALOG_ENTITY_NOT_FOUND', `no entity with uid '${request.params.uid}'`);
      const resource = entityResource(entity);
      await authorizer.authorize(context, 'catalog.entity.delete', resource);
      await catalog.deleteEntityByUid(request.params.uid, context.actor.ref);
      await recordAudit(authDb(store), context, { action: 'catalog.entity.delete', target: resource.ref, outcome: 'success' });
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { facet: string | string[]; filter?: string | string[] } }>(
    '/entity-facets',
    {
      config: read,
      schema: {
        tags: ['catalog'],
        summary: 'Value counts of fields over the entities matching a filter',
        querystring: { type: 'object', additionalProperties: false, required: ['facet'], properties: { facet: stringOrList, filter: stringOrList } },
      },
    },
    async (request) => ({ facets: await facetsOf(asList(request.query.facet), parseEntityFilter(request.query.filter), catalog.kinds().relationTypes) }),
  );

  app.get('/locations', { config: routeAccess({ action: 'catalog.location.read' }), schema: { tags: ['catalog'], summary: 'Registered locations' } }, async () =>
    (await catalog.listLocations()).map((location) => ({ data: location })),
  );
  app.get<{ Params: { id: string } }>(
    '/locations/:id',
    { config: routeAccess({ action: 'catalog.location.read' }), schema: { tags: ['catalog'], summary: 'A location, with its problems', params: { type: 'object', properties: { id: { type: 'string' } } } } },
    async (request) => ({ ...(await catalog.getLocation(request.params.id)), problems: await catalog.problems({ locationId: request.params.id }) }),
  );
  app.post<{ Body: { type: string; target: string; onConflict?: 'keep' | 'refresh' }; Querystring: { dryRun?: boolean } }>(
    '/locations',
    {
      config: routeAccess({ action: 'catalog.location.create' }),
      schema: {
        tags: ['catalog'],
        summary: 'Register a location and ingest it (dryRun: show what it would add, store nothing)',
        querystring: { type: 'object', additionalProperties: false, properties: { dryRun: { type: 'boolean' } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'target'],
          properties: { type: { type: 'string', enum: ['url', 'file'] }, target: { type: 'string', minLength: 1 }, onConflict: { type: 'string', enum: ['keep', 'refresh'] }, presence: { type: 'string' } },
        },
      },
    },
    async (request, reply) => {
      const context = accessContext(request);
      const dryRun = request.query.dryRun === true;
      const result = await catalog.addLocation({ ...request.body, dryRun }, context.actor.ref, dryRun ? undefined : (trx) =>
        recordAudit(trx as never, context, { action: 'catalog.location.create', target: `location:${request.body.type}:${request.body.target}`, outcome: 'success' }),
      );
      return reply.code(dryRun ? 200 : 201).send({ location: result.location, entities: result.entities, exists: result.exists });
    },
  );
  app.delete<{ Params: { id: string } }>(
    '/locations/:id',
    { config: routeAccess({ authorizeInHandler: true }), schema: { tags: ['catalog'], summary: 'Remove a location (its entities are orphaned or deleted)', params: { type: 'object', properties: { id: { type: 'string' } } } } },
    async (request, reply) => {
      const context = accessContext(request);
      const location = await catalog.getLocation(request.params.id);
      await authorizer.authorize(context, location.createdBy === context.actor.ref ? 'catalog.location.delete-own' : 'catalog.location.delete', { ref: `location:${location.id}` });
      await catalog.deleteLocation(location.id, context.actor.ref);
      await recordAudit(authDb(store), context, { action: 'catalog.location.delete', target: `location:${location.type}:${location.target}`, outcome: 'success' });
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { entity: unknown; location?: string } }>(
    '/validate-entity',
    {
      config: read,
      schema: { tags: ['catalog'], summary: 'Validate an entity without storing it', body: { type: 'object', required: ['entity'], properties: { entity: {}, location: { type: 'string' } } } },
    },
    async (request, reply) => {
      const result = catalog.validateEntity(request.body.entity);
      if (result.ok) return reply.code(200).send({ valid: true });
      return reply.code(400).send({ valid: false, errors: result.errors.map((e) => ({ name: 'InputError', message: `${e.path.join('.')}: ${e.message}`, rule: e.rule, path: `/entity/${e.path.join('/')}` })) });
    },
  );

  app.post<{ Body: { entityRef: string } }>(
    '/refresh',
    {
      config: routeAccess({ action: 'catalog.entity.refresh' }),
      schema: { tags: ['catalog'], summary: 'Refresh the location an entity comes from, now', body: { type: 'object', additionalProperties: false, required: ['entityRef'], properties: { entityRef: { type: 'string' } } } },
    },
    async (request, reply) => {
      const ref = normalizeRef(request.body.entityRef);
      const row = await db.selectFrom('catalog_entities').select('location_id').where('ref', '=', ref).executeTakeFirst();
      if (!row) throw new PlinthError('CATALOG_ENTITY_NOT_FOUND', `no entity ${ref}`, { location: { field: '/body/entityRef' } });
      if (row.location_id) await catalog.scheduleRefresh(row.location_id, 0);
      return reply.code(200).send({});
    },
  );

  app.post<{ Params: { name: string }; Body: { type: 'full' | 'delta'; entities: unknown[]; removed?: string[] } }>(
    '/providers/:name/entities',
    {
      config: routeAccess({ action: 'catalog.provider.write' }),
      schema: {
        tags: ['catalog'],
        summary: 'Entity provider: post a full set (replaces what the provider emitted) or a delta',
        params: { type: 'object', properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'entities'],
          properties: { type: { type: 'string', enum: ['full', 'delta'] }, entities: { type: 'array', items: { type: 'object' } }, removed: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
    async (request) => {
      const context = accessContext(request);
      const applied = await catalog.applyProviderEntities(request.params.name, request.body, context.actor.ref);
      await recordAudit(authDb(store), context, { action: 'catalog.provider.write', target: `provider:${request.params.name}`, outcome: 'success', details: { added: applied.added.length, updated: applied.updated.length, deleted: applied.deleted.length } });
      return { added: applied.added.length, updated: applied.updated.length, unchanged: applied.unchanged, orphaned: applied.orphaned.length, deleted: applied.deleted.length, conflicts: applied.conflicts };
    },
  );

  app.get('/kinds', { config: read, schema: { tags: ['catalog'], summary: 'Built-in and custom kinds' } }, async () => ({
    items: catalog.kinds().all().map((k) => ({ kind: k.kind, apiVersions: k.apiVersions, builtIn: k.builtIn, description: k.description ?? null, relationFields: k.relationFields })),
  }));

  app.get<{ Querystring: { ref: string; depth?: number; maxNodes?: number } }>(
    '/graph',
    {
      config: read,
      schema: {
        tags: ['catalog'],
        summary: 'The relations around an entity, both directions, to a depth',
        querystring: { type: 'object', additionalProperties: false, required: ['ref'], properties: { ref: { type: 'string' }, depth: { type: 'integer', minimum: 1, maximum: 5 }, maxNodes: { type: 'integer', minimum: 1, maximum: 2000 } } },
      },
    },
    async (request) => relationGraph(catalog, normalizeRef(request.query.ref), request.query.depth ?? 1, request.query.maxNodes ?? 500),
  );

  registerWebhookRoutes(app, deps);
}

/** Breadth-first walk of relations from an entity; stops at maxNodes and says so. */
export async function relationGraph(catalog: CatalogService, root: string, depth: number, maxNodes: number) {
  const db = catalog.db;
  if (!(await db.selectFrom('catalog_entities').select('id').where('ref', '=', root).executeTakeFirst())) throw new PlinthError('CATALOG_ENTITY_NOT_FOUND', `no entity ${root}`);
  const nodes = new Set([root]);
  const edges = new Map<string, { source: string; type: string; target: string }>();
  let frontier = [root];
  let truncated = false;
  for (let level = 0; level < depth && frontier.length && !truncated; level++) {
    const next: string[] = [];
    for (let i = 0; i < frontier.length; i += 500) {
      const part = frontier.slice(i, i + 500);
      const rows = await db.selectFrom('catalog_relations').select(['source_ref', 'type', 'target_ref']).where('source_ref', 'in', part).execute();
      for (const r of rows) {
        edges.set(`${r.source_ref} ${r.type} ${r.target_ref}`, { source: r.source_ref, type: r.type, target: r.target_ref });
        if (!nodes.has(r.target_ref)) {
          if (nodes.size >= maxNodes) {
            truncated = true;
            continue;
          }
          nodes.add(r.target_ref);
          next.push(r.target_ref);
        }
      }
    }
    frontier = next;
  }
  const known = await findEntitiesByRefs(db, [...nodes], ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title', 'spec.type']);
  const keptEdges = [...edges.values()].filter((e) => nodes.has(e.source) && nodes.has(e.target));
  return {
    root,
    nodes: [...nodes].map((ref, index) => ({ ref, entity: known[index] ?? null })),
    edges: keptEdges,
    truncated,
  };
}

function verifyHmac(secret: string, body: Buffer, signature: string | undefined): boolean {
  if (!signature?.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Push webhooks: GitHub (X-Hub-Signature-256), GitLab (X-Gitlab-Token) and a generic one
 * (X-Plinth-Signature-256, `{ repository, ref, after }`) for any git server with a post-receive
 * hook. Each refreshes the locations of the pushed repository at once.
 */
function registerWebhookRoutes(app: FastifyInstance, deps: CatalogRouteDeps): void {
  const { catalog, webhookSecret } = deps;
  app.register(async (hooks) => {
    // Signatures are computed over the exact bytes sent: keep them.
    hooks.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
      try {
        done(null, { raw: body, json: JSON.parse((body as Buffer).toString('utf8')) });
      } catch {
        done(new PlinthError('REQUEST_INVALID', 'the webhook body is not JSON'), undefined);
      }
    });
    const requireSecret = () => {
      if (!webhookSecret) throw new PlinthError('CATALOG_WEBHOOK_SIGNATURE_INVALID', 'webhooks are off: set catalog.webhookSecret (or PLINTH_CATALOG_WEBHOOK_SECRET)');
      return webhookSecret;
    };
    const hook = (url: string, summary: string, check: (secret: string, headers: Record<string, unknown>, raw: Buffer) => boolean, repositoriesOf: (json: any) => string[]) =>
      hooks.post<{ Body: { raw: Buffer; json: unknown } }>(url, { config: routeAccess({ public: true }), schema: { tags: ['catalog'], summary } }, async (request, reply) => {
        if (!check(requireSecret(), request.headers, request.body.raw)) throw new PlinthError('CATALOG_WEBHOOK_SIGNATURE_INVALID', 'the webhook signature does not match the configured secret');
        const refreshed = new Set<string>();
        for (const url of repositoriesOf(request.body.json).filter(Boolean)) for (const id of await catalog.refreshLocationsOfRepository(url)) refreshed.add(id);
        return reply.code(202).send({ refreshedLocations: [...refreshed] });
      });
    hook('/webhooks/github', 'GitHub push webhook', (secret, headers, raw) => verifyHmac(secret, raw, headers['x-hub-signature-256'] as string | undefined), (json) => [json?.repository?.clone_url, json?.repository?.html_url, json?.repository?.ssh_url]);
    hook('/webhooks/gitlab', 'GitLab push webhook', (secret, headers) => {
      const token = Buffer.from(String(headers['x-gitlab-token'] ?? ''));
      return token.length === secret.length && timingSafeEqual(token, Buffer.from(secret));
    }, (json) => [json?.project?.git_http_url, json?.project?.web_url, json?.repository?.git_http_url]);
    hook('/webhooks/git', 'Generic git push webhook ({ repository, ref, after })', (secret, headers, raw) => verifyHmac(secret, raw, headers['x-plinth-signature-256'] as string | undefined), (json) => [json?.repository]);
  });
}
