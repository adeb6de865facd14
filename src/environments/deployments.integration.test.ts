import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../store/events.js';
import { listAudit } from '../auth/audit.js';
import { createGroup, createUser, authDb } from '../auth/users.js';
import { createApiToken } from '../auth/tokens.js';
import { systemActor } from '../auth/actor.js';
import { Ajv } from 'ajv';
import { createEnvironmentOutputSchema } from './index.js';
import { testDatabases } from '../../test/support/databases.js';
import { isRunning, NOTES_SERVICE, plainScore, startEnvironmentHarness, type EnvironmentHarness } from '../../test/support/environments.js';

describe.each(testDatabases)('deployments on $name', (database) => {
  let h: EnvironmentHarness;
  let tokens: { alice: string; bob: string; carol: string };

  beforeAll(async () => {
    h = await startEnvironmentHarness(database);
    const db = authDb(h.platform.store);
    const alice = await createUser(db, { name: 'alice', role: 'member' });
    const bob = await createUser(db, { name: 'bob', role: 'member' });
    const carol = await createUser(db, { name: 'carol', role: 'member' });
    await createGroup(db, { name: 'notes-team', members: ['alice', 'bob'] });
    const token = async (userId: string) => (await createApiToken(db, { name: `t-${userId}`, role: 'member', userId, createdBy: 'system' })).token;
    tokens = { alice: await token(alice.id), bob: await token(bob.id), carol: await token(carol.id) };
  });

  afterAll(async () => {
    await h?.close();
  });

  const release = async (variables: Record<string, string> = {}, commitSha = 'a1b2c3d') => {
    const { status, body } = await h.call('POST', '/api/releases', { component: 'notes', commitSha, artifact: NOTES_SERVICE, score: plainScore(variables) });
    expect(status, JSON.stringify(body)).toBe(201);
    return body.id as string;
  };

  it('deploys a release to a preview environment and serves it through the proxy', async () => {
    expect((await h.call('POST', '/api/environments', { name: 'pr-1', type: 'preview', owner: 'group:default/notes-team' })).status).toBe(201);
    const id = await release({ RELEASE: 'one' });
    const { status, body } = await h.call('POST', '/api/deployments', { environment: 'pr-1', component: 'notes', release: id });
    expect(status, JSON.stringify(body)).toBe(202);
    const done = await h.settle(body.id);
    expect(done).toMatchObject({ status: 'succeeded', release: id, commitSha: 'a1b2c3d', resolved: { main: { RELEASE: 'one' } } });
    const answer = await h.viaProxy('notes.pr-1.localhost');
    expect(JSON.parse(answer.text)).toMatchObject({ service: 'notes', release: 'one' });
    const details = (await h.call('GET', '/api/environments/pr-1')).body;
    expect(details.workloads).toEqual([expect.objectContaining({ component: 'notes', release: id, health: 'running', url: `http://notes.pr-1.localhost:${h.platform.environments.localRuntime.proxy.port}/` })]);
    const events = await readEvents(h.platform.store, { types: ['deployment:succeeded'] });
    expect(events.at(-1)!.payload).toMatchObject({ component: 'notes', environment: 'pr-1', release: id, commit: 'a1b2c3d', startedAt: expect.any(String), finishedAt: expect.any(String) });
  });

  it('the same content makes the same release; releases are immutable', async () => {
    const first = await release({ RELEASE: 'one' });
    expect(await release({ RELEASE: 'one' })).toBe(first);
    expect(await release({ RELEASE: 'two' })).not.toBe(first);
  });

  it('a release that fails readiness rolls back by itself to the previous one', async () => {
    const broken = await release({ RELEASE: 'broken', BROKEN: 'true' }, 'badbad1');
    const { body } = await h.call('POST', '/api/deployments', { environment: 'pr-1', component: 'notes', release: broken });
    const done = await h.settle(body.id, 40_000);
    expect(done.status).toBe('rolled-back');
    expect(done.error).toContain('did not become ready');
    expect(JSON.parse((await h.viaProxy('notes.pr-1.localhost')).text).release).toBe('one');
    const history = (await h.call('GET', '/api/deployments?environment=pr-1&component=notes')).body.items;
    expect(history[0]).toMatchObject({ action: 'rollback', status: 'succeeded', rollbackOf: body.id, requestedBy: 'system:auto-rollback' });
    const rolledBack = await readEvents(h.platform.store, { types: ['deployment:rolled-back'] });
    expect(rolledBack.at(-1)!.payload).toMatchObject({ deployment: body.id, component: 'notes', environment: 'pr-1', commit: 'badbad1' });
  });

  it('history diffs two deployments: Score lines and resolved variables', async () => {
    const two = await release({ RELEASE: 'two' });
    const { body } = await h.call('POST', '/api/deployments', { environment: 'pr-1', component: 'notes', release: two });
    await h.settle(body.id);
    const history = (await h.call('GET', '/api/deployments?environment=pr-1&component=notes')).body.items;
    const previous = history.find((d: { status: string; id: string }) => d.status === 'succeeded' && d.id !== body.id);
    const diff = (await h.call('GET', `/api/deployments/diff?from=${previous.id}&to=${body.id}`)).body;
    expect(diff.score).toEqual(expect.arrayContaining([{ op: '-', line: '      RELEASE: "one"' }, { op: '+', line: '      RELEASE: "two"' }]));
    expect(diff.variables).toEqual([{ container: 'main', name: 'RELEASE', from: 'one', to: 'two' }]);
  });

  it('promotes preview → staging; production waits for an approval by the owning group, not the requester', async () => {
    await h.call('POST', '/api/environments', { name: 'staging', type: 'staging', owner: 'group:default/notes-team' });
    await h.call('POST', '/api/environments', { name: 'production', type: 'production', owner: 'group:default/notes-team' });
    const wrong = await h.call('POST', '/api/deployments/promote', { component: 'notes', from: 'pr-1', to: 'production' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ code: 'DEPLOYMENT_PROMOTION_INVALID', detail: '/body/to: releases in preview environments are promoted to staging, not to production (production)' });

    const promoted = await h.call('POST', '/api/deployments/promote', { component: 'notes', from: 'pr-1', to: 'staging' }, tokens.alice);
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(202);
    expect(await h.settle(promoted.body.id)).toMatchObject({ status: 'succeeded', action: 'promote' });
    const running = (await h.call('GET', '/api/environments/pr-1')).body.workloads[0].release;
    expect((await h.call('GET', '/api/environments/staging')).body.workloads[0].release).toBe(running);
    expect(JSON.parse((await h.viaProxy('notes.staging.localhost')).text).release).toBe('two');

    const toProduction = await h.call('POST', '/api/deployments/promote', { component: 'notes', from: 'staging', to: 'production' }, tokens.alice);
    expect(toProduction.body.status).toBe('awaiting-approval');
    const self = await h.call('POST', `/api/deployments/${toProduction.body.id}/approve`, undefined, tokens.alice);
    expect(self.status).toBe(403);
    expect(self.body.detail).toContain('need another person');
    const outsider = await h.call('POST', `/api/deployments/${toProduction.body.id}/approve`, undefined, tokens.carol);
    expect(outsider.status).toBe(403);
    expect(outsider.body.detail).toContain('approved by a member of group:default/notes-team or an admin');
    const approved = await h.call('POST', `/api/deployments/${toProduction.body.id}/approve`, undefined, tokens.bob);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(await h.settle(toProduction.body.id)).toMatchObject({ status: 'succeeded', approvedBy: 'user:bob' });
    const audit = await listAudit(h.platform.store, { action: 'deployment.approve' });
    expect(audit.items.map((a) => [a.actor, a.outcome])).toEqual([
      ['user:bob', 'success'],
      ['user:carol', 'failure'],
      ['user:alice', 'failure'],
    ]);
  });

  it('rolls back to the release before the current one', async () => {
    const { body } = await h.call('POST', '/api/deployments/rollback', { component: 'notes', environment: 'pr-1' });
    expect(await h.settle(body.id)).toMatchObject({ status: 'succeeded', action: 'rollback' });
    expect(JSON.parse((await h.viaProxy('notes.pr-1.localhost')).text).release).toBe('one');
  });

  it('shows components × environments', async () => {
    const matrix = (await h.call('GET', '/api/deployments/matrix')).body;
    expect(matrix.components).toEqual(['notes']);
    expect(matrix.cells.map((c: { environment: string; status: string; health: string }) => [c.environment, c.status, c.health]).sort()).toEqual([
      ['pr-1', 'succeeded', 'running'],
      ['production', 'succeeded', 'running'],
      ['staging', 'succeeded', 'running'],
    ]);
  });

  it('routes a dns host and path of `route` resources to the workload through the proxy', async () => {
    await h.call('POST', '/api/environments', { name: 'routed', type: 'development' });
    const score = `${plainScore({ RELEASE: 'routed' })}resources:\n  dns:\n    type: dns\n  api:\n    type: route\n    params:\n      host: shop.\${resources.dns.host}\n      path: /stream\n      port: web\n`;
    const { body } = await h.call('POST', '/api/deployments', { environment: 'routed', component: 'notes', score, artifact: NOTES_SERVICE });
    const done = await h.settle(body.id);
    expect(done.status, done.error ?? '').toBe('succeeded');
    const resources = (await h.call('GET', '/api/environments/routed')).body.resources;
    const dnsHost = resources.find((r: { type: string }) => r.type === 'dns').outputs.host as string;
    const echoed = await h.viaProxy(`shop.${dnsHost}`, '/stream', 'POST', 'through the route');
    expect(echoed).toEqual({ status: 200, text: 'through the route' });
    // Only the route's path prefix is routed on its host.
    expect((await h.viaProxy(`shop.${dnsHost}`, '/')).status).toBe(404);
    await h.call('DELETE', '/api/environments/routed');
  });

  it('a bad Score file is a clear error at file:line:column and records nothing', async () => {
    const before = (await h.call('GET', '/api/releases')).body.items.length;
    const bad = plainScore().replace('    image: .', '    imag: .');
    const { status, body } = await h.call('POST', '/api/deployments', { environment: 'pr-1', component: 'notes', score: bad, artifact: NOTES_SERVICE });
    expect(status).toBe(400);
    expect(body.code).toBe('SCORE_INVALID');
    expect(body.detail).toMatch(/score\.yaml:6:\d+: .*imag/);
    expect((await h.call('GET', '/api/releases')).body.items.length).toBe(before);
  });

  it('an unknown resource type is refused before anything is provisioned or recorded', async () => {
    const score = `${plainScore()}resources:\n  queue:\n    type: kafka-topic\n`;
    const before = (await h.call('GET', '/api/deployments')).body.items.length;
    const { status, body } = await h.call('POST', '/api/deployments', { environment: 'pr-1', component: 'notes', score, artifact: NOTES_SERVICE });
    expect(status).toBe(400);
    expect(body.code).toBe('RESOURCE_TYPE_UNKNOWN');
    expect(body.detail).toContain("no provisioner for resource type 'kafka-topic'");
    expect((await h.call('GET', '/api/deployments')).body.items.length).toBe(before);
    expect((await h.call('GET', '/api/environments/pr-1')).body.resources).toEqual([]);
  });

  it('a fixed port in use fails the deployment clearly, and the running release keeps serving', async () => {
    const holder = (await import('node:net')).createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => holder.once('listening', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const score = plainScore({ RELEASE: 'fixed' }).replace('  name: notes', '  name: notes\n  annotations:\n    plinth.dev/local-ports: fixed').replace('targetPort: 8080', `targetPort: ${port}`);
      const { body } = await h.call('POST', '/api/deployments', { environment: 'pr-1', component: 'notes', score, artifact: NOTES_SERVICE });
      const done = await h.settle(body.id);
      expect(done.error).toContain(`port ${port} (service port 'web' of workload notes) is in use by another program`);
      expect(JSON.parse((await h.viaProxy('notes.pr-1.localhost')).text).release).toBe('one');
    } finally {
      holder.close();
    }
  });

  it('environment types, values and secrets: secrets only for those allowed', async () => {
    const types = (await h.call('GET', '/api/environments/types')).body.items;
    expect(types.map((t: { name: string }) => t.name)).toEqual(['development', 'preview', 'staging', 'production']);
    await h.call('PATCH', '/api/environments/pr-1/values', { values: { GREETING: 'hello' }, secrets: { API_KEY: 's3cret' } });
    const asViewer = (await h.call('GET', '/api/environments/pr-1', undefined, h.tokens.viewer)).body;
    expect(asViewer.values).toEqual([
      { name: 'API_KEY', secret: true, value: null },
      { name: 'GREETING', secret: false, value: 'hello' },
    ]);
    expect(asViewer.mayReadSecrets).toBe(false);
    expect((await h.call('GET', '/api/environments/pr-1?showSecrets=true', undefined, h.tokens.viewer)).status).toBe(403);
    // Owners may read their environment's secrets.
    const asOwner = (await h.call('GET', '/api/environments/pr-1?showSecrets=true', undefined, tokens.alice)).body;
    expect(asOwner.values[0]).toEqual({ name: 'API_KEY', secret: true, value: 's3cret' });
    expect((await h.call('GET', '/api/environments/pr-1?showSecrets=true', undefined, tokens.carol)).status).toBe(403);
  });

  it('bad environment requests are clear errors that change nothing', async () => {
    expect((await h.call('POST', '/api/environments', { name: 'x1', type: 'qa' })).body).toMatchObject({ code: 'ENVIRONMENT_TYPE_UNKNOWN', detail: "/body/type: unknown environment type 'qa'; known types: development, preview, staging, production" });
    expect((await h.call('POST', '/api/environments', { name: 'Bad_Name', type: 'preview' })).body.code).toBe('REQUEST_INVALID');
    expect((await h.call('POST', '/api/environments', { name: 'pr-1', type: 'preview' })).body.code).toBe('ENVIRONMENT_EXISTS');
    expect((await h.call('POST', '/api/environments', { name: 'x2', type: 'preview', cloneFrom: 'nope' })).body.code).toBe('ENVIRONMENT_INVALID');
    expect((await h.call('GET', '/api/environments')).body.items.map((e: { name: string }) => e.name)).toEqual(['pr-1', 'production', 'staging']);
  });

  it('clones an environment with its values and running releases', async () => {
    const { status, body } = await h.call('POST', '/api/environments', { name: 'pr-2', type: 'preview', cloneFrom: 'pr-1' });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.deployments).toHaveLength(1);
    await h.settle(body.deployments[0].id);
    expect(JSON.parse((await h.viaProxy('notes.pr-2.localhost')).text).release).toBe('one');
    const values = (await h.call('GET', '/api/environments/pr-2?showSecrets=true')).body.values;
    expect(values).toEqual([
      { name: 'API_KEY', secret: true, value: 's3cret' },
      { name: 'GREETING', secret: false, value: 'hello' },
    ]);
  });

  it('a preview destroys itself when its TTL runs out', async () => {
    const { body } = await h.call('POST', '/api/environments', { name: 'short', type: 'preview', ttlHours: 0.0002 });
    expect(body.expiresAt).toEqual(expect.any(String));
    await expect.poll(async () => (await h.call('GET', '/api/environments/short')).status, { timeout: 10_000 }).toBe(404);
    const destroyed = await readEvents(h.platform.store, { types: ['environment:destroyed'], subject: 'environment:short' });
    expect(destroyed[0]!.actor).toBe('system:environment-ttl');
  });

  it('the scaffolder hook creates an environment and the pipelines hook deploys a commit', async () => {
    const actor = systemActor('templates');
    const created = await h.platform.environments.createEnvironment({ name: 'hooked', type: 'development' }, actor);
    expect(new Ajv({ strict: false }).validate(createEnvironmentOutputSchema, created)).toBe(true);
    const deployment = await h.platform.environments.deployComponent({ component: 'notes', environment: 'hooked', ref: 'a1b2c3d', actor });
    expect(await h.settle(deployment.id)).toMatchObject({ status: 'succeeded', commitSha: 'a1b2c3d', requestedBy: 'system:templates' });
    await expect(h.platform.environments.deployComponent({ component: 'notes', environment: 'hooked', ref: 'fffffff', actor })).rejects.toMatchObject({ code: 'RELEASE_NOT_FOUND' });
    await h.call('DELETE', '/api/environments/hooked');
  });

  it('concurrent requests: one environment per name, and the newest deployment of a component wins', async () => {
    const creations = await Promise.all([1, 2, 3].map(() => h.call('POST', '/api/environments', { name: 'race', type: 'development' })));
    expect(creations.map((c) => c.status).sort()).toEqual([201, 409, 409]);
    const one = await release({ RELEASE: 'one' });
    const two = await release({ RELEASE: 'two' });
    const requests = await Promise.all([one, two, one, two].map((id) => h.call('POST', '/api/deployments', { environment: 'race', component: 'notes', release: id })));
    const finals = await Promise.all(requests.map((r) => h.settle(r.body.id, 90_000)));
    expect(finals.every((d) => ['succeeded', 'superseded'].includes(d.status))).toBe(true);
    // Requests made at once have no order to keep; whichever ran last is what runs, and what the proxy serves.
    const last = finals.filter((d) => d.status === 'succeeded').sort((a, b) => a.finishedAt!.localeCompare(b.finishedAt!)).at(-1)!;
    expect((await h.call('GET', '/api/environments/race')).body.workloads[0].release).toBe(last.release);
    expect(JSON.parse((await h.viaProxy('notes.race.localhost')).text).release).toBe(last.release === one ? 'one' : 'two');
    await h.call('DELETE', '/api/environments/race');
  }, 120_000);

  it('an environment with a deployment running is not destroyed under it', async () => {
    await h.call('POST', '/api/environments', { name: 'busy', type: 'development' });
    const slow = await release({ RELEASE: 'slow', BROKEN: 'true' }, 'feed001');
    const { body } = await h.call('POST', '/api/deployments', { environment: 'busy', component: 'notes', release: slow });
    await expect.poll(async () => (await h.call('GET', `/api/deployments/${body.id}`)).body.status, { timeout: 10_000 }).toBe('running');
    const refused = await h.call('DELETE', '/api/environments/busy');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ENVIRONMENT_BUSY');
    expect((await h.call('GET', '/api/environments/busy')).body.status).toBe('active');
    expect((await h.settle(body.id)).status).toBe('failed');
    expect((await h.call('DELETE', '/api/environments/busy')).status).toBe(200);
  });

  it('destroying an environment stops its workloads', async () => {
    const pid = h.platform.environments.localRuntime.status('pr-2', 'notes')!.processes[0]!.pid!;
    const { status, body } = await h.call('DELETE', '/api/environments/pr-2');
    expect(status, JSON.stringify(body)).toBe(200);
    expect(isRunning(pid)).toBe(false);
    expect((await h.viaProxy('notes.pr-2.localhost')).status).toBe(404);
  });
});
