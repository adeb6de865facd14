import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import pg from 'pg';
import { startCheckpointer } from './sqlite-checkpointer.js';
import { SqliteReadWriteDialect, WRITE_SLICE_MS, withStatementCache, yieldToEventLoop } from './sqlite-connections.js';
import { Kysely, PostgresDialect, SqliteDialect, sql, type ColumnDataType, type ColumnDefinitionBuilder, type CreateTableBuilder, type RawBuilder, type Transaction } from 'kysely';

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
  /**
   * Stores a table in its primary key's order where the database can (SQLite: WITHOUT ROWID), so
   * rows read and deleted by the key's leading column need no second index. PostgreSQL keeps a
   * heap and the key's index.
   */
  clusterByPrimaryKey<T extends string, C extends string>(table: CreateTableBuilder<T, C>): CreateTableBuilder<T, C>;
  /** Runs fn in a transaction that holds the write lock from its first statement. */
  writeTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;
  /**
   * Holds a lock named by key until trx ends, so transactions that change rows of several
   * parents serialise on it (PostgreSQL advisory lock; SQLite's write lock covers everything).
   */
  lockUntilCommit(trx: Kysely<any>, key: string): Promise<void>;
  /** Sends a notification that is delivered when trx commits. */
  notify(db: Kysely<unknown> | Transaction<unknown>, channel: string, payload: string): Promise<void>;
  /**
   * Runs fn when what this process wrote so far is visible to its reads: on SQLite, whose reads
   * outside a transaction see the last commit, once the write transaction in progress (if any) has
   * ended; on PostgreSQL at once (a read there never waited for another connection's transaction;
   * notify delivers again at commit). fn must not throw: it runs where the transaction's caller
   * cannot tell its failure from the transaction's.
   */
  afterWriteTransaction(fn: () => void): void;
  /** Calls onNotify for every notification on channel until the returned function is called. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  isUniqueViolation(error: unknown): boolean;
  /**
   * `table as alias`, read through the given index where the planner would not choose it itself
   * (SQLite: INDEXED BY; PostgreSQL's planner weighs it by cost).
   */
  tableThroughIndex(table: string, alias: string, index: string): RawBuilder<unknown>;
  /** The planner keeps statistics (and a visibility map) that bulk writes leave stale until a refreshStatistics. */
  readonly keepsPlannerStatistics: boolean;
  /**
   * Brings the planner's view of tables up to date after bulk writes: what PostgreSQL's
   * autovacuum does some minutes later (and never where it is off). SQLite: nothing; without
   * statistics its plans are the ones the catalog's queries are written for.
   */
  refreshStatistics(db: Kysely<any>, tables: readonly string[]): Promise<void>;
  /**
   * Creates a full-text index table of an integer id and up to four text columns (FTS5 columns;
   * tsvector weights A–D), searched by word prefixes in all columns or in some.
   */
  createFullTextTable(db: Kysely<any>, table: string, columns: readonly string[]): Promise<void>;
  /** Rows of the id and one text per column, in the order of the table's columns. */
  insertFullText(db: Kysely<any>, table: string, columns: readonly string[], rows: Array<{ id: number; texts: string[] }>): Promise<void>;
  /**
   * Inserts rows of plain values (each an array in the order of columns) inside trx's
   * transaction: what catalog ingestion writes by the hundred thousand, without building and
   * compiling a query for each batch.
   */
  insertRows(trx: Kysely<any>, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void>;
  deleteFullText(db: Kysely<any>, table: string, ids: number[]): Promise<void>;
  /**
   * A subquery of the ids with a word starting with each term (terms: letters and digits only),
   * in the columns named by `within` (some of the table's `columns`) or in any; with `containing`
   * (lower case), one of those columns must also hold it as a substring (the table stores lower case).
   */
  fullTextMatchingIds(table: string, columns: readonly string[], terms: string[], within?: readonly string[], containing?: string): RawBuilder<number>;
  destroy(): Promise<void>;
}

/**
 * The words of a text, lower case: runs of letters and digits (what FTS5's unicode61 tokenizer
 * takes as words, and nothing FTS5 or tsquery would parse as syntax). A search uses at most 16.
 */
export function fullTextTerms(text: string, limit = 16): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).slice(0, limit);
}

