/**
 * Pure job-level decisions shared by the server scheduler and the local runner: the DAG, job
 * `if`, matrix expansion, runs-on, concurrency and environment. None of them runs anything.
 */
import { PlinthError } from '../../core/errors.js';
import { githubContext, needsContext, withAllContexts, type JobEvaluationContext, type NeedsResults } from './context.js';
import { evaluateCondition, evaluateString, evaluateTemplate, ExpressionFailure, toText, type StatusFacts } from './expressions.js';
import type { ParsedWorkflow, WorkflowJob } from './workflow.js';

export type { JobEvaluationContext, NeedsResults } from './context.js';

export interface JobNode {
  id: string;
  /** The `name:` as written (may hold `${{ matrix.x }}`), or the id. */
  name: string;
  needs: string[];
  /** Labels when `runs-on` has no expression; otherwise undefined (evaluate per leg with evaluateRunsOn). */
  runsOn?: string[];
  /** True when `strategy.matrix` is set: call expandMatrix once the needs are done. */
  hasMatrix: boolean;
  /** A local reusable workflow this job calls (runJob runs it inline). */
  usesWorkflow?: string;
}

export function findJob(workflow: ParsedWorkflow, jobId: string): WorkflowJob {
  const job = workflow.jobs.find((candidate) => candidate.id === jobId);
  if (!job) throw new PlinthError('PIPELINE_JOB_NOT_FOUND', `workflow ${workflow.file} has no job '${jobId}'`);
  return job;
}

/** The jobs as DAG nodes, in an order where every job comes after its needs. */
export function planJobs(workflow: ParsedWorkflow): JobNode[] {
  const byId = new Map(workflow.jobs.map((job) => [job.id, job]));
  const ordered: JobNode[] = [];
  const seen = new Set<string>();
  const visit = (job: WorkflowJob) => {
    if (seen.has(job.id)) return;
    seen.add(job.id);
    for (const need of job.needs) {
      const dependency = byId.get(need);
      if (dependency) visit(dependency);
    }
    const runsOn = staticLabels(job.runsOn);
    ordered.push({
      id: job.id,
      name: job.name ?? job.id,
      needs: job.needs,
      runsOn,
      hasMatrix: job.strategy?.matrix !== undefined,
      usesWorkflow: job.uses,
    });
  };
  workflow.jobs.forEach(visit);
  return ordered;
}

function staticLabels(runsOn: unknown): string[] | undefined {
  if (runsOn === undefined || runsOn === null) return [];
  if (JSON.stringify(runsOn).includes('${{')) return undefined;
  return labelsOf(runsOn);
}

function labelsOf(runsOn: unknown): string[] {
  if (typeof runsOn === 'string') return [runsOn];
  if (Array.isArray(runsOn)) return runsOn.map(String);
  if (runsOn && typeof runsOn === 'object') {
    const labels = (runsOn as { labels?: unknown }).labels;
    return labels === undefined ? [] : labelsOf(labels);
  }
  return [];
}

/** Every job `jobId` depends on, directly or not. */
function ancestorsOf(workflow: ParsedWorkflow, jobId: string): Set<string> {
  const result = new Set<string>();
  const stack = [...findJob(workflow, jobId).needs];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (result.has(id)) continue;
    result.add(id);
    const job = workflow.jobs.find((candidate) => candidate.id === id);
    if (job) stack.push(...job.needs);
  }
  return result;
}

/** The status success()/failure() see in a job's `if`: from every job it depends on (transitively). */
export function needsStatus(workflow: ParsedWorkflow, jobId: string, results: NeedsResults, cancelled = false): StatusFacts['status'] {
  if (cancelled) return 'cancelled';
  const statuses = [...ancestorsOf(workflow, jobId)].map((id) => results[id]?.result ?? 'skipped');
  if (statuses.includes('failure')) return 'failure';
  if (statuses.includes('cancelled')) return 'cancelled';
  if (statuses.includes('skipped')) return 'skipped';
  return 'success';
}

/** Contexts of a job-level expression (no steps, no runner). */
export function jobContexts(workflow: ParsedWorkflow, job: WorkflowJob, ctx: JobEvaluationContext, matrix?: Record<string, unknown>, strategy?: Record<string, unknown>) {
  return withAllContexts({
    github: githubContext(ctx.event, workflow.name, workflow.file, { job: job.id }),
    needs: needsContext(job.needs, ctx.results),
    inputs: ctx.inputs,
    vars: ctx.vars,
    secrets: ctx.secrets ?? {},
    env: ctx.env ?? {},
    matrix: matrix ?? {},
    strategy: strategy ?? {},
  });
}

