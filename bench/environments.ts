/*
 * Environments benchmark, in process (the platform, its HTTP app through inject, a queue worker
 * and the local runtime with its proxy), on SQLite in a temp dir, with real PostgreSQL and
 * Redis provisioning and the notes service fixture (test/fixtures/environments/notes-service):
 *
 *   environments.preview.request_to_healthy      ms   create a preview environment and deploy the
 *                                                     service with postgres + redis until it answers
 *                                                     through the proxy; median of ROUNDS (goal <= 3 s)
 *   environments.promote.request_to_serving      ms   promote preview → staging until the staging
 *                                                     workload answers through the proxy; median (goal <= 1 s + readiness)
 *   environments.create.50_concurrent            ms   50 environments created at once (API)
 *   environments.create.50_concurrent.rss        MB   RSS of the process afterwards
 *   environments.proxy.direct.rps / .proxied.rps req/s autocannon (its own process) on loopback, DURATION s each
 *   environments.proxy.overhead_ratio            x    direct req/s ÷ proxied req/s
 *   environments.proxy.direct.p50 / .proxied.p50 ms   median latency
 *
 * Tunables (env): BENCH_ENVIRONMENTS_ROUNDS (3), BENCH_ENVIRONMENTS_PROXY_SECONDS (5).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadConfig } from '../src/core/config.js';
import { createPlatform, startQueueWorker } from '../src/server/platform.js';
import { buildApp } from '../src/server/app.js';
import { createApiToken } from '../src/auth/tokens.js';
import { authDb } from '../src/auth/users.js';
import type { Benchmark, Report } from './run.js';

const require = createRequire(import.meta.url);
const ROUNDS = Number(process.env.BENCH_ENVIRONMENTS_ROUNDS ?? 3);
const PROXY_SECONDS = Number(process.env.BENCH_ENVIRONMENTS_PROXY_SECONDS ?? 5);
const FIXTURE = path.resolve(import.meta.dirname, '../test/fixtures/environments/notes-service');
const SCORE = readFileSync(path.join(FIXTURE, 'score.yaml'), 'utf8');

const log = (message: string) => process.stderr.write(`  ${message}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function get(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      })
      .on('error', () => resolve(0));
  });
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number };
  non2xx: number;
  errors: number;
}

/** autocannon in its own process, so the load generator does not share Plinth's event loop. */
function runAutocannon(url: string, host: string): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const cli = path.join(path.dirname(require.resolve('autocannon/package.json')), 'autocannon.js');
    execFile(process.execPath, [cli, '--json', '-c', '20', '-d', String(PROXY_SECONDS), '-H', `host=${host}`, url], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout) as AutocannonResult);
    });
  });
}

const benchmark: Benchmark = {
  async run(report: Report) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-environments-bench-'));
    const config = loadConfig({ env: {}, overrides: { dataDir, logLevel: 'warn' } });
    config.environments.proxy.port = 0;
    const platform = await createPlatform(config);
    const app = await buildApp(platform);
    await app.ready();
    const token = (await createApiToken(authDb(platform.store), { name: 'bench', role: 'admin', createdBy: 'system' })).token;
    await platform.environments.start();
    const worker = await startQueueWorker(platform);
    const proxyPort = platform.environments.localRuntime.proxy.port;
    const call = async (method: string, url: string, body?: unknown) => {
      const response = await app.inject({ method: method as 'GET', url, payload: body as object, headers: { authorization: `Bearer ${token}` } });
      if (response.statusCode >= 400) throw new Error(`${method} ${url}: ${response.body}`);
      return JSON.parse(response.body) as Record<string, any>;
    };
    const settled = async (id: string) => {
      let status = '';
      await until(async () => {
        status = (await call('GET', `/api/deployments/${id}`)).status as string;
        return ['succeeded', 'failed', 'rolled-back'].includes(status);
      });
      if (status !== 'succeeded') throw new Error(`deployment ${id} ${status}: ${(await call('GET', `/api/deployments/${id}`)).error}`);
    };
    const created: string[] = [];
    const run = randomUUID().slice(0, 5);
    try {
      log('preview environment: request → healthy');
      const toHealthy: number[] = [];
      const toServing: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const preview = `bench-${run}-pv${round}`;
        const staging = `bench-${run}-st${round}`;
        await call('POST', '/api/environments', { name: staging, type: 'staging', values: { GREETING: 'hi' } });
        created.push(preview, staging);
        const started = performance.now();
        await call('POST', '/api/environments', { name: preview, type: 'preview', values: { GREETING: 'hi' } });
        const deployment = await call('POST', '/api/deployments', { environment: preview, component: 'notes', score: SCORE, artifact: FIXTURE });
        await settled(deployment.id as string);
        await until(async () => (await get(proxyPort, `notes.${preview}.localhost`)) === 200);
        toHealthy.push(performance.now() - started);

        const promoting = performance.now();
        const promotion = await call('POST', '/api/deployments/promote', { component: 'notes', from: preview, to: staging });
        await settled(promotion.id as string);
        await until(async () => (await get(proxyPort, `notes.${staging}.localhost`)) === 200);
        toServing.push(performance.now() - promoting);
        log(`round ${round + 1}: healthy ${Math.round(toHealthy.at(-1)!)} ms, promoted ${Math.round(toServing.at(-1)!)} ms`);
      }
      report('environments.preview.request_to_healthy', median(toHealthy), 'ms');
      report('environments.promote.request_to_serving', median(toServing), 'ms');

      log('50 environments created concurrently');
      const names = Array.from({ length: 50 }, (_, i) => `bench-${run}-c${i}`);
      const concurrent = performance.now();
      await Promise.all(names.map((name) => call('POST', '/api/environments', { name, type: 'development' })));
      report('environments.create.50_concurrent', performance.now() - concurrent, 'ms');
      report('environments.create.50_concurrent.rss', process.memoryUsage().rss / 1024 / 1024, 'MB');
      created.push(...names);

      log(`proxy overhead: autocannon ${PROXY_SECONDS} s direct, then ${PROXY_SECONDS} s through the proxy`);
      const host = `notes.bench-${run}-pv0.localhost`;
      const direct = platform.environments.localRuntime.status(`bench-${run}-pv0`, 'notes')!.ports.web!;
      const measure = (port: number) => runAutocannon(`http://127.0.0.1:${port}/`, host);
      const directResult = await measure(direct);
      const proxiedResult = await measure(proxyPort);
      report('environments.proxy.direct.rps', directResult.requests.average, 'req/s');
      report('environments.proxy.proxied.rps', proxiedResult.requests.average, 'req/s');
      report('environments.proxy.overhead_ratio', directResult.requests.average / proxiedResult.requests.average, 'x');
      report('environments.proxy.direct.p50', directResult.latency.p50, 'ms');
      report('environments.proxy.proxied.p50', proxiedResult.latency.p50, 'ms');
      if (proxiedResult.non2xx || proxiedResult.errors) log(`proxied run had ${proxiedResult.non2xx} non-2xx answers and ${proxiedResult.errors} errors`);
    } finally {
      log('destroying the benchmark environments');
      for (const name of created) await call('DELETE', `/api/environments/${name}`).catch((error: Error) => log(error.message));
      await worker.stop(2000);
      await app.close();
      await platform.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