/** `like` matching text anywhere, its `%`, `_` and `\\` taken literally: use with `escape '\\'`. */
export function likeContaining(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** ` and (a like '%x%' or b like …)`, or nothing without a text: a substring of lower-case columns. */
function substringCondition(columns: readonly string[], containing: string | undefined): RawBuilder<unknown> {
  if (containing === undefined) return sql``;
  const pattern = likeContaining(containing);
  return sql` and (${sql.join(
    columns.map((c) => sql`${sql.id(c)} like ${pattern} escape '\\'`),
    sql` or `,
  )})`;
}

export interface OpenedDialect<DB> {
  db: Kysely<DB>;
  adapter: DialectAdapter;
}

/** Rows per prepared multi-row INSERT on SQLite (4 columns: 1,024 of its 32,766 parameters). */
const ROWS_PER_INSERT = 256;
const WAL_FALLBACK_CHECKPOINT_BYTES = 64 * 1024 * 1024;
/** How long an SQLite statement waits for another connection's lock (other processes, the checkpointer). */
const BUSY_TIMEOUT_MS = 10_000;
/**
 * A PostgreSQL full-text table's words carry their column's letter in front (`a` for column 0 …
 * `d`), so that a search kept to some columns is decided by the GIN index alone. With one tsvector
 * of weighted words (weights A–D) the index cannot tell weights apart: every row with the word in
 * any column had to be read and checked (100,000 entities, one word in name and title: 5,567 rows
 * read for 1,203 matches, 19.5 ms warm).
 */
const FULL_TEXT_COLUMN_TAGS = ['a', 'b', 'c', 'd'];

/** The tagged words of a full-text row's texts (column by column), as array_to_tsvector takes them. */
function taggedWords(texts: Array<string | null>): string[] {
  const words = new Set<string>();
  texts.forEach((text, n) => {
    for (const word of fullTextTerms(text ?? '', Infinity)) words.add(`${FULL_TEXT_COLUMN_TAGS[n]}${word.slice(0, MAX_FULL_TEXT_WORD)}`);
  });
  return [...words];
}

/** Longer words are cut (PostgreSQL refuses lexemes over 2,046 bytes); a prefix search still finds them. */
const MAX_FULL_TEXT_WORD = 200;

/** A read-only connection to a database file another connection opened in WAL mode. */
function openReader(file: string): Database.Database {
  const reader = new Database(file, { readonly: true });
  reader.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return reader;
}

export function openSqlite<DB>(file: string): OpenedDialect<DB> {
  const database = new Database(file);
  // Big pages for a new file (an existing one keeps its own): a refresh's inserts land all over
  // the catalog's search and relation indexes, and each commit writes every page it touched to
  // the log. 64 KiB pages: 100,000 entities ingested in 24 s instead of 31 s (4 KiB); the queue
  // on SQLite 10 % slower (60k jobs/s instead of 66k).
  database.pragma('page_size = 65536');
  database.pragma('journal_mode = WAL');
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // Statement journals (multi-row inserts) in memory, not in temporary files.
  database.pragma('temp_store = MEMORY');
  const checkpointer = file === ':memory:' ? undefined : startCheckpointer(file);
  if (checkpointer) {
    // The checkpointer thread keeps the log short; this is the fallback should it fall behind,
    // and a log that was reset is cut back to this size.
    const pageSize = Number(database.pragma('page_size', { simple: true }));
    database.pragma(`wal_autocheckpoint = ${Math.ceil(WAL_FALLBACK_CHECKPOINT_BYTES / pageSize)}`);
    database.pragma(`journal_size_limit = ${WAL_FALLBACK_CHECKPOINT_BYTES}`);
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const walBytes = () => statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  const restartLog = () => {
    // A running checkpoint holds a lock SQLite never waits for: retry until the thread's is done.
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    try {
      while ((database.pragma('wal_checkpoint(RESTART)') as Array<{ busy: number }>)[0]?.busy && Date.now() < deadline) Atomics.wait(pause, 0, 0, 5);
    } catch {
      // Another process's reader or writer held on past the busy timeout: the next commit tries
      // again. Never an error of the transaction, which has committed.
    }
  };
  const connection = withStatementCache(database);
  const afterWrite: Array<() => void> = [];
  // A file gets a second, read-only connection for reads (see SqliteReadWriteDialect); an
  // in-memory database exists on its one connection only.
  const reader = file === ':memory:' ? undefined : withStatementCache(openReader(file));
  const db = new Kysely<DB>({ dialect: reader ? new SqliteReadWriteDialect(connection, reader) : new SqliteDialect({ database: connection }) });
  const preparedInsert = (table: string, columns: readonly string[], rowCount: number) => {
    const row = `(${columns.map(() => '?').join(', ')})`;
    return connection.prepare(`insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${Array.from({ length: rowCount }, () => row).join(', ')}`);
  };
  const adapter: DialectAdapter = {
    name: 'sqlite',
    supportsNotify: false,
    supportsSkipLocked: false,
    bigintType: 'integer',
    autoIncrementType: 'integer',
    autoIncrementPrimaryKey: (column) => column.primaryKey().autoIncrement(),
    clusterByPrimaryKey: (table) => table.modifyEnd(sql`without rowid`),
    tableThroughIndex: (table, alias, index) => sql`${sql.id(table)} as ${sql.id(alias)} indexed by ${sql.id(index)}`,
    keepsPlannerStatistics: false,
    async refreshStatistics() {},
    async writeTransaction(kysely, fn) {
      // The writer connection is held by one transaction at a time (reads go to the reader; see
      // SqliteReadWriteDialect), and BEGIN IMMEDIATE takes the file's write lock up front, so a
      // read-then-write never fails with BUSY_SNAPSHOT.
      return kysely.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        let value: Awaited<ReturnType<typeof fn>>;
        try {
          value = await fn(connection);
          await sql`commit`.execute(connection);
        } catch (error) {
          await sql`rollback`.execute(connection);
          throw error;
        } finally {
          // Whatever waited for this transaction to end (in-process signals of what it wrote).
          for (const due of afterWrite.splice(0)) due();
        }
        if (checkpointer) {
          checkpointer.request();
          // The log starts over only when a checkpoint ended between two write transactions; with
          // writes back to back the thread's checkpoints may keep missing that moment, and the
          // connection's own checkpoint is skipped while the thread's runs. Past the fallback size
          // the writer waits for the thread's checkpoint and copies the rest of the log itself
          // (still holding the writer, so no transaction starts meanwhile), so the next write starts
          // it over: the log stays within that size and one transaction.
          if (walBytes() > WAL_FALLBACK_CHECKPOINT_BYTES) restartLog();
        }
        return value;
      });
    },
    async lockUntilCommit() {},
    afterWriteTransaction(fn) {
      if (database.inTransaction) afterWrite.push(fn);
      else fn();
    },
    async notify() {
      // Other processes on one SQLite file poll; in-process wake-ups go through the store's emitter.
    },
    async listen() {
      return async () => {};
    },
    isUniqueViolation: (error) => (error as { code?: string })?.code?.startsWith('SQLITE_CONSTRAINT') === true,
    async createFullTextTable(kysely, table, columns) {
      // FTS5 keyed by rowid (the entity's integer id), so deletes are index lookups.
      await sql`create virtual table ${sql.id(table)} using fts5(${sql.join(columns.map((c) => sql.id(c)))}, tokenize = 'unicode61')`.execute(kysely);
    },
    async insertFullText(kysely, table, columns, rows) {
      await adapter.insertRows(kysely, table, ['rowid', ...columns], rows.map((r) => [r.id, ...r.texts]));
    },
    async insertRows(_trx, table, columns, rows) {
      // Straight on the connection, which the caller's transaction holds (other writers wait for it),
      // pausing every WRITE_SLICE_MS for other work. With no transaction open (a migration), in one of
      // its own, at once.
      const many = preparedInsert(table, columns, ROWS_PER_INSERT);
      const one = preparedInsert(table, columns, 1);
      // One parameter array, refilled for each statement: slicing and flattening the rows took a
      // fifth of the time of inserting 1.65 M search rows.
      const width = columns.length;
      const parameters: unknown[] = new Array(ROWS_PER_INSERT * width);
      let i = 0;
      /** Inserts rows until done (true) or past the deadline (false). */
      const insertUntil = (deadline: number) => {
        while (i + ROWS_PER_INSERT <= rows.length) {
          for (let p = 0, end = i + ROWS_PER_INSERT; i < end; i++) {
            const row = rows[i]!;
            for (let c = 0; c < width; c++) parameters[p++] = row[c];
          }
          many.run(parameters);
          if (performance.now() > deadline) return false;
        }
        for (; i < rows.length; i++) one.run(rows[i]);
        return true;
      };
      if (!database.inTransaction) database.transaction(() => insertUntil(Infinity))();
      else while (!insertUntil(performance.now() + WRITE_SLICE_MS)) await yieldToEventLoop();
    },
    async deleteFullText(kysely, table, ids) {
      for (let i = 0; i < ids.length; i += 500) await sql`delete from ${sql.id(table)} where rowid in (${sql.join(ids.slice(i, i + 500))})`.execute(kysely);
    },
    fullTextMatchingIds: (table, columns, terms, within, containing) => {
      const all = terms.map((t) => `"${t}"*`).join(' AND ');
      // FTS5's column filter: {a b} : (…) matches inside those columns only.
      const query = within?.length ? `{${within.join(' ')}} : (${all})` : all;
      return sql<number>`select rowid from ${sql.id(table)} where ${sql.id(table)} match ${query}${substringCondition(within ?? columns, containing)}`;
    },
    async destroy() {
      await db.destroy();
      await checkpointer?.close();
    },
  };
  return { db, adapter };
}


