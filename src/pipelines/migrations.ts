import type { PlinthMigration } from '../store/migrate.js';

export const pipelineMigrations: PlinthMigration[] = [
  {
    name: '0007-pipelines-runs-jobs-logs',
    async up(db, adapter) {
      const big = adapter.bigintType;
      await db.schema
        .createTable('pipeline_runs')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('workflow_path', 'text', (c) => c.notNull())
        .addColumn('workflow_name', 'text', (c) => c.notNull())
        .addColumn('workflow_source', 'text', (c) => c.notNull())
        .addColumn('run_number', 'integer', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('sha', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('event_payload', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('conclusion', 'text')
        .addColumn('concurrency_group', 'text')
        .addColumn('trigger_key', 'text', (c) => c.unique())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('started_at', big)
        .addColumn('completed_at', big)
        .addColumn('updated_at', big, (c) => c.notNull())
        .addUniqueConstraint('pipeline_runs_number', ['repository', 'workflow_path', 'run_number'])
        .execute();
      await db.schema.createIndex('pipeline_runs_repository').on('pipeline_runs').columns(['repository', 'ref', 'id']).execute();
      await db.schema.createIndex('pipeline_runs_status').on('pipeline_runs').columns(['status', 'id']).execute();
      await db.schema.createIndex('pipeline_runs_sha').on('pipeline_runs').columns(['repository', 'sha']).execute();
      await db.schema.createIndex('pipeline_runs_concurrency').on('pipeline_runs').columns(['concurrency_group', 'status']).execute();

      await db.schema
        .createTable('pipeline_jobs')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('run_id', big, (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('job_key', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('matrix', 'text')
        .addColumn('needs', 'text', (c) => c.notNull())
        .addColumn('runs_on', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('conclusion', 'text')
        .addColumn('queue_job_id', big)
        .addColumn('queue_attempt', 'integer')
        .addColumn('runner', 'text')
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('steps', 'text', (c) => c.notNull())
        .addColumn('annotations', 'text', (c) => c.notNull())
        .addColumn('summary', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('started_at', big)
        .addColumn('completed_at', big)
        .execute();
      await db.schema.createIndex('pipeline_jobs_run').on('pipeline_jobs').columns(['run_id', 'attempt']).execute();

      await db.schema
        .createTable('pipeline_log_lines')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('job_id', big, (c) => c.notNull().references('pipeline_jobs.id').onDelete('cascade'))
        .addColumn('line', 'integer', (c) => c.notNull())
        .addColumn('step', 'integer', (c) => c.notNull())
        .addColumn('at', big, (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('pipeline_log_lines_job').on('pipeline_log_lines').columns(['job_id', 'line']).execute();

      await db.schema
        .createTable('pipeline_artifacts')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('run_id', big, (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
        .addColumn('job_id', big, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('size', big, (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('expires_at', big, (c) => c.notNull())
        .addUniqueConstraint('pipeline_artifacts_name', ['run_id', 'name'])
        .execute();

      await db.schema
        .createTable('pipeline_caches')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('size', big, (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('last_used_at', big, (c) => c.notNull())
        .addUniqueConstraint('pipeline_caches_key', ['repository', 'key'])
        .execute();

      await db.schema
        .createTable('pipeline_secrets')
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('pipeline_secrets_pk', ['repository', 'name'])
        .execute();
    },
  },
  {
    name: '0009-pipelines-job-concurrency',
    async up(db) {
      // The evaluated `jobs.<id>.concurrency` group of a leg; a pending leg with a group waits for it.
      await db.schema.alterTable('pipeline_jobs').addColumn('concurrency_group', 'text').execute();
      await db.schema.createIndex('pipeline_jobs_concurrency').on('pipeline_jobs').columns(['concurrency_group', 'status']).execute();
    },
  },
];
