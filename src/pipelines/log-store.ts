import type { Kysely } from 'kysely';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/store.js';
import type { PipelineTables } from './tables.js';

/** Channel announcing new log lines of a job to other processes; payload is the job id. */
export const PIPELINE_LOGS_CHANNEL = 'plinth_pipeline_logs';
/** Channel announcing that a run or one of its jobs changed state; payload is the run id. */
export const PIPELINE_RUNS_CHANNEL = 'plinth_pipeline_runs';

/** Tells live streams (here and in other processes) that a run changed; pass the transaction to send at commit. */
export async function announceRunChanged(store: Store, runId: number, db: Kysely<unknown> = store.db as Kysely<unknown>): Promise<void> {
  await store.notify(db, PIPELINE_RUNS_CHANNEL, String(runId));
}

export interface LogLine {
  line: number;
  step: number;
  at: string;
  text: string;
}

const FLUSH_MS = 50;
const FLUSH_LINES = 500;

/**
 * Collects a job's log lines and writes them in batches: `write` never waits on the database,
 * so a step printing fast is never slowed by storage. `close` writes what is left.
 */
export interface JobLogWriter {
  write(text: string, step: number): void;
  /** Lines written so far (the next line number minus one). */
  readonly lineCount: number;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createJobLogWriter(store: Store, jobId: number, options: { startLine?: number; mask?: (text: string) => string; logger?: Logger } = {}): JobLogWriter {
  const db = store.db.withTables<PipelineTables>();
  let next = (options.startLine ?? 0) + 1;
  let buffer: Array<{ job_id: number; line: number; step: number; at: number; text: string }> = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return writing;
    const rows = buffer;
    buffer = [];
    // Batches are chained so lines reach the database in order.
    writing = writing.then(async () => {
      try {
        for (let start = 0; start < rows.length; start += FLUSH_LINES) await db.insertInto('pipeline_log_lines').values(rows.slice(start, start + FLUSH_LINES)).execute();
        await announceLogLines(store, jobId);
      } catch (error) {
        options.logger?.error({ err: error, job: jobId, lines: rows.length }, 'could not store pipeline log lines');
      }
    });
    return writing;
  };

  return {
    write(text, step) {
      for (const part of text.split(/\r?\n/)) {
        buffer.push({ job_id: jobId, line: next++, step, at: Date.now(), text: options.mask ? options.mask(part) : part });
      }
      if (buffer.length >= FLUSH_LINES) void flush();
      else timer ??= setTimeout(() => void flush(), FLUSH_MS);
    },
    get lineCount() {
      return next - 1;
    },
    flush,
    async close() {
      await flush();
    },
  };
}

async function announceLogLines(store: Store, jobId: number): Promise<void> {
  await store.notify(store.db, PIPELINE_LOGS_CHANNEL, String(jobId));
}

/** Log lines of a job after a line number, in order. */
export async function readLogLines(db: Kysely<PipelineTables>, jobId: number, after = 0, limit = 1000): Promise<LogLine[]> {
  const rows = await db
    .selectFrom('pipeline_log_lines')
    .select(['line', 'step', 'at', 'text'])
    .where('job_id', '=', jobId)
    .where('line', '>', after)
    .orderBy('line')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ line: r.line, step: r.step, at: new Date(Number(r.at)).toISOString(), text: r.text }));
}

export async function lastLogLine(db: Kysely<PipelineTables>, jobId: number): Promise<number> {
  const row = await db.selectFrom('pipeline_log_lines').select((eb) => eb.fn.max('line').as('line')).where('job_id', '=', jobId).executeTakeFirst();
  return Number(row?.line ?? 0);
}

/** Deletes the log lines of runs completed before `olderThan` (epoch ms); the runs stay. Returns lines deleted. */
export async function deleteExpiredLogLines(db: Kysely<PipelineTables>, olderThan: number): Promise<number> {
  const result = await db
    .deleteFrom('pipeline_log_lines')
    .where('job_id', 'in', (eb) =>
      eb
        .selectFrom('pipeline_jobs')
        .select('pipeline_jobs.id')
        .where('run_id', 'in', (inner) => inner.selectFrom('pipeline_runs').select('pipeline_runs.id').where('status', '=', 'completed').where('completed_at', '<', olderThan)),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
