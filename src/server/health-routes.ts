import type { FastifyInstance } from 'fastify';
import type { QueueWorker } from '../store/queue/worker.js';
import type { Platform } from './platform.js';
import type { ServerMetrics } from './metrics.js';
import { routeAccess } from '../auth/route-access.js';

const open = routeAccess({ public: true });

/**
 * /healthz: the process answers. /readyz: the database answers and queue workers heartbeat
 * (this process's own, and at least one somewhere). /metrics: Prometheus text.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: { platform: Platform; worker?: QueueWorker; metrics: ServerMetrics }): void {
  const { platform, worker, metrics } = deps;
  const leaseMs = platform.config.workers.leaseSeconds * 1000;

  app.get('/healthz', { schema: { hide: true }, config: open }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true }, config: open }, async (_request, reply) => {
    const checks: Record<string, { ok: boolean; detail: string }> = {};
    try {
      await platform.store.ping();
      checks.database = { ok: true, detail: platform.store.adapter.name };
    } catch (error) {
      checks.database = { ok: false, detail: (error as Error).message };
    }
    const now = Date.now();
    if (worker) {
      const age = now - worker.lastHeartbeatAt;
      checks.worker = { ok: age <= leaseMs, detail: `this process's worker last heartbeat ${age} ms ago (limit ${leaseMs} ms)` };
    }
    if (checks.database.ok) {
      const live = await platform.store.db
        .selectFrom('workers')
        .select(['id', 'heartbeat_at'])
        .where('stopped_at', 'is', null)
        .where((eb) => eb(eb('heartbeat_at', '+', eb.ref('lease_ms')), '>=', now))
        .execute();
      checks.workers = { ok: live.length > 0, detail: live.length > 0 ? `${live.length} worker(s) heartbeating` : 'no queue worker has heartbeated within its lease' };
    }
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', { schema: { hide: true }, config: open }, async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
