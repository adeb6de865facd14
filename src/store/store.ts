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
  /** In-process signals (`job:enqueued`, `event:appended`) so local waiters wake without polling: listen here (or with onNotification), send with `notify`. */
  signals: EventEmitter;
  /**
   * Tells the listeners on channel, in every process, that something changed: other processes at
   * db's commit (where the database delivers notifications), this one's as soon as what was
   * written is visible to their reads (on SQLite, after the write transaction in progress).
   * Pass the transaction of the write, or the store's db after it.
   */
  notify(db: Kysely<any>, channel: string, payload: string): Promise<void>;
  /**
   * Calls fn for every notification on channel, from this process (signals) and, where the
   * database supports it, from other processes. One LISTEN connection per channel serves every
   * caller of this process. Returns the function that stops listening.
   */
  onNotification(channel: string, fn: (payload: string) => void): Promise<() => void>;
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
  /** Told of a signal listener that threw (default: a process warning); the sender and the other listeners go on. */
  onListenerError?: (error: unknown, channel: string) => void;
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
  const reportListenerError =
    options.onListenerError ?? ((error: unknown, channel: string) => process.emitWarning(`a listener on ${channel} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
  // Notifications from other processes, re-emitted on `remote:<channel>` (`signals` on a channel hears this process's only).
  const fromOtherProcesses = (channel: string) => `remote:${channel}`;
  // A signal only wakes: a listener that throws fails on its own, not the write that sent the
  // signal (on SQLite, already committed by then), nor the listeners after it, nor the database
  // client that delivered a notification from another process.
  const wakeListeners = (event: string, channel: string, payload: string) => {
    for (const listener of signals.rawListeners(event) as Array<(payload: string) => void>) {
      try {
        listener(payload);
      } catch (error) {
        reportListenerError(error, channel);
      }
    }
  };
  const remote = new Map<string, Promise<() => Promise<void>>>();
  return {
    db,
    adapter,
    signals,
    async notify(target, channel, payload) {
      await adapter.notify(target, channel, payload);
      adapter.afterWriteTransaction(() => wakeListeners(channel, channel, payload));
    },
    async onNotification(channel, fn) {
      const listener = (payload: unknown) => fn(String(payload));
      signals.on(channel, listener);
      if (adapter.supportsNotify) {
        if (!remote.has(channel)) remote.set(channel, adapter.listen(channel, (payload) => wakeListeners(fromOtherProcesses(channel), channel, payload)));
        await remote.get(channel);
        signals.on(fromOtherProcesses(channel), listener);
      }
      return () => {
        signals.off(channel, listener);
        signals.off(fromOtherProcesses(channel), listener);
      };
    },
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
