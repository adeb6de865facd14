/**
 * Runs one job (one matrix leg) as host processes: steps, shells, environment files, workflow
 * commands, masking, local composite/node actions, built-in actions and local reusable workflows.
 */
import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatLocation, isPlinthError } from '../../core/errors.js';
import { githubContext, needsContext, withAllContexts, type Conclusion, type JobEvaluationContext, type NeedsResults, type WorkflowEvent } from './context.js';
import { Masker, parseEnvironmentFile, parseWorkflowCommand } from './commands.js';
import { evaluateCondition, evaluateString, evaluateTemplate, toText, type StatusFacts } from './expressions.js';
import { findJob } from './plan.js';
import { killProcessGroup, runStepProcess } from './step-process.js';
import { parseActionFile, type ActionDefinition, type ParsedWorkflow, type RunDefaults, type WorkflowJob, type WorkflowStep } from './workflow.js';
import { runBuiltinAction, fetchRemoteAction, type BuiltinEnvironment } from './actions.js';
import { runCalledWorkflow } from './reusable.js';

export type { Conclusion, NeedsResults, WorkflowEvent } from './context.js';

export interface LogLine {
  /** 1-based step number in the job (post steps continue the numbering); 0 for job-level lines. */
  stepNumber: number;
  stepName: string;
  text: string;
  timestamp: number;
  stream: 'stdout' | 'stderr' | 'system';
  /** A `::group::` start (text is the title) or `::endgroup::`. */
  group?: 'start' | 'end';
}

export interface JobAnnotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  file?: string;
  line?: number;
  column?: number;
  title?: string;
}

/** Artifacts by name; archives are tar.gz bytes of the uploaded files (paths relative to their root). */
export interface ArtifactStore {
  upload(name: string, archive: Buffer, options: { retentionDays?: number }): Promise<void>;
  download(name: string): Promise<Buffer | undefined>;
  list(): Promise<string[]>;
}

/** Caches by key; restore tries each key exactly, then as a prefix (newest first). */
export interface CacheStore {
  restore(keys: string[]): Promise<{ key: string; archive: Buffer } | undefined>;
  save(key: string, archive: Buffer): Promise<void>;
}

/** How one step's command or action ended: its outputs, and the message of a failure. */
export interface StepRunResult {
  ok: boolean;
  message?: string;
  outputs: Record<string, string>;
}

/** An action the platform provides to workflows; returns the step's outputs. */
export type PlatformAction = (inputs: Record<string, string>, log: (text: string) => void) => Promise<Record<string, string>>;

export interface RunJobContext {
  event: WorkflowEvent;
  /** Results of the run's finished jobs (for `needs` and transitive status). */
  results: NeedsResults;
  inputs: Record<string, unknown>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  /** Extra `env` context entries under the workflow env (e.g. ACT=true). */
  env?: Record<string, string>;
  /** The repository checkout; `actions/checkout` of the run's repository fills it. */
  workspaceDir: string;
  /** An empty directory for this job's temporary files (scripts, env files). */
  runnerTempDir: string;
  toolCacheDir?: string;
  /** Process environment the steps start from (PATH, HOME, …); defaults to this process's. */
  hostEnv?: NodeJS.ProcessEnv;
  /** Checks out `repository` at `sha` (or `ref`) into `dir`. */
  repositoryCheckout: (dir: string, target: { repository: string; ref: string; sha: string }) => Promise<void>;
  artifacts?: ArtifactStore;
  cache?: CacheStore;
  /** Git base URLs remote actions are cloned from: `<base>/<owner>/<repo>.git`. */
  actionSources?: string[];
  /** Where fetched remote actions are kept between jobs. */
  actionCacheDir?: string;
  /** Jobs with `container:`/`services:` run on the host instead of failing (act's host mode). */
  ignoreContainers?: boolean;
  runnerName?: string;
  /**
   * Actions the platform runs itself (`uses: plinth/deploy`): inputs are the step's `with`,
   * already evaluated; a thrown error fails the step with its message.
   */
  platformActions?: Record<string, PlatformAction>;
  /** Called for every log line, already masked. Must not block: buffer on the sink side. */
  onLog: (line: LogLine) => void;
  signal?: AbortSignal;
}

export interface StepResult {
  number: number;
  id?: string;
  name: string;
  outcome: Conclusion;
  conclusion: Conclusion;
  startedAt: number | null;
  endedAt: number | null;
}

export interface JobResult {
  conclusion: Conclusion;
  outputs: Record<string, string>;
  steps: StepResult[];
  annotations: JobAnnotation[];
  /** Markdown written to GITHUB_STEP_SUMMARY by the steps. */
  summary: string;
  /** Why the job failed when it was not a step (bad expression, timeout, container needed). */
  error?: string;
  /** The job's `environment:` evaluated at its end (the url may read step outputs). */
  environment?: { name: string; url?: string };
}

export interface JobToRun {
  workflow: ParsedWorkflow;
  jobId: string;
  matrix?: Record<string, unknown>;
  strategy?: Record<string, unknown>;
}

