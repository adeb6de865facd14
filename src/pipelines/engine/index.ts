/**
 * The workflow engine: parses GitHub Actions workflows and runs their jobs as host processes.
 * Everything the runs service (src/pipelines/*.ts) and `plinth run local` need is exported here;
 * other files of this folder are internal.
 *
 * Flow for a server run (the runs service does the scheduling across workers):
 *   const workflow = parseWorkflowFile(text, '.github/workflows/ci.yml');   // located PlinthError
 *   if (!matchesPushEvent(workflow, { ref, changedPaths })) return;
 *   const jobs = planJobs(workflow);                 // DAG nodes; store them
 *   // when a job's needs are all done:
 *   if (!jobIfResult(workflow, jobId, ctx)) → skipped
 *   const legs = expandMatrix(workflow, jobId, ctx); // one queue job per leg
 *   const result = await runJob({ workflow, jobId, matrix: leg.matrix }, runContext);
 * `runWorkflowLocally` does the same scheduling inside one process (used by `plinth run local`).
 *
 * Jobs that call a local reusable workflow (`uses: ./.github/workflows/x.yml`) run it inline
 * inside runJob: the called workflow's jobs run in the same worker and the caller gets its outputs.
 */
export type { ParsedWorkflow, WorkflowJob, WorkflowStep, WorkflowTriggers, PushFilter, DispatchInput } from './workflow.js';
export { parseWorkflowFile, parseActionFile, WORKFLOW_DIRECTORIES } from './workflow.js';
export { workflowTriggers, matchesPushEvent, nextScheduleTimes, resolveDispatchInputs } from './triggers.js';
export type { PushEventFacts } from './triggers.js';
export { evaluateExpressionText, ExpressionFailure } from './expressions.js';
export type { ContextData } from './expressions.js';
export { planJobs, jobIfResult, expandMatrix, evaluateConcurrency, evaluateEnvironment, evaluateRunsOn } from './plan.js';
export type { JobNode, NeedsResults, JobEvaluationContext, MatrixExpansion, ConcurrencySetting } from './plan.js';
export { runJob } from './job-runner.js';
export type { RunJobContext, JobResult, StepResult, Conclusion, LogLine, JobAnnotation, ArtifactStore, CacheStore, WorkflowEvent } from './job-runner.js';
export { runWorkflowLocally, findWorkflowFiles } from './local-run.js';
export type { LocalRunOptions, LocalRunResult } from './local-run.js';
