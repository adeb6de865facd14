import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { PlinthError } from '../core/errors.js';
import type { DialectAdapter } from './dialect.js';

/**
 * A schema change owned by one capability. Migrations are append-only: never edit one that has
 * been released; add the next. Names are `<4-digit sequence>-<capability>-<what>` so that the
 * order across capabilities is total and stable.
 */
export interface PlinthMigration {
  name: string;
  up(db: Kysely<unknown>, adapter: DialectAdapter): Promise<void>;
}

/**
 * Brings the schema up to date, running migrations in name order whatever the order given (Kysely's
 * migrator sorts them). Safe when several processes start at once: on PostgreSQL
 * Kysely's migrator holds an advisory lock, on SQLite the file's write lock.
 */
export async function migrateToLatest(db: Kysely<unknown>, adapter: DialectAdapter, migrations: PlinthMigration[]): Promise<string[]> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const byName: Record<string, Migration> = {};
      for (const migration of migrations) byName[migration.name] = { up: (kysely) => migration.up(kysely, adapter) };
      return byName;
    },
  };
  const migrator = new Migrator({ db, provider, migrationTableName: 'plinth_migrations', migrationLockTableName: 'plinth_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new PlinthError('STORE_MIGRATION_FAILED', `migration ${failed ?? '(setup)'} failed: ${(error as Error).message}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
