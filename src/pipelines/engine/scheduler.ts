/**
 * Runs a whole workflow's job DAG inside one process: needs order, job `if`, matrix legs with
 * fail-fast and max-parallel, job concurrency groups. Used by `plinth run local` and by jobs that
 * call a local reusable workflow; the server does the same across workers with plan.ts.
 */
import path from 'node:path';
import { isPlinthError } from '../../core/errors.js';
import type { Conclusion, NeedsResults } from './context.js';
import { runJob, type JobResult, type LogLine, type RunJobContext } from './job-runner.js';
import { evaluateConcurrency, evaluateRunsOn, expandMatrix, jobIfResult, planJobs, type MatrixLeg } from './plan.js';
import type { ParsedWorkflow } from './workflow.js';
import { Semaphore } from '../../core/semaphore.js';

export interface LegReport {
  jobId: string;
  name: string;
  matrix: Record<string, unknown>;
  conclusion: Conclusion;
  /** Why the leg did not run (job if false, needs failed, unsupported platform) or why it failed. */
  reason?: string;
  result?: JobResult;
}

export interface WorkflowJobsOptions {
  /** Everything a job needs except what the scheduler fills (results, onLog, runnerTempDir, signal). */
  base: Omit<RunJobContext, 'results' | 'onLog' | 'runnerTempDir' | 'signal'>;
  /** Each leg gets `<tempRoot>/<n>` as its runner temp directory. */
  tempRoot: string;
  onLog: (leg: string, line: LogLine) => void;
  /** Run only these jobs (their needs must have run or be in the list). */
  jobFilter?: string[];
  /** Only legs whose matrix values are in these lists (act's `--matrix key:value`). */
  matrixFilter?: Record<string, string[]>;
  /** Whether a leg's `runs-on` labels can run here; others are skipped (not failed). */
  supportsLabels: (labels: string[]) => boolean;
  /** Legs running at once across the workflow. */
  maxConcurrency: number;
  signal?: AbortSignal;
}

export interface WorkflowJobsResult {
  conclusion: Conclusion;
  results: NeedsResults;
  legs: LegReport[];
}

function aggregate(conclusions: Conclusion[]): Conclusion {
  if (conclusions.includes('failure')) return 'failure';
  if (conclusions.includes('cancelled')) return 'cancelled';
  if (conclusions.length > 0 && conclusions.every((c) => c === 'skipped')) return 'skipped';
  return 'success';
}

export async function runWorkflowJobs(workflow: ParsedWorkflow, options: WorkflowJobsOptions): Promise<WorkflowJobsResult> {
  const nodes = planJobs(workflow).filter((node) => !options.jobFilter || options.jobFilter.includes(node.id));
  const results: NeedsResults = {};
  const legs: LegReport[] = [];
  const slots = new Semaphore(Math.max(1, options.maxConcurrency));
  const concurrencyGroups = new Map<string, { done: Promise<void>; abort: AbortController }>();
  const started = new Map<string, Promise<void>>();
  let tempCounter = 0;

  const runLeg = async (jobId: string, leg: MatrixLeg, jobAbort: AbortController): Promise<LegReport> => {
    const evaluation = { event: options.base.event, results, inputs: options.base.inputs, vars: options.base.vars, secrets: options.base.secrets, env: options.base.env };
    const labels = evaluateRunsOn(workflow, jobId, evaluation, leg.matrix);
    if (!options.supportsLabels(labels)) {
      return { jobId, name: leg.name, matrix: leg.matrix, conclusion: 'skipped', reason: `unsupported platform: runs-on ${JSON.stringify(labels)}` };
    }
    const legAbort = new AbortController();
    const relay = () => legAbort.abort();
    jobAbort.signal.addEventListener('abort', relay, { once: true });
    options.signal?.addEventListener('abort', relay, { once: true });
    const concurrency = evaluateConcurrency(workflow, jobId, evaluation, leg.matrix);
    let releaseGroup: (() => void) | undefined;
    if (concurrency) {
      const holder = concurrencyGroups.get(concurrency.group);
      if (holder && concurrency.cancelInProgress) holder.abort.abort();
      let release!: () => void;
      const done = new Promise<void>((resolve) => (release = resolve));
      concurrencyGroups.set(concurrency.group, { done, abort: legAbort });
      await holder?.done;
      releaseGroup = release;
    }
    const releaseSlot = await slots.acquire();
    try {
      if (options.signal?.aborted) legAbort.abort();
      const result = await runJob(
        { workflow, jobId, matrix: leg.matrix, strategy: leg.strategy },
        {
          ...options.base,
          results,
          runnerTempDir: path.join(options.tempRoot, String(++tempCounter)),
          onLog: (line) => options.onLog(leg.name, line),
          signal: legAbort.signal,
        },
      );
      return { jobId, name: leg.name, matrix: leg.matrix, conclusion: result.conclusion, reason: result.error, result };
    } finally {
      releaseSlot();
      releaseGroup?.();
      jobAbort.signal.removeEventListener('abort', relay);
      options.signal?.removeEventListener('abort', relay);
    }
  };

  const runNode = async (jobId: string): Promise<void> => {
    const node = nodes.find((candidate) => candidate.id === jobId)!;
    await Promise.all(node.needs.filter((need) => started.has(need)).map((need) => started.get(need)));
    const evaluation = { event: options.base.event, results, inputs: options.base.inputs, vars: options.base.vars, secrets: options.base.secrets, env: options.base.env };
    const record = (conclusion: Conclusion, reason: string) => {
      results[jobId] = { result: conclusion, outputs: {} };
      legs.push({ jobId, name: node.name, matrix: {}, conclusion, reason });
    };
    try {
      if (!jobIfResult(workflow, jobId, evaluation, { cancelled: options.signal?.aborted })) return record('skipped', 'the job condition is false or a needed job did not succeed');
      const expansion = expandMatrix(workflow, jobId, evaluation);
      const chosen = expansion.legs.filter((leg) =>
        Object.entries(options.matrixFilter ?? {}).every(([key, values]) => !(key in leg.matrix) || values.includes(String(leg.matrix[key]))),
      );
      const jobAbort = new AbortController();
      const parallel = new Semaphore(expansion.maxParallel ?? chosen.length);
      const reports = await Promise.all(
        chosen.map(async (leg) => {
          const release = await parallel.acquire();
          try {
            if (jobAbort.signal.aborted) return { jobId, name: leg.name, matrix: leg.matrix, conclusion: 'cancelled' as Conclusion, reason: 'fail-fast: another leg failed' };
            const report = await runLeg(jobId, leg, jobAbort);
            if (report.conclusion === 'failure' && expansion.failFast && chosen.length > 1) jobAbort.abort();
            return report;
          } finally {
            release();
          }
        }),
      );
      legs.push(...reports);
      const outputs: Record<string, string> = {};
      for (const report of reports) for (const [key, value] of Object.entries(report.result?.outputs ?? {})) if (value !== '') outputs[key] = value;
      results[jobId] = { result: aggregate(reports.map((report) => report.conclusion)), outputs };
    } catch (error) {
      record('failure', isPlinthError(error) ? error.toString() : (error as Error).message);
    }
  };

  for (const node of nodes) started.set(node.id, runNode(node.id));
  await Promise.all(started.values());
  return { conclusion: aggregate(nodes.map((node) => results[node.id]?.result ?? 'skipped').filter((c) => c !== 'skipped').concat(['success'])), results, legs };
}
