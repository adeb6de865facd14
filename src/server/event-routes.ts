import type { FastifyInstance } from 'fastify';
import { EVENTS_CHANNEL, latestEventSeq, readEvents } from '../store/events.js';
import type { Platform } from './platform.js';
import { routeAccess } from '../auth/route-access.js';

const eventSchema = {
  type: 'object',
  properties: { seq: { type: 'integer' }, type: { type: 'string' }, subject: { type: 'string' }, actor: { type: 'string' }, payload: {}, createdAt: { type: 'string' } },
};
const query = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    type: { type: 'array', items: { type: 'string' } },
    subject: { type: 'string' },
  },
} as const;

interface EventQuery {
  after?: number;
  limit?: number;
  type?: string[];
  subject?: string;
}

/** The domain event log: a page by sequence, and a live Server-Sent-Events stream. */
export function registerEventRoutes(app: FastifyInstance, platform: Platform): void {
  const { store } = platform;
  const access = routeAccess({ action: 'event.read' });

  app.get<{ Querystring: EventQuery }>(
    '/events',
    { config: access, schema: { tags: ['events'], summary: 'Domain events after a sequence number', querystring: query, response: { 200: { type: 'object', properties: { items: { type: 'array', items: eventSchema } } } } } },
    async (request) => ({ items: await readEvents(store, { after: request.query.after, limit: request.query.limit, types: request.query.type, subject: request.query.subject }) }),
  );

  app.get<{ Querystring: EventQuery }>(
    '/events/stream',
    { config: access, schema: { tags: ['events'], summary: 'Live domain events (text/event-stream); resumes after `after` or Last-Event-ID', querystring: query } },
    async (request, reply) => {
      const lastEventId = Number(request.headers['last-event-id']);
      let after = request.query.after ?? (Number.isFinite(lastEventId) ? lastEventId : await latestEventSeq(store));
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': String(request.id) });
      raw.write(': connected\n\n');
      let sending = false;
      let again = false;
      const send = async () => {
        if (sending) {
          again = true;
          return;
        }
        sending = true;
        try {
          do {
            again = false;
            const events = await readEvents(store, { after, limit: 500, types: request.query.type, subject: request.query.subject });
            for (const event of events) {
              raw.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
              after = event.seq;
            }
          } while (again);
        } catch (error) {
          request.log.warn({ err: error }, 'event stream read failed');
        } finally {
          sending = false;
        }
      };
      // Other replicas' events arrive through NOTIFY; ours through the in-process signal.
      const unlisten = await store.onNotification(EVENTS_CHANNEL, () => void send());
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
      await send();
      request.raw.on('close', () => {
        clearInterval(keepAlive);
        unlisten();
      });
    },
  );
}
