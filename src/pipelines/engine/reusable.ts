/** A job that calls a local reusable workflow (`uses: ./.github/workflows/x.yml`), run inline. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PlinthError } from '../../core/errors.js';
import { withAllContexts } from './context.js';
import { evaluateTemplate, toText } from './expressions.js';
import type { JobResult, JobToRun, RunJobContext } from './job-runner.js';
import { jobContexts } from './plan.js';
import { runWorkflowJobs } from './scheduler.js';
import { resolveDispatchInputs } from './triggers.js';
import { parseWorkflowFile, type WorkflowJob } from './workflow.js';

export async function runCalledWorkflow(run: JobToRun, job: WorkflowJob, ctx: RunJobContext, signal: AbortSignal): Promise<JobResult> {
  const uses = job.uses!;
  const log = (text: string) => ctx.onLog({ stepNumber: 0, stepName: job.id, text, timestamp: Date.now(), stream: 'system' });
  if (!uses.startsWith('./')) {
    throw new PlinthError('PIPELINE_WORKFLOW_INVALID', `job '${job.id}' calls '${uses}': only local reusable workflows (./.github/workflows/…) are supported`, { location: { file: run.workflow.file } });
  }
  const file = path.resolve(ctx.workspaceDir, uses);
  if (!existsSync(file)) await ctx.repositoryCheckout(ctx.workspaceDir, { repository: ctx.event.repository, ref: ctx.event.ref, sha: ctx.event.sha });
  const called = await parseWorkflowFile(await readFile(file, 'utf8'), uses.replace(/^\.\//, ''));
  const call = called.triggers.workflowCall;
  if (!call) throw new PlinthError('PIPELINE_WORKFLOW_INVALID', `job '${job.id}' calls ${uses}, which has no \`on: workflow_call\``, { location: { file: run.workflow.file } });
  const evaluation = { event: ctx.event, results: ctx.results, inputs: ctx.inputs, vars: ctx.vars, secrets: ctx.secrets, env: ctx.env };
  const contexts = jobContexts(run.workflow, job, evaluation, run.matrix, run.strategy);
  const given = evaluateTemplate(job.with, contexts) as Record<string, unknown>;
  const githubOnly = withAllContexts({ github: contexts.github, inputs: given });
  const inputs = resolveDispatchInputs(call.inputs, given, (value) => evaluateTemplate(value, githubOnly));
  const secrets: Record<string, string> = {};
  if (job.secrets === 'inherit') Object.assign(secrets, ctx.secrets);
  else for (const [key, value] of Object.entries(evaluateTemplate(job.secrets ?? {}, contexts) as Record<string, unknown>)) secrets[key] = toText(value);
  const missing = Object.entries(call.secrets)
    .filter(([name, spec]) => spec.required && !(name in secrets))
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new PlinthError('PIPELINE_WORKFLOW_INVALID', `job '${job.id}' calls ${uses} without its required secret(s) ${missing.join(', ')}`, { location: { file: run.workflow.file } });
  }
  log(`calling reusable workflow ${uses}`);
  const result = await runWorkflowJobs(called, {
    base: { ...ctx, inputs, secrets },
    tempRoot: path.join(ctx.runnerTempDir, 'called'),
    onLog: (leg, line) => ctx.onLog({ ...line, stepName: `${leg} / ${line.stepName}` }),
    supportsLabels: () => true,
    maxConcurrency: 4,
    signal,
  });
  const jobsContext: Record<string, unknown> = {};
  for (const [id, value] of Object.entries(result.results)) jobsContext[id] = { result: value.result, outputs: value.outputs };
  const outputs: Record<string, string> = {};
  const outputContexts = withAllContexts({ github: contexts.github, inputs, jobs: jobsContext });
  for (const [name, spec] of Object.entries(call.outputs)) outputs[name] = toText(evaluateTemplate(spec.value, outputContexts));
  const steps = result.legs.flatMap((leg) => leg.result?.steps ?? []);
  const annotations = result.legs.flatMap((leg) => leg.result?.annotations ?? []);
  const summary = result.legs.map((leg) => leg.result?.summary ?? '').filter(Boolean).join('\n');
  return { conclusion: result.conclusion, outputs, steps, annotations, summary };
}
