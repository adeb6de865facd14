import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { POSTGRES_ADMIN_URL } from './postgres-url.js';

/** Checks PostgreSQL once for the whole run. Outside CI an unreachable server skips its tests loudly; in CI it fails the run. */
export default async function setup(project: TestProject): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('postgresAvailable', true);
  } catch (error) {
    const message = `PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL} (${(error as Error).message})`;
    if (process.env.CI) throw new Error(`${message}: CI must run every store test on PostgreSQL.`, { cause: error });
    project.provide('postgresAvailable', false);
    console.warn(`\n!!! ${message}\n!!! PostgreSQL store tests are SKIPPED. Set PLINTH_TEST_DATABASE_URL to run them.\n`);
  } finally {
    await client.end().catch(() => {});
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAvailable: boolean;
  }
}
