import type { Generated } from 'kysely';

/** Tables owned by store/: the job queue, worker heartbeats, the event log and its cursors. */
export type StoreTables = {
  jobs: DbJobRow;
  workers: DbWorkerRow;
  events: DbEventRow;
  event_cursors: DbEventCursorRow;
};

export type JobState = 'ready' | 'running' | 'failed' | 'cancelled';

export interface DbJobRow {
  id: Generated<number>;
  type: string;
  queue: string;
  payload: string;
  priority: number;
  state: JobState;
  run_at: number;
  attempts: number;
  max_attempts: number;
  unique_key: string | null;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
}

export interface DbWorkerRow {
  id: string;
  host: string;
  pid: number;
  queues: string;
  labels: string;
  started_at: number;
  heartbeat_at: number;
  lease_ms: number;
  stopped_at: number | null;
}

export interface DbEventRow {
  seq: Generated<number>;
  type: string;
  subject: string;
  actor: string;
  payload: string;
  created_at: number;
}

export interface DbEventCursorRow {
  name: string;
  seq: number;
  updated_at: number;
}
