/*
 * Catalog benchmark: a real `plinth serve` child process ingesting a generated catalog
 * (the Backstage peer's deterministic generator, /work/shared/peers/backstage/gen.mjs: multi-document
 * YAML files under a two-level tree of Location files) and answering the peer's request workload
 * (manifest.json) over HTTP. Figures, per database and size N, `catalog.<db>.n<N>.<figure>`:
 *
 *   ingest_rate            entities/s  from POST /locations of the root Location file until by-query
 *                                      (every kind of the data set) counts N; child locations are
 *                                      refreshed by queue jobs after the POST answers. Polled every 250 ms.
 *   ingest_time            s           the same interval
 *   ingest_cpu             s           CPU time (user + system, all threads) the server spent in that
 *                                      interval: steadier than the wall time on a shared virtual machine
 *                                      (stderr also shows the share of the interval the hypervisor took)
 *   kinds_p50|p99          ms          GET /kinds: no catalog query, the HTTP + routing + token floor
 *   by_ref_p50|p99         ms          GET /entities/by-name/component/default/<name>
 *   filtered_page_p50|p99  ms          GET /entities/by-query?filter=kind=component,spec.owner=<team>&limit=100
 *   facets_p50|p99         ms          GET /entity-facets?facet=spec.owner (answers are kept until the
 *                                      catalog changes: this is the kept answer; the first one after a
 *                                      change costs what facets_uncached measures)
 *   facets_uncached_p50|p99 ms         the same request right after a catalog change (an entity provider
 *                                      adds or removes one entity before each request, not timed)
 *   fulltext_p50|p99       ms          GET /entities/by-query?fullTextFilterTerm=<word>&fullTextFilterFields=metadata.name,metadata.title&limit=100
 *   <latency>_server_p99   ms          the server's own time for those requests (its Server-Timing header:
 *                                      from receiving the request to handing the response to the socket)
 *   settled_time           s           from the POST until no catalog.refresh-statistics job waits or runs
 *                                      (PostgreSQL: Plinth's own VACUUM ANALYZE a few seconds after a bulk
 *                                      load); the latencies below are measured then
 *   reingest_unchanged     s           POST /refresh of the root Location entity (its job refreshes the
 *                                      whole location tree) until every location's refreshedAt is later
 *                                      than the POST; every file is unchanged, so skipped by content hash
 *   rss                    MiB         VmRSS of the server right after ingestion
 *   rss_hwm                MiB         VmHWM (peak RSS) of the server at the end
 *
 * Latencies: warm-up requests of the same case for WARMUP_S seconds (at least 20), then REQUESTS
 * sequential requests over the manifest's workload on one
 * keep-alive connection from this process (node:http: undici's `fetch` itself adds about 2 ms to
 * this machine's p99 — a bare Fastify route measures p99 2.3 ms with it, 0.45 ms with node:http);
 * p50/p99 by nearest rank.
 *
 * Tunables (env): CATALOG_BENCH_SIZES (100000), CATALOG_BENCH_DATABASES (sqlite,postgres),
 * CATALOG_BENCH_REQUESTS (1000), CATALOG_BENCH_WARMUP_S (2), CATALOG_BENCH_GENERATOR (the peer's gen.mjs),
 * CATALOG_BENCH_DATA (where generated data is kept between runs; default <tmpdir>/plinth-catalog-bench-data),
 * CATALOG_BENCH_NODE_OPTIONS (node flags for the server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`),
 * PLINTH_BENCH_DATABASE_URL (PostgreSQL server for the fresh databases; default the local one).
 */
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { buildIfStale } from '../scripts/build-if-stale.js';
import { REPO_ROOT, runPlinth } from '../test/support/server.js';
import type { Benchmark, Report } from './run.js';

export type DatabaseKind = 'sqlite' | 'postgres';

