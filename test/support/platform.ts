import { loadConfig, type PlinthConfig } from '../../src/core/config.js';
import { createPlatform, type Platform } from '../../src/server/platform.js';
import type { TestDatabase } from './databases.js';

export interface TestPlatform {
  platform: Platform;
  config: PlinthConfig;
  close(): Promise<void>;
}

/** A migrated platform on a fresh database, logging only warnings. */
export async function createTestPlatform(database: TestDatabase, adjust: (config: PlinthConfig) => void = () => {}): Promise<TestPlatform> {
  const created = await database.create();
  const config = loadConfig({ env: {}, overrides: { dataDir: created.dataDir, databaseUrl: created.databaseUrl, logLevel: 'warn' } });
  adjust(config);
  const platform = await createPlatform(config);
  return {
    platform,
    config,
    async close() {
      await platform.close();
      await created.drop();
    },
  };
}
