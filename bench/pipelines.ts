/*
 * Pipelines benchmarks. Engine figures (functions below): per-step overhead of the engine over
 * `bash -e` running the same script, log throughput of one step printing 1M lines, and the wall
 * time of the act corpus through run-local. Server figures (trigger→start latency) are added by
 * the runs service in their own function.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runWorkflowLocally } from '../src/pipelines/engine/index.js';
import type { Benchmark, Report } from './run.js';
import { triggerLatency } from './pipelines-runs.js';

const run = promisify(execFile);
const STEPS = 50;
const ROUNDS = 5;

async function workspaceWith(yaml: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'plinth-bench-'));
  await mkdir(path.join(dir, '.github/workflows'), { recursive: true });
  await writeFile(path.join(dir, '.github/workflows/ci.yml'), yaml);
  return dir;
}

async function stepOverhead(report: Report): Promise<void> {
  const script = 'x=1\ntest "$x" = 1\n';
  const steps = Array.from({ length: STEPS }, () => `      - run: |\n          x=1\n          test "$x" = 1\n`).join('');
  const dir = await workspaceWith(`on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`);
  const scriptFile = path.join(dir, 'script.sh');
  await writeFile(scriptFile, script);
  // Warm-up: the first run loads the workflow parser module (a one-time cost per process).
  await runWorkflowLocally({ workspaceDir: dir, workflowPath: '.github/workflows/ci.yml', onLog: () => {} });
  // Rounds alternate bash and engine so load changes on a shared machine hit both; the median wins.
  const overheads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const bashStart = performance.now();
    for (let i = 0; i < STEPS; i++) await run('bash', ['-e', scriptFile]);
    const bashPerStep = (performance.now() - bashStart) / STEPS;
    const engineStart = performance.now();
    const result = await runWorkflowLocally({ workspaceDir: dir, workflowPath: '.github/workflows/ci.yml', onLog: () => {} });
    const enginePerStep = (performance.now() - engineStart) / STEPS;
    if (result.conclusion !== 'success') throw new Error('step overhead workflow failed');
    process.stderr.write(`round ${round + 1}: bash -e per step ${bashPerStep.toFixed(2)} ms, engine per step ${enginePerStep.toFixed(2)} ms\n`);
    overheads.push(enginePerStep - bashPerStep);
  }
  overheads.sort((a, b) => a - b);
  report('pipelines.step_overhead', overheads[Math.floor(overheads.length / 2)]!, 'ms');
  await rm(dir, { recursive: true, force: true });
}

async function logThroughput(report: Report): Promise<void> {
  const lines = 1_000_000;
  const dir = await workspaceWith(`on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: seq 1 ${lines} | sed 's/^/log line /'\n`);
  let received = 0;
  const start = performance.now();
  const result = await runWorkflowLocally({ workspaceDir: dir, workflowPath: '.github/workflows/ci.yml', onLog: (_leg, line) => void (line.stream === 'stdout' && received++), secrets: { S: 'not-in-output' } });
  const seconds = (performance.now() - start) / 1000;
  if (result.conclusion !== 'success' || received !== lines) throw new Error(`log throughput: ${result.conclusion}, ${received} lines`);
  report('pipelines.log_throughput', lines / seconds, 'lines/s');
  await rm(dir, { recursive: true, force: true });
}

async function actCorpus(report: Report): Promise<void> {
  const corpus = path.resolve(import.meta.dirname, '..', process.env.PLINTH_CORPUS ?? '../shared/corpus', 'actions');
  if (!existsSync(corpus)) {
    process.stderr.write(`act corpus not at ${corpus} (set PLINTH_CORPUS); skipping its wall time\n`);
    return;
  }
  const cases = [
    'act-composite-env-test/push.yml', 'commands/push.yml', 'composite-fail-with-output/push.yml', 'env-and-path/push.yaml',
    'environment-files-parser-bug/push.yaml', 'evalenv/push.yml', 'evalmatrix-merge-array/push.yml', 'evalmatrixneeds/push.yml',
    'if-env-act/push.yml', 'inputs-via-env-context/push.yml', 'job-needs-context-contains-result/push.yml', 'matrix/push.yml',
    'nix-prepend-path/push.yml', 'outputs/push.yml', 'set-env-step-env-override/push.yml', 'shells/bash/push.yml', 'shells/defaults/push.yml',
    'steps-context/conclusion/push.yml', 'strategy/push.yml', 'uses-composite/push.yml', 'uses-composite-with-error/push.yml', 'workdir/push.yml',
  ];
  const start = performance.now();
  for (const file of cases) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'plinth-bench-act-'));
    await cp(corpus, dir, { recursive: true, verbatimSymlinks: true });
    await runWorkflowLocally({ workspaceDir: dir, workflowPath: file, env: { ACT: 'true' }, ignoreContainers: true, onLog: () => {} });
    await rm(dir, { recursive: true, force: true });
  }
  report('pipelines.act_corpus_wall', (performance.now() - start) / 1000, 's');
  report('pipelines.act_corpus_cases', cases.length, 'cases');
}

const benchmark: Benchmark = {
  async run(report) {
    await stepOverhead(report);
    await logThroughput(report);
    await actCorpus(report);
    await triggerLatency(report);
  },
};

export default benchmark;
