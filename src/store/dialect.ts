import Database from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql, type ColumnDataType, type ColumnDefinitionBuilder, type Transaction } from 'kysely';

type DataTypeExpression = ColumnDataType;

/**
 * Every difference between SQLite and PostgreSQL lives in this module. Callers ask about a
 * capability (`supportsNotify`), never about a database name.
 */
export interface DialectAdapter {
  /** For logs and test names only; code branches on the capability flags below. */
  readonly name: 'sqlite' | 'postgres';
  /** Other processes can be woken by LISTEN/NOTIFY; otherwise they poll. */
  readonly supportsNotify: boolean;
  /** Row locks that concurrent claimers skip (`FOR UPDATE SKIP LOCKED`). */
  readonly supportsSkipLocked: boolean;
  /** Column type of 64-bit integers (ids, sequences, epoch milliseconds). */
  readonly bigintType: DataTypeExpression;
  /** Adds an auto-incrementing 64-bit primary key column. */
  autoIncrementPrimaryKey(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  readonly autoIncrementType: DataTypeExpression;
  /** Runs fn in a transaction that holds the write lock from its first statement. */
  writeTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;
  /** Sends a notification that is delivered when trx commits. */
  notify(db: Kysely<unknown> | Transaction<unknown>, channel: string, payload: string): Promise<void>;
  /** Calls onNotify for every notification on channel until the returned function is called. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  isUniqueViolation(error: unknown): boolean;
  destroy(): Promise<void>;
}

export interface OpenedDialect<DB> {
  db: Kysely<DB>;
  adapter: DialectAdapter;
}

export function openSqlite<DB>(file: string): OpenedDialect<DB> {
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 10000');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database }) });
  const adapter: DialectAdapter = {
    name: 'sqlite',
    supportsNotify: false,
    supportsSkipLocked: false,
    bigintType: 'integer',
    autoIncrementType: 'integer',
    autoIncrementPrimaryKey: (column) => column.primaryKey().autoIncrement(),
    async writeTransaction(kysely, fn) {
      // One connection per process: holding it serialises our own callers, and BEGIN IMMEDIATE
      // takes the file's write lock up front, so a read-then-write never fails with BUSY_SNAPSHOT.
      return kysely.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          const result = await fn(connection);
          await sql`commit`.execute(connection);
          return result;
        } catch (error) {
          await sql`rollback`.execute(connection);
          throw error;
        }
      });
    },
    async notify() {
      // Other processes on one SQLite file poll; in-process wake-ups go through the store's emitter.
    },
    async listen() {
      return async () => {};
    },
    isUniqueViolation: (error) => (error as { code?: string })?.code?.startsWith('SQLITE_CONSTRAINT') === true,
    async destroy() {
      await db.destroy();
    },
  };
  return { db, adapter };
}

// 64-bit integers come back as JS numbers: we store epoch milliseconds and sequences, far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function openPostgres<DB>(connectionString: string, options: { maxConnections?: number } = {}): OpenedDialect<DB> {
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<pg.Client>();
  const adapter: DialectAdapter = {
    name: 'postgres',
    supportsNotify: true,
    supportsSkipLocked: true,
    bigintType: 'bigint',
    autoIncrementType: 'bigserial',
    autoIncrementPrimaryKey: (column) => column.primaryKey(),
    writeTransaction: (kysely, fn) => kysely.transaction().execute(fn),
    async notify(kysely, channel, payload) {
      await sql`select pg_notify(${channel}, ${payload})`.execute(kysely);
    },
    async listen(channel, onNotify) {
      const client = new pg.Client({ connectionString });
      client.on('error', () => {});
      await client.connect();
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify(message.payload ?? '');
      });
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      listeners.add(client);
      return async () => {
        listeners.delete(client);
        await client.end().catch(() => {});
      };
    },
    isUniqueViolation: (error) => (error as { code?: string })?.code === '23505',
    async destroy() {
      await Promise.all([...listeners].map((client) => client.end().catch(() => {})));
      listeners.clear();
      await db.destroy();
    },
  };
  return { db, adapter };
}
