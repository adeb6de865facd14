import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { POSTGRES_ADMIN_URL } from '../../test/support/postgres-url.js';
import { NOTES_SERVICE, startEnvironmentHarness, type EnvironmentHarness } from '../../test/support/environments.js';

const SCORE = readFileSync(path.join(NOTES_SERVICE, 'score.yaml'), 'utf8');

async function postgresHas(sql: string, value: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return (await client.query(sql, [value])).rowCount === 1;
  } finally {
    await client.end();
  }
}

async function redisUserExists(username: string): Promise<boolean> {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
  try {
    return (await redis.call('ACL', 'GETUSER', username)) !== null;
  } finally {
    redis.disconnect();
  }
}

/*
 * The golden path on real servers: a preview environment for a Node.js service that keeps notes
 * in PostgreSQL and counts hits in Redis, both provisioned from its score.yaml.
 */
describe.each(testDatabases)('a preview environment with postgres and redis on $name', (database) => {
  let h: EnvironmentHarness;
  // Environment names are unique per run: resources are named after them on the shared servers.
  const suffix = randomUUID().slice(0, 6);
  const preview = `pv-${suffix}`;
  const vault = `vault-${suffix}`;

  beforeAll(async () => {
    h = await startEnvironmentHarness(database, (config) => {
      config.environments.types.vault = { ...config.environments.types.production!, approval: { required: false, approvers: 'admins', allowSelfApproval: true }, promotesTo: null };
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  let outputs: { db: Record<string, string>; cache: Record<string, string> };

  it('provisions a database and an ACL user, and the service reads and writes them through the proxy', async () => {
    expect((await h.call('POST', '/api/environments', { name: preview, type: 'preview', values: { GREETING: 'hello from values' } })).status).toBe(201);
    const { status, body } = await h.call('POST', '/api/deployments', { environment: preview, component: 'notes', score: SCORE, artifact: NOTES_SERVICE, commitSha: 'c0ffee1' });
    expect(status, JSON.stringify(body)).toBe(202);
    const done = await h.settle(body.id);
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(done.resolved!.main!.PG_PASSWORD).toBe('********');

    const details = (await h.call('GET', `/api/environments/${preview}?showSecrets=true`)).body;
    const byUid = Object.fromEntries(details.resources.map((r: { uid: string; outputs: Record<string, string> }) => [r.uid, r.outputs]));
    outputs = { db: byUid['postgres.default#notes.db'], cache: byUid['redis.default#notes.cache'] };
    expect(await postgresHas('select 1 from pg_database where datname = $1', outputs.db.name!)).toBe(true);
    expect(await postgresHas('select 1 from pg_roles where rolname = $1', outputs.db.username!)).toBe(true);
    expect(await redisUserExists(outputs.cache.username!)).toBe(true);

    const host = `notes.${preview}.localhost`;
    expect(JSON.parse((await h.viaProxy(host)).text)).toMatchObject({ service: 'notes', greeting: 'hello from values' });
    expect((await h.viaProxy(host, '/notes', 'POST', 'first note')).status).toBe(201);
    expect(JSON.parse((await h.viaProxy(host, '/notes')).text)).toEqual([{ id: 1, text: 'first note' }]);
    expect(JSON.parse((await h.viaProxy(host, '/hits')).text)).toEqual({ hits: 1 });
  });

  it('shows secret outputs only to those allowed', async () => {
    const asViewer = (await h.call('GET', `/api/environments/${preview}`, undefined, h.tokens.viewer)).body;
    const db = asViewer.resources.find((r: { type: string }) => r.type === 'postgres');
    expect(db).toMatchObject({ secretsHidden: true, outputs: { password: '********', connection: '********', host: outputs.db.host } });
    const listed = (await h.call('GET', '/api/resources', undefined, h.tokens.viewer)).body.items;
    expect(JSON.stringify(listed)).not.toContain(outputs.db.password);
  });

  it('redeploying reuses the resources and keeps the data', async () => {
    const { body } = await h.call('POST', '/api/deployments', { environment: preview, component: 'notes', score: SCORE.replace('args: ["server.js"]', 'args: ["server.js", "again"]'), artifact: NOTES_SERVICE });
    expect((await h.settle(body.id)).status).toBe('succeeded');
    expect(JSON.parse((await h.viaProxy(`notes.${preview}.localhost`, '/notes')).text)).toEqual([{ id: 1, text: 'first note' }]);
    expect((await h.call('GET', `/api/environments/${preview}`)).body.resources).toHaveLength(3);
  });

  it('destroying the preview drops its database, role and ACL user', async () => {
    const { status, body } = await h.call('DELETE', `/api/environments/${preview}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.deprovisioned.sort()).toEqual(['environment.default#notes.env', 'postgres.default#notes.db', 'redis.default#notes.cache']);
    expect(await postgresHas('select 1 from pg_database where datname = $1', outputs.db.name!)).toBe(false);
    expect(await postgresHas('select 1 from pg_roles where rolname = $1', outputs.db.username!)).toBe(false);
    expect(await redisUserExists(outputs.cache.username!)).toBe(false);
  });

  it('a placeholder the environment cannot fill fails the first deployment and leaves no resource behind', async () => {
    const name = `bare-${suffix}`;
    await h.call('POST', '/api/environments', { name, type: 'development' });
    const { body } = await h.call('POST', '/api/deployments', { environment: name, component: 'notes', score: SCORE, artifact: NOTES_SERVICE });
    const done = await h.settle(body.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/score\.yaml:\d+:\d+: \$\{resources\.env\.GREETING\}: key 'GREETING' not found/);
    expect((await h.call('GET', `/api/environments/${name}`)).body.resources).toEqual([]);
    expect(await postgresHas('select 1 from pg_roles where rolname like $1', `${name.replace(/-/g, '_')}%`)).toBe(false);
    await h.call('DELETE', `/api/environments/${name}`);
  });

  it('an unreachable resource server fails clearly and leaves nothing half-provisioned', async () => {
    const name = `down-${suffix}`;
    await h.call('POST', '/api/environments', { name, type: 'development', values: { GREETING: 'hi' } });
    h.platform.config.environments.resourceDefinitions = [{ name: 'dead-redis', type: 'redis', driver: 'redis', params: { url: 'redis://127.0.0.1:1' }, criteria: { environment: name } }];
    try {
      const { body } = await h.call('POST', '/api/deployments', { environment: name, component: 'notes', score: SCORE, artifact: NOTES_SERVICE });
      const done = await h.settle(body.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/^redis resource down-\w+\.notes\.cache: .*127\.0\.0\.1:1/);
      expect((await h.call('GET', `/api/environments/${name}`)).body.resources).toEqual([]);
    } finally {
      h.platform.config.environments.resourceDefinitions = [];
    }
    await h.call('DELETE', `/api/environments/${name}`);
  });

  it('a production-like environment that holds data is destroyed only with confirm: <name>', async () => {
    await h.call('POST', '/api/environments', { name: vault, type: 'vault' });
    await h.call('PATCH', `/api/environments/${vault}/values`, { values: { GREETING: 'hi' } });
    const { body } = await h.call('POST', '/api/deployments', { environment: vault, component: 'notes', score: SCORE, artifact: NOTES_SERVICE });
    const done = await h.settle(body.id);
    expect(done.status, done.error ?? '').toBe('succeeded');
    const refused = await h.call('DELETE', `/api/environments/${vault}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ENVIRONMENT_CONFIRMATION_REQUIRED');
    expect(refused.body.detail).toContain(`repeat with confirm: ${vault}`);
    expect((await h.call('GET', `/api/environments/${vault}`)).body.workloads[0].health).toBe('running');
    expect((await h.call('DELETE', `/api/environments/${vault}?confirm=${vault}`)).status).toBe(200);
  });
});
