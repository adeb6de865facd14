import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

import { POSTGRES_ADMIN_URL } from './postgres-url.js';

/*
 * The databases every store test runs on: SQLite always, PostgreSQL from
 * PLINTH_TEST_DATABASE_URL (default: the local server). Each test gets its own fresh
 * database so runs never collide.
 */

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** Creates a fresh, empty database; returns where it is and how to drop it. */
  create(): Promise<{ databaseUrl?: string; dataDir: string; drop(): Promise<void> }>;
}

const sqlite: TestDatabase = {
  name: 'sqlite',
  async create() {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-test-'));
    return { dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

const postgres: TestDatabase = {
  name: 'postgres',
  async create() {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-test-'));
    const database = `plinth_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${database}`);
    await admin.end();
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${database}`;
    return {
      databaseUrl: url.toString(),
      dataDir,
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
        const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
        await client.connect();
        await client.query(`drop database if exists ${database} with (force)`);
        await client.end();
      },
    };
  },
};

/** Set by global setup: whether PostgreSQL answered. */
export const postgresAvailable = inject('postgresAvailable');

/** Use as `describe.each(testDatabases)`. PostgreSQL drops out (loudly) only when unreachable outside CI. */
export const testDatabases: TestDatabase[] = postgresAvailable ? [sqlite, postgres] : [sqlite];
export const postgresDatabase = postgres;
export const sqliteDatabase = sqlite;