const ADMIN_URL = process.env.PLINTH_BENCH_DATABASE_URL ?? process.env.PLINTH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIZES = (process.env.CATALOG_BENCH_SIZES ?? '100000').split(',').map((s) => Number(s.trim()));
const DATABASES = (process.env.CATALOG_BENCH_DATABASES ?? 'sqlite,postgres').split(',').map((s) => s.trim()) as DatabaseKind[];
const REQUESTS = Number(process.env.CATALOG_BENCH_REQUESTS ?? 1000);
/**
 * A route's first few thousand requests run while V8 still compiles the server's and this client's
 * code for it: by-name on a fresh server, client p99 per 500 requests fell from 5.8 ms to 1.0 ms
 * over the first 3 s (server p99 1.4 → 0.25 ms). The figures are of a warm server, as it is after
 * minutes of use: each case warms up for this long (at least MIN_WARMUP_REQUESTS) first.
 */
const WARMUP_S = Number(process.env.CATALOG_BENCH_WARMUP_S ?? 2);
const MIN_WARMUP_REQUESTS = 20;
const GENERATOR = process.env.CATALOG_BENCH_GENERATOR ?? '/work/shared/peers/backstage/gen.mjs';
const DATA_ROOT = process.env.CATALOG_BENCH_DATA ?? path.join(tmpdir(), 'plinth-catalog-bench-data');
const SERVER_NODE_OPTIONS = process.env.CATALOG_BENCH_NODE_OPTIONS;
const INGEST_TIMEOUT_MS = 3_600_000;
/** How often ingestion progress is polled (the count query is part of the load, as with a UI watching). */
const POLL_MS = 250;
/** The server as `npm start` runs it: the built JavaScript, not the TypeScript through tsx's loader. */
const BUILT_CLI = path.join(REPO_ROOT, 'dist', 'cli', 'run.js');
let serverBuilt = false;
/** Builds the server when stale, once per run: the check walks every source file. */
function buildServerOnce(): void {
  if (!serverBuilt) buildIfStale('dist/cli/run.js', ['src'], 'build:server');
  serverBuilt = true;
}

