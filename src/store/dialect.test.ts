import { statSync } from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { createTestStore, type TestStore } from '../../test/support/store.js';

describe.each(testDatabases)('dialect on $name', (database) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await createTestStore(database);
    await sql`create table bulk (id integer not null, key text not null, value text)`.execute(t.store.db);
  });
  afterEach(() => t.close());

  it('inserts rows in bulk inside a transaction, nulls and all, in any count', async () => {
    const rows = Array.from({ length: 1_000 }, (_, i) => [i, `key-${i % 7}`, i % 3 === 0 ? null : `value ${i}`]);
    await t.store.transaction((trx) => t.store.adapter.insertRows(trx, 'bulk', ['id', 'key', 'value'], rows));
    const stored = await sql<{ id: number; key: string; value: string | null }>`select id, key, value from bulk order by id`.execute(t.store.db);
    expect(stored.rows.map((r) => [Number(r.id), r.key, r.value])).toEqual(rows);
  });

  it('answers a query run before a schema change with the new columns after it', async () => {
    await t.store.adapter.insertRows(t.store.db, 'bulk', ['id', 'key', 'value'], [[1, 'a', null], [2, 'b', null]]);
    const db = t.store.db as Kysely<any>;
    const all = () => db.selectFrom('bulk').selectAll().orderBy('id').execute();
    expect(Object.keys((await all())[0]!)).toEqual(['id', 'key', 'value']);
    await sql`alter table bulk add column extra text default 'x'`.execute(db);
    expect((await all()).map((r) => r.extra)).toEqual(['x', 'x']);
  });

  it('finds word prefixes in all full-text columns or only in some, several terms in different columns', async () => {
    const { adapter, db } = t.store;
    await adapter.createFullTextTable(db, 'docs', ['name', 'title', 'body']);
    await adapter.insertFullText(db, 'docs', ['name', 'title', 'body'], [
      { id: 1, texts: ['payments-api', 'payments gateway', 'charges cards'] },
      { id: 2, texts: ['ledger', 'the ledger', 'records payments'] },
      { id: 3, texts: ['café-menu', 'menü for the café', ''] },
      { id: 4, texts: ['x'.repeat(3000), 'long', ''] },
    ]);
    const ids = async (terms: string[], within?: string[], containing?: string) =>
      (await sql<Record<string, number>>`${adapter.fullTextMatchingIds('docs', ['name', 'title', 'body'], terms, within, containing)} order by 1`.execute(db)).rows.map((r) => Number(Object.values(r)[0]));
    expect(await ids(['pay'])).toEqual([1, 2]);
    expect(await ids(['pay'], ['name', 'title'])).toEqual([1]);
    expect(await ids(['payments', 'ledger'])).toEqual([2]);
    expect(await ids(['records', 'ledger'], ['body'])).toEqual([]);
    expect(await ids(['café'], ['name'])).toEqual([3]);
    expect(await ids(['menü'], ['title'])).toEqual([3]);
    expect(await ids(['xxxx'], ['name'])).toEqual([4]);
    expect(await ids(['payments'], ['name', 'title'], 'payments gate')).toEqual([1]);
    await adapter.deleteFullText(db, 'docs', [1]);
    expect(await ids(['pay'])).toEqual([2]);
  });

  it('answers reads while a write transaction is open, with what was last committed, and lets other work run during a long write', async () => {
    const db = t.store.db as Kysely<any>;
    const ids = async () => (await db.selectFrom('bulk').select('id').orderBy('id').execute()).map((r) => Number(r.id));
    await db.insertInto('bulk').values({ id: 1, key: 'a' }).execute();
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));
    const writing = t.store.transaction(async (trx) => {
      await (trx as Kysely<any>).insertInto('bulk').values({ id: 2, key: 'b' }).execute();
      open();
      await finishing;
      await (trx as Kysely<any>).insertInto('bulk').values({ id: 3, key: 'c' }).execute();
    });
    await opened;
    expect(await ids()).toEqual([1]);
    finish();
    await writing;
    expect(await ids()).toEqual([1, 2, 3]);

    // A timer due now runs before a bulk write of a few seconds commits, not after it.
    let timerAt = Infinity;
    setTimeout(() => (timerAt = performance.now()), 0);
    const rows = Array.from({ length: 200_000 }, (_, i) => [10 + i, `key-${i % 97}`, `value ${i}`]);
    await t.store.transaction((trx) => t.store.adapter.insertRows(trx, 'bulk', ['id', 'key', 'value'], rows));
    const committedAt = performance.now();
    expect(timerAt).toBeLessThan(committedAt);
  });

  it('keeps nothing of a bulk insert whose transaction fails', async () => {
    await expect(
      t.store.transaction(async (trx) => {
        await t.store.adapter.insertRows(trx, 'bulk', ['id', 'key', 'value'], [[1, 'a', 'b']]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(Number((await sql<{ n: number }>`select count(*) as n from bulk`.execute(t.store.db)).rows[0]!.n)).toBe(0);
  });
});

describe('SQLite file', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await createTestStore(testDatabases.find((d) => d.name === 'sqlite')!);
  });
  afterEach(() => t.close());

  it('makes a bulk insert outside a transaction one of its own', async () => {
    await sql`create table bulk (id integer)`.execute(t.store.db);
    await t.store.adapter.insertRows(t.store.db, 'bulk', ['id'], [[1], [2]]);
    expect((await sql<{ id: number }>`select id from bulk order by id`.execute(t.store.db)).rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('lets a write outside a transaction wait for the open one, and reads a table or index made a moment ago', async () => {
    const db = t.store.db as Kysely<any>;
    await sql`create table items (id integer primary key)`.execute(db);
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));
    let inside!: () => void;
    const insideNow = new Promise<void>((resolve) => (inside = resolve));
    const writing = t.store.transaction(async (trx) => {
      await (trx as Kysely<any>).insertInto('items').values({ id: 1 }).execute();
      inside();
      await finishing;
    });
    await insideNow;
    let outsideDone = false;
    const outside = db.insertInto('items').values({ id: 2 }).execute().then(() => (outsideDone = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(outsideDone).toBe(false);
    finish();
    await Promise.all([writing, outside]);
    expect((await db.selectFrom('items').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual([1, 2]);

    // What a migration does on one connection, no transaction: the read-only connection has not
    // seen the new schema yet when the next statement comes.
    await db.connection().execute(async (connection) => {
      await sql`create index items_id on items (id)`.execute(connection);
      await sql`drop index items_id`.execute(connection);
      await sql`create index items_id on items (id desc)`.execute(connection);
      await sql`create table later (id integer)`.execute(connection);
      expect((await sql`select count(*) as n from later`.execute(connection)).rows).toEqual([{ n: 0 }]);
    });
  });

  it('uses 64 KiB pages; its checkpointer thread copies the write-ahead log back, which stays bounded', async () => {
    expect(Number((await sql<{ page_size: number }>`pragma page_size`.execute(t.store.db)).rows[0]!.page_size)).toBe(65536);
    await sql`create table filler (id integer primary key, body text)`.execute(t.store.db);
    const body = 'x'.repeat(4_000);
    const fill = (from: number, count: number) => t.store.transaction((trx) => t.store.adapter.insertRows(trx, 'filler', ['id', 'body'], Array.from({ length: count }, (_, i) => [from + i, body])));
    // 8 MiB: far below the 64 MiB at which the connection itself would checkpoint, so only the
    // checkpointer thread moves the pages into the database file.
    const file = path.join(t.dataDir, 'plinth.db');
    const before = statSync(file).size;
    await fill(0, 2_000);
    await expect.poll(() => statSync(file).size - before, { timeout: 5_000 }).toBeGreaterThan(8_000_000);
    // About 200 MiB more in 100 commits back to back: the log never grows past the fallback size
    // (64 MiB) by more than a commit or two (each about 2 MiB), however the thread keeps up.
    let largestLog = 0;
    for (let round = 1; round <= 100; round++) {
      await fill(round * 2_000, 500);
      largestLog = Math.max(largestLog, statSync(path.join(t.dataDir, 'plinth.db-wal')).size);
    }
    expect(largestLog).toBeLessThan(70 * 1024 * 1024);
  });
});