/** State of one job leg, shared by every step and nested composite. */
interface JobState {
  run: JobToRun;
  job: WorkflowJob;
  ctx: RunJobContext;
  masker: Masker;
  pathAdditions: string[];
  annotations: JobAnnotation[];
  summary: string[];
  steps: StepResult[];
  postSteps: Array<() => Promise<void>>;
  processGroups: Set<number>;
  /** What kills running step processes: the job's signal, then during post steps a signal of their own. */
  signal: AbortSignal;
  cancelled: () => boolean;
  baseEnv: Record<string, string>;
  stepCounter: number;
  eventPath: string;
  defaults: RunDefaults;
}

/** One list of steps: the job's, or a composite action's (with its own steps and inputs context). */
export interface StepScope {
  state: JobState;
  stepsContext: Record<string, { outputs: Record<string, string>; outcome: Conclusion; conclusion: Conclusion }>;
  inputs: Record<string, unknown>;
  /** env before GITHUB_ENV additions: job env, or the calling step's env for a composite. */
  env: Record<string, string>;
  /** GITHUB_ENV additions made inside this scope (and its children). */
  fileEnv: Record<string, string>;
  parent?: StepScope;
  status: StatusFacts['status'];
  action?: { path: string; ref: string; repository: string };
  /** The step number composite steps log under. */
  logStep?: { number: number; name: string };
}

const asText = (value: unknown) => toText(value);

export function log(state: JobState, step: { number: number; name: string }, text: string, stream: LogLine['stream'] = 'system', group?: LogLine['group']): void {
  state.ctx.onLog({ stepNumber: step.number, stepName: step.name, text: state.masker.mask(text), timestamp: Date.now(), stream, group });
}