function located<T>(workflow: ParsedWorkflow, job: WorkflowJob, what: string, evaluate: () => T): T {
  try {
    return evaluate();
  } catch (error) {
    if (error instanceof ExpressionFailure) {
      throw new PlinthError('PIPELINE_WORKFLOW_INVALID', `job '${job.id}' ${what}: ${error.message}`, { location: { file: workflow.file } });
    }
    throw error;
  }
}

/** Whether the job runs, given the results of the jobs before it. Throws on a bad expression. */
export function jobIfResult(workflow: ParsedWorkflow, jobId: string, ctx: JobEvaluationContext, options: { cancelled?: boolean } = {}): boolean {
  const job = findJob(workflow, jobId);
  const status = needsStatus(workflow, jobId, ctx.results, options.cancelled);
  return located(workflow, job, 'if', () => evaluateCondition(job.if, jobContexts(workflow, job, ctx), { status }));
}

export interface MatrixLeg {
  /** The leg's values; {} for a job without a matrix. */
  matrix: Record<string, unknown>;
  /** The display name: the evaluated `name:`, or `id (v1, v2)`. */
  name: string;
  /** strategy context of the leg. */
  strategy: { 'fail-fast': boolean; 'job-index': number; 'job-total': number; 'max-parallel': number };
}

export interface MatrixExpansion {
  legs: MatrixLeg[];
  failFast: boolean;
  /** Undefined: no limit. */
  maxParallel?: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * GitHub's matrix rules: the product of the dimensions, minus `exclude` (partial matches), then
 * each `include` entry is merged into every combination whose original values it does not
 * change, or added as a combination of its own when it fits none.
 */
export function combineMatrix(matrix: Record<string, unknown>): Array<Record<string, unknown>> {
  const dimensions = Object.entries(matrix).filter(([key]) => key !== 'include' && key !== 'exclude');
  let combinations: Array<Record<string, unknown>> = dimensions.length > 0 ? [{}] : [];
  for (const [key, values] of dimensions) {
    const list = Array.isArray(values) ? values : [values];
    combinations = combinations.flatMap((combination) => list.map((value) => ({ ...combination, [key]: value })));
  }
  const excludes = Array.isArray(matrix.exclude) ? matrix.exclude.filter(isPlainObject) : [];
  combinations = combinations.filter((combination) => !excludes.some((exclude) => Object.entries(exclude).every(([key, value]) => sameValue(combination[key], value))));
  const originalKeys = new Set(dimensions.map(([key]) => key));
  const originals = combinations.map((combination) => ({ ...combination }));
  const extra: Array<Record<string, unknown>> = [];
  for (const include of Array.isArray(matrix.include) ? matrix.include.filter(isPlainObject) : []) {
    let merged = false;
    combinations.forEach((combination, index) => {
      const original = originals[index]!;
      const fits = Object.entries(include).every(([key, value]) => !originalKeys.has(key) || sameValue(original[key], value));
      if (fits) {
        Object.assign(combination, include);
        merged = true;
      }
    });
    if (!merged) extra.push({ ...include });
  }
  return [...combinations, ...extra];
}

/** Evaluates `${{ }}` in a matrix; an expression inside a list that gives an array is spliced in. */
function evaluateMatrix(value: unknown, contexts: Record<string, unknown>): unknown {
  if (typeof value === 'string') return evaluateTemplate(value, contexts);
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      const evaluated = evaluateMatrix(item, contexts);
      return typeof item === 'string' && item.includes('${{') && Array.isArray(evaluated) ? evaluated : [evaluated];
    });
  }
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, evaluateMatrix(item, contexts)]));
  return value;
}

