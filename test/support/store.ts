import { openStore, type OpenStoreOptions, type Store } from '../../src/store/store.js';
import { migrateToLatest, type PlinthMigration } from '../../src/store/migrate.js';
import { storeMigrations } from '../../src/store/migrations.js';
import type { TestDatabase } from './databases.js';

export interface TestStore {
  store: Store;
  databaseUrl?: string;
  dataDir: string;
  close(): Promise<void>;
}

/** A migrated store on a fresh database; close() destroys it and drops the database. */
export async function createTestStore(
  database: TestDatabase,
  migrations: PlinthMigration[] = storeMigrations,
  options: Pick<OpenStoreOptions, 'onListenerError'> = {},
): Promise<TestStore> {
  const created = await database.create();
  const store = openStore({ databaseUrl: created.databaseUrl, dataDir: created.dataDir, ...options });
  await migrateToLatest(store.db as never, store.adapter, migrations);
  return {
    store,
    databaseUrl: created.databaseUrl,
    dataDir: created.dataDir,
    async close() {
      await store.destroy();
      await created.drop();
    },
  };
}