const log = (message: string) => process.stderr.write(`  ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Manifest {
  n: number;
  kinds: string[];
  bigGroup: { kind: string; namespace: string; name: string; expectedMinRelations: number };
  workload: {
    byName: Array<{ kind: string; namespace: string; name: string }>;
    ownerFilter: string[];
    facet: string[];
    fullText: string[];
    fullTextFields: string[];
  };
}

/** Generated data for N entities (deterministic: seed 42), kept between runs. */
export function generatedData(n: number): { dir: string; manifest: Manifest } {
  const dir = path.join(DATA_ROOT, `n${n}`);
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    log(`generating ${n} entities into ${dir}`);
    execFileSync(process.execPath, [GENERATOR, '--n', String(n), '--out', dir, '--seed', '42'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return { dir, manifest: JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest };
}

async function adminQuery(statement: string, connectionString = ADMIN_URL): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface Server {
  url: string;
  databaseUrl?: string;
  adminToken: string;
  pid: number;
  output(): string;
  close(): Promise<void>;
}

/**
 * `plinth serve` on a fresh database as a child process, built first when the build is missing or
 * older than the sources (tests run the TypeScript through tsx: its loader thread, a second one in
 * the parse worker, and source maps for stacks are not what users run). CATALOG_BENCH_NODE_OPTIONS
 * go on the node command line: `--cpu-prof` is not allowed in NODE_OPTIONS.
 */
export async function startServer(kind: DatabaseKind, adminUrl = ADMIN_URL, settings: Record<string, string> = {}): Promise<Server> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-catalog-bench-'));
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (kind === 'postgres') {
    const name = `plinth_bench_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    await adminQuery(`create database ${name}`, adminUrl);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    drop = () => adminQuery(`drop database if exists ${name} with (force)`, adminUrl);
  }
  const cleanup = async () => {
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const env: NodeJS.ProcessEnv = { PLINTH_DATA_DIR: dataDir, PLINTH_LOG_LEVEL: 'warn', XDG_CONFIG_HOME: dataDir, ...settings };
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PLINTH_') && !(key in env)) env[key] = value;
  if (databaseUrl) env.PLINTH_DATABASE_URL = databaseUrl;
  try {
    const created = await runPlinth(['token', 'create', '--name', 'bench-admin', '--role', 'admin', '--data-dir', dataDir], { env });
    if (created.code !== 0) throw new Error(`token create failed: ${created.stderr}`);
    const adminToken = created.stdout.trim();
    const nodeOptions = SERVER_NODE_OPTIONS ? SERVER_NODE_OPTIONS.split(/\s+/).filter(Boolean) : [];
    buildServerOnce();
    const child = spawn(process.execPath, [...nodeOptions, BUILT_CLI, 'serve', '--port', '0'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(30_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    };
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`plinth serve did not start in time:\n${output}`)), 60_000);
      child.stdout.on('data', () => {
        const match = /running at (http:\/\/[^\s]+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`plinth serve exited with ${code}:\n${output}`));
      });
    }).catch(async (error) => {
      await stop();
      throw error;
    });
    return {
      url,
      databaseUrl,
      adminToken,
      pid: child.pid!,
      output: () => output,
      async close() {
        await stop();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Requests one at a time over a single keep-alive connection; `ms` runs until the whole body is read. */
export function httpClient(base: string, headers: Record<string, string>) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (method: string, url: string, body?: unknown) =>
    new Promise<{ ms: number; serverMs: number; status: number; text: string }>((resolve, reject) => {
      const start = performance.now();
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(`${base}${url}`, { method, agent, headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const serverMs = Number(/dur=([\d.]+)/.exec(String(response.headers['server-timing'] ?? ''))?.[1] ?? NaN);
          resolve({ ms: performance.now() - start, serverMs, status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  const ok = (method: string, url: string, result: { status: number; text: string }) => {
    if (result.status < 200 || result.status >= 300) throw new Error(`${method} ${url} -> ${result.status} ${result.text.slice(0, 300)}`);
  };
  return {
    async get(url: string): Promise<{ ms: number; serverMs: number; json: any }> {
      const result = await request('GET', url);
      ok('GET', url, result);
      return { ms: result.ms, serverMs: result.serverMs, json: JSON.parse(result.text) };
    },
    async post(url: string, body: unknown): Promise<any> {
      const result = await request('POST', url, body);
      ok('POST', url, result);
      return JSON.parse(result.text);
    },
    close: () => agent.destroy(),
  };
}

function procStatus(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/** User + system CPU seconds of a process, all its threads (clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The machine's CPU ticks in all, and those the hypervisor took (steal), from /proc/stat. */
function machineCpuTicks(): { total: number; steal: number } {
  const values = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: values.slice(0, 8).reduce((a, b) => a + b, 0), steal: values[7] ?? 0 };
}

/** Seconds from start until no catalog.refresh-statistics job waits or runs. */
async function waitForStatistics(serverUrl: string, token: string, start: number): Promise<number> {
  const { get, close } = httpClient(`${serverUrl}/api`, { authorization: `Bearer ${token}`, accept: 'application/json' });
  try {
    for (;;) {
      const [ready, running] = await Promise.all(['ready', 'running'].map(async (state) => (await get(`/jobs?type=catalog.refresh-statistics&state=${state}`)).json.items.length as number));
      if (ready === 0 && running === 0) return (performance.now() - start) / 1000;
      if (performance.now() - start > INGEST_TIMEOUT_MS) throw new Error('the planner statistics were not refreshed');
      await sleep(POLL_MS);
    }
  } finally {
    close();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

async function measure(kind: DatabaseKind, n: number, report: Report): Promise<void> {
  const { dir, manifest } = generatedData(n);
  if (manifest.n !== n) throw new Error(`manifest of ${dir} says ${manifest.n} entities, expected ${n}`);
  const server = await startServer(kind);
  const pid = server.pid;
  const { get, post, close: closeClient } = httpClient(`${server.url}/api/catalog`, { authorization: `Bearer ${server.adminToken}`, accept: 'application/json' });
  const name = (figure: string) => `catalog.${kind}.n${n}.${figure}`;
  try {
    log(`${kind}, ${n} entities: server pid ${pid} at ${server.url}, RSS ${procStatus(pid).rssMiB.toFixed(0)} MiB idle`);

    // Full ingestion: register the root Location, poll the count of the data set's kinds.
    const countUrl = `/entities/by-query?limit=1&fields=metadata.name&${manifest.kinds.map((k) => `filter=kind=${encodeURIComponent(k)}`).join('&')}`;
    const cpuBefore = processCpuSeconds(pid);
    const machineBefore = machineCpuTicks();
    const start = performance.now();
    await post('/locations', { type: 'file', target: path.join(dir, 'catalog-info.yaml') });
    log(`POST /locations answered after ${((performance.now() - start) / 1000).toFixed(2)} s`);
    let count = 0;
    let lastLog = start;
    let slowestPoll = 0;
    for (;;) {
      const { json, ms } = await get(countUrl);
      slowestPoll = Math.max(slowestPoll, ms);
      count = json.totalItems;
      if (count >= n) break;
      if (performance.now() - start > INGEST_TIMEOUT_MS) throw new Error(`ingestion incomplete after ${INGEST_TIMEOUT_MS} ms: ${count} of ${n}`);
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  ${count}/${n} after ${((lastLog - start) / 1000).toFixed(0)} s`);
      }
      await sleep(POLL_MS);
    }
    const ingestS = (performance.now() - start) / 1000;
    const ingestCpuS = processCpuSeconds(pid) - cpuBefore;
    const machineAfter = machineCpuTicks();
    const stolen = (machineAfter.steal - machineBefore.steal) / Math.max(1, machineAfter.total - machineBefore.total);
    log(`all ${count} entities visible after ${ingestS.toFixed(2)} s (slowest count poll ${slowestPoll.toFixed(0)} ms; server CPU ${ingestCpuS.toFixed(1)} s; ${(100 * stolen).toFixed(1)} % of the machine's CPU time stolen by the hypervisor)`);
    const afterIngest = procStatus(pid);
    // Relations of the big group are stitched once its members are in: a sanity check, not a figure.
    const big = await get(`/entities/by-name/${manifest.bigGroup.kind}/${manifest.bigGroup.namespace}/${manifest.bigGroup.name}`);
    if ((big.json.relations?.length ?? 0) < manifest.bigGroup.expectedMinRelations) {
      log(`note: ${manifest.bigGroup.name} has ${big.json.relations?.length ?? 0} relations, expected >= ${manifest.bigGroup.expectedMinRelations}`);
    }
    report(name('ingest_rate'), n / ingestS, 'entities/s');
    report(name('ingest_time'), ingestS, 's');
    report(name('ingest_cpu'), ingestCpuS, 's');

    // Latencies over the workload.
    const wl = manifest.workload;
    const probeEntity = { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'bench-facets-probe' }, spec: { type: 'service', lifecycle: 'experimental', owner: 'bench' } };
    const changeCatalog = (i: number) => post('/providers/bench/entities', i % 2 === 0 ? { type: 'delta', entities: [probeEntity] } : { type: 'delta', entities: [], removed: ['component:default/bench-facets-probe'] });
    const cases: Array<{ figure: string; url: (i: number) => string; check: (json: any, i: number) => boolean; before?: (i: number) => Promise<unknown> }> = [
      {
        // Not a catalog query: the same HTTP, routing and token check, for what the others cost on top.
        figure: 'kinds',
        url: () => '/kinds',
        check: (json) => Array.isArray(json.items),
      },
      {
        figure: 'by_ref',
        url: (i) => {
          const e = wl.byName[i % wl.byName.length]!;
          return `/entities/by-name/${e.kind}/${e.namespace}/${encodeURIComponent(e.name)}`;
        },
        check: (json, i) => json?.metadata?.name === wl.byName[i % wl.byName.length]!.name,
      },
      {
        figure: 'filtered_page',
        url: (i) => `/entities/by-query?filter=${encodeURIComponent(`kind=component,spec.owner=${wl.ownerFilter[i % wl.ownerFilter.length]}`)}&limit=100`,
        check: (json) => Array.isArray(json.items) && json.items.length > 0 && json.items.every((e: any) => e.kind.toLowerCase() === 'component'),
      },
      {
        figure: 'facets',
        url: () => `/entity-facets?facet=${encodeURIComponent(wl.facet[0]!)}`,
        check: (json) => Array.isArray(json.facets?.[wl.facet[0]!]) && json.facets[wl.facet[0]!].length > 0,
      },
      {
        figure: 'facets_uncached',
        url: () => `/entity-facets?facet=${encodeURIComponent(wl.facet[0]!)}`,
        check: (json) => Array.isArray(json.facets?.[wl.facet[0]!]) && json.facets[wl.facet[0]!].length > 0,
        before: changeCatalog,
      },
      {
        figure: 'fulltext',
        url: (i) => `/entities/by-query?fullTextFilterTerm=${encodeURIComponent(wl.fullText[i % wl.fullText.length]!)}&fullTextFilterFields=${wl.fullTextFields.map(encodeURIComponent).join(',')}&limit=100`,
        check: (json) => Array.isArray(json.items) && json.items.length > 0,
      },
    ];
    const latencies = async () => {
      for (const c of cases) {
        const warmUntil = performance.now() + WARMUP_S * 1000;
        for (let i = 0; i < MIN_WARMUP_REQUESTS || performance.now() < warmUntil; i++) {
          await c.before?.(i);
          await get(c.url(i + 1000));
        }
        const samples: number[] = [];
        const serverSamples: number[] = [];
        let bad = 0;
        for (let i = 0; i < REQUESTS; i++) {
          await c.before?.(i);
          const { ms, serverMs, json } = await get(c.url(i));
          samples.push(ms);
          serverSamples.push(serverMs);
          if (!c.check(json, i)) bad++;
        }
        if (bad) throw new Error(`${c.figure}: ${bad} of ${REQUESTS} responses did not have the expected content`);
        samples.sort((a, b) => a - b);
        serverSamples.sort((a, b) => a - b);
        log(`${c.figure}: ${REQUESTS} requests, min ${samples[0]!.toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms`);
        report(name(`${c.figure}_p50`), percentile(samples, 0.5), 'ms');
        report(name(`${c.figure}_p99`), percentile(samples, 0.99), 'ms');
        report(name(`${c.figure}_server_p99`), percentile(serverSamples, 0.99), 'ms');
      }
    };
    // Plinth refreshes PostgreSQL's planner statistics itself a few seconds after a bulk load (the
    // catalog.refresh-statistics job; before it did, right after ingestion the filtered page took
    // 90–146 ms at p99 and full text 179 ms): the latencies are of the settled catalog.
    const settled = await waitForStatistics(server.url, server.adminToken, start);
    log(`settled (planner statistics refreshed) ${settled.toFixed(2)} s after the POST`);
    report(name('settled_time'), settled, 's');
    await latencies();

    // Re-ingest of the unchanged set: refreshing the root Location refreshes its whole tree.
    const locationsBefore = (await get('/locations')).json as Array<{ data: { id: string } }>;
    const entitiesBefore = (await get(countUrl)).json.totalItems;
    const rootEntity = 'location:default/bspeer-root';
    const since = Date.now();
    const reStart = performance.now();
    await post('/refresh', { entityRef: rootEntity });
    for (;;) {
      const { json } = await get('/locations');
      const locations = json as Array<{ data: { refreshedAt: string | null; status: string } }>;
      const pending = locations.filter((l) => !l.data.refreshedAt || Date.parse(l.data.refreshedAt) < since);
      if (pending.length === 0) break;
      if (performance.now() - reStart > INGEST_TIMEOUT_MS) throw new Error(`re-ingest incomplete: ${pending.length} locations not refreshed`);
      await sleep(20);
    }
    const reingestS = (performance.now() - reStart) / 1000;
    const entitiesAfter = (await get(countUrl)).json.totalItems;
    if (entitiesAfter !== entitiesBefore) throw new Error(`re-ingest changed the entity count: ${entitiesBefore} -> ${entitiesAfter}`);
    log(`re-ingest of ${locationsBefore.length} unchanged locations: ${reingestS.toFixed(2)} s`);
    report(name('reingest_unchanged'), reingestS, 's');

    report(name('rss'), afterIngest.rssMiB, 'MiB');
    report(name('rss_hwm'), procStatus(pid).hwmMiB, 'MiB');
  } catch (error) {
    process.stderr.write(server.output().slice(-4000));
    throw error;
  } finally {
    closeClient();
    await server.close();
  }
}

const benchmark: Benchmark = {
  async run(report) {
    for (const n of SIZES) {
      for (const kind of DATABASES) await measure(kind, n, report);
    }
  },
};

export default benchmark;