// 64-bit integers come back as JS numbers: we store epoch milliseconds and sequences, far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function openPostgres<DB>(connectionString: string, options: { maxConnections?: number } = {}): OpenedDialect<DB> {
  // No parallel query plans: each one starts fresh worker processes, which cost more than they
  // save on the catalog's short queries. Measured at 100,000 entities: a full-text page took
  // 70–250 ms with two workers, 38 ms without.
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10, options: '-c max_parallel_workers_per_gather=0' });
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
    clusterByPrimaryKey: (table) => table,
    tableThroughIndex: (table, alias) => sql`${sql.id(table)} as ${sql.id(alias)}`,
    keepsPlannerStatistics: true,
    async refreshStatistics(kysely, tables) {
      // VACUUM as well as ANALYZE: it marks the new rows all-visible, so counts and covering reads
      // are index-only scans, and it merges the GIN full-text index's pending list.
      await sql`vacuum (analyze) ${sql.join(tables.map((t) => sql.id(t)))}`.execute(kysely);
    },
    writeTransaction: (kysely, fn) => kysely.transaction().execute(fn),
    afterWriteTransaction: (fn) => fn(),
    async lockUntilCommit(trx, key) {
      await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
    },
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
    async createFullTextTable(kysely, table, columns) {
      if (columns.length > FULL_TEXT_COLUMN_TAGS.length) throw new Error(`a full-text table has at most ${FULL_TEXT_COLUMN_TAGS.length} columns`);
      await sql`create table ${sql.id(table)} (id bigint primary key, ${sql.join(columns.map((c) => sql`${sql.id(c)} text`))}, tsv tsvector not null)`.execute(kysely);
      await sql`create index ${sql.id(`${table}_tsv`)} on ${sql.id(table)} using gin (tsv)`.execute(kysely);
    },
    async insertFullText(kysely, table, columns, rows) {
      // Six parameters a row, far below PostgreSQL's 65,535 a statement.
      for (let i = 0; i < rows.length; i += 1000) {
        const values = rows.slice(i, i + 1000).map((r) => sql`(${r.id}, ${sql.join(r.texts)}, array_to_tsvector(${taggedWords(r.texts)}::text[]))`);
        await sql`insert into ${sql.id(table)} (id, ${sql.join(columns.map((c) => sql.id(c)))}, tsv) values ${sql.join(values)}`.execute(kysely);
      }
    },
    async insertRows(trx, table, columns, rows) {
      // PostgreSQL takes at most 65,535 parameters per statement.
      const perStatement = Math.max(1, Math.min(1000, Math.floor(65_535 / columns.length)));
      for (let i = 0; i < rows.length; i += perStatement) {
        const chunk = rows.slice(i, i + perStatement);
        await sql`insert into ${sql.id(table)} (${sql.join(columns.map((c) => sql.id(c)))}) values ${sql.join(chunk.map((row) => sql`(${sql.join(row)})`))}`.execute(trx);
      }
    },
    async deleteFullText(kysely, table, ids) {
      for (let i = 0; i < ids.length; i += 5000) await sql`delete from ${sql.id(table)} where id in (${sql.join(ids.slice(i, i + 5000))})`.execute(kysely);
    },
    fullTextMatchingIds: (table, columns, terms, within, containing) => {
      // Every term, each a word prefix in one of the columns: (agecko:* | bgecko:*) & (…). The
      // terms are letters and digits only, taken as lexemes as they are (a cast, no parser).
      const tags = (within?.length ? within : columns).map((c) => FULL_TEXT_COLUMN_TAGS[columns.indexOf(c)]);
      const query = terms.map((t) => `(${tags.map((tag) => `${tag}${t}:*`).join(' | ')})`).join(' & ');
      return sql<number>`select id from ${sql.id(table)} where tsv @@ cast(${query} as tsquery)${substringCondition(within ?? columns, containing)}`;
    },
    async destroy() {
      await Promise.all([...listeners].map((client) => client.end().catch(() => {})));
      listeners.clear();
      await db.destroy();
    },
  };
  return { db, adapter };
}
