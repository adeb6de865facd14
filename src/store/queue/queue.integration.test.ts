import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresAvailable, postgresDatabase, sqliteDatabase, testDatabases, type TestDatabase } from '../../../test/support/databases.js';
import { createTestStore, type TestStore } from '../../../test/support/store.js';
import { batchEnqueueJobs, enqueueJob, getJob } from './jobs.js';
import { startWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from './test/worker-processes.js';

/*
 * The queue across real worker processes (src/store/queue/test/worker-process.ts), killed with
 * SIGKILL mid-work: a job is never lost, and its database effect (job.completeWith) is never doubled.
 */

const waitFor = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000, everyMs = 50) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};

interface EffectRow {
  job_id: number;
  worker: string;
  attempt: number;
}

let t: TestStore | undefined;
let processes: WorkerProcess[] = [];

afterEach(async () => {
  // A failed test must not leave workers behind.
  await Promise.all(processes.map((p) => p.kill()));
  processes = [];
  await t?.close();
  t = undefined;
});

/** A fresh migrated database with the (deliberately not unique) effects table, so doubles would show. */
async function setUp(database: TestDatabase): Promise<TestStore> {
  t = await createTestStore(database);
  await sql`create table test_effects (job_id bigint not null, worker text not null, attempt integer not null)`.execute(t.store.db);
  return t;
}

async function startWorker(options: Omit<WorkerProcessOptions, 'dataDir' | 'databaseUrl'>): Promise<WorkerProcess> {
  const worker = await startWorkerProcess({ databaseUrl: t!.databaseUrl, dataDir: t!.dataDir, ...options });
  processes.push(worker);
  return worker;
}

const effects = async () =>
  (await sql<EffectRow>`select job_id, worker, attempt from test_effects order by job_id`.execute(t!.store.db)).rows.map((r) => ({
    job_id: Number(r.job_id),
    worker: r.worker,
    attempt: Number(r.attempt),
  }));

const count = async (query: string) => Number((await sql<{ n: number | string }>`${sql.raw(query)}`.execute(t!.store.db)).rows[0]!.n);

describe.each(testDatabases)('queue worker killed with SIGKILL mid-job on $name', (database) => {
  it('lets another process finish the job once the lease expires, with one effect', async () => {
    const leaseMs = 1000;
    const holdMs = 2500;
    const { store } = await setUp(database);
    const a = await startWorker({ name: 'a', leaseMs, pollMs: 50 });
    const b = await startWorker({ name: 'b', leaseMs, pollMs: 50 });
    const { id } = await enqueueJob(store, { type: 'effect', payload: { holdMs, announce: true } });

    const first = await Promise.race([a, b].map((w) => w.waitFor((e) => e.event === 'STARTED' && e.data.id === id).then((e) => ({ w, e }))));
    const [holder, other] = first.w === a ? [a, b] : [b, a];
    expect(first.e.data.attempt).toBe(1);

    // Longer than the lease: the holder's heartbeats keep it, and the other worker stays off it.
    await new Promise((r) => setTimeout(r, leaseMs + 300));
    expect(await getJob(store, id)).toMatchObject({ state: 'running', lockedBy: holder.workerId, attempts: 1 });
    expect(other.events.some((e) => e.event === 'STARTED')).toBe(false);
    expect(await effects()).toEqual([]);

    await holder.kill();
    const takenOver = await other.waitFor((e) => e.event === 'STARTED' && e.data.id === id, 10_000);
    expect(takenOver.data.attempt).toBe(2);
    // While the survivor holds it, the row tells what happened.
    const running = await getJob(store, id);
    expect(running).toMatchObject({ state: 'running', lockedBy: other.workerId, attempts: 2 });
    expect(running.lastError).toBe(`lease expired: worker ${holder.workerId} stopped heartbeating`);

    await waitFor('the job is completed', async () => (await count('select count(*) as n from jobs')) === 0, 10_000);
    await expect(getJob(store, id)).rejects.toMatchObject({ code: 'QUEUE_JOB_NOT_FOUND' });
    expect(await effects()).toEqual([{ job_id: id, worker: other.name, attempt: 2 }]);
    expect(await other.stop()).toMatchObject({ completed: 1, lost: 0 });
  });

  it('discards the late completion of a worker frozen (SIGSTOP) past its lease', async () => {
    const leaseMs = 1000;
    const { store } = await setUp(database);
    const a = await startWorker({ name: 'a', leaseMs, pollMs: 50 });
    // The handler completes after its hold even when told it lost the job: only the fence stops it.
    const { id } = await enqueueJob(store, { type: 'effect', payload: { holdMs: 2000, announce: true, ignoreAbort: true } });
    await a.waitFor((e) => e.event === 'STARTED' && e.data.id === id);
    process.kill(a.pid, 'SIGSTOP');
    const b = await startWorker({ name: 'b', leaseMs, pollMs: 50 });
    const takenOver = await b.waitFor((e) => e.event === 'STARTED' && e.data.id === id, 10_000);
    expect(takenOver.data.attempt).toBe(2);

    // a wakes up while b holds the job; its hold is long over, so it tries to complete at once.
    process.kill(a.pid, 'SIGCONT');
    await waitFor('the job is completed', async () => (await count('select count(*) as n from jobs')) === 0, 10_000);
    expect(await effects()).toEqual([{ job_id: id, worker: 'b', attempt: 2 }]);
    expect(await a.stop()).toMatchObject({ completed: 0, lost: 1 });
    expect(await b.stop()).toMatchObject({ completed: 1, lost: 0 });
  });
});

