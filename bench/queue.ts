/*
 * Job queue benchmark, with real worker processes (src/store/queue/test/worker-process.ts):
 *
 *   queue.<db>.<n>worker(s).throughput  jobs/s  enqueue JOBS no-op jobs in batches of 1,000 while
 *                                               n idle worker processes wait; time until every job
 *                                               is completed (its row deleted); median of ROUNDS
 *   queue.<db>.latency.p50|p99          ms      enqueue single jobs spaced SPACING ms apart with one
 *                                               idle worker; time from just before enqueueJob to
 *                                               the handler starting
 *
 * Each measurement runs on a fresh database: a new PostgreSQL database (created and dropped on
 * PLINTH_BENCH_DATABASE_URL's server, default the local one), or a new SQLite file in a temp dir.
 * Workers run with their defaults except concurrency (WORKER_CONCURRENCY, default 128).
 * Tunables (env): BENCH_QUEUE_JOBS (20000), BENCH_QUEUE_ROUNDS (3), BENCH_QUEUE_LATENCY_SAMPLES (300),
 * BENCH_QUEUE_DATABASES (postgres,sqlite).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from '../src/store/store.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { storeMigrations } from '../src/store/migrations.js';
import { batchEnqueueJobs, enqueueJob, type EnqueueJob } from '../src/store/queue/jobs.js';
import { startWorkerProcess, type WorkerProcess } from '../src/store/queue/test/worker-processes.js';
import type { Benchmark, Report } from './run.js';

type DatabaseKind = 'postgres' | 'sqlite';

const ADMIN_URL = process.env.PLINTH_BENCH_DATABASE_URL ?? process.env.PLINTH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 20_000);
const BATCH = 1000;
const ROUNDS = Number(process.env.BENCH_QUEUE_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.WORKER_CONCURRENCY ?? 128);
const LATENCY_SAMPLES = Number(process.env.BENCH_QUEUE_LATENCY_SAMPLES ?? 300);
const SPACING_MS = 5;
const DATABASES = (process.env.BENCH_QUEUE_DATABASES ?? 'postgres,sqlite').split(',') as DatabaseKind[];

const log = (message: string) => process.stderr.write(`  ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Epoch milliseconds with sub-millisecond precision, comparable with the worker processes'. */
const preciseNow = () => performance.timeOrigin + performance.now();

interface BenchDatabase {
  store: Store;
  databaseUrl?: string;
  dataDir: string;
  close(): Promise<void>;
}

async function freshDatabase(kind: DatabaseKind): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-bench-'));
  let databaseUrl: string | undefined;
  let dropDatabase = async () => {};
  if (kind === 'postgres') {
    const name = `plinth_bench_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const admin = async (statement: string) => {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };
    await admin(`create database ${name}`);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = () => admin(`drop database if exists ${name} with (force)`);
  }
  const store = openStore({ databaseUrl, dataDir });
  await migrateToLatest(store.db as never, store.adapter, storeMigrations);
  return {
    store,
    databaseUrl,
    dataDir,
    async close() {
      await store.destroy();
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function withWorkers<T>(db: BenchDatabase, count: number, fn: (workers: WorkerProcess[]) => Promise<T>): Promise<T> {
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      workers.push(await startWorkerProcess({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, name: `w${i + 1}`, concurrency: CONCURRENCY }));
    }
    const result = await fn(workers);
    const stats = await Promise.all(workers.map((w) => w.stop()));
    log(`completed per worker: ${stats.map((s) => s.completed).join(', ')}`);
    return result;
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
  }
}

async function untilEmpty(store: Store, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await store.db.selectFrom('jobs').select('id').limit(1).executeTakeFirst()) {
    if (Date.now() > deadline) throw new Error(`jobs not completed within ${timeoutMs} ms`);
    await sleep(5);
  }
}

async function enqueueNoops(store: Store, count: number): Promise<void> {
  const batch: EnqueueJob[] = Array.from({ length: BATCH }, () => ({ type: 'noop' }));
  for (let done = 0; done < count; done += BATCH) await batchEnqueueJobs(store, batch.slice(0, Math.min(BATCH, count - done)));
}

async function throughput(kind: DatabaseKind, workerCount: number, report: Report): Promise<void> {
  const db = await freshDatabase(kind);
  try {
    const rounds = await withWorkers(db, workerCount, async () => {
      // Warm up (JIT, connection pools, statement caches), then measure rounds on an empty table.
      await enqueueNoops(db.store, 2 * BATCH);
      await untilEmpty(db.store, 60_000);
      const rates: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const start = performance.now();
        await enqueueNoops(db.store, JOBS);
        const enqueuedMs = performance.now() - start;
        await untilEmpty(db.store, 300_000);
        const elapsedMs = performance.now() - start;
        rates.push((JOBS / elapsedMs) * 1000);
        log(`${kind}, ${workerCount} worker(s), round ${round}: ${JOBS} jobs enqueued in ${enqueuedMs.toFixed(0)} ms, all completed after ${elapsedMs.toFixed(0)} ms (${rates.at(-1)!.toFixed(0)} jobs/s)`);
      }
      return rates;
    });
    report(`queue.${kind}.${workerCount}${workerCount === 1 ? 'worker' : 'workers'}.throughput`, median(rounds), 'jobs/s');
  } finally {
    await db.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

async function latency(kind: DatabaseKind, report: Report): Promise<void> {
  const db = await freshDatabase(kind);
  try {
    const samples = await withWorkers(db, 1, async ([worker]) => {
      const wanted = new Set<number>();
      const warmup = 20;
      for (let i = 0; i < warmup + LATENCY_SAMPLES; i++) {
        const enqueuedAt = preciseNow();
        const { id } = await enqueueJob(db.store, { type: 'latency', payload: { enqueuedAt } });
        if (i >= warmup) wanted.add(id);
        await sleep(SPACING_MS);
      }
      const maxId = Math.max(...wanted);
      await worker!.waitFor((e) => e.event === 'LATENCY' && e.data.id === maxId, 30_000);
      await untilEmpty(db.store, 30_000);
      return worker!.events.filter((e) => e.event === 'LATENCY' && wanted.has(Number(e.data.id))).map((e) => Number(e.data.ms));
    });
    if (samples.length !== LATENCY_SAMPLES) throw new Error(`expected ${LATENCY_SAMPLES} latency samples, got ${samples.length}`);
    const sorted = samples.sort((a, b) => a - b);
    log(`${kind} latency over ${sorted.length} jobs ${SPACING_MS} ms apart: min ${sorted[0]!.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms`);
    report(`queue.${kind}.latency.p50`, percentile(sorted, 0.5), 'ms');
    report(`queue.${kind}.latency.p99`, percentile(sorted, 0.99), 'ms');
  } finally {
    await db.close();
  }
}

const benchmark: Benchmark = {
  async run(report) {
    for (const kind of DATABASES) {
      for (const workerCount of [1, 2]) await throughput(kind, workerCount, report);
      await latency(kind, report);
    }
  },
};

export default benchmark;
