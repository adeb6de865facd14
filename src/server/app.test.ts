import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { testDatabases } from '../../test/support/databases.js';
import { createTestApp, type TestApp } from '../../test/support/platform.js';
import { authDb } from '../auth/users.js';
import { buildApp } from './app.js';

describe.each(testDatabases)('HTTP API on $name', (database) => {
  let t: TestApp;
  let app: FastifyInstance;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    t = await createTestApp(database);
    ({ app, tokens: { admin, viewer } } = t);
  });
  afterAll(() => t.close());

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const auditCount = async () => Number((await authDb(t.platform.store).selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const tokenCount = async () => Number((await authDb(t.platform.store).selectFrom('api_tokens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('answers 401 without a token and 401 with an invalid one, as problem+json', async () => {
    const none = await app.inject({ method: 'GET', url: '/api/tokens' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json()).toMatchObject({ code: 'AUTH_REQUIRED', status: 401 });
    const bad = await app.inject({ method: 'GET', url: '/api/tokens', headers: auth('plinth_notarealtoken1234567890') });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('AUTH_TOKEN_INVALID');
  });

  it('answers 403 to a viewer creating a token, audits the denial and changes nothing', async () => {
    const before = await tokenCount();
    const res = await app.inject({ method: 'POST', url: '/api/tokens', headers: auth(viewer), payload: { name: 'sneaky', role: 'admin' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'AUTH_NOT_ALLOWED' });
    expect(await tokenCount()).toBe(before);
    const audit = await app.inject({ method: 'GET', url: '/api/audit?outcome=denied&actor=token:reader', headers: auth(admin) });
    expect(audit.json().items[0]).toMatchObject({ actor: 'token:reader', action: 'token.create', outcome: 'denied', sourceIp: '127.0.0.1' });
  });

  it('rejects a bad body naming every bad field, and changes nothing', async () => {
    const before = await tokenCount();
    const res = await app.inject({ method: 'POST', url: '/api/tokens', headers: auth(admin), payload: { name: '-bad name', role: 'owner', colour: 'red' } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('REQUEST_INVALID');
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/body/colour', '/body/name', '/body/role']);
    expect(body.errors.find((e: { path: string }) => e.path === '/body/role').message).toBe('must be one of "admin", "member", "viewer"');
    const missing = await app.inject({ method: 'POST', url: '/api/tokens', headers: auth(admin), payload: {} });
    expect(missing.json().errors).toEqual(expect.arrayContaining([{ path: '/body/name', message: 'is required' }]));
    const malformed = await app.inject({ method: 'POST', url: '/api/tokens', headers: { ...auth(admin), 'content-type': 'application/json' }, payload: '{"name":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('REQUEST_INVALID');
    expect(await tokenCount()).toBe(before);
  });

  it('answers unknown routes with ROUTE_NOT_FOUND', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/api/audit/1', headers: auth(admin) });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND', detail: 'no route DELETE /api/audit/1; see /api/openapi.json' });
  });

  it('creates a token shown once, stores only its hash, audits and records an event', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/tokens', headers: auth(admin), payload: { name: 'ci', role: 'member', expiresInDays: 30 } });
    expect(res.statusCode).toBe(201);
    const { token, item } = res.json();
    expect(token).toMatch(/^plinth_/);
    expect(item).toMatchObject({ name: 'ci', role: 'member', createdBy: 'token:root' });
    const rows = await authDb(t.platform.store).selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: auth(token) });
    expect(me.json().actor).toMatchObject({ type: 'token', name: 'ci', role: 'member' });
    const list = await app.inject({ method: 'GET', url: '/api/tokens', headers: auth(admin) });
    expect(JSON.stringify(list.json())).not.toContain(token);
    const audit = await app.inject({ method: 'GET', url: '/api/audit?action=token.create&outcome=success', headers: auth(admin) });
    expect(audit.json().items[0]).toMatchObject({ actor: 'token:root', target: 'token:ci' });
    const events = await app.inject({ method: 'GET', url: '/api/events?type=token:created', headers: auth(admin) });
    expect(events.json().items.at(-1)).toMatchObject({ type: 'token:created', actor: 'token:root', payload: { name: 'ci', role: 'member' } });
    // A member may not mint an admin token.
    const escalate = await app.inject({ method: 'POST', url: '/api/tokens', headers: auth(token), payload: { name: 'root2', role: 'admin' } });
    expect(escalate.statusCode).toBe(403);
    // Revoked: the token stops working at once.
    const revoke = await app.inject({ method: 'DELETE', url: `/api/tokens/${item.id}`, headers: auth(admin) });
    expect(revoke.statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/auth/me', headers: auth(token) })).statusCode).toBe(401);
  });

  it('logs in to a cookie session that needs the CSRF header for changes, and logs out', async () => {
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { token: admin } });
    expect(login.statusCode).toBe(200);
    const cookie = login.cookies.find((c) => c.name === 'plinth_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const headers = { cookie: `plinth_session=${cookie.value}` };
    expect((await app.inject({ method: 'GET', url: '/api/auth/me', headers })).json().actor.name).toBe('root');
    const noCsrf = await app.inject({ method: 'POST', url: '/api/tokens', headers, payload: { name: 'web', role: 'viewer' } });
    expect(noCsrf.statusCode).toBe(403);
    const withCsrf = await app.inject({ method: 'POST', url: '/api/tokens', headers: { ...headers, 'x-plinth-csrf': '1' }, payload: { name: 'web', role: 'viewer' } });
    expect(withCsrf.statusCode).toBe(201);
    await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { ...headers, 'x-plinth-csrf': '1' } });
    expect((await app.inject({ method: 'GET', url: '/api/auth/me', headers })).statusCode).toBe(401);
    const wrong = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { token: 'plinth_wrongwrongwrongwrongwrong' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().errors).toEqual([{ path: '/body/token', message: 'the API token is unknown, revoked or expired' }]);
  });

  it('offers no way to change or delete the audit log', async () => {
    const count = await auditCount();
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST'] as const) {
      const res = await app.inject({ method, url: '/api/audit', headers: auth(admin), payload: {} });
      expect(res.statusCode).toBe(404);
    }
    expect(await auditCount()).toBe(count);
    const spec = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(spec.paths['/api/audit'])).toEqual(['get']);
  });

  it('answers 401 to anonymous callers on every API route but the login flow', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    const open: string[] = [];
    for (const [url, methods] of Object.entries<Record<string, unknown>>(spec.paths)) {
      for (const method of Object.keys(methods)) {
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url: url.replace(/\{[^}]+\}/g, '1'), payload: method === 'get' ? undefined : {} });
        if (res.statusCode !== 401) open.push(`${method.toUpperCase()} ${url}`);
      }
    }
    expect(open.sort()).toEqual(['GET /api/auth/oidc/callback', 'GET /api/auth/oidc/login', 'GET /api/auth/providers', 'POST /api/auth/login', 'POST /api/auth/logout']);
  });

  it('refuses to start with a route that declares no access', async () => {
    const bare = await buildApp(t.platform);
    expect(() => bare.get('/api/unguarded', async () => 'x')).toThrow(/declares no access/);
    await bare.close();
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('plinth_http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('plinth_process_resident_memory_bytes');
    expect(metrics.body).toContain('# TYPE plinth_queue_jobs gauge');
    // No worker anywhere: not ready, and it says why.
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.workers.detail).toMatch(/no queue worker has heartbeated/);
  });

  it('answers with the request id it was given and its own time for the request', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/auth/me', headers: { ...auth(admin), 'x-request-id': 'abc-123' } });
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.headers['server-timing']).toMatch(/^app;dur=\d+\.\d\d$/);
    const problem = await app.inject({ method: 'GET', url: '/api/nowhere', headers: auth(admin) });
    expect(problem.statusCode).toBe(404);
    expect(problem.headers['server-timing']).toMatch(/^app;dur=/);
  });
});