/** The legs of a job (one leg with an empty matrix when the job has none). */
export function expandMatrix(workflow: ParsedWorkflow, jobId: string, ctx: JobEvaluationContext): MatrixExpansion {
  const job = findJob(workflow, jobId);
  const contexts = jobContexts(workflow, job, ctx);
  return located(workflow, job, 'strategy', () => {
    const failFastValue = evaluateTemplate(job.strategy?.failFast, contexts);
    const failFast = failFastValue === undefined ? true : failFastValue === true || failFastValue === 'true';
    const maxParallelValue = evaluateTemplate(job.strategy?.maxParallel, contexts);
    const maxParallel = maxParallelValue === undefined || maxParallelValue === null ? undefined : Number(maxParallelValue);
    const matrixValue = job.strategy?.matrix === undefined ? undefined : evaluateMatrix(job.strategy.matrix, contexts);
    if (matrixValue !== undefined && !isPlainObject(matrixValue)) {
      throw new ExpressionFailure(`matrix must be a mapping, got ${JSON.stringify(matrixValue)}`, String(job.strategy?.matrix));
    }
    let combinations = matrixValue ? combineMatrix(matrixValue) : [{}];
    if (combinations.length === 0) combinations = matrixValue && Object.keys(matrixValue).length > 0 ? [] : [{}];
    const total = combinations.length;
    const legs = combinations.map((matrix, index) => {
      const strategy = { 'fail-fast': failFast, 'job-index': index, 'job-total': total, 'max-parallel': maxParallel ?? total };
      return { matrix, strategy, name: legName(workflow, job, ctx, matrix, strategy) };
    });
    return { legs, failFast, maxParallel };
  });
}

function legName(workflow: ParsedWorkflow, job: WorkflowJob, ctx: JobEvaluationContext, matrix: Record<string, unknown>, strategy: Record<string, unknown>): string {
  if (job.name !== undefined) return evaluateString(job.name, jobContexts(workflow, job, ctx, matrix, strategy));
  const values = Object.values(matrix).map((value) => (isPlainObject(value) || Array.isArray(value) ? JSON.stringify(value) : toText(value)));
  return values.length > 0 ? `${job.id} (${values.join(', ')})` : job.id;
}

/** The runner labels of a leg. */
export function evaluateRunsOn(workflow: ParsedWorkflow, jobId: string, ctx: JobEvaluationContext, matrix: Record<string, unknown> = {}): string[] {
  const job = findJob(workflow, jobId);
  return located(workflow, job, 'runs-on', () => labelsOf(evaluateTemplate(job.runsOn, jobContexts(workflow, job, ctx, matrix))));
}

export interface ConcurrencySetting {
  group: string;
  cancelInProgress: boolean;
}

function concurrencyOf(value: unknown, contexts: Record<string, unknown>): ConcurrencySetting | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) return { group: evaluateString(value, contexts), cancelInProgress: false };
  const cancel = evaluateTemplate(value['cancel-in-progress'], contexts);
  return { group: evaluateString(value.group, contexts), cancelInProgress: cancel === true || cancel === 'true' };
}

/**
 * The evaluated concurrency of the workflow (jobId undefined) or of one job leg; undefined when
 * none is set. The runs service enforces it across runs.
 */
export function evaluateConcurrency(workflow: ParsedWorkflow, jobId: string | undefined, ctx: JobEvaluationContext, matrix: Record<string, unknown> = {}): ConcurrencySetting | undefined {
  if (jobId === undefined) {
    const contexts = withAllContexts({ github: githubContext(ctx.event, workflow.name, workflow.file), inputs: ctx.inputs, vars: ctx.vars });
    try {
      return concurrencyOf(workflow.concurrency, contexts);
    } catch (error) {
      if (error instanceof ExpressionFailure) throw new PlinthError('PIPELINE_WORKFLOW_INVALID', `concurrency: ${error.message}`, { location: { file: workflow.file } });
      throw error;
    }
  }
  const job = findJob(workflow, jobId);
  return located(workflow, job, 'concurrency', () => concurrencyOf(job.concurrency, jobContexts(workflow, job, ctx, matrix)));
}

/** The job's deployment environment (`environment:` name and url), evaluated. */
export function evaluateEnvironment(workflow: ParsedWorkflow, jobId: string, ctx: JobEvaluationContext, matrix: Record<string, unknown> = {}): { name: string; url?: string } | undefined {
  const job = findJob(workflow, jobId);
  if (job.environment === undefined || job.environment === null) return undefined;
  return located(workflow, job, 'environment', () => {
    const contexts = jobContexts(workflow, job, ctx, matrix);
    if (!isPlainObject(job.environment)) return { name: evaluateString(job.environment, contexts) };
    const url = job.environment.url === undefined ? undefined : evaluateString(job.environment.url, contexts);
    return { name: evaluateString(job.environment.name, contexts), url };
  });
}
