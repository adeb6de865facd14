import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { PlinthError } from '../../core/errors.js';
import type { Store } from '../store.js';
import type { DbJobRow, JobState, StoreTables } from '../tables.js';

/** Channel that wakes idle workers: payload is a queue name, or `cancel:<id>`. */
export const JOBS_CHANNEL = 'plinth_jobs';

export interface EnqueueJob {
  /** The job type; a worker runs it with the handler registered for this type. */
  type: string;
  payload?: unknown;
  /** Workers claim only from the queues they serve (pipelines map runner labels to queues). */
  queue?: string;
  /** Higher runs first. */
  priority?: number;
  /** Not before this time (epoch ms or Date). */
  runAt?: number | Date;
  /**
   * At most one waiting job per key: enqueueing a duplicate returns the waiting job, moved
   * earlier if the duplicate asked to run sooner (an event-driven refresh overtakes a scheduled
   * one). Jobs with the same key never run at the same time.
   */
  uniqueKey?: string;
  maxAttempts?: number;
}

export interface EnqueuedJob {
  id: number;
  /** True when a ready or running job with the same unique key already existed. */
  deduplicated: boolean;
}

/** A job as the API and the CLI show it. */
export interface JobView {
  id: number;
  type: string;
  queue: string;
  state: JobState;
  payload: unknown;
  priority: number;
  attempts: number;
  maxAttempts: number;
  uniqueKey: string | null;
  lockedBy: string | null;
  lastError: string | null;
  runAt: string;
  createdAt: string;
  updatedAt: string;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

function toRow(job: EnqueueJob, now: number): Insertable<DbJobRow> & { queue: string } {
  const runAt = job.runAt instanceof Date ? job.runAt.getTime() : (job.runAt ?? now);
  return {
    type: job.type,
    queue: job.queue ?? 'default',
    payload: JSON.stringify(job.payload ?? {}),
    priority: job.priority ?? 0,
    state: 'ready',
    run_at: runAt,
    attempts: 0,
    max_attempts: job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    unique_key: job.uniqueKey ?? null,
    locked_by: null,
    locked_until: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    started_at: null,
  };
}

/**
 * Adds a job. Pass a transaction as `db` to enqueue atomically with a domain write: the job
 * exists only if the transaction commits, and on PostgreSQL the wake-up is sent at commit.
 */
export async function enqueueJob(store: Store, job: EnqueueJob, db: Kysely<StoreTables> = store.db): Promise<EnqueuedJob> {
  const row = toRow(job, Date.now());
  const inserted = await db
    .insertInto('jobs')
    .values(row)
    // The predicate is spelled as in the partial index: SQLite matches it textually, without parameters.
    .onConflict((oc) => oc.column('unique_key').where(sql<boolean>`state = 'ready'`).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    const existing = await db
      .selectFrom('jobs')
      .select('id')
      .where('unique_key', '=', job.uniqueKey!)
      .where('state', '=', 'ready')
      .executeTakeFirst();
    if (existing) {
      const moved = await db.updateTable('jobs').set({ run_at: row.run_at, updated_at: row.created_at }).where('id', '=', existing.id).where('state', '=', 'ready').where('run_at', '>', row.run_at).executeTakeFirst();
      if (Number(moved.numUpdatedRows) > 0) await wakeWorkers(store, row.queue, db);
      return { id: existing.id, deduplicated: true };
    }
    // The holder finished between our insert and select: try once more.
    return enqueueJob(store, job, db);
  }
  await wakeWorkers(store, row.queue, db);
  return { id: inserted.id, deduplicated: false };
}

/** Adds many jobs in one statement (no unique keys). Returns their ids in order. */
export async function batchEnqueueJobs(store: Store, jobs: EnqueueJob[], db: Kysely<StoreTables> = store.db): Promise<number[]> {
  if (jobs.length === 0) return [];
  const now = Date.now();
  const ids: number[] = [];
  // Keep each statement under SQLite's bound-parameter limit.
  for (let start = 0; start < jobs.length; start += 500) {
    const rows = jobs.slice(start, start + 500).map((job) => {
      if (job.uniqueKey) throw new PlinthError('REQUEST_INVALID', 'batch enqueue does not take unique keys; enqueue such jobs one by one');
      return toRow(job, now);
    });
    const inserted = await db.insertInto('jobs').values(rows).returning('id').execute();
    ids.push(...inserted.map((r) => r.id).sort((a, b) => a - b));
  }
  for (const queue of new Set(jobs.map((j) => j.queue ?? 'default'))) await wakeWorkers(store, queue, db);
  return ids;
}

async function wakeWorkers(store: Store, queue: string, db: Kysely<StoreTables>): Promise<void> {
  await store.notify(db, JOBS_CHANNEL, queue);
}

export async function getJob(store: Store, id: number): Promise<JobView> {
  const row = await store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new PlinthError('QUEUE_JOB_NOT_FOUND', `job ${id} does not exist (completed jobs are removed)`);
  return toJobView(row);
}

export interface ListJobsFilter {
  state?: JobState;
  type?: string;
  limit?: number;
  /** Jobs with an id below this (pagination, newest first). */
  before?: number;
}

export async function listJobs(store: Store, filter: ListJobsFilter = {}): Promise<JobView[]> {
  let query = store.db.selectFrom('jobs').selectAll().orderBy('id', 'desc').limit(Math.min(filter.limit ?? 50, 500));
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.type) query = query.where('type', '=', filter.type);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return (await query.execute()).map(toJobView);
}

