import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/databases.js';
import { createTestStore, type TestStore } from '../../../test/support/store.js';
import { batchEnqueueJobs, cancelJob, enqueueJob, getJob, listJobs, retryJob } from './jobs.js';
import { createWorker, type JobHandler, type QueueWorker } from './worker.js';

const waitFor = async (check: () => Promise<boolean> | boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.each(testDatabases)('queue on $name', (database) => {
  let t: TestStore;
  let workers: QueueWorker[] = [];
  beforeEach(async () => {
    t = await createTestStore(database);
    workers = [];
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop(1000)));
    await t.close();
  });
  const startWorker = async (handlers: JobHandler[], options: Partial<Parameters<typeof createWorker>[1]> = {}) => {
    const worker = createWorker(t.store, { handlers, concurrency: 4, ...options });
    workers.push(worker);
    await worker.start();
    return worker;
  };

  it('runs each enqueued job once, highest priority first', async () => {
    const seen: number[] = [];
    await batchEnqueueJobs(t.store, [1, 2, 3].map((n) => ({ type: 'record', payload: { n }, priority: n })));
    await startWorker([{ type: 'record', run: async (job) => void seen.push((job.payload as { n: number }).n) }], { concurrency: 1 });
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual([3, 2, 1]);
    await waitFor(async () => (await listJobs(t.store)).length === 0);
  });

  it('runs a job enqueued while its key runs after it, never beside it', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await enqueueJob(t.store, { type: 'refresh', uniqueKey: 'location:9', payload: { n: 1 } });
    await startWorker([{ type: 'refresh', run: async (job) => {
      const n = (job.payload as { n: number }).n;
      log.push(`start ${n}`);
      if (n === 1) await gate;
      log.push(`end ${n}`);
    } }], { concurrency: 4, pollMs: 20 });
    await waitFor(() => log.length === 1);
    const second = await enqueueJob(t.store, { type: 'refresh', uniqueKey: 'location:9', payload: { n: 2 } });
    expect(second.deduplicated).toBe(false);
    await new Promise((r) => setTimeout(r, 150));
    expect(log).toEqual(['start 1']);
    release();
    await waitFor(() => log.length === 4);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });


  it('runs at most a type\'s limit at once, and other types in the free slots', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let running = 0;
    let mostAtOnce = 0;
    const quick: number[] = [];
    await batchEnqueueJobs(t.store, Array.from({ length: 6 }, (_, n) => ({ type: 'long', payload: { n }, priority: 1 })));
    await startWorker(
      [
        { type: 'long', concurrency: 2, run: async () => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await gate;
          running--;
        } },
        { type: 'quick', run: async (job) => void quick.push((job.payload as { n: number }).n) },
      ],
      { concurrency: 4, pollMs: 20 },
    );
    await waitFor(() => running === 2);
    await batchEnqueueJobs(t.store, [1, 2, 3, 4, 5].map((n) => ({ type: 'quick', payload: { n } })));
    // Four long jobs wait, yet the quick ones run beside the two long ones.
    await waitFor(() => quick.length === 5);
    expect(running).toBe(2);
    release();
    await waitFor(async () => (await listJobs(t.store)).length === 0);
    expect(mostAtOnce).toBe(2);
  });
  it('dedupes waiting jobs by unique key', async () => {
    const first = await enqueueJob(t.store, { type: 'sync', uniqueKey: 'location:1' });
    const second = await enqueueJob(t.store, { type: 'sync', uniqueKey: 'location:1' });
    expect(second).toEqual({ id: first.id, deduplicated: true });
    const other = await enqueueJob(t.store, { type: 'sync', uniqueKey: 'location:2' });
    expect(other.deduplicated).toBe(false);
    // A duplicate that wants to run sooner moves the existing job earlier, never later.
    const later = await enqueueJob(t.store, { type: 'sync', uniqueKey: 'location:3', runAt: Date.now() + 60_000 });
    await enqueueJob(t.store, { type: 'sync', uniqueKey: 'location:3', runAt: Date.now() + 120_000 });
    expect(new Date((await getJob(t.store, later.id)).runAt).getTime()).toBeGreaterThan(Date.now() + 50_000);
    await enqueueJob(t.store, { type: 'sync', uniqueKey: 'location:3' });
    expect(new Date((await getJob(t.store, later.id)).runAt).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('does not start a job before its run_at', async () => {
    let ran = 0;
    await enqueueJob(t.store, { type: 'later', runAt: Date.now() + 400 });
    await startWorker([{ type: 'later', run: async () => void ran++ }], { pollMs: 50 });
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toBe(0);
    await waitFor(() => ran === 1);
  });

  it('retries a throwing handler with backoff, then fails it with its error kept', async () => {
    const attempts: number[] = [];
    const { id } = await enqueueJob(t.store, { type: 'flaky', maxAttempts: 3 });
    await startWorker([{ type: 'flaky', backoffMs: (attempt) => attempt * 100, run: async (job) => {
      attempts.push(Date.now());
      throw new Error(`boom on attempt ${job.attempt}`);
    } }], { pollMs: 20 });
    await waitFor(async () => (await getJob(t.store, id)).state === 'failed');
    const job = await getJob(t.store, id);
    expect(job.attempts).toBe(3);
    expect(job.lastError).toContain('attempt 3/3');
    expect(job.lastError).toContain('boom on attempt 3');
    expect(attempts).toHaveLength(3);
    // Backoff: 100 ms after the first failure, 200 ms after the second.
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(90);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(190);
    // A failed job stays visible and can be retried by hand.
    expect((await listJobs(t.store, { state: 'failed' })).map((j) => j.id)).toEqual([id]);
    const retried = await retryJob(t.store, id);
    expect(retried.state).toBe('ready');
    expect(retried.attempts).toBe(0);
  });

  it('cancels a ready job, and aborts a running one', async () => {
    const ready = await enqueueJob(t.store, { type: 'slow', runAt: Date.now() + 60_000 });
    expect((await cancelJob(t.store, ready.id)).state).toBe('cancelled');
    await expect(cancelJob(t.store, ready.id)).rejects.toMatchObject({ code: 'QUEUE_JOB_NOT_CANCELLABLE' });

    let aborted = false;
    const running = await enqueueJob(t.store, { type: 'slow' });
    await startWorker([{ type: 'slow', run: (job) => new Promise((_, reject) => job.signal.addEventListener('abort', () => {
      aborted = true;
      reject(new Error('aborted'));
    })) }]);
    await waitFor(async () => (await getJob(t.store, running.id)).state === 'running');
    await cancelJob(t.store, running.id);
    await waitFor(() => aborted);
    expect((await getJob(t.store, running.id)).state).toBe('cancelled');
  });

  it('gives the job of a stalled worker to another once its lease expires', async () => {
    const { id } = await enqueueJob(t.store, { type: 'stuck' });
    let secondRan = false;
    // The first worker takes the job and never heartbeats (it is stopped without finishing).
    const stalled = createWorker(t.store, { handlers: [{ type: 'stuck', run: () => new Promise(() => {}) }], leaseMs: 300 });
    await stalled.start();
    await waitFor(async () => (await getJob(t.store, id)).state === 'running');
    // Simulate a hard stop: no further heartbeats from it.
    await (stalled as unknown as { stop: (g: number) => Promise<void> }).stop(0).catch(() => {});
    await startWorker([{ type: 'stuck', run: async () => void (secondRan = true) }], { leaseMs: 300, pollMs: 50 });
    await waitFor(() => secondRan);
  });

  it('completeWith commits the handler writes and the completion together', async () => {
    const { id } = await enqueueJob(t.store, { type: 'effect' });
    let done = false;
    await startWorker([{ type: 'effect', run: async (job) => {
      await job.completeWith(async (trx) => {
        await trx.insertInto('event_cursors').values({ name: `effect-${job.id}`, seq: 1, updated_at: 0 }).execute();
      });
      done = true;
    } }]);
    await waitFor(() => done);
    await expect(getJob(t.store, id)).rejects.toMatchObject({ code: 'QUEUE_JOB_NOT_FOUND' });
    const rows = await t.store.db.selectFrom('event_cursors').selectAll().execute();
    expect(rows.map((r) => r.name)).toEqual([`effect-${id}`]);
  });
});
