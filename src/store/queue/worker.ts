import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../store.js';
import type { JobState, StoreTables } from '../tables.js';
import { JOBS_CHANNEL } from './jobs.js';

/** The job a handler runs. */
export interface RunningJob<Payload = unknown> {
  id: number;
  type: string;
  payload: Payload;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the job is cancelled, times out, or the worker is stopping for good. */
  signal: AbortSignal;
  /**
   * Runs fn in a write transaction that also completes the job, fenced by this worker's claim:
   * if another worker took the job over (lease expired), nothing fn wrote is kept. This gives
   * exactly-once effects for writes to Plinth's own database.
   */
  completeWith<T>(fn: (trx: Kysely<StoreTables>) => Promise<T>): Promise<T>;
}

export interface JobHandler<Payload = any> {
  type: string;
  run(job: RunningJob<Payload>): Promise<void>;
  /** Delay before the next attempt; default doubles from 1 s up to 5 min, with jitter. */
  backoffMs?(attempt: number): number;
  /** The job is aborted and failed (or retried) after this long. */
  timeoutMs?: number;
  /**
   * At most this many jobs of this type run at once on one worker, so long work (a pipeline's
   * `npm install`) cannot take every slot from short work (a template task). Default: no limit.
   */
  concurrency?: number;
}

export interface JobFinished {
  id: number;
  type: string;
  outcome: 'completed' | 'retrying' | 'failed' | 'cancelled' | 'lost';
  durationMs: number;
  error?: string;
}

export interface WorkerOptions {
  handlers: JobHandler[];
  queues?: string[];
  labels?: string[];
  /** Jobs run at once by this worker. */
  concurrency?: number;
  /** A claimed job is taken back by others if this worker does not heartbeat for this long. */
  leaseMs?: number;
  /** Fallback polling when no wake-up arrives (LISTEN/NOTIFY or in-process signal). */
  pollMs?: number;
  logger?: Logger;
  onJobFinished?(finished: JobFinished): void;
}

export interface QueueWorker {
  readonly id: string;
  /** Epoch ms of the last successful heartbeat; /readyz fails when it grows old. */
  readonly lastHeartbeatAt: number;
  readonly leaseMs: number;
  readonly runningCount: number;
  start(): Promise<void>;
  /** Stops claiming, lets running jobs finish (aborting them after graceMs), and records the stop. */
  stop(graceMs?: number): Promise<void>;
}

class LeaseLostError extends Error {
  constructor(id: number) {
    super(`job ${id} is no longer held by this worker (lease expired or cancelled)`);
  }
}

