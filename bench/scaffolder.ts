/*
 * Scaffolder benchmark, through the real HTTP API of an in-process server with its queue worker
 * (SQLite in a temp data dir, or PostgreSQL with BENCH_SCAFFOLDER_DATABASE_URL):
 *
 *   scaffolder.submit-to-catalog.p50|p90  ms     POST /api/scaffolder/v2/tasks of a template whose
 *                                                50-file skeleton is rendered (fetch:template),
 *                                                pushed to a new hosted repository (publish:plinth)
 *                                                and registered (catalog:register); until the task
 *                                                is completed and its entity is in the catalog.
 *                                                RUNS runs, each a new repository and component
 *   scaffolder.clone.http|file           ms     median `git clone` of one rendered repository over
 *                                                Plinth's smart HTTP (token auth) and over file://
 *   scaffolder.clone.http-over-file      ratio  the two medians divided
 *
 * Tunables (env): BENCH_SCAFFOLDER_RUNS (20), BENCH_SCAFFOLDER_CLONES (10).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { loadConfig } from '../src/core/config.js';
import { createApiToken } from '../src/auth/tokens.js';
import { authDb } from '../src/auth/users.js';
import { systemActor } from '../src/auth/actor.js';
import { buildApp } from '../src/server/app.js';
import { createPlatform, startCapabilities, startQueueWorker } from '../src/server/platform.js';
import type { Benchmark, Report } from './run.js';

const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_SCAFFOLDER_RUNS ?? 20);
const CLONES = Number(process.env.BENCH_SCAFFOLDER_CLONES ?? 10);
const FILES = 50;
const log = (message: string) => process.stderr.write(`  ${message}\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A template with a 50-file skeleton (sources, tests, docs: a few hundred bytes each). */
function writeTemplate(dir: string): string {
  for (let i = 0; i < FILES - 1; i++) {
    const file = path.join(dir, 'skeleton', `src/module-${Math.floor(i / 10)}/file-${i}.js`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `// \${{ values.name }}: module ${i}\nexport const name${i} = '\${{ values.name }}-${i}';\nexport function describe${i}() {\n  return \`\${name${i}} owned by \${{ values.owner }}\`;\n}\n`);
  }
  writeFileSync(
    path.join(dir, 'skeleton', 'catalog-info.yaml'),
    'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\nspec:\n  type: service\n  lifecycle: experimental\n  owner: ${{ values.owner }}\n',
  );
  const file = path.join(dir, 'template.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name: 'bench-service' },
      spec: {
        owner: 'group:default/bench',
        type: 'service',
        parameters: { required: ['name'], properties: { name: { type: 'string' } } },
        steps: [
          { id: 'fetch', action: 'fetch:template', input: { url: './skeleton', values: { name: '${{ parameters.name }}', owner: 'group:default/bench' } } },
          { id: 'publish', action: 'publish:plinth', input: { repoUrl: 'plinth?owner=bench&repo=${{ parameters.name }}' } },
          { id: 'register', action: 'catalog:register', input: { repoContentsUrl: '${{ steps.publish.output.repoContentsUrl }}' } },
        ],
      },
    }),
  );
  return file;
}

const benchmark: Benchmark = {
  async run(report: Report) {
    const dir = mkdtempSync(path.join(tmpdir(), 'plinth-bench-scaffolder-'));
    const config = loadConfig({ env: {}, overrides: { dataDir: path.join(dir, 'data'), databaseUrl: process.env.BENCH_SCAFFOLDER_DATABASE_URL, logLevel: 'warn' } });
    const platform = await createPlatform(config);
    const app = await buildApp(platform);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    config.publicUrl = base;
    const background = [await startQueueWorker(platform), await startCapabilities(platform)];
    try {
      const token = (await createApiToken(authDb(platform.store), { name: 'bench', role: 'admin', createdBy: systemActor().ref })).token;
      await platform.catalog.addLocation({ type: 'file', target: writeTemplate(dir) }, 'user:default/bench');
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

      const durations: number[] = [];
      for (let run = 0; run <= RUNS; run++) {
        const name = `bench-${run}`;
        const started = performance.now();
        const created = await fetch(`${base}/api/scaffolder/v2/tasks`, { method: 'POST', headers, body: JSON.stringify({ templateRef: 'template:default/bench-service', values: { name } }) });
        const { id } = (await created.json()) as { id: string };
        // The event stream ends with the task's completion event: no polling load on the server.
        await (await fetch(`${base}/api/scaffolder/v2/tasks/${id}/eventstream`, { headers })).text();
        const task = (await (await fetch(`${base}/api/scaffolder/v2/tasks/${id}`, { headers })).json()) as { status: string; error: unknown; steps: Array<{ id: string; durationMs: number }> };
        if (task.status !== 'completed') throw new Error(`task ${task.status}: ${JSON.stringify(task.error)}`);
        const entity = await fetch(`${base}/api/catalog/entities/by-name/component/default/${name}`, { headers });
        if (entity.status !== 200) throw new Error(`component ${name} is not in the catalog`);
        const elapsed = performance.now() - started;
        // The first run warms up (module loading, prepared statements) and is not counted.
        if (run > 0) durations.push(elapsed);
        log(`run ${run}: ${elapsed.toFixed(1)} ms${run === 0 ? ' (warm-up)' : ''} (${task.steps.map((step) => `${step.id} ${step.durationMs} ms`).join(', ')})`);
      }
      report('scaffolder.submit-to-catalog.p50', percentile(durations, 50), 'ms');
      report('scaffolder.submit-to-catalog.p90', percentile(durations, 90), 'ms');

      const http = `${base}/git/bench/bench-1.git`.replace('http://', `http://x-token:${token}@`);
      const file = `file://${platform.repositories.gitDirOf('bench', 'bench-1')}`;
      const timeClones = async (url: string) => {
        const times: number[] = [];
        for (let i = 0; i < CLONES; i++) {
          const target = path.join(dir, `clone-${Math.random().toString(36).slice(2)}`);
          const started = performance.now();
          await exec('git', ['clone', '-q', url, target]);
          times.push(performance.now() - started);
          rmSync(target, { recursive: true, force: true });
        }
        return percentile(times, 50);
      };
      const overHttp = await timeClones(http);
      const overFile = await timeClones(file);
      report('scaffolder.clone.http', overHttp, 'ms');
      report('scaffolder.clone.file', overFile, 'ms');
      report('scaffolder.clone.http-over-file', overHttp / overFile, 'ratio');
    } finally {
      for (const running of background) await running.stop();
      await app.close();
      await platform.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
