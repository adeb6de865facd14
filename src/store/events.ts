import type { Kysely, Selectable } from 'kysely';
import type { Store } from './store.js';
import type { DbEventRow, StoreTables } from './tables.js';

/** Channel announcing a new event to other processes; payload is its sequence number. */
export const EVENTS_CHANNEL = 'plinth_events';

/**
 * A domain fact, written once and never changed. Types are `noun:verb` in the past tense
 * (`token:created`, `git:pushed`, `deployment:finished`); the subject is the ref of what it is about.
 */
export interface DomainEvent<Payload = unknown> {
  seq: number;
  type: string;
  subject: string;
  actor: string;
  payload: Payload;
  createdAt: string;
}

export interface NewEvent {
  type: string;
  subject: string;
  actor: string;
  payload?: unknown;
}

/** Appends an event; pass the transaction of the domain write so both commit or neither does. */
export async function appendEvent(store: Store, event: NewEvent, db: Kysely<StoreTables> = store.db): Promise<number> {
  const row = await db
    .insertInto('events')
    .values({ type: event.type, subject: event.subject, actor: event.actor, payload: JSON.stringify(event.payload ?? {}), created_at: Date.now() })
    .returning('seq')
    .executeTakeFirstOrThrow();
  await store.notify(db, EVENTS_CHANNEL, String(row.seq));
  return row.seq;
}

export interface ReadEventsFilter {
  after?: number;
  limit?: number;
  types?: string[];
  subject?: string;
}

export async function readEvents(store: Store, filter: ReadEventsFilter = {}): Promise<DomainEvent[]> {
  let query = store.db
    .selectFrom('events')
    .selectAll()
    .where('seq', '>', filter.after ?? 0)
    .orderBy('seq')
    .limit(Math.min(filter.limit ?? 100, 1000));
  if (filter.types?.length) query = query.where('type', 'in', filter.types);
  if (filter.subject) query = query.where('subject', '=', filter.subject);
  return (await query.execute()).map(toDomainEvent);
}

export async function latestEventSeq(store: Store): Promise<number> {
  const row = await store.db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
  return Number(row?.seq ?? 0);
}

function toDomainEvent(row: Selectable<DbEventRow>): DomainEvent {
  return { seq: row.seq, type: row.type, subject: row.subject, actor: row.actor, payload: JSON.parse(row.payload), createdAt: new Date(row.created_at).toISOString() };
}

export interface EventSubscription {
  stop(): Promise<void>;
}

/**
 * Feeds every event after the subscriber's durable cursor (for a new subscriber: every event
 * from now on) to `handle`, in order, then moves the
 * cursor. Delivery is at-least-once (a crash, or two replicas reading the same batch, repeat an
 * event), so handlers must be idempotent. Handlers run outside any transaction, so they may call
 * any service. Wakes on new events (in-process signal or NOTIFY); polls as a fallback.
 */
export async function subscribeToEvents(
  store: Store,
  name: string,
  handle: (event: DomainEvent) => Promise<void>,
  options: { types?: string[]; pollMs?: number; onError?: (error: unknown) => void } = {},
): Promise<EventSubscription> {
  let stopped = false;
  let pending = true;
  let wake: (() => void) | undefined;
  const onEvent = () => {
    pending = true;
    wake?.();
  };
  const unlisten = await store.onNotification(EVENTS_CHANNEL, onEvent);
  // A new subscriber starts from now; an existing one resumes where it stopped.
  await store.db.insertInto('event_cursors').values({ name, seq: await latestEventSeq(store), updated_at: Date.now() }).onConflict((oc) => oc.column('name').doNothing()).execute();

  async function processBatch(): Promise<number> {
    const cursor = await store.db.selectFrom('event_cursors').select('seq').where('name', '=', name).executeTakeFirstOrThrow();
    let query = store.db.selectFrom('events').selectAll().where('seq', '>', cursor.seq).orderBy('seq').limit(200);
    if (options.types?.length) query = query.where('type', 'in', options.types);
    const rows = await query.execute();
    if (rows.length === 0) return 0;
    for (const row of rows) await handle(toDomainEvent(row));
    const seq = rows[rows.length - 1]!.seq;
    // Only forward: a slower replica must not move the cursor back.
    await store.db.updateTable('event_cursors').set({ seq, updated_at: Date.now() }).where('name', '=', name).where('seq', '<', seq).execute();
    return rows.length;
  }

  const done = (async () => {
    while (!stopped) {
      if (pending) {
        pending = false;
        try {
          while (!stopped && (await processBatch()) > 0);
        } catch (error) {
          options.onError?.(error);
          await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
          pending = true;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          pending = true;
          resolve();
        }, options.pollMs ?? 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await done;
      unlisten();
    },
  };
}