export function defaultBackoffMs(attempt: number): number {
  const base = Math.min(1000 * 2 ** (attempt - 1), 300_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

interface ClaimedRow {
  id: number;
  type: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  priority: number;
}

interface Inflight {
  job: ClaimedRow;
  controller: AbortController;
  startedAt: number;
  settled: boolean;
}

export function createWorker(store: Store, options: WorkerOptions): QueueWorker {
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const handlers = new Map(options.handlers.map((h) => [h.type, h]));
  const queues = options.queues ?? ['default'];
  const concurrency = options.concurrency ?? 4;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? (store.adapter.supportsNotify ? 2000 : 100);
  const logger = options.logger;
  const db = store.db;

  const inflight = new Map<number, Inflight>();
  let pendingCompletions: number[] = [];
  let flushScheduled: Promise<void> | undefined;
  let stopping = false;
  let wakePending = false;
  let wake: (() => void) | undefined;
  let loopDone: Promise<void> | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let lastHeartbeatAt = 0;

  const signalWake = () => {
    wakePending = true;
    wake?.();
  };
  const onSignal = (payload: string) => {
    if (payload.startsWith('cancel:')) {
      inflight.get(Number(payload.slice(7)))?.controller.abort(new Error('cancelled'));
    } else if (queues.includes(payload)) {
      signalWake();
    }
  };

  const runningOfType = (type: string) => [...inflight.values()].filter((entry) => entry.job.type === type).length;

  /** The types this worker may claim now, and how many jobs at most so no type exceeds its limit. */
  function claimableTypes(free: number): { types: string[]; limit: number } {
    const types: string[] = [];
    let limit = free;
    for (const [type, handler] of handlers) {
      if (handler.concurrency === undefined) {
        types.push(type);
        continue;
      }
      const room = handler.concurrency - runningOfType(type);
      if (room <= 0) continue;
      types.push(type);
      limit = Math.min(limit, room);
    }
    return { types, limit };
  }

  async function claimJobs(types: string[], limit: number): Promise<ClaimedRow[]> {
    const now = Date.now();
    const candidates = db
      .selectFrom('jobs')
      .select('id')
      .where('state', '=', 'ready')
      .where('queue', 'in', queues)
      .where('run_at', '<=', now)
      .where('type', 'in', types)
      .where((eb) =>
        eb.or([
          eb('unique_key', 'is', null),
          eb.not(eb.exists(eb.selectFrom('jobs as held').select('held.id').whereRef('held.unique_key', '=', 'jobs.unique_key').where('held.state', '=', 'running'))),
        ]),
      )
      .orderBy('priority', 'desc')
      .orderBy('run_at')
      .orderBy('id')
      .limit(limit)
      .$if(store.adapter.supportsSkipLocked, (qb) => qb.forUpdate().skipLocked());
    const rows = await db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'running',
        locked_by: id,
        locked_until: now + leaseMs,
        attempts: eb('attempts', '+', 1),
        started_at: now,
        updated_at: now,
      }))
      .where('id', 'in', candidates)
      .returning(['id', 'type', 'payload', 'attempts', 'max_attempts', 'priority'])
      .execute();
    return rows.sort((a, b) => b.priority - a.priority || a.id - b.id);
  }

  async function flushCompletions(): Promise<void> {
    while (pendingCompletions.length > 0) {
      const ids = pendingCompletions;
      pendingCompletions = [];
      try {
        await db.deleteFrom('jobs').where('id', 'in', ids).where('locked_by', '=', id).where('state', '=', 'running').execute();
      } catch (error) {
        // The jobs stay locked; their lease runs out and they run again (at-least-once).
        logger?.error({ err: error, jobs: ids.length }, 'could not record completed jobs');
      }
    }
  }

  function scheduleCompletion(jobId: number): Promise<void> {
    pendingCompletions.push(jobId);
    flushScheduled ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(flushCompletions)
      .finally(() => {
        flushScheduled = undefined;
      });
    return flushScheduled;
  }

  async function recordFailure(entry: Inflight, error: unknown): Promise<JobFinished['outcome']> {
    const { job } = entry;
    const now = Date.now();
    const handler = handlers.get(job.type);
    const exhausted = job.attempts >= job.max_attempts;
    const delay = exhausted ? 0 : (handler?.backoffMs ?? defaultBackoffMs)(job.attempts);
    const result = await db
      .updateTable('jobs')
      .set({
        state: exhausted ? 'failed' : 'ready',
        run_at: now + delay,
        last_error: `attempt ${job.attempts}/${job.max_attempts}: ${describeError(error)}`.slice(0, 20_000),
        locked_by: null,
        locked_until: null,
        updated_at: now,
      })
      .where('id', '=', job.id)
      .where('locked_by', '=', id)
      .where('state', '=', 'running')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return entry.controller.signal.aborted ? 'cancelled' : 'lost';
    if (!exhausted) signalWakeAfter(delay);
    return exhausted ? 'failed' : 'retrying';
  }

  // A retry due soon should not wait for the poll interval.
  function signalWakeAfter(delay: number) {
    if (delay < pollMs) setTimeout(signalWake, delay + 1).unref();
  }

  async function runJob(entry: Inflight): Promise<void> {
    const { job, controller } = entry;
    const handler = handlers.get(job.type)!;
    let completedInTransaction = false;
    const running: RunningJob = {
      id: job.id,
      type: job.type,
      payload: JSON.parse(job.payload),
      attempt: job.attempts,
      maxAttempts: job.max_attempts,
      signal: controller.signal,
      async completeWith(fn) {
        const result = await store.transaction(async (trx) => {
          const value = await fn(trx);
          const deleted = await trx.deleteFrom('jobs').where('id', '=', job.id).where('locked_by', '=', id).where('state', '=', 'running').executeTakeFirst();
          if (Number(deleted.numDeletedRows) !== 1) throw new LeaseLostError(job.id);
          return value;
        });
        completedInTransaction = true;
        return result;
      },
    };
    let timer: NodeJS.Timeout | undefined;
    let outcome: JobFinished['outcome'];
    let errorText: string | undefined;
    try {
      const run = handler.run(running);
      if (handler.timeoutMs) {
        const timeoutMs = handler.timeoutMs;
        await Promise.race([
          run,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new Error(`timed out after ${timeoutMs} ms`);
              controller.abort(error);
              reject(error);
            }, timeoutMs);
          }),
        ]);
      } else {
        await run;
      }
      if (!completedInTransaction) await scheduleCompletion(job.id);
      outcome = 'completed';
    } catch (error) {
      errorText = describeError(error);
      outcome = error instanceof LeaseLostError ? 'lost' : await recordFailure(entry, error).catch((e) => {
        logger?.error({ err: e, job: job.id }, 'could not record job failure');
        return 'lost' as const;
      });
      if (outcome === 'failed') logger?.warn({ job: job.id, type: job.type, error: errorText }, 'job failed for good');
    } finally {
      clearTimeout(timer);
      entry.settled = true;
      inflight.delete(job.id);
      wake?.();
    }
    options.onJobFinished?.({ id: job.id, type: job.type, outcome, durationMs: Date.now() - entry.startedAt, error: errorText });
  }

  async function heartbeat(): Promise<void> {
    const now = Date.now();
    try {
      await db.updateTable('workers').set({ heartbeat_at: now }).where('id', '=', id).execute();
      if (inflight.size > 0) {
        // Only jobs claimed before this statement can be judged by it: one claimed meanwhile is not lost.
        const checked = [...inflight.keys()];
        const held = await db
          .updateTable('jobs')
          .set({ locked_until: now + leaseMs })
          .where('locked_by', '=', id)
          .where('state', '=', 'running')
          .returning('id')
          .execute();
        const stillHeld = new Set(held.map((r) => r.id));
        for (const jobId of checked) {
          // Cancelled, or taken over after a stall: stop working on it.
          if (!stillHeld.has(jobId) && !pendingCompletions.includes(jobId)) inflight.get(jobId)?.controller.abort(new Error('cancelled or lease lost'));
        }
      }
      await reapExpiredLeases(store, now);
      lastHeartbeatAt = now;
    } catch (error) {
      logger?.warn({ err: error }, 'worker heartbeat failed');
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      const free = concurrency - inflight.size;
      if (free > 0) {
        wakePending = false;
        let claimed: ClaimedRow[] = [];
        const { types, limit: batch } = claimableTypes(free);
        try {
          if (types.length > 0) claimed = await claimJobs(types, batch);
        } catch (error) {
          logger?.warn({ err: error }, 'claiming jobs failed; retrying');
        }
        for (const job of claimed) {
          const entry: Inflight = { job, controller: new AbortController(), startedAt: Date.now(), settled: false };
          inflight.set(job.id, entry);
          void runJob(entry);
        }
        // A full batch: more may be waiting.
        if (claimed.length > 0 && claimed.length === batch) continue;
        if (claimed.length > 0 && wakePending) continue;
      }
      if (stopping) break;
      if (wakePending && inflight.size < concurrency) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    id,
    leaseMs,
    get lastHeartbeatAt() {
      return lastHeartbeatAt;
    },
    get runningCount() {
      return inflight.size;
    },
    async start() {
      const now = Date.now();
      await db
        .insertInto('workers')
        .values({ id, host: hostname(), pid: process.pid, queues: JSON.stringify(queues), labels: JSON.stringify(options.labels ?? []), started_at: now, heartbeat_at: now, lease_ms: leaseMs, stopped_at: null })
        .execute();
      lastHeartbeatAt = now;
      store.signals.on(JOBS_CHANNEL, onSignal);
      if (store.adapter.supportsNotify) unlisten = await store.adapter.listen(JOBS_CHANNEL, onSignal);
      heartbeatTimer = setInterval(() => void heartbeat(), Math.max(50, Math.floor(leaseMs / 3)));
      heartbeatTimer.unref();
      await reapExpiredLeases(store, now);
      loopDone = loop();
    },
    async stop(graceMs = 10_000) {
      if (stopping) return loopDone;
      stopping = true;
      wake?.();
      await loopDone;
      const deadline = Date.now() + graceMs;
      while (inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const entry of inflight.values()) entry.controller.abort(new Error('worker stopping'));
      while (inflight.size > 0 && Date.now() < deadline + 1000) await new Promise((r) => setTimeout(r, 20));
      await flushScheduled;
      await flushCompletions();
      clearInterval(heartbeatTimer);
      store.signals.off(JOBS_CHANNEL, onSignal);
      await unlisten?.();
      await db.updateTable('workers').set({ stopped_at: Date.now() }).where('id', '=', id).execute().catch(() => {});
    },
  };
}

/**
 * Gives jobs whose worker stopped heartbeating back to the queue (or fails them when out of
 * attempts). Every worker runs this with its heartbeat; it is idempotent.
 */
export async function reapExpiredLeases(store: Store, now = Date.now()): Promise<number> {
  const result = await store.db
    .updateTable('jobs')
    .set({
      state: sql<JobState>`case when attempts >= max_attempts then 'failed' else 'ready' end`,
      last_error: sql<string>`'lease expired: worker ' || coalesce(locked_by, '?') || ' stopped heartbeating'`,
      locked_by: null,
      locked_until: null,
      run_at: now,
      updated_at: now,
    })
    .where('state', '=', 'running')
    .where('locked_until', '<', now)
    .returning('queue')
    .execute();
  // Wake the workers of each affected queue, here and in other processes.
  for (const queue of new Set(result.map((r) => r.queue))) {
    await store.notify(store.db, JOBS_CHANNEL, queue);
  }
  return result.length;
}
