import type { PlinthMigration } from '../store/migrate.js';

export const templateMigrations: PlinthMigration[] = [
  {
    name: '0006-templates-tasks',
    async up(db, adapter) {
      const big = adapter.bigintType;
      await db.schema
        .createTable('template_tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('template_ref', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('secrets', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('last_heartbeat_at', big)
        .addColumn('steps', 'text', (c) => c.notNull())
        .addColumn('output', 'text')
        .addColumn('error', 'text')
        .addColumn('job_id', big)
        .execute();
      await db.schema.createIndex('template_tasks_created').on('template_tasks').columns(['created_at']).execute();
      await db.schema.createIndex('template_tasks_created_by').on('template_tasks').columns(['created_by', 'created_at']).execute();
      await db.schema
        .createTable('template_task_events')
        .addColumn('id', adapter.autoIncrementType, (c) => adapter.autoIncrementPrimaryKey(c))
        .addColumn('task_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('template_task_events_task').on('template_task_events').columns(['task_id', 'id']).execute();
    },
  },
];
