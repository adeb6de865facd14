import type Database from 'better-sqlite3';
import { Semaphore } from '../core/semaphore.js';
import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryCompiler, type QueryResult } from 'kysely';

/** Prepared statements kept per connection, by SQL text (the least recently used go first). */
const STATEMENT_CACHE_SIZE = 500;

export interface CachedConnection {
  readonly database: Database.Database;
  prepare(sql: string): Database.Statement;
  close(): void;
}

/**
 * The connection with its statements prepared once, for Kysely and for bulk inserts alike: Kysely
 * prepares every query it runs, and preparing was 5 % of a catalog by-name request's time.
 * (SQLite prepares a cached statement again by itself when the schema changed.)
 */
export function withStatementCache(database: Database.Database): CachedConnection {
  const statements = new Map<string, Database.Statement>();
  return {
    database,
    prepare(text) {
      const cached = statements.get(text);
      if (cached) {
        statements.delete(text);
        statements.set(text, cached);
        return cached;
      }
      const statement = database.prepare(text);
      statements.set(text, statement);
      if (statements.size > STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      return statement;
    },
    close() {
      statements.clear();
      database.close();
    },
  };
}

/**
 * How long a transaction runs on the main thread before it lets other work in (file reads, parsed
 * results, HTTP requests served from the read connection). Statements are synchronous: without a
 * pause a long write held everything else back until its commit.
 */
export const WRITE_SLICE_MS = 20;

/** Lets queued I/O callbacks and timers run (a macrotask turn), then continues. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Kysely over two connections to one SQLite file in WAL mode: a read-only one that answers every
 * statement that writes nothing outside a transaction, and the writer, held by one transaction or
 * one writing statement at a time. Reads never wait for a write transaction to commit (they see
 * the data as last committed), and a long write pauses every WRITE_SLICE_MS so they get their turn.
 */
export class SqliteReadWriteDialect implements Dialect {
  constructor(
    private readonly writer: CachedConnection,
    private readonly reader: CachedConnection,
  ) {}
  createAdapter() {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new ReadWriteDriver(this.writer, this.reader);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

class ReadWriteDriver implements Driver {
  /** The writer, for one holder at a time, first come first served. */
  private readonly lock = new Semaphore(1);
  constructor(
    private readonly writer: CachedConnection,
    private readonly reader: CachedConnection,
  ) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutedConnection(this.writer, this.reader, this.lock);
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as RoutedConnection).release();
  }
  async destroy(): Promise<void> {
    this.reader.close();
    this.writer.close();
  }
}

const BEGIN = /^\s*begin\b/i;

/**
 * One caller's connection (Kysely acquires one per query, transaction or `connection()` block).
 * From its BEGIN it holds the writer until Kysely releases it, after COMMIT or ROLLBACK: what the
 * holder does after committing (the log checkpoint in writeTransaction) runs before the next writer.
 */
class RoutedConnection implements DatabaseConnection {
  /** Set while this connection holds the writer. */
  private releaseWriter: (() => void) | undefined;
  private sliceStart = 0;
  constructor(
    private readonly writer: CachedConnection,
    private readonly reader: CachedConnection,
    private readonly lock: Semaphore,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.releaseWriter && BEGIN.test(query.sql)) {
      this.releaseWriter = await this.lock.acquire();
      this.sliceStart = performance.now();
    }
    if (this.releaseWriter) {
      if (performance.now() - this.sliceStart > WRITE_SLICE_MS) {
        await yieldToEventLoop();
        this.sliceStart = performance.now();
      }
      return run<R>(this.writer, query);
    }
    // The writer knows the current schema (the reader may not yet, right after a migration's DDL).
    if (this.writer.prepare(query.sql).readonly) {
      const read = readerStatement(this.reader, query.sql);
      if (read) return run<R>(this.reader, query, read);
    }
    // A write of its own (autocommit), or a read the reader cannot prepare: it waits for the
    // transaction in progress, if any.
    const release = await this.lock.acquire();
    try {
      return run<R>(this.writer, query);
    } finally {
      release();
    }
  }

  // eslint-disable-next-line require-yield -- no caller streams; Kysely's interface asks for it
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported on SQLite');
  }

  release(): void {
    const release = this.releaseWriter;
    if (!release) return;
    this.releaseWriter = undefined;
    // Released inside a transaction (its owner failed before COMMIT or ROLLBACK): end it, or the
    // next writer would find it open.
    if (this.writer.database.inTransaction) this.writer.database.exec('rollback');
    release();
  }
}

/** The statement on the read connection, or undefined where its schema is not the writer's yet. */
function readerStatement(reader: CachedConnection, text: string): Database.Statement | undefined {
  try {
    return reader.prepare(text);
  } catch {
    return undefined;
  }
}

function run<R>(connection: CachedConnection, query: CompiledQuery, prepared?: Database.Statement): QueryResult<R> {
  const statement = prepared ?? connection.prepare(query.sql);
  const parameters = query.parameters as unknown[];
  if (statement.reader) return { rows: statement.all(parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}
