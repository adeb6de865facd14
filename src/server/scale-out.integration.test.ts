import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresAvailable, postgresDatabase } from '../../test/support/databases.js';
import { REPO_ROOT, runPlinth, startPlinthServer, type RunningServer } from '../../test/support/server.js';
import { allMigrations } from './platform.js';

const describePostgres = postgresAvailable ? describe : describe.skip;

describePostgres('scale-out on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof postgresDatabase.create>>;
  let env: Record<string, string>;
  beforeAll(async () => {
    database = await postgresDatabase.create();
    env = { PLINTH_DATABASE_URL: database.databaseUrl!, PLINTH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') };
  });
  afterAll(async () => {
    await database.drop();
  });

  it('migrates once when two processes start migrating at the same moment', async () => {
    const [a, b] = await Promise.all([runPlinth(['migrate'], { env }), runPlinth(['migrate'], { env })]);
    expect(a.stderr + b.stderr).not.toMatch(/error/i);
    expect([a.code, b.code]).toEqual([0, 0]);
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    const { rows } = await client.query('select name from plinth_migrations order by name');
    await client.end();
    expect(rows.map((r) => r.name)).toEqual(allMigrations.map((m) => m.name));
  });

  describe('two replicas', () => {
    let one: RunningServer;
    let two: RunningServer;
    beforeAll(async () => {
      one = await startPlinthServer({ env });
      two = await startPlinthServer({ env, adminToken: one.adminToken });
    });
    afterAll(async () => {
      await Promise.all([one?.stop(), two?.stop()]);
    });

    it('serve the same data: a token created on one works on the other', async () => {
      const created = await fetch(`${one.url}/api/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${one.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'shared', role: 'viewer' }),
      });
      expect(created.status).toBe(201);
      const { token } = (await created.json()) as { token: string };
      const me = await fetch(`${two.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { actor: { name: string } }).actor.name).toBe('shared');
      const audit = await fetch(`${two.url}/api/audit?action=token.create&target=token:shared`, { headers: { authorization: `Bearer ${one.adminToken}` } });
      expect(((await audit.json()) as { items: unknown[] }).items).toHaveLength(1);
    });

    it('stream events written by one replica to clients of the other', async () => {
      const controller = new AbortController();
      const stream = await fetch(`${two.url}/api/events/stream`, { headers: { authorization: `Bearer ${one.adminToken}` }, signal: controller.signal });
      const reader = stream.body!.getReader();
      await reader.read(); // ": connected"
      await fetch(`${one.url}/api/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${one.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'streamed', role: 'viewer' }),
      });
      let received = '';
      const deadline = Date.now() + 5000;
      while (!received.includes('"name":"streamed"') && Date.now() < deadline) received += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      expect(received).toContain('event: token:created');
    });
  });

  it('reports not ready while the only worker is stalled, and ready again when it resumes', async () => {
    const server = await startPlinthServer({ env: { ...env, PLINTH_WORKERS: 'false' }, args: ['--no-workers'] });
    const configFile = path.join(server.dataDir, 'plinth.yaml');
    await import('node:fs').then((fs) => fs.writeFileSync(configFile, 'workers:\n  leaseSeconds: 1\n'));
    const worker = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/run.ts'), 'worker', '--config', configFile], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, PLINTH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = async () => (await fetch(`${server.url}/readyz`)).status;
    const waitForStatus = async (status: number) => {
      const deadline = Date.now() + 15_000;
      while ((await ready()) !== status) {
        if (Date.now() > deadline) throw new Error(`readyz never answered ${status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await waitForStatus(200);
      worker.kill('SIGSTOP');
      await waitForStatus(503);
      const body = (await (await fetch(`${server.url}/readyz`)).json()) as { checks: { workers: { detail: string } } };
      expect(body.checks.workers.detail).toMatch(/no queue worker has heartbeated/);
      worker.kill('SIGCONT');
      await waitForStatus(200);
    } finally {
      worker.kill('SIGKILL');
      await server.stop();
    }
  });
});
