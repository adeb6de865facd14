import type { PlinthMigration } from '../store/migrate.js';

export const repositoryMigrations: PlinthMigration[] = [
  {
    name: '0004-repositories-hosted-git',
    async up(db, adapter) {
      await db.schema
        .createTable('repositories')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('description', 'text')
        .addColumn('default_branch', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', adapter.bigintType, (c) => c.notNull())
        .addUniqueConstraint('repositories_namespace_name', ['namespace', 'name'])
        .execute();
    },
  },
];