function programOnPath(program: string, pathValue: string | undefined): string | undefined {
  if (program.includes('/')) return existsSync(program) ? program : undefined;
  for (const dir of (pathValue ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function effectivePath(state: JobState, env: Record<string, string>): string {
  const base = env.PATH ?? state.baseEnv.PATH ?? '';
  return [...state.pathAdditions, base].filter(Boolean).join(path.delimiter);
}

/**
 * The env a step of this scope starts from: the scope's env (job env, or the calling step's env
 * for a composite), then GITHUB_ENV writes made since the scope began (they reach every ancestor).
 */
export function scopeEnv(scope: StepScope): Record<string, string> {
  return { ...scope.env, ...scope.fileEnv };
}

/** Step debug logging, switched on by the secret or variable ACTIONS_STEP_DEBUG=true as on GitHub. */
function stepDebug(state: JobState): boolean {
  return state.ctx.secrets.ACTIONS_STEP_DEBUG === 'true' || state.ctx.vars.ACTIONS_STEP_DEBUG === 'true';
}

function runnerContext(state: JobState): Record<string, unknown> {
  return {
    os: 'Linux',
    arch: process.arch === 'arm64' ? 'ARM64' : 'X64',
    name: state.ctx.runnerName ?? 'plinth',
    temp: state.ctx.runnerTempDir,
    tool_cache: state.ctx.toolCacheDir ?? path.join(state.ctx.runnerTempDir, 'tool-cache'),
    environment: 'self-hosted',
    debug: stepDebug(state) ? '1' : '',
  };
}

function githubOf(state: JobState, extras: Record<string, unknown> = {}): Record<string, unknown> {
  return githubContext(state.ctx.event, state.run.workflow.name, state.run.workflow.file, {
    workspace: state.ctx.workspaceDir,
    job: state.job.id,
    event_path: state.eventPath,
    ...extras,
  });
}

export function stepContexts(scope: StepScope, env: Record<string, string>, extras: Record<string, unknown> = {}): Record<string, unknown> {
  const { state } = scope;
  return withAllContexts({
    github: githubOf(state, {
      action_path: scope.action?.path ?? '',
      action_ref: scope.action?.ref ?? '',
      action_repository: scope.action?.repository ?? '',
      ...extras,
    }),
    env,
    vars: state.ctx.vars,
    secrets: state.ctx.secrets,
    inputs: scope.inputs,
    job: { status: scope.status === 'skipped' ? 'success' : scope.status, container: {}, services: {} },
    steps: scope.stepsContext,
    runner: runnerContext(state),
    matrix: state.run.matrix ?? {},
    strategy: state.run.strategy ?? {},
    needs: needsContext(state.job.needs, state.ctx.results),
  });
}

function hostEnvironment(ctx: RunJobContext): Record<string, string> {
  const source = ctx.hostEnv ?? process.env;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) if (value !== undefined) env[key] = value;
  return env;
}

interface StepFiles {
  env: string;
  output: string;
  path: string;
  summary: string;
  state: string;
}

/*
 * The step files are tiny and touched once per step: synchronous calls cost microseconds, while
 * a thread-pool round trip each (13 per step) dominated the per-step overhead on a busy machine.
 */
function createStepFiles(state: JobState): StepFiles {
  const dir = path.join(state.ctx.runnerTempDir, '_runner_file_commands');
  mkdirSync(dir, { recursive: true });
  const id = randomUUID();
  const files = {
    env: path.join(dir, `set_env_${id}`),
    output: path.join(dir, `set_output_${id}`),
    path: path.join(dir, `add_path_${id}`),
    summary: path.join(dir, `step_summary_${id}`),
    state: path.join(dir, `save_state_${id}`),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  return files;
}

/** GitHub's default environment of a step process. */
function defaultProcessEnv(scope: StepScope, files: StepFiles, actionName: string): Record<string, string> {
  const { state } = scope;
  const github = githubOf(state);
  const runner = runnerContext(state);
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: state.ctx.workspaceDir,
    GITHUB_WORKFLOW: state.run.workflow.name,
    GITHUB_WORKFLOW_REF: String(github.workflow_ref),
    GITHUB_WORKFLOW_SHA: state.ctx.event.sha,
    GITHUB_RUN_ID: state.ctx.event.runId,
    GITHUB_RUN_NUMBER: String(state.ctx.event.runNumber),
    GITHUB_RUN_ATTEMPT: String(state.ctx.event.runAttempt),
    GITHUB_RETENTION_DAYS: '90',
    GITHUB_JOB: state.job.id,
    GITHUB_ACTION: actionName,
    GITHUB_ACTION_PATH: scope.action?.path ?? '',
    GITHUB_ACTION_REPOSITORY: scope.action?.repository ?? '',
    GITHUB_ACTION_REF: scope.action?.ref ?? '',
    GITHUB_ACTOR: state.ctx.event.actor,
    GITHUB_TRIGGERING_ACTOR: state.ctx.event.actor,
    GITHUB_REPOSITORY: state.ctx.event.repository,
    GITHUB_REPOSITORY_OWNER: String(github.repository_owner),
    GITHUB_EVENT_NAME: state.ctx.event.name,
    GITHUB_EVENT_PATH: state.eventPath,
    GITHUB_SHA: state.ctx.event.sha,
    GITHUB_REF: state.ctx.event.ref,
    GITHUB_REF_NAME: String(github.ref_name),
    GITHUB_REF_TYPE: String(github.ref_type),
    GITHUB_REF_PROTECTED: 'false',
    GITHUB_HEAD_REF: String(github.head_ref),
    GITHUB_BASE_REF: String(github.base_ref),
    GITHUB_SERVER_URL: String(github.server_url),
    GITHUB_API_URL: String(github.api_url),
    GITHUB_GRAPHQL_URL: String(github.graphql_url),
    GITHUB_ENV: files.env,
    GITHUB_OUTPUT: files.output,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    RUNNER_OS: String(runner.os),
    RUNNER_ARCH: String(runner.arch),
    RUNNER_NAME: String(runner.name),
    RUNNER_TEMP: state.ctx.runnerTempDir,
    RUNNER_TOOL_CACHE: String(runner.tool_cache),
    RUNNER_WORKSPACE: path.dirname(state.ctx.workspaceDir),
    RUNNER_ENVIRONMENT: 'self-hosted',
  };
}

/** What a step process produced through files and commands. */
export interface StepEffects {
  outputs: Record<string, string>;
  state: Record<string, string>;
}

const SHELL_TEMPLATES: Record<string, { args: string[]; ext: string }> = {
  bash: { args: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '{0}'], ext: '.sh' },
  sh: { args: ['sh', '-e', '{0}'], ext: '.sh' },
  python: { args: ['python', '{0}'], ext: '.py' },
  node: { args: ['node', '{0}'], ext: '.js' },
};

class StepFailure extends Error {}

/** The command line of a shell (`{0}` is the script file) or a StepFailure saying why not. */
function resolveShell(shell: string | undefined, pathValue: string, containerJob: boolean): { args: string[]; ext: string } {
  if (shell === undefined || shell === '') {
    if (!containerJob && programOnPath('bash', pathValue)) return { args: ['bash', '-e', '{0}'], ext: '.sh' };
    return SHELL_TEMPLATES.sh!;
  }
  const known = SHELL_TEMPLATES[shell];
  if (known) {
    if (shell === 'python' && !programOnPath('python', pathValue) && programOnPath('python3', pathValue)) return { args: ['python3', '{0}'], ext: '.py' };
    if (!programOnPath(known.args[0]!, pathValue)) throw new StepFailure(`shell '${shell}' is not installed on this runner (${known.args[0]} is not on PATH)`);
    return known;
  }
  if (shell === 'pwsh' || shell === 'powershell' || shell === 'cmd') {
    const program = shell === 'cmd' ? 'cmd' : shell;
    if (shell !== 'cmd' && programOnPath(program, pathValue)) {
      return { args: [program, '-command', ". '{0}'"], ext: '.ps1' };
    }
    throw new StepFailure(`shell '${shell}' is not supported on this runner: ${program} is not installed (Plinth runs steps on Linux hosts)`);
  }
  if (!shell.includes('{0}')) throw new StepFailure(`custom shell '${shell}' must contain {0} (the script file)`);
  const args = shell.trim().split(/\s+/);
  if (!programOnPath(args[0]!, pathValue)) throw new StepFailure(`shell program '${args[0]}' is not on PATH`);
  return { args, ext: '' };
}

/**
 * Runs one process for a step with the environment files and workflow commands wired, and
 * applies their effects (env, path, outputs, summary, state) to the job.
 */
export async function runStepCommand(
  scope: StepScope,
  logStep: { number: number; name: string },
  options: { args: string[]; cwd: string; env: Record<string, string>; timeoutMs?: number; actionName: string; extraEnv?: Record<string, string> },
): Promise<{ ok: boolean; message?: string; effects: StepEffects }> {
  const { state } = scope;
  const files = createStepFiles(state);
  const env = {
    ...state.baseEnv,
    ...defaultProcessEnv(scope, files, options.actionName),
    ...options.env,
    ...options.extraEnv,
  };
  env.PATH = effectivePath(state, options.env);
  const effects: StepEffects = { outputs: {}, state: {} };
  let stopToken: string | undefined;
  const allowUnsecure = env.ACTIONS_ALLOW_UNSECURE_COMMANDS === 'true';
  const onLine = (text: string, stream: 'stdout' | 'stderr') => {
    if (stream === 'stdout' && text.includes('::')) {
      const command = parseWorkflowCommand(text);
      if (command) {
        if (stopToken !== undefined) {
          if (command.command === stopToken) {
            stopToken = undefined;
            return;
          }
        } else if (handleCommand(scope, logStep, command, effects, allowUnsecure, (token) => (stopToken = token))) return;
      }
    }
    state.ctx.onLog({ stepNumber: logStep.number, stepName: logStep.name, text: state.masker.mask(text), timestamp: Date.now(), stream });
  };
  if (!existsSync(options.cwd)) {
    return { ok: false, message: `working directory '${options.cwd}' does not exist`, effects };
  }
  const outcome = await runStepProcess({
    command: options.args[0]!,
    args: options.args.slice(1),
    cwd: options.cwd,
    env,
    timeoutMs: options.timeoutMs,
    signal: state.signal,
    onLine,
    processGroups: state.processGroups,
  });
  applyStepFiles(scope, logStep, files, effects);
  if (outcome.spawnError) return { ok: false, message: `could not start ${options.args[0]}: ${outcome.spawnError}`, effects };
  if (outcome.timedOut) return { ok: false, message: `the step timed out after ${(options.timeoutMs ?? 0) / 60000} minutes; its processes were killed`, effects };
  if (outcome.cancelled) return { ok: false, message: 'the step was cancelled', effects };
  if (outcome.exitCode !== 0) return { ok: false, message: `process completed with exit code ${outcome.exitCode}`, effects };
  return { ok: true, effects };
}

function setFileEnv(scope: StepScope, name: string, value: string): void {
  for (let current: StepScope | undefined = scope; current; current = current.parent) current.fileEnv[name] = value;
}

/** Handles a workflow command; false when the line is not a command the runner knows (it is then logged). */
function handleCommand(
  scope: StepScope,
  logStep: { number: number; name: string },
  command: { command: string; properties: Record<string, string>; value: string },
  effects: StepEffects,
  allowUnsecure: boolean,
  stop: (token: string) => void,
): boolean {
  const { state } = scope;
  switch (command.command) {
    case 'add-mask':
      state.masker.add(command.value);
      return true;
    case 'group':
      log(state, logStep, command.value, 'system', 'start');
      return true;
    case 'endgroup':
      log(state, logStep, '', 'system', 'end');
      return true;
    case 'debug':
      if (stepDebug(state)) log(state, logStep, `##[debug]${command.value}`);
      return true;
    case 'stop-commands':
      stop(command.value);
      return true;
    case 'set-output':
      if (command.properties.name) effects.outputs[command.properties.name] = command.value;
      return true;
    case 'save-state':
      if (command.properties.name) effects.state[command.properties.name] = command.value;
      return true;
    case 'set-env':
    case 'add-path':
      if (!allowUnsecure) {
        log(state, logStep, `##[error]the \`${command.command}\` command is disabled; use environment files (GITHUB_ENV, GITHUB_PATH) or set ACTIONS_ALLOW_UNSECURE_COMMANDS=true`);
        return true;
      }
      if (command.command === 'set-env' && command.properties.name) setFileEnv(scope, command.properties.name, command.value);
      if (command.command === 'add-path') state.pathAdditions.unshift(command.value);
      return true;
    case 'error':
    case 'warning':
    case 'notice': {
      const annotation: JobAnnotation = { level: command.command, message: state.masker.mask(command.value) };
      const p = command.properties;
      if (p.file) annotation.file = p.file;
      if (p.line) annotation.line = Number(p.line);
      if (p.col ?? p.column) annotation.column = Number(p.col ?? p.column);
      if (p.title) annotation.title = p.title;
      state.annotations.push(annotation);
      const where = annotation.file ? ` ${annotation.file}${annotation.line ? `:${annotation.line}` : ''}${annotation.column ? `:${annotation.column}` : ''}` : '';
      log(state, logStep, `##[${command.command}]${where ? `${where.trim()}: ` : ''}${annotation.title ? `${annotation.title}: ` : ''}${command.value}`);
      return true;
    }
    default:
      return false;
  }
}

function applyStepFiles(scope: StepScope, logStep: { number: number; name: string }, files: StepFiles, effects: StepEffects): void {
  const { state } = scope;
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const [envText, outputText, pathText, summaryText, stateText] = [files.env, files.output, files.path, files.summary, files.state].map(read);
  const parse = (text: string, name: string): Array<[string, string]> => {
    try {
      return parseEnvironmentFile(text);
    } catch (error) {
      log(state, logStep, `##[error]${name}: ${(error as Error).message}`);
      return [];
    }
  };
  for (const [key, value] of parse(envText!, 'GITHUB_ENV')) setFileEnv(scope, key, value);
  for (const [key, value] of parse(outputText!, 'GITHUB_OUTPUT')) effects.outputs[key] = value;
  for (const [key, value] of parse(stateText!, 'GITHUB_STATE')) effects.state[key] = value;
  for (const line of pathText!.split(/\r?\n/)) if (line.trim()) state.pathAdditions.unshift(line.trim());
  if (summaryText!.trim()) state.summary.push(summaryText!);
}

function minutesToMs(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const minutes = Number(value);
  return Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 : undefined;
}

function isContainerJob(state: JobState): boolean {
  return state.job.container !== undefined && state.job.container !== null;
}

/** The working directory of a run step: step, then job defaults, then workflow defaults; relative to the workspace. */
function workingDirectoryOf(scope: StepScope, step: WorkflowStep, contexts: Record<string, unknown>): string {
  const { state } = scope;
  const chosen = step.workingDirectory ?? (scope.action ? undefined : state.defaults.workingDirectory);
  if (chosen === undefined) return state.ctx.workspaceDir;
  return path.resolve(state.ctx.workspaceDir, evaluateString(chosen, contexts));
}

function stepDisplayName(step: WorkflowStep, contexts: Record<string, unknown>): string {
  if (step.name !== undefined) {
    try {
      return evaluateString(step.name, contexts);
    } catch {
      return step.name;
    }
  }
  if (step.run !== undefined) return `Run ${step.run.split('\n')[0]!.trim()}`;
  return `Run ${step.uses ?? 'step'}`;
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Runs a list of steps in a scope; returns when all ran (or were skipped). */
export async function runSteps(scope: StepScope, steps: WorkflowStep[]): Promise<void> {
  for (const step of steps) await runOneStep(scope, step);
}

async function runOneStep(scope: StepScope, step: WorkflowStep): Promise<void> {
  const { state } = scope;
  const stepKey = step.id ?? `__${step.run !== undefined ? 'run' : (step.uses ?? 'step').replace(/[^A-Za-z0-9_]/g, '')}_${step.index}`;
  if (state.cancelled() && scope.status !== 'cancelled') scope.status = 'cancelled';
  const envBefore = scopeEnv(scope);
  const baseContexts = stepContexts(scope, envBefore);
  const number = scope.logStep ? scope.logStep.number : ++state.stepCounter;
  const name = state.masker.mask(stepDisplayName(step, baseContexts));
  const logStep = scope.logStep ?? { number, name };
  const record: StepResult = { number, id: step.id, name, outcome: 'skipped', conclusion: 'skipped', startedAt: null, endedAt: null };
  if (!scope.logStep) state.steps.push(record);
  const finish = (outcome: Conclusion, continueOnError: boolean, outputs: Record<string, string>) => {
    const conclusion: Conclusion = outcome === 'failure' && continueOnError ? 'success' : outcome;
    record.outcome = outcome;
    record.conclusion = conclusion;
    record.endedAt = Date.now();
    scope.stepsContext[stepKey] = { outputs, outcome, conclusion };
    if (conclusion === 'failure' && scope.status === 'success') scope.status = 'failure';
  };

  let runIt: boolean;
  try {
    runIt = evaluateCondition(step.if, baseContexts, { status: scope.status, workspace: state.ctx.workspaceDir });
  } catch (error) {
    record.startedAt = Date.now();
    log(state, logStep, `##[error]step if: ${(error as Error).message}`);
    finish('failure', false, {});
    return;
  }
  if (!runIt) {
    scope.stepsContext[stepKey] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
    if (!scope.logStep) log(state, logStep, `Skipped: ${name}`);
    return;
  }
  record.startedAt = Date.now();
  if (!scope.logStep) log(state, logStep, name, 'system', 'start');
  let continueOnError = false;
  let outputs: Record<string, string> = {};
  let outcome: Conclusion = 'success';
  try {
    const stepEnvRaw = evaluateTemplate(step.env, baseContexts) as Record<string, unknown>;
    const env: Record<string, string> = { ...envBefore };
    for (const [key, value] of Object.entries(stepEnvRaw ?? {})) env[key] = asText(value);
    const contexts = stepContexts(scope, env);
    continueOnError = isTrue(evaluateTemplate(step.continueOnError, contexts));
    const timeoutMs = minutesToMs(evaluateTemplate(step.timeoutMinutes, contexts));
    const result =
      step.run !== undefined
        ? await runScriptStep(scope, step, logStep, env, contexts, timeoutMs, stepKey)
        : await runUsesStep(scope, step, logStep, env, contexts, timeoutMs, stepKey);
    outputs = result.outputs;
    if (!result.ok) {
      if (result.message) {
        log(state, logStep, `##[error]${result.message}`);
        state.annotations.push({ level: 'error', message: state.masker.mask(result.message), title: logStep.name });
      }
      outcome = state.cancelled() ? 'cancelled' : 'failure';
    }
  } catch (error) {
    const message = error instanceof StepFailure || isPlinthError(error) ? String(error.message) : (error as Error).message;
    log(state, logStep, `##[error]${isPlinthError(error) ? error.toString() : message}`);
    outcome = 'failure';
  }
  if (!scope.logStep) log(state, logStep, '', 'system', 'end');
  finish(outcome, continueOnError, outputs);
  if (outcome === 'cancelled') scope.status = 'cancelled';
}

async function runScriptStep(
  scope: StepScope,
  step: WorkflowStep,
  logStep: { number: number; name: string },
  env: Record<string, string>,
  contexts: Record<string, unknown>,
  timeoutMs: number | undefined,
  stepKey: string,
): Promise<StepRunResult> {
  const { state } = scope;
  const script = evaluateString(step.run, contexts);
  const shellText = step.shell !== undefined ? evaluateString(step.shell, contexts) : scope.action ? undefined : state.defaults.shell !== undefined ? evaluateString(state.defaults.shell, contexts) : undefined;
  const shell = resolveShell(shellText, effectivePath(state, env), isContainerJob(state) && !!state.ctx.ignoreContainers);
  const scriptFile = path.join(state.ctx.runnerTempDir, `${randomUUID()}${shell.ext}`);
  writeFileSync(scriptFile, script);
  const args = shell.args.map((arg) => arg.replace('{0}', scriptFile));
  const cwd = workingDirectoryOf(scope, step, contexts);
  const result = await runStepCommand(scope, logStep, { args, cwd, env, timeoutMs, actionName: stepKey });
  return { ok: result.ok, message: result.message, outputs: result.effects.outputs };
}

/** How long post steps may run after the job was cancelled or timed out. */
const POST_STEPS_AFTER_CANCEL_MS = 5 * 60_000;

const CONTAINER_RUNTIME_NEEDED = 'needs a container runtime, which this Plinth runner does not have';

async function runUsesStep(
  scope: StepScope,
  step: WorkflowStep,
  logStep: { number: number; name: string },
  env: Record<string, string>,
  contexts: Record<string, unknown>,
  timeoutMs: number | undefined,
  stepKey: string,
): Promise<StepRunResult> {
  const { state } = scope;
  const uses = step.uses!;
  const withValues: Record<string, string> = {};
  for (const [key, value] of Object.entries(step.with)) withValues[key] = asText(evaluateTemplate(value, contexts));
  if (uses.startsWith('docker://')) return { ok: false, message: `step uses '${uses}': a docker:// action ${CONTAINER_RUNTIME_NEEDED}`, outputs: {} };
  let actionDir: string;
  let reference: { repository: string; ref: string };
  if (uses.startsWith('./')) {
    actionDir = path.resolve(state.ctx.workspaceDir, uses);
    reference = { repository: '', ref: '' };
  } else {
    const at = uses.lastIndexOf('@');
    const [owner, repo, ...subPath] = uses.slice(0, at).split('/');
    const ref = uses.slice(at + 1);
    const builtinEnv: BuiltinEnvironment = {
      state,
      scope,
      logStep,
      withValues,
      env,
      stepKey,
      timeoutMs,
      log: (text) => log(state, logStep, text),
    };
    const builtin = await runBuiltinAction(`${owner}/${repo}`, builtinEnv);
    if (builtin) return builtin;
    const fetched = await fetchRemoteAction(state.ctx, `${owner}/${repo}`, ref, (text) => log(state, logStep, text));
    if (!fetched.ok) return { ok: false, message: fetched.message, outputs: {} };
    actionDir = path.join(fetched.dir, ...subPath);
    reference = { repository: `${owner}/${repo}`, ref };
  }
  const action = await loadAction(actionDir, uses);
  return runAction(scope, action, { dir: actionDir, ...reference, uses }, logStep, withValues, env, timeoutMs, stepKey);
}

async function loadAction(dir: string, uses: string): Promise<ActionDefinition> {
  for (const file of ['action.yml', 'action.yaml']) {
    const full = path.join(dir, file);
    if (existsSync(full)) return parseActionFile(await readFile(full, 'utf8'), full);
  }
  throw new StepFailure(`action '${uses}' has no action.yml or action.yaml in ${dir}`);
}

function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

async function runAction(
  scope: StepScope,
  action: ActionDefinition,
  where: { dir: string; repository: string; ref: string; uses: string },
  logStep: { number: number; name: string },
  withValues: Record<string, string>,
  env: Record<string, string>,
  timeoutMs: number | undefined,
  stepKey: string,
): Promise<StepRunResult> {
  const { state } = scope;
  const using = action.runs.using;
  const actionContext = { path: where.dir, ref: where.ref, repository: where.repository };
  const defaultsScope: StepScope = { ...scope, action: actionContext };
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    if (withValues[name] !== undefined) inputs[name] = withValues[name];
    else if (spec.default !== undefined) inputs[name] = asText(evaluateTemplate(spec.default, stepContexts(defaultsScope, env)));
    else if (spec.required) log(state, logStep, `##[warning]input required and not supplied: ${name}`);
  }
  for (const [name, value] of Object.entries(withValues)) if (!(name in inputs)) inputs[name] = value;
  if (using === 'composite') {
    const inner: StepScope = {
      state,
      stepsContext: {},
      inputs,
      env,
      fileEnv: {},
      parent: scope,
      status: 'success',
      action: actionContext,
      logStep,
    };
    if (state.cancelled()) inner.status = 'cancelled';
    await runSteps(inner, action.runs.steps);
    const outputs: Record<string, string> = {};
    const outputContexts = stepContexts(inner, scopeEnv(inner));
    for (const [name, spec] of Object.entries(action.outputs)) outputs[name] = asText(evaluateTemplate(spec.value, outputContexts));
    return { ok: inner.status === 'success', message: inner.status === 'success' ? undefined : `composite action '${where.uses}' failed`, outputs };
  }
  if (/^node\d+$/.test(using)) return runNodeAction(scope, action, where, actionContext, logStep, inputs, env, timeoutMs, stepKey);
  if (using === 'docker') return { ok: false, message: `action '${where.uses}' is a Docker action and ${CONTAINER_RUNTIME_NEEDED}`, outputs: {} };
  throw new StepFailure(`action '${where.uses}' uses '${using}', which Plinth does not run (composite, node16, node20, node24 are supported)`);
}

async function runNodeAction(
  scope: StepScope,
  action: ActionDefinition,
  where: { dir: string; uses: string },
  actionContext: StepScope['action'],
  logStep: { number: number; name: string },
  inputs: Record<string, string>,
  env: Record<string, string>,
  timeoutMs: number | undefined,
  stepKey: string,
): Promise<StepRunResult> {
  const { state } = scope;
  const actionScope: StepScope = { ...scope, action: actionContext };
  const inputEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(inputs)) inputEnv[inputEnvName(name)] = value;
  const sharedState: Record<string, string> = {};
  const phase = async (file: string, phaseEnv: Record<string, string>) => {
    const stateEnv = Object.fromEntries(Object.entries(sharedState).map(([key, value]) => [`STATE_${key}`, value]));
    const result = await runStepCommand(actionScope, logStep, {
      args: [process.execPath, path.join(where.dir, file)],
      cwd: state.ctx.workspaceDir,
      env: phaseEnv,
      timeoutMs,
      actionName: stepKey,
      extraEnv: { ...inputEnv, ...stateEnv },
    });
    Object.assign(sharedState, result.effects.state);
    return result;
  };
  const conditionContexts = () => stepContexts(actionScope, env);
  if (action.runs.pre && evaluateCondition(action.runs.preIf ?? 'always()', conditionContexts(), { status: scope.status })) {
    const pre = await phase(action.runs.pre, env);
    if (!pre.ok) return { ok: false, message: `pre step of '${where.uses}': ${pre.message}`, outputs: {} };
  }
  if (!action.runs.main) throw new StepFailure(`action '${where.uses}' has no runs.main`);
  const main = await phase(action.runs.main, env);
  const post = action.runs.post;
  if (post) {
    state.postSteps.push(async () => {
      const postScope: StepScope = { ...actionScope, status: state.steps.some((s) => s.conclusion === 'failure') ? 'failure' : state.cancelled() ? 'cancelled' : 'success' };
      if (!evaluateCondition(action.runs.postIf ?? 'always()', stepContexts(postScope, env), { status: postScope.status })) return;
      const number = ++state.stepCounter;
      const record: StepResult = { number, name: `Post ${logStep.name}`, outcome: 'success', conclusion: 'success', startedAt: Date.now(), endedAt: null };
      state.steps.push(record);
      const postLog = { number, name: record.name };
      log(state, postLog, record.name, 'system', 'start');
      const stateEnv = Object.fromEntries(Object.entries(sharedState).map(([key, value]) => [`STATE_${key}`, value]));
      const result = await runStepCommand(postScope, postLog, {
        args: [process.execPath, path.join(where.dir, post)],
        cwd: state.ctx.workspaceDir,
        env,
        actionName: stepKey,
        extraEnv: { ...inputEnv, ...stateEnv },
      });
      if (!result.ok) {
        log(state, postLog, `##[error]${result.message}`);
        record.outcome = record.conclusion = 'failure';
      }
      log(state, postLog, '', 'system', 'end');
      record.endedAt = Date.now();
    });
  }
  return { ok: main.ok, message: main.message, outputs: main.effects.outputs };
}