/** Counts by type and state, for /metrics and the admin page. */
export async function countJobs(store: Store): Promise<Array<{ type: string; state: JobState; count: number }>> {
  const rows = await store.db
    .selectFrom('jobs')
    .select(['type', 'state', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy(['type', 'state'])
    .execute();
  return rows.map((r) => ({ type: r.type, state: r.state, count: Number(r.count) }));
}

/**
 * Cancels a ready job at once; a running job is marked cancelled and its worker aborts the
 * handler (told by notification, or at its next heartbeat at the latest).
 */
export async function cancelJob(store: Store, id: number): Promise<JobView> {
  const now = Date.now();
  const updated = await store.db
    .updateTable('jobs')
    .set({ state: 'cancelled', updated_at: now, last_error: sql<string>`coalesce(last_error, 'cancelled')` })
    .where('id', '=', id)
    .where('state', 'in', ['ready', 'running'])
    .returningAll()
    .executeTakeFirst();
  if (!updated) {
    const current = await getJob(store, id);
    throw new PlinthError('QUEUE_JOB_NOT_CANCELLABLE', `job ${id} is ${current.state}; only ready or running jobs can be cancelled`);
  }
  await store.notify(store.db, JOBS_CHANNEL, `cancel:${id}`);
  return toJobView(updated);
}

/** Puts a failed or cancelled job back in the queue with a fresh set of attempts. */
export async function retryJob(store: Store, id: number): Promise<JobView> {
  const now = Date.now();
  const updated = await store.db
    .updateTable('jobs')
    .set({ state: 'ready', attempts: 0, run_at: now, updated_at: now, locked_by: null, locked_until: null })
    .where('id', '=', id)
    .where('state', 'in', ['failed', 'cancelled'])
    .returningAll()
    .executeTakeFirst();
  if (!updated) {
    const current = await getJob(store, id);
    throw new PlinthError('QUEUE_JOB_NOT_RETRYABLE', `job ${id} is ${current.state}; only failed or cancelled jobs can be retried`);
  }
  await wakeWorkers(store, updated.queue, store.db);
  return toJobView(updated);
}

export function toJobView(row: Selectable<DbJobRow>): JobView {
  return {
    id: row.id,
    type: row.type,
    queue: row.queue,
    state: row.state,
    payload: JSON.parse(row.payload),
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    uniqueKey: row.unique_key,
    lockedBy: row.locked_by,
    lastError: row.last_error,
    runAt: new Date(row.run_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
