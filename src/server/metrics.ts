import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { countJobs } from '../store/queue/jobs.js';
import type { Platform } from './platform.js';

export interface ServerMetrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

/** Prometheus metrics of one process: HTTP latency, queue depth and job durations, process health. */
export function createServerMetrics(platform: Platform): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'plinth_' });
  const httpDuration = new Histogram({
    name: 'plinth_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'plinth_queue_jobs',
    help: 'Jobs in the queue by type and state (completed jobs are removed)',
    labelNames: ['type', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await countJobs(platform.store)) this.set({ type: row.type, state: row.state }, row.count);
    },
  });
  const jobDuration = new Histogram({
    name: 'plinth_job_duration_seconds',
    help: 'Run time of jobs finished by this process, by type and outcome',
    labelNames: ['type', 'outcome'],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [registry],
  });
  const jobsFinished = new Counter({ name: 'plinth_jobs_finished_total', help: 'Jobs finished by this process', labelNames: ['type', 'outcome'], registers: [registry] });
  platform.jobObservers.push((finished) => {
    jobDuration.observe({ type: finished.type, outcome: finished.outcome }, finished.durationMs / 1000);
    jobsFinished.inc({ type: finished.type, outcome: finished.outcome });
  });
  return {
    registry,
    observeRequest: (method, route, status, seconds) => httpDuration.observe({ method, route, status: String(status) }, seconds),
  };
}
