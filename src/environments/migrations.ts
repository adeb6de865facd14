import type { PlinthMigration } from '../store/migrate.js';

export const environmentMigrations: PlinthMigration[] = [
  {
    name: '0008-environments-state',
    async up(db, adapter) {
      await db.schema
        .createTable('environments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('description', 'text')
        .addColumn('cloned_from', 'text')
        .addColumn('expires_at', adapter.bigintType)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', adapter.bigintType, (c) => c.notNull())
        .addColumn('updated_at', adapter.bigintType, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('environment_values')
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('secret', 'integer', (c) => c.notNull())
        .addColumn('updated_at', adapter.bigintType, (c) => c.notNull())
        .addPrimaryKeyConstraint('environment_values_pk', ['environment_id', 'name'])
        .execute();
      await db.schema
        .createTable('environment_resources')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('uid', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('class', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text')
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('state', 'text')
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('secret_outputs', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('data_bearing', 'integer', (c) => c.notNull())
        .addColumn('used_by', 'text', (c) => c.notNull())
        .addColumn('created_at', adapter.bigintType, (c) => c.notNull())
        .addColumn('updated_at', adapter.bigintType, (c) => c.notNull())
        .addUniqueConstraint('environment_resources_uid', ['environment_id', 'uid'])
        .execute();
      await db.schema
        .createTable('releases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('component', 'text', (c) => c.notNull())
        .addColumn('commit_sha', 'text')
        .addColumn('artifact', 'text')
        .addColumn('score', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull().unique())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', adapter.bigintType, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('releases_component').on('releases').columns(['component', 'created_at']).execute();
      await db.schema
        .createTable('deployments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('environment_id', 'text', (c) => c.notNull())
        .addColumn('environment_name', 'text', (c) => c.notNull())
        .addColumn('component', 'text', (c) => c.notNull())
        .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id'))
        .addColumn('previous_release_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('runtime', 'text', (c) => c.notNull())
        .addColumn('resolved', 'text')
        .addColumn('error', 'text')
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('approved_by', 'text')
        .addColumn('approved_at', adapter.bigintType)
        .addColumn('rollback_of', 'text')
        .addColumn('created_at', adapter.bigintType, (c) => c.notNull())
        .addColumn('started_at', adapter.bigintType)
        .addColumn('finished_at', adapter.bigintType)
        .execute();
      await db.schema.createIndex('deployments_environment_component').on('deployments').columns(['environment_id', 'component', 'created_at']).execute();
      await db.schema.createIndex('deployments_environment_name').on('deployments').columns(['environment_name', 'created_at']).execute();
      await db.schema
        .createTable('environment_workloads')
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('component', 'text', (c) => c.notNull())
        .addColumn('deployment_id', 'text', (c) => c.notNull())
        .addColumn('release_id', 'text', (c) => c.notNull())
        .addColumn('runtime', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('updated_at', adapter.bigintType, (c) => c.notNull())
        .addPrimaryKeyConstraint('environment_workloads_pk', ['environment_id', 'component'])
        .execute();
    },
  },
];
