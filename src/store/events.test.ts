import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { createTestStore, type TestStore } from '../../test/support/store.js';
import { appendEvent, EVENTS_CHANNEL, readEvents } from './events.js';

describe.each(testDatabases)('events on $name', (database) => {
  let t: TestStore;
  let listenerFailures: Array<{ channel: string; message: string }>;
  beforeEach(async () => {
    listenerFailures = [];
    t = await createTestStore(database, undefined, {
      onListenerError: (error, channel) => listenerFailures.push({ channel, message: (error as Error).message }),
    });
  });
  afterEach(() => t.close());

  it('lets a listener woken by an event appended inside a transaction read that event once it commits', async () => {
    const { store } = t;
    const seen: number[][] = [];
    // What a live stream does: on each signal, read the events it has not sent yet.
    const stop = await store.onNotification(EVENTS_CHANNEL, () => {
      void readEvents(store, { types: ['test:happened'] }).then((events) => seen.push(events.map((e) => e.seq)));
    });
    try {
      const seq = await store.transaction(async (trx) => {
        const appended = await appendEvent(store, { type: 'test:happened', subject: 'test:x', actor: 'test' }, trx);
        // The transaction goes on writing for a while after the event.
        await new Promise((resolve) => setTimeout(resolve, 100));
        return appended;
      });
      await expect.poll(() => seen.some((seqs) => seqs.includes(seq)), { timeout: 5_000 }).toBe(true);
    } finally {
      stop();
    }
  });

  it('keeps a listener that throws from failing the write that signalled or the listeners after it, and reports it', async () => {
    const { store } = t;
    const stopThrowing = await store.onNotification(EVENTS_CHANNEL, () => {
      throw new Error('listener broke');
    });
    const woken: string[] = [];
    const stopRecording = await store.onNotification(EVENTS_CHANNEL, (payload) => woken.push(payload));
    try {
      const inTransaction = await store.transaction((trx) => appendEvent(store, { type: 'test:happened', subject: 'test:x', actor: 'test' }, trx));
      const outside = await appendEvent(store, { type: 'test:happened', subject: 'test:y', actor: 'test' });
      expect((await readEvents(store, { types: ['test:happened'] })).map((e) => e.seq)).toEqual([inTransaction, outside]);
      await expect.poll(() => woken.includes(String(inTransaction)) && woken.includes(String(outside)), { timeout: 5_000 }).toBe(true);
      expect(listenerFailures.length).toBeGreaterThanOrEqual(2);
      expect(listenerFailures.every((f) => f.channel === EVENTS_CHANNEL && f.message === 'listener broke')).toBe(true);
    } finally {
      stopThrowing();
      stopRecording();
    }
  });
});
