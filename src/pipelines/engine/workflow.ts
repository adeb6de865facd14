/**
 * The workflow model the engine runs. @actions/workflow-parser validates the file (schema, job
 * ids, needs) and gives the located errors; the values come from the YAML itself, because the
 * parser's converted model drops what a runner needs (step `with`/`shell`/`working-directory`,
 * job `defaults`, `timeout-minutes`, `continue-on-error`). Expressions stay unevaluated strings.
 */
import { PlinthError, type ErrorDetail, type ErrorLocation } from '../../core/errors.js';
import { parseYamlDocuments } from '../../core/yaml.js';
import { validateWorkflowText } from './actions-parser.js';

/** Where workflow files live in a repository, in lookup order. */
export const WORKFLOW_DIRECTORIES = ['.github/workflows', '.plinth/workflows'] as const;

export interface WorkflowStep {
  /** Position in the job's steps, from 0. */
  index: number;
  id?: string;
  name?: string;
  if?: unknown;
  run?: string;
  uses?: string;
  with: Record<string, unknown>;
  env: Record<string, unknown>;
  shell?: string;
  workingDirectory?: string;
  continueOnError?: unknown;
  timeoutMinutes?: unknown;
}

export interface RunDefaults {
  shell?: string;
  workingDirectory?: string;
}

export interface WorkflowJob {
  id: string;
  name?: string;
  needs: string[];
  if?: unknown;
  runsOn: unknown;
  env: unknown;
  defaults: RunDefaults;
  strategy?: { matrix?: unknown; failFast?: unknown; maxParallel?: unknown };
  outputs: Record<string, unknown>;
  steps: WorkflowStep[];
  timeoutMinutes?: unknown;
  continueOnError?: unknown;
  concurrency?: unknown;
  environment?: unknown;
  container?: unknown;
  services?: unknown;
  /** A reusable workflow call: `./.github/workflows/x.yml` or `owner/repo/path@ref`. */
  uses?: string;
  with: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
}

export interface DispatchInput {
  description?: string;
  type: 'string' | 'boolean' | 'number' | 'choice' | 'environment';
  required: boolean;
  default?: unknown;
  options?: string[];
}

export interface PushFilter {
  branches?: string[];
  branchesIgnore?: string[];
  tags?: string[];
  tagsIgnore?: string[];
  paths?: string[];
  pathsIgnore?: string[];
}

export type WorkflowCallInput = DispatchInput;

export interface WorkflowTriggers {
  push?: PushFilter;
  pullRequest?: PushFilter;
  workflowDispatch?: { inputs: Record<string, DispatchInput> };
  schedule?: string[];
  workflowCall?: {
    inputs: Record<string, WorkflowCallInput>;
    outputs: Record<string, { description?: string; value: unknown }>;
    secrets: Record<string, { required: boolean }>;
  };
  repositoryDispatch?: { types?: string[] };
  /** Every event name listed under `on`, including ones the engine has no filter for. */
  events: string[];
}

/** Something GitHub rejects that Plinth (like act) runs anyway: a warning annotation of the job it is about. */
export interface WorkflowWarning {
  jobId: string;
  message: string;
  location: ErrorLocation;
}

export interface ParsedWorkflow {
  /** The file name as given (repository-relative path). */
  file: string;
  name: string;
  triggers: WorkflowTriggers;
  env: unknown;
  defaults: RunDefaults;
  concurrency?: unknown;
  runName?: string;
  /** Jobs in file order. */
  jobs: WorkflowJob[];
  warnings: WorkflowWarning[];
}

type Raw = Record<string, unknown>;

const asRecord = (value: unknown): Raw => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : {});
const asList = (value: unknown): string[] | undefined =>
  value === undefined || value === null ? undefined : (Array.isArray(value) ? value : [value]).map((item) => String(item));
const optionalString = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : String(value));

/**
 * Parses and validates a workflow file. Every problem found is reported at once in one
 * PIPELINE_WORKFLOW_INVALID error located at the first one (`details` holds all of them).
 */
