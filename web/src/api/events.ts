import { buildUrl } from './client.js';
import type { DomainEvent } from './types.js';

/**
 * Subscribes to live domain events of the given types (`token:created`…) over Server-Sent Events.
 * The server names each SSE event after its type, so we listen per type. EventSource reconnects
 * by itself and resumes with Last-Event-ID. Returns an unsubscribe function.
 */
export function subscribeToEvents(types: string[], onEvent: (event: DomainEvent) => void): () => void {
  if (typeof EventSource === 'undefined' || types.length === 0) return () => {};
  const source = new EventSource(buildUrl('/events/stream', { type: types }));
  const listener = (message: MessageEvent<string>) => {
    try {
      onEvent(JSON.parse(message.data) as DomainEvent);
    } catch {}
  };
  for (const type of types) source.addEventListener(type, listener);
  return () => source.close();
}

/**
 * Calls onSettled once a burst of events of the given types is over (no new one for delayMs):
 * what a page does to reload what it shows. `accept` drops events that are not about it.
 * Returns an unsubscribe function.
 */
export function subscribeToEventsDebounced(types: string[], delayMs: number, onSettled: () => void, accept: (event: DomainEvent) => boolean = () => true): () => void {
  let timer = 0;
  const unsubscribe = subscribeToEvents(types, (event) => {
    if (!accept(event)) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(onSettled, delayMs);
  });
  return () => {
    window.clearTimeout(timer);
    unsubscribe();
  };
}
