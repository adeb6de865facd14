import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { createTestApp, type TestApp } from './platform.js';
import type { TestDatabase } from './databases.js';
import { startQueueWorker } from '../../src/server/platform.js';
import type { QueueWorker } from '../../src/store/queue/worker.js';
import type { PlinthConfig } from '../../src/core/config.js';
import type { DeploymentView } from '../../src/environments/model.js';

/** Whether a process runs: a zombie (exited, not yet reaped) does not. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export const NOTES_SERVICE = path.resolve(import.meta.dirname, '../fixtures/environments/notes-service');

/** A Score file for the notes service without resources (plain HTTP), with extra variables. */
export function plainScore(variables: Record<string, string> = {}): string {
  const lines = Object.entries(variables).map(([k, v]) => `      ${k}: "${v}"`);
  return [
    'apiVersion: score.dev/v1b1',
    'metadata:',
    '  name: notes',
    'containers:',
    '  main:',
    '    image: .',
    '    command: ["node"]',
    '    args: ["server.js"]',
    ...(lines.length ? ['    variables:', ...lines] : []),
    '    readinessProbe:',
    '      httpGet:',
    '        path: /healthz',
    '        port: 8080',
    'service:',
    '  ports:',
    '    web:',
    '      port: 80',
    '      targetPort: 8080',
    '',
  ].join('\n');
}

export interface EnvironmentHarness extends TestApp {
  worker: QueueWorker;
  call<T = any>(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /** Waits until the deployment reaches a final state (or awaits approval). */
  settle(id: string, timeoutMs?: number): Promise<DeploymentView>;
  /** A GET through the local runtime's proxy with the workload's Host header. */
  viaProxy(host: string, pathname?: string, method?: string, body?: string): Promise<{ status: number; text: string }>;
}

/** A platform with its app, a queue worker and the local runtime (proxy on a free port). */
export async function startEnvironmentHarness(database: TestDatabase, adjust: (config: PlinthConfig) => void = () => {}): Promise<EnvironmentHarness> {
  const t = await createTestApp(database, (config) => {
    config.environments.proxy.port = 0;
    config.environments.readinessTimeoutSeconds = 8;
    adjust(config);
  });
  await t.platform.environments.start();
  const worker = await startQueueWorker(t.platform);
  const app: FastifyInstance = t.app;
  const call = async (method: string, url: string, body?: unknown, token = t.tokens.admin) => {
    const response = await app.inject({ method: method as 'GET', url, payload: body as object, headers: { authorization: `Bearer ${token}` } });
    return { status: response.statusCode, body: response.body ? (safeJson(response.body) as any) : undefined };
  };
  const runtime = t.platform.environments.localRuntime;
  return {
    ...t,
    worker,
    call,
    async settle(id, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await call('GET', `/api/deployments/${id}`);
        if (['succeeded', 'failed', 'rolled-back', 'superseded', 'awaiting-approval'].includes(body.status)) return body;
        if (Date.now() > deadline) throw new Error(`deployment ${id} still ${body.status}`);
        await sleep(100);
      }
    },
    viaProxy(host, pathname = '/', method = 'GET', body) {
      return new Promise((resolve, reject) => {
        const request = http.request({ host: '127.0.0.1', port: runtime.proxy.port, path: pathname, method, headers: { host } }, (response) => {
          let text = '';
          response.on('data', (d) => (text += d));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        });
        request.on('error', reject);
        request.end(body);
      });
    },
    async close() {
      await worker.stop(2000);
      await runtime.stopAll();
      await t.close();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
