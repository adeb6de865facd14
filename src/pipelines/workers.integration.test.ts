import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, postgresDatabase } from '../../test/support/databases.js';
import { pushFiles, waitFor } from '../../test/support/pipelines.js';
import { REPO_ROOT, startPlinthServer, type RunningServer } from '../../test/support/server.js';
import type { RunDetails, RunView } from './model.js';

const RUNS = Number(process.env.RUNS ?? 100);
const describePostgres = postgresAvailable ? describe : describe.skip;

const WORKFLOW = `name: Three
on: workflow_dispatch
jobs:
  build:
    runs-on: linux
    steps:
      - run: echo "built by $RUNNER_NAME"
  test:
    needs: build
    runs-on: linux
    steps:
      - run: echo tested
  ship:
    needs: [build, test]
    runs-on: linux
    steps:
      - run: echo shipped
`;

const SLOW = `name: Slow
on: workflow_dispatch
jobs:
  slow:
    runs-on: linux
    steps:
      - run: echo "started slow work" && sleep 60 && echo "finished slow work"
`;

describePostgres('pipeline jobs on `plinth worker` processes sharing one PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof postgresDatabase.create>>;
  let server: RunningServer;
  let env: Record<string, string>;
  const workers: ChildProcess[] = [];

  const api = async <T>(method: string, target: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.url}${target}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${target} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const startWorker = (configFile: string) => {
    const worker = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/run.ts'), 'worker', '--config', configFile, '--labels', 'linux,x64', '--concurrency', '6'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, PLINTH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.resume();
    worker.stderr!.resume();
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    database = await postgresDatabase.create();
    env = { PLINTH_DATABASE_URL: database.databaseUrl!, PLINTH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') };
    server = await startPlinthServer({ env, args: ['--no-workers'] });
    // Workers share the server's data directory (hosted repositories) and reach it for PLINTH_SERVER.
    Object.assign(env, { PLINTH_DATA_DIR: server.dataDir, PLINTH_PUBLIC_URL: server.url });
    const configFile = path.join(server.dataDir, 'worker.yaml');
    // A short lease so a killed worker's job is noticed in seconds (not so short that a busy machine loses leases).
    writeFileSync(configFile, 'workers:\n  leaseSeconds: 5\n');
    startWorker(configFile);
    startWorker(configFile);
    await api('POST', '/api/repositories', { name: 'shared' });
    await pushFiles(`${server.url}/git/default/shared.git`, server.adminToken, { '.github/workflows/three.yml': WORKFLOW, '.github/workflows/slow.yml': SLOW });
  }, 60_000);
  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await server?.stop();
    await database?.drop();
  });

  it('two workers share 100 runs of a 3-job workflow: every job runs exactly once, none is lost', async () => {
    const runs: RunView[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/shared', workflow: 'three.yml' }));
    await waitFor(
      'every run to complete',
      async () => {
        const { items } = await api<{ items: RunView[] }>('GET', '/api/pipelines/runs?repository=default/shared&workflow=three.yml&limit=200');
        return items.filter((r) => r.status === 'completed').length === RUNS ? items : undefined;
      },
      240_000,
    );
    const runners = new Set<string>();
    for (const run of runs) {
      const details = await api<RunDetails>('GET', `/api/pipelines/runs/${run.id}`);
      expect(details.conclusion, `run ${run.id}: ${JSON.stringify(details.jobs.map((j) => [j.key, j.conclusion, j.runner, j.error]))}`).toBe('success');
      expect(details.jobs.map((j) => [j.key, j.conclusion])).toEqual([
        ['build', 'success'],
        ['test', 'success'],
        ['ship', 'success'],
      ]);
      details.jobs.forEach((job) => runners.add(job.runner!));
      const build = details.jobs[0]!;
      const { items } = await api<{ items: Array<{ text: string }> }>('GET', `/api/pipelines/runs/${run.id}/jobs/${build.id}/logs`);
      // One checkout and one "built by" line: the job ran once, not twice.
      expect(items.filter((l) => l.text.startsWith('Runner ')).length).toBe(1);
      expect(items.filter((l) => l.text.startsWith('built by ')).length).toBe(1);
    }
    expect(runners.size).toBe(2);
    const { items: queueJobs } = await api<{ items: unknown[] }>('GET', '/api/jobs?type=pipelines:job');
    expect(queueJobs).toEqual([]);
  }, 300_000);

  it('a worker killed (kill -9) mid-job: the job fails visibly with its log so far, and the run ends', async () => {
    const run = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/shared', workflow: 'slow.yml' });
    const job = await waitFor(
      'the slow step to start',
      async () => {
        const details = await api<RunDetails>('GET', `/api/pipelines/runs/${run.id}`);
        const slow = details.jobs[0];
        if (!slow || slow.status !== 'in_progress') return undefined;
        const { items } = await api<{ items: Array<{ text: string }> }>('GET', `/api/pipelines/runs/${run.id}/jobs/${slow.id}/logs`);
        return items.some((l) => l.text === 'started slow work') ? slow : undefined;
      },
      60_000,
    );
    const pid = Number(job.runner!.split(':').pop());
    const victim = workers.find((w) => w.pid === pid);
    expect(victim, `runner ${job.runner} is one of our workers`).toBeDefined();
    victim!.kill('SIGKILL');
    const done = await waitFor(
      'the run to end',
      async () => {
        const details = await api<RunDetails>('GET', `/api/pipelines/runs/${run.id}`);
        return details.status === 'completed' ? details : undefined;
      },
      60_000,
    );
    expect(done.conclusion).toBe('failure');
    expect(done.jobs[0]).toMatchObject({ conclusion: 'failure', error: expect.stringMatching(/runner .* lost/) });
    const { items } = await api<{ items: Array<{ text: string }> }>('GET', `/api/pipelines/runs/${run.id}/jobs/${job.id}/logs`);
    const texts = items.map((l) => l.text);
    expect(texts).toContain('started slow work');
    expect(texts).not.toContain('finished slow work');
    expect(texts.at(-1)).toMatch(/stopped responding while running this job/);
    // The dead runner could not revoke its job token: whoever found it lost did.
    const { items: tokens } = await api<{ items: Array<{ name: string; revokedAt: string | null }> }>('GET', '/api/tokens');
    expect(tokens.find((token) => token.name === `pipeline-job-${job.id}`)?.revokedAt).toEqual(expect.any(String));
  }, 120_000);
});
