import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import { PlinthError } from '../core/errors.js';
import { openPostgres, openSqlite, type DialectAdapter } from './dialect.js';
import type { StoreTables } from './tables.js';

/**
 * The database shared by every capability. Capabilities type their own tables with
 * `store.db.withTables<TheirTables>()` and never touch another capability's tables.
 */
export interface Store {
  db: Kysely<StoreTables>;
  adapter: DialectAdapter;
  /** In-process signals (`job:enqueued`, `event:appended`) so local waiters wake without polling. */
  signals: EventEmitter;
  /** A write transaction: the one way capabilities make a change atomic. */
  transaction<T>(fn: (trx: Kysely<StoreTables>) => Promise<T>): Promise<T>;
  /** Fails with STORE_UNREACHABLE when the database does not answer. */
  ping(): Promise<void>;
  destroy(): Promise<void>;
}

export interface OpenStoreOptions {
  /** postgres://… selects PostgreSQL; otherwise SQLite at `<dataDir>/plinth.db`. */
  databaseUrl?: string;
  dataDir: string;
  maxConnections?: number;
}

export function openStore(options: OpenStoreOptions): Store {
  let opened;
  if (options.databaseUrl) {
    opened = openPostgres<StoreTables>(options.databaseUrl, { maxConnections: options.maxConnections });
  } else {
    mkdirSync(options.dataDir, { recursive: true });
    opened = openSqlite<StoreTables>(path.join(options.dataDir, 'plinth.db'));
  }
  const { db, adapter } = opened;
  const signals = new EventEmitter();
  signals.setMaxListeners(0);
  return {
    db,
    adapter,
    signals,
    transaction: (fn) => adapter.writeTransaction(db, fn),
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        throw new PlinthError('STORE_UNREACHABLE', `database unreachable: ${(error as Error).message}`, { cause: error });
      }
    },
    destroy: () => adapter.destroy(),
  };
}

/** Describes where a store lives without its password, for start-up logs. */
export function describeDatabase(databaseUrl: string | undefined, dataDir: string): string {
  if (!databaseUrl) return `sqlite:${path.join(dataDir, 'plinth.db')}`;
  const url = new URL(databaseUrl);
  url.password = url.password ? '***' : '';
  return url.toString();
}
