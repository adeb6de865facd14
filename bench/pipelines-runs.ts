/*
 * Runs service benchmark (registered through bench/pipelines.ts):
 *
 *   pipelines.dispatch_to_first_step.p50|p90  ms  POST /api/pipelines/dispatch over HTTP to a
 *                                                 listening server with in-process workers (SQLite),
 *                                                 until the job's first step prints its start time
 *                                                 (`date +%s%3N`); sequential, SAMPLES runs
 *   pipelines.push_to_first_step.p50           ms  `git push` over smart HTTP until the first step
 *                                                 starts (the push itself included)
 *
 * Tunables (env): BENCH_PIPELINES_SAMPLES (30).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/core/config.js';
import { createPlatform, startCapabilities, startQueueWorker } from '../src/server/platform.js';
import { buildApp } from '../src/server/app.js';
import { createApiToken } from '../src/auth/tokens.js';
import { authDb } from '../src/auth/users.js';
import { PIPELINE_LOGS_CHANNEL, readLogLines } from '../src/pipelines/log-store.js';
import { pushFiles } from '../test/support/pipelines.js';
import type { Report } from './run.js';

const SAMPLES = Number(process.env.BENCH_PIPELINES_SAMPLES ?? 30);

const WORKFLOW = `on:
  push: { branches: [main] }
  workflow_dispatch: {}
jobs:
  first:
    runs-on: linux
    steps:
      - run: date +%s%3N
`;

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

export async function triggerLatency(report: Report): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-bench-runs-'));
  const config = loadConfig({ env: {}, overrides: { dataDir, logLevel: 'warn', port: 0 } });
  const platform = await createPlatform(config);
  const app = await buildApp(platform);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  config.publicUrl = url;
  const worker = await startQueueWorker(platform);
  const capabilities = await startCapabilities(platform);
  const { token } = await createApiToken(authDb(platform.store), { name: 'bench', role: 'admin', createdBy: 'system:bench' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  try {
    await fetch(`${url}/api/repositories`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench' }) });
    const { dir } = await pushFiles(`${url}/git/default/bench.git`, token, { '.github/workflows/ci.yml': WORKFLOW });
    const pipelines = platform.pipelines;

    /** Epoch ms the first step of the run's first job printed (read when log lines are announced). */
    const firstStepStart = async (runId: number): Promise<number> => {
      for (;;) {
        const announced = new Promise((resolve) => {
          platform.store.signals.once(PIPELINE_LOGS_CHANNEL, resolve);
          setTimeout(resolve, 100);
        });
        const job = await pipelines.db.selectFrom('pipeline_jobs').select('id').where('run_id', '=', runId).executeTakeFirst();
        const lines = job ? await readLogLines(pipelines.db, Number(job.id)) : [];
        const stamp = lines.map((l) => l.text).find((text) => /^\d{13}$/.test(text));
        if (stamp) return Number(stamp);
        await announced;
      }
    };
    const untilCompleted = async (runId: number) => {
      while ((await pipelines.getRun(runId)).status !== 'completed') await new Promise((r) => setTimeout(r, 20));
    };

    const dispatchLatencies: number[] = [];
    for (let i = 0; i < SAMPLES + 2; i++) {
      const start = Date.now();
      const response = await fetch(`${url}/api/pipelines/dispatch`, { method: 'POST', headers, body: JSON.stringify({ repository: 'default/bench', workflow: 'ci.yml' }) });
      const run = (await response.json()) as { id: number };
      const latency = (await firstStepStart(run.id)) - start;
      await untilCompleted(run.id);
      if (i >= 2) dispatchLatencies.push(latency); // The first two warm up (module loading, caches).
    }
    report('pipelines.dispatch_to_first_step.p50', percentile(dispatchLatencies, 0.5), 'ms');
    report('pipelines.dispatch_to_first_step.p90', percentile(dispatchLatencies, 0.9), 'ms');

    const pushLatencies: number[] = [];
    for (let i = 0; i < Math.min(SAMPLES, 15); i++) {
      const before = (await pipelines.listRuns({ repository: 'default/bench', event: 'push', limit: 1 })).items[0]?.id ?? 0;
      const start = Date.now();
      await pushFiles('', token, { [`change-${i}.txt`]: `${i}\n` }, { dir });
      let run;
      while (!(run = (await pipelines.listRuns({ repository: 'default/bench', event: 'push', limit: 1 })).items[0]) || run.id === before) await new Promise((r) => setTimeout(r, 5));
      pushLatencies.push((await firstStepStart(run.id)) - start);
      await untilCompleted(run.id);
    }
    report('pipelines.push_to_first_step.p50', percentile(pushLatencies, 0.5), 'ms');
  } finally {
    await capabilities.stop();
    await worker.stop(2000);
    await app.close();
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