export async function parseWorkflowFile(text: string, fileName: string): Promise<ParsedWorkflow> {
  const problems = await validateWorkflowText(text, fileName);
  const [document] = parseYamlDocuments(text, fileName, 'PIPELINE_WORKFLOW_INVALID');
  const raw = asRecord(document?.value);
  const jobsRaw = asRecord(raw.jobs);
  // GitHub's parser rejects job ids starting with '__' (reserved for its own ids); act runs such
  // workflows, and so does Plinth, warning that GitHub may not.
  const reservedJobIds = Object.keys(jobsRaw)
    .filter((id) => id.startsWith('__'))
    .map((id) => ({ id, location: document?.locate(['jobs', id], 'key') }));
  const warnings: WorkflowWarning[] = [];
  const details: ErrorDetail[] = [];
  for (const problem of problems) {
    const location = { file: fileName, line: problem.line, column: problem.column };
    const reserved = problem.message.includes("IDs starting with '__' are reserved") ? reservedJobIds.find((job) => job.location?.line === problem.line && job.location?.column === problem.column) : undefined;
    if (reserved) warnings.push({ jobId: reserved.id, location, message: `job id '${reserved.id}' starts with '__': GitHub reserves such ids and may reject this workflow` });
    else details.push({ message: problem.message, location });
  }
  // Checks GitHub makes at run time; reported here so a bad file never starts a run.
  for (const [jobId, jobValue] of Object.entries(jobsRaw)) {
    const job = asRecord(jobValue);
    const steps = Array.isArray(job.steps) ? job.steps : [];
    steps.forEach((step, index) => {
      const uses = asRecord(step).uses;
      if (typeof uses === 'string' && !isValidUses(uses)) {
        details.push({
          message: `Expected format {org}/{repo}[/path]@ref. Actual '${uses}'`,
          location: document?.locate(['jobs', jobId, 'steps', index, 'uses']),
        });
      }
    });
  }
  if (details.length > 0) {
    const first = details[0]!;
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
    throw new PlinthError('PIPELINE_WORKFLOW_INVALID', `${first.message}${more}`, { location: first.location, details });
  }
  return {
    file: fileName,
    name: optionalString(raw.name) ?? fileName,
    runName: optionalString(raw['run-name']),
    triggers: readTriggers(raw.on),
    env: raw.env ?? {},
    defaults: readDefaults(raw.defaults),
    concurrency: raw.concurrency,
    jobs: Object.entries(jobsRaw).map(([id, value]) => readJob(id, asRecord(value))),
    warnings,
  };
}

/** `./local/path`, `docker://…`, or `owner/repo[/path]@ref`. */
function isValidUses(uses: string): boolean {
  if (uses.startsWith('./') || uses.startsWith('docker://')) return true;
  return /^[^/@\s]+\/[^@\s]+@[^@\s]+$/.test(uses);
}

function readDefaults(value: unknown): RunDefaults {
  const run = asRecord(asRecord(value).run);
  return { shell: optionalString(run.shell), workingDirectory: optionalString(run['working-directory']) };
}

function readJob(id: string, raw: Raw): WorkflowJob {
  const strategy = raw.strategy === undefined ? undefined : asRecord(raw.strategy);
  const secrets = raw.secrets === 'inherit' ? 'inherit' : raw.secrets === undefined ? undefined : asRecord(raw.secrets);
  return {
    id,
    name: optionalString(raw.name),
    needs: asList(raw.needs) ?? [],
    if: raw.if,
    runsOn: raw['runs-on'],
    env: raw.env ?? {},
    defaults: readDefaults(raw.defaults),
    strategy: strategy && { matrix: strategy.matrix, failFast: strategy['fail-fast'], maxParallel: strategy['max-parallel'] },
    outputs: asRecord(raw.outputs),
    steps: (Array.isArray(raw.steps) ? raw.steps : []).map((step, index) => readStep(asRecord(step), index)),
    timeoutMinutes: raw['timeout-minutes'],
    continueOnError: raw['continue-on-error'],
    concurrency: raw.concurrency,
    environment: raw.environment,
    container: raw.container,
    services: raw.services,
    uses: optionalString(raw.uses),
    with: asRecord(raw.with),
    secrets,
  };
}

export function readStep(raw: Raw, index: number): WorkflowStep {
  return {
    index,
    id: optionalString(raw.id),
    name: optionalString(raw.name),
    if: raw.if,
    run: optionalString(raw.run),
    uses: optionalString(raw.uses),
    with: asRecord(raw.with),
    env: asRecord(raw.env),
    shell: optionalString(raw.shell),
    workingDirectory: optionalString(raw['working-directory']),
    continueOnError: raw['continue-on-error'],
    timeoutMinutes: raw['timeout-minutes'],
  };
}

function readInputs(value: unknown): Record<string, DispatchInput> {
  const inputs: Record<string, DispatchInput> = {};
  for (const [name, spec] of Object.entries(asRecord(value))) {
    const raw = asRecord(spec);
    const type = (optionalString(raw.type) ?? 'string') as DispatchInput['type'];
    inputs[name] = {
      description: optionalString(raw.description),
      type,
      required: raw.required === true,
      default: raw.default,
      options: asList(raw.options),
    };
  }
  return inputs;
}

