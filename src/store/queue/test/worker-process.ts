/*
 * A queue worker in its own process, for multi-process fault tests and the queue benchmark.
 * Run with `node --import tsx worker-process.ts`; configured by environment:
 *
 *   WORKER_DATABASE_URL  postgres://… (absent: SQLite in WORKER_DATA_DIR)
 *   WORKER_DATA_DIR      data directory (required)
 *   WORKER_NAME          name written into effect rows (default: the pid)
 *   WORKER_CONCURRENCY, WORKER_LEASE_MS, WORKER_POLL_MS   createWorker options
 *
 * It speaks a line protocol on stdout, `<EVENT> <json>`:
 *   READY    {"workerId"}                   after start()
 *   STARTED  {"id","attempt"}                an `effect` job with `announce: true` began
 *   LATENCY  {"id","ms"}                     a `latency` job began, ms after its payload's enqueuedAt
 *   STOPPED  {"completed","lost",…}          after stop() on SIGTERM (or when stdin closes)
 * Logs go to stderr. The store's schema must already be migrated.
 *
 * Job types:
 *   effect   payload {holdMs?, announce?, ignoreAbort?}: waits holdMs (cut short when the job is
 *            aborted, e.g. on lease loss, unless ignoreAbort), then inserts (job_id, worker,
 *            attempt) into `test_effects` with job.completeWith — exactly once.
 *   noop     does nothing (completion is batched by the worker).
 *   latency  payload {enqueuedAt} (epoch ms, sub-ms precision): reports start latency.
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { createLogger } from '../../../core/logger.js';
import { openStore } from '../../store.js';
import { createWorker, type JobFinished, type JobHandler } from '../worker.js';

const env = process.env;
const dataDir = env.WORKER_DATA_DIR;
if (!dataDir) {
  process.stderr.write('WORKER_DATA_DIR is required\n');
  process.exit(2);
}
const name = env.WORKER_NAME ?? String(process.pid);
const numberFromEnv = (key: string): number | undefined => (env[key] ? Number(env[key]) : undefined);

function emit(event: string, data: Record<string, unknown>): void {
  // stdout is a pipe: writes are synchronous on Linux, so a line is out before the next statement.
  process.stdout.write(`${event} ${JSON.stringify(data)}\n`);
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one machine. */
const preciseNow = () => performance.timeOrigin + performance.now();

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }, { once: true });
  });

const handlers: JobHandler[] = [
  {
    type: 'effect',
    async run(job) {
      const payload = (job.payload ?? {}) as { holdMs?: number; announce?: boolean; ignoreAbort?: boolean };
      if (payload.announce) emit('STARTED', { id: job.id, attempt: job.attempt });
      if (payload.holdMs) await sleep(payload.holdMs, payload.ignoreAbort ? new AbortController().signal : job.signal);
      await job.completeWith(async (trx) => {
        await sql`insert into test_effects (job_id, worker, attempt) values (${job.id}, ${name}, ${job.attempt})`.execute(trx);
      });
    },
  },
  { type: 'noop', async run() {} },
  {
    type: 'latency',
    async run(job) {
      const startedAt = preciseNow();
      emit('LATENCY', { id: job.id, ms: startedAt - (job.payload as { enqueuedAt: number }).enqueuedAt });
    },
  },
];

const store = openStore({ databaseUrl: env.WORKER_DATABASE_URL || undefined, dataDir });
const outcomes: Record<JobFinished['outcome'], number> = { completed: 0, retrying: 0, failed: 0, cancelled: 0, lost: 0 };
const worker = createWorker(store, {
  handlers,
  concurrency: numberFromEnv('WORKER_CONCURRENCY'),
  leaseMs: numberFromEnv('WORKER_LEASE_MS'),
  pollMs: numberFromEnv('WORKER_POLL_MS'),
  // createLogger needs a redact hook (without one pino 10 gets `hooks: undefined` and throws).
  logger: createLogger({ level: env.WORKER_LOG_LEVEL ?? 'warn', redact: (line) => line }),
  onJobFinished: (finished) => void outcomes[finished.outcome]++,
});

let stopping: Promise<void> | undefined;
function shutdown(): Promise<void> {
  stopping ??= (async () => {
    await worker.stop(5000);
    emit('STOPPED', { ...outcomes });
    await store.destroy();
    process.exit(0);
  })();
  return stopping;
}
process.on('SIGTERM', () => void shutdown());
// The parent went away (its end of our stdin closed): do not linger as an orphan.
process.stdin.on('end', () => void shutdown());
process.stdin.resume();

await worker.start();
emit('READY', { workerId: worker.id });