/** Registers a post step (built-in actions such as actions/cache save in post). */
export function addPostStep(state: JobState, name: string, run: (logStep: { number: number; name: string }) => Promise<boolean>): void {
  state.postSteps.push(async () => {
    const number = ++state.stepCounter;
    const record: StepResult = { number, name, outcome: 'success', conclusion: 'success', startedAt: Date.now(), endedAt: null };
    state.steps.push(record);
    const logStep = { number, name };
    log(state, logStep, name, 'system', 'start');
    const ok = await run(logStep).catch((error: unknown) => {
      log(state, logStep, `##[error]${(error as Error).message}`);
      return false;
    });
    if (!ok) record.outcome = record.conclusion = 'failure';
    log(state, logStep, '', 'system', 'end');
    record.endedAt = Date.now();
  });
}

export type { JobState };

/**
 * Runs one job leg to completion. Never throws for job-level problems: they become a failed
 * result with `error` (and a log line).
 */
export async function runJob(run: JobToRun, ctx: RunJobContext): Promise<JobResult> {
  const job = findJob(run.workflow, run.jobId);
  const masker = new Masker();
  for (const value of Object.values(ctx.secrets)) masker.add(value);
  const jobAbort = new AbortController();
  const onParentAbort = () => jobAbort.abort();
  if (ctx.signal?.aborted) jobAbort.abort();
  ctx.signal?.addEventListener('abort', onParentAbort, { once: true });
  let timedOut = false;
  const state: JobState = {
    run,
    job,
    ctx,
    masker,
    pathAdditions: [],
    annotations: [],
    summary: [],
    steps: [],
    postSteps: [],
    processGroups: new Set(),
    signal: jobAbort.signal,
    cancelled: () => jobAbort.signal.aborted,
    baseEnv: hostEnvironment(ctx),
    stepCounter: 0,
    eventPath: path.join(ctx.runnerTempDir, 'event.json'),
    defaults: {},
  };
  const jobLog = { number: 0, name: job.name ?? job.id };
  const failed = (error: string): JobResult => {
    log(state, jobLog, `##[error]${error}`);
    return { conclusion: 'failure', outputs: {}, steps: state.steps, annotations: state.annotations, summary: state.summary.join('\n'), error };
  };
  // What the workflow file's check found about this job and let run (a reserved id): its first annotations.
  for (const warning of run.workflow.warnings.filter((w) => w.jobId === job.id)) {
    const { file, line, column } = warning.location;
    state.annotations.push({ level: 'warning', message: warning.message, file, line, column });
    log(state, jobLog, `##[warning]${formatLocation(warning.location)}${warning.message}`);
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await mkdir(ctx.runnerTempDir, { recursive: true });
    await writeFile(state.eventPath, JSON.stringify(ctx.event.payload));
    if (job.uses) return await runCalledWorkflow(run, job, ctx, jobAbort.signal);
    if (!ctx.ignoreContainers) {
      if (job.container !== undefined && job.container !== null) return failed(`job '${job.id}' has \`container:\` and ${CONTAINER_RUNTIME_NEEDED}`);
      if (job.services !== undefined && job.services !== null) return failed(`job '${job.id}' has \`services:\` and ${CONTAINER_RUNTIME_NEEDED}`);
    }
    const evaluation: JobEvaluationContext = { event: ctx.event, results: ctx.results, inputs: ctx.inputs, vars: ctx.vars, secrets: ctx.secrets, env: ctx.env };
    const jobScope: StepScope = { state, stepsContext: {}, inputs: ctx.inputs, env: {}, fileEnv: {}, status: 'success' };
    // env: extra < workflow < job; each level sees the levels before it.
    let env: Record<string, string> = { ...(evaluation.env ?? {}) };
    for (const level of [run.workflow.env, job.env]) {
      const evaluated = evaluateTemplate(level, stepContexts({ ...jobScope, env }, env)) as Record<string, unknown>;
      env = { ...env };
      for (const [key, value] of Object.entries(evaluated ?? {})) env[key] = asText(value);
    }
    jobScope.env = env;
    state.defaults = {
      shell: job.defaults.shell ?? run.workflow.defaults.shell,
      workingDirectory: job.defaults.workingDirectory ?? run.workflow.defaults.workingDirectory,
    };
    const jobTimeout = minutesToMs(evaluateTemplate(job.timeoutMinutes, stepContexts(jobScope, env))) ?? 360 * 60_000;
    timer = setTimeout(() => {
      timedOut = true;
      jobAbort.abort();
    }, jobTimeout);
    await runSteps(jobScope, job.steps);
    // Post steps run in reverse order, even after a failure or cancellation; a cancelled job's
    // post steps get a budget of their own (GitHub runs them after a cancel too).
    if (jobAbort.signal.aborted) {
      const postAbort = new AbortController();
      const postTimer = setTimeout(() => postAbort.abort(), POST_STEPS_AFTER_CANCEL_MS);
      state.signal = postAbort.signal;
      try {
        for (const post of [...state.postSteps].reverse()) await post();
      } finally {
        clearTimeout(postTimer);
      }
    } else {
      for (const post of [...state.postSteps].reverse()) await post();
    }
    const outputs: Record<string, string> = {};
    const outputContexts = stepContexts(jobScope, scopeEnv(jobScope));
    for (const [name, value] of Object.entries(job.outputs)) {
      try {
        outputs[name] = asText(evaluateTemplate(value, outputContexts));
      } catch (error) {
        log(state, jobLog, `##[warning]output '${name}': ${(error as Error).message}`);
      }
    }
    const stepsFailed = state.steps.some((step) => step.conclusion === 'failure');
    let conclusion: Conclusion = timedOut ? 'failure' : state.cancelled() ? 'cancelled' : stepsFailed ? 'failure' : 'success';
    const error = timedOut ? `the job exceeded its timeout of ${jobTimeout / 60_000} minutes` : undefined;
    if (error) log(state, jobLog, `##[error]${error}`);
    if (conclusion === 'failure' && isTrue(evaluateTemplate(job.continueOnError, stepContexts(jobScope, env)))) conclusion = 'success';
    const environment = evaluateJobEnvironment(job, stepContexts(jobScope, scopeEnv(jobScope)));
    return { conclusion, outputs, steps: state.steps, annotations: state.annotations, summary: state.summary.join('\n'), error, environment };
  } catch (error) {
    return failed(isPlinthError(error) ? error.toString() : (error as Error).message);
  } finally {
    if (timer) clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', onParentAbort);
    // Background processes a step left behind end with the job, as on GitHub's runners.
    for (const pid of state.processGroups) killProcessGroup(pid);
  }
}

function evaluateJobEnvironment(job: WorkflowJob, contexts: Record<string, unknown>): JobResult['environment'] {
  const value = job.environment;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') return { name: evaluateString(value, contexts) };
  const spec = value as { name?: unknown; url?: unknown };
  return { name: evaluateString(spec.name, contexts), url: spec.url === undefined ? undefined : evaluateString(spec.url, contexts) };
}