async function runExactlyOnce(database: TestDatabase, options: { jobs: number; killOnePartWay: boolean }) {
  const { store } = await setUp(database);
  const workerOptions = { concurrency: 32, leaseMs: 2000 };
  const a = await startWorker({ name: 'a', ...workerOptions });
  const b = await startWorker({ name: 'b', ...workerOptions });
  await batchEnqueueJobs(store, Array.from({ length: options.jobs }, (_, n) => ({ type: 'effect', payload: { n } })));

  let orphans: number[] = [];
  let c: WorkerProcess | undefined;
  if (options.killOnePartWay) {
    await waitFor('a third of the jobs are done', async () => (await count('select count(*) as n from test_effects')) >= options.jobs / 3, 30_000, 10);
    await a.kill();
    // A COMMIT the server had already received when a died still lands: let it, then see what a held.
    await new Promise((r) => setTimeout(r, 300));
    orphans = (await store.db.selectFrom('jobs').select('id').where('locked_by', '=', a.workerId).where('state', '=', 'running').execute()).map((r) => r.id);
    c = await startWorker({ name: 'c', ...workerOptions });
  }
  await waitFor('every job is done', async () => (await count('select count(*) as n from jobs')) === 0, 45_000, 100);

  const rows = await effects();
  expect(rows).toHaveLength(options.jobs);
  expect(new Set(rows.map((r) => r.job_id)).size).toBe(options.jobs);
  expect(await count('select count(*) as n from jobs')).toBe(0);
  const byWorker = Object.fromEntries(['a', 'b', 'c'].map((w) => [w, rows.filter((r) => r.worker === w).length]));
  expect(byWorker.a).toBeGreaterThan(0);
  expect(byWorker.b).toBeGreaterThan(0);

  const stats = await Promise.all([b, ...(c ? [c] : [])].map((w) => w.stop()));
  if (options.killOnePartWay) {
    // The jobs a held when it died ran again elsewhere, once.
    expect(orphans.length).toBeGreaterThan(0);
    const orphaned = new Set(orphans);
    for (const row of rows.filter((r) => orphaned.has(r.job_id))) {
      expect(row.worker).not.toBe('a');
      expect(row.attempt).toBeGreaterThanOrEqual(2);
    }
  } else {
    await a.stop();
    expect(byWorker.c).toBe(0);
    // Without a failure nothing runs twice.
    expect(rows.every((r) => r.attempt === 1)).toBe(true);
    expect(stats[0]).toMatchObject({ completed: byWorker.b, lost: 0, failed: 0 });
  }
}

describe.skipIf(!postgresAvailable)('queue across worker processes on postgres', () => {
  it('runs 10,000 jobs exactly once across two workers, one killed with SIGKILL part-way and replaced', async () => {
    await runExactlyOnce(postgresDatabase, { jobs: 10_000, killOnePartWay: true });
  });
});

describe('queue across worker processes on sqlite', () => {
  it('runs 2,000 jobs exactly once across two worker processes on one file', async () => {
    await runExactlyOnce(sqliteDatabase, { jobs: 2_000, killOnePartWay: false });
  });
});
