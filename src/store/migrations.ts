import { sql } from 'kysely';
import type { PlinthMigration } from './migrate.js';

export const storeMigrations: PlinthMigration[] = [
  {
    name: '0001-store-jobs-workers-events',
    async up(db, adapter) {
      const big = adapter.bigintType;
      await db.schema
        .createTable('jobs')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('queue', 'text', (c) => c.notNull().defaultTo('default'))
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('run_at', big, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('unique_key', 'text')
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', big)
        .addColumn('last_error', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .addColumn('started_at', big)
        .execute();
      // The claim query walks this index in order; only ready jobs are in it.
      await sql`create index jobs_ready on jobs (queue, priority desc, run_at, id) where state = 'ready'`.execute(db);
      await sql`create index jobs_running on jobs (locked_until) where state = 'running'`.execute(db);
      await sql`create index jobs_locked_by on jobs (locked_by) where state = 'running'`.execute(db);
      // Unique keys dedupe waiting jobs, and serialise running ones: a job is not claimed while
      // another with its key runs (so a refresh asked for during a refresh runs after it).
      await sql`create unique index jobs_unique_key on jobs (unique_key) where state = 'ready'`.execute(db);
      await sql`create index jobs_running_key on jobs (unique_key) where state = 'running'`.execute(db);
      // NOTE: no (state, type) index: with stale statistics PostgreSQL picked it for the claim
      // and sorted every ready job (40-60 ms per claim at 60k waiting jobs instead of 3 ms).

      await db.schema
        .createTable('workers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('queues', 'text', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('started_at', big, (c) => c.notNull())
        .addColumn('heartbeat_at', big, (c) => c.notNull())
        // A worker is live while its last heartbeat is younger than its lease.
        .addColumn('lease_ms', 'integer', (c) => c.notNull())
        .addColumn('stopped_at', big)
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('seq', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_type').on('events').columns(['type', 'seq']).execute();
      await db.schema.createIndex('events_subject').on('events').columns(['subject', 'seq']).execute();

      await db.schema
        .createTable('event_cursors')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('seq', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
    },
  },
];
