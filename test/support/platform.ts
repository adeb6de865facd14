import { loadConfig, type PlinthConfig } from '../../src/core/config.js';
import { createPlatform, type Platform } from '../../src/server/platform.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { systemActor } from '../../src/auth/actor.js';
import { createApiToken } from '../../src/auth/tokens.js';
import { authDb } from '../../src/auth/users.js';
import type { TestDatabase } from './databases.js';

export interface TestPlatform {
  platform: Platform;
  config: PlinthConfig;
  close(): Promise<void>;
}

/** A migrated platform on a fresh database, logging only warnings. */
export async function createTestPlatform(database: TestDatabase, adjust: (config: PlinthConfig) => void = () => {}): Promise<TestPlatform> {
  const created = await database.create();
  // Proxy port 0: parallel tests must not race for the local runtime's default port (7080).
  const config = loadConfig({ env: {}, overrides: { dataDir: created.dataDir, databaseUrl: created.databaseUrl, logLevel: 'warn', 'environments.proxy.port': 0 } });
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

export interface TestApp extends TestPlatform {
  app: FastifyInstance;
  /** Service tokens of each role, made directly in the database. */
  tokens: { admin: string; viewer: string };
}

/** A platform with its HTTP app (not listening: use `app.inject`) and an admin and a viewer token. */
export async function createTestApp(database: TestDatabase, adjust?: (config: PlinthConfig) => void): Promise<TestApp> {
  const t = await createTestPlatform(database, adjust);
  const app = await buildApp(t.platform);
  await app.ready();
  const db = authDb(t.platform.store);
  const tokens = {
    admin: (await createApiToken(db, { name: 'root', role: 'admin', createdBy: systemActor().ref })).token,
    viewer: (await createApiToken(db, { name: 'reader', role: 'viewer', createdBy: systemActor().ref })).token,
  };
  return {
    ...t,
    app,
    tokens,
    async close() {
      await app.close();
      await t.close();
    },
  };
}