function readFilter(value: unknown): PushFilter {
  const raw = asRecord(value);
  return {
    branches: asList(raw.branches),
    branchesIgnore: asList(raw['branches-ignore']),
    tags: asList(raw.tags),
    tagsIgnore: asList(raw['tags-ignore']),
    paths: asList(raw.paths),
    pathsIgnore: asList(raw['paths-ignore']),
  };
}

function readTriggers(on: unknown): WorkflowTriggers {
  const events: Record<string, unknown> =
    typeof on === 'string' ? { [on]: null } : Array.isArray(on) ? Object.fromEntries(on.map((name) => [String(name), null])) : asRecord(on);
  const triggers: WorkflowTriggers = { events: Object.keys(events) };
  for (const [name, spec] of Object.entries(events)) {
    const raw = asRecord(spec);
    switch (name) {
      case 'push':
        triggers.push = readFilter(spec);
        break;
      case 'pull_request':
        triggers.pullRequest = readFilter(spec);
        break;
      case 'workflow_dispatch':
        triggers.workflowDispatch = { inputs: readInputs(raw.inputs) };
        break;
      case 'schedule':
        triggers.schedule = (Array.isArray(spec) ? spec : []).map((item) => String(asRecord(item).cron));
        break;
      case 'workflow_call': {
        const outputs: NonNullable<WorkflowTriggers['workflowCall']>['outputs'] = {};
        for (const [key, output] of Object.entries(asRecord(raw.outputs))) {
          outputs[key] = { description: optionalString(asRecord(output).description), value: asRecord(output).value };
        }
        const secrets: Record<string, { required: boolean }> = {};
        for (const [key, secret] of Object.entries(asRecord(raw.secrets))) secrets[key] = { required: asRecord(secret).required === true };
        triggers.workflowCall = { inputs: readInputs(raw.inputs), outputs, secrets };
        break;
      }
      case 'repository_dispatch':
        triggers.repositoryDispatch = { types: asList(raw.types) };
        break;
      default:
        break;
    }
  }
  return triggers;
}

/** A local or remote action's metadata (action.yml). */
export interface ActionDefinition {
  name: string;
  inputs: Record<string, { default?: unknown; required: boolean }>;
  outputs: Record<string, { value?: unknown }>;
  runs: {
    using: string;
    steps: WorkflowStep[];
    main?: string;
    pre?: string;
    post?: string;
    preIf?: unknown;
    postIf?: unknown;
    image?: string;
  };
}

/** Parses an action.yml. Errors name the file and, where known, line and column. */
export function parseActionFile(text: string, fileName: string): ActionDefinition {
  const [document] = parseYamlDocuments(text, fileName, 'PIPELINE_ACTION_INVALID');
  const raw = asRecord(document?.value);
  const runs = asRecord(raw.runs);
  const using = optionalString(runs.using);
  const fail = (message: string, at: Array<string | number>): never => {
    throw new PlinthError('PIPELINE_ACTION_INVALID', message, { location: document?.locate(at) ?? { file: fileName } });
  };
  if (!using) fail('the action has no `runs.using`', ['runs']);
  const steps = (Array.isArray(runs.steps) ? runs.steps : []).map((step, index) => readStep(asRecord(step), index));
  if (using === 'composite') {
    steps.forEach((step) => {
      if (step.run !== undefined && !step.shell) fail('a composite action `run` step needs `shell`', ['runs', 'steps', step.index]);
      if (step.run === undefined && step.uses === undefined) fail('a composite action step needs `run` or `uses`', ['runs', 'steps', step.index]);
    });
  }
  const inputs: ActionDefinition['inputs'] = {};
  for (const [name, spec] of Object.entries(asRecord(raw.inputs))) {
    inputs[name] = { default: asRecord(spec).default, required: asRecord(spec).required === true };
  }
  const outputs: ActionDefinition['outputs'] = {};
  for (const [name, spec] of Object.entries(asRecord(raw.outputs))) outputs[name] = { value: asRecord(spec).value };
  return {
    name: optionalString(raw.name) ?? fileName,
    inputs,
    outputs,
    runs: {
      using: using!,
      steps,
      main: optionalString(runs.main),
      pre: optionalString(runs.pre),
      post: optionalString(runs.post),
      preIf: runs['pre-if'],
      postIf: runs['post-if'],
      image: optionalString(runs.image),
    },
  };
}
