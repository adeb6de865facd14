import Database from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql, type ColumnDataType, type ColumnDefinitionBuilder, type RawBuilder, type Transaction } from 'kysely';

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
  /** Creates a full-text index table of (integer id, body text), searched by word prefixes. */
  createFullTextTable(db: Kysely<any>, table: string): Promise<void>;
  insertFullText(db: Kysely<any>, table: string, rows: Array<{ id: number; body: string }>): Promise<void>;
  deleteFullText(db: Kysely<any>, table: string, ids: number[]): Promise<void>;
  /** A subquery of the ids whose body has a word starting with each term (terms: letters and digits only). */
  fullTextMatchingIds(table: string, terms: string[]): RawBuilder<number>;
  destroy(): Promise<void>;
}

/** Keeps letters and digits: what both FTS5 and tsquery treat as words, and nothing they would parse as syntax. */
export function fullTextTerms(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).slice(0, 16);
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
    async createFullTextTable(kysely, table) {
      // FTS5 keyed by rowid (the entity's integer id), so deletes are index lookups.
      await sql`create virtual table ${sql.id(table)} using fts5(body, tokenize = 'unicode61')`.execute(kysely);
    },
    async insertFullText(kysely, table, rows) {
      for (let i = 0; i < rows.length; i += 400) {
        const chunk = rows.slice(i, i + 400);
        await sql`insert into ${sql.id(table)} (rowid, body) values ${sql.join(chunk.map((r) => sql`(${r.id}, ${r.body})`))}`.execute(kysely);
      }
    },
    async deleteFullText(kysely, table, ids) {
      for (let i = 0; i < ids.length; i += 500) await sql`delete from ${sql.id(table)} where rowid in (${sql.join(ids.slice(i, i + 500))})`.execute(kysely);
    },
    fullTextMatchingIds: (table, terms) => sql<number>`select rowid from ${sql.id(table)} where ${sql.id(table)} match ${terms.map((t) => `"${t}"*`).join(' AND ')}`,
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
    async createFullTextTable(kysely, table) {
      await sql`create table ${sql.id(table)} (id bigint primary key, body text not null, tsv tsvector generated always as (to_tsvector('simple', body)) stored)`.execute(kysely);
      await sql`create index ${sql.id(`${table}_tsv`)} on ${sql.id(table)} using gin (tsv)`.execute(kysely);
    },
    async insertFullText(kysely, table, rows) {
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        await sql`insert into ${sql.id(table)} (id, body) values ${sql.join(chunk.map((r) => sql`(${r.id}, ${r.body})`))}`.execute(kysely);
      }
    },
    async deleteFullText(kysely, table, ids) {
      for (let i = 0; i < ids.length; i += 5000) await sql`delete from ${sql.id(table)} where id in (${sql.join(ids.slice(i, i + 5000))})`.execute(kysely);
    },
    fullTextMatchingIds: (table, terms) => sql<number>`select id from ${sql.id(table)} where tsv @@ to_tsquery('simple', ${terms.map((t) => `${t}:*`).join(' & ')})`,
    async destroy() {
      await Promise.all([...listeners].map((client) => client.end().catch(() => {})));
      listeners.clear();
      await db.destroy();
    },
  };
  return { db, adapter };
}
