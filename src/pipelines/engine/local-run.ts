/**
 * Runs a workflow from a working directory with no server (`plinth run local`). Like act's
 * host mode, the working directory itself is the workspace (no copy): `actions/checkout` of the
 * run's own repository is a no-op; artifacts live under `<workspace>/.plinth/tmp/`, caches under
 * `~/.cache/plinth/actions-cache`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PlinthError } from '../../core/errors.js';
import type { Conclusion, WorkflowEvent } from './context.js';
import type { ArtifactStore, CacheStore, LogLine, RunJobContext } from './job-runner.js';
import { runWorkflowJobs, type LegReport } from './scheduler.js';
import { resolveDispatchInputs } from './triggers.js';
import { parseWorkflowFile, WORKFLOW_DIRECTORIES, type ParsedWorkflow } from './workflow.js';

const run = promisify(execFile);

export interface LocalRunOptions {
  /** The repository checkout to run in (the workspace). */
  workspaceDir: string;
  /** Workflow file, relative to the workspace or absolute. */
  workflowPath: string;
  /** Event name; default `push`. */
  event?: string;
  /** Event payload (`github.event`); for workflow_dispatch its `inputs` are merged with `inputs`. */
  eventPayload?: Record<string, unknown>;
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  /** Extra `env` context under the workflow env (e.g. ACT=true). */
  env?: Record<string, string>;
  jobFilter?: string[];
  matrixFilter?: Record<string, string[]>;
  /** Run `container:`/`services:` jobs on the host instead of failing them. */
  ignoreContainers?: boolean;
  /** runs-on labels this host serves; default ubuntu-latest, ubuntu-24.04, ubuntu-22.04, self-hosted, linux. */
  labels?: string[];
  actionSources?: string[];
  /** Actions the caller runs itself (`uses: plinth/deploy`), as in a server run. */
  platformActions?: RunJobContext['platformActions'];
  maxConcurrency?: number;
  onLog: (leg: string, line: LogLine) => void;
  signal?: AbortSignal;
}

export interface LocalRunResult {
  conclusion: Conclusion;
  workflow: ParsedWorkflow;
  legs: LegReport[];
}

export const DEFAULT_LOCAL_LABELS = ['ubuntu-latest', 'ubuntu-24.04', 'ubuntu-22.04', 'self-hosted', 'linux', 'x64'];

/** The workflow files of a checkout (`.github/workflows/*.yml|yaml`, then `.plinth/workflows/`). */
export function findWorkflowFiles(workspaceDir: string): string[] {
  const files: string[] = [];
  for (const dir of WORKFLOW_DIRECTORIES) {
    const full = path.join(workspaceDir, dir);
    if (!existsSync(full)) continue;
    for (const name of readdirSync(full).sort()) if (/\.ya?ml$/.test(name)) files.push(`${dir}/${name}`);
  }
  return files;
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run('git', args, { cwd })).stdout.trim();
  } catch {
    return undefined;
  }
}

/** The run's facts from the checkout's git state (HEAD, branch, origin); defaults outside a repository. */
async function localEvent(workspaceDir: string, name: string, payload: Record<string, unknown>): Promise<WorkflowEvent> {
  const [sha, branch, origin] = await Promise.all([
    git(workspaceDir, ['rev-parse', 'HEAD']),
    git(workspaceDir, ['symbolic-ref', '-q', 'HEAD']),
    git(workspaceDir, ['remote', 'get-url', 'origin']),
  ]);
  const fromOrigin = origin ? /([^/:]+\/[^/]+?)(?:\.git)?$/.exec(origin)?.[1] : undefined;
  const repository = fromOrigin ?? `local/${path.basename(workspaceDir)}`;
  const runId = String(Date.now());
  return {
    name,
    payload,
    ref: branch ?? 'refs/heads/main',
    sha: sha ?? '0000000000000000000000000000000000000000',
    repository,
    actor: process.env.USER ?? 'plinth',
    runId,
    runNumber: 1,
    runAttempt: 1,
  };
}

function directoryArtifactStore(root: string): ArtifactStore {
  const file = (name: string) => path.join(root, `${encodeURIComponent(name)}.tar.gz`);
  return {
    async upload(name, archive) {
      await mkdir(root, { recursive: true });
      await writeFile(file(name), archive);
    },
    async download(name) {
      return existsSync(file(name)) ? readFile(file(name)) : undefined;
    },
    async list() {
      if (!existsSync(root)) return [];
      return (await readdir(root)).filter((n) => n.endsWith('.tar.gz')).map((n) => decodeURIComponent(n.slice(0, -7)));
    },
  };
}

function directoryCacheStore(root: string): CacheStore {
  const file = (key: string) => path.join(root, `${encodeURIComponent(key)}.tar.gz`);
  return {
    async restore(keys) {
      if (!existsSync(root)) return undefined;
      const names = (await readdir(root)).map((n) => decodeURIComponent(n.replace(/\.tar\.gz$/, ''))).sort().reverse();
      for (const key of keys) {
        const found = names.includes(key) ? key : names.find((name) => name.startsWith(key));
        if (found) return { key: found, archive: await readFile(file(found)) };
      }
      return undefined;
    },
    async save(key, archive) {
      await mkdir(root, { recursive: true });
      await writeFile(file(key), archive);
    },
  };
}

export async function runWorkflowLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const workspaceDir = path.resolve(options.workspaceDir);
  const fullPath = path.resolve(workspaceDir, options.workflowPath);
  if (!existsSync(fullPath)) throw new PlinthError('PIPELINE_WORKFLOW_NOT_FOUND', `no workflow file ${options.workflowPath} in ${workspaceDir}`);
  const relative = path.relative(workspaceDir, fullPath);
  const workflow = await parseWorkflowFile(await readFile(fullPath, 'utf8'), relative.startsWith('..') ? fullPath : relative);
  const eventName = options.event ?? 'push';
  const payload = { ...(options.eventPayload ?? {}) };
  let inputs: Record<string, unknown> = {};
  if (eventName === 'workflow_dispatch') {
    const given = { ...((payload.inputs as Record<string, unknown> | undefined) ?? {}), ...(options.inputs ?? {}) };
    inputs = resolveDispatchInputs(workflow.triggers.workflowDispatch?.inputs ?? {}, given);
    payload.inputs = inputs;
  } else if (options.inputs && Object.keys(options.inputs).length > 0) {
    throw new PlinthError('PIPELINE_DISPATCH_INVALID', '--input is only accepted with --event workflow_dispatch', { location: { field: 'inputs' } });
  }
  const event = await localEvent(workspaceDir, eventName, payload);
  const tempRoot = await mkdtemp(path.join(os.tmpdir(), 'plinth-run-'));
  const labels = new Set(options.labels ?? DEFAULT_LOCAL_LABELS);
  const result = await runWorkflowJobs(workflow, {
    base: {
      event,
      inputs,
      secrets: { GITHUB_TOKEN: '', ...(options.secrets ?? {}) },
      vars: options.vars ?? {},
      env: options.env,
      workspaceDir,
      repositoryCheckout: async (dir, target) => {
        if (target.repository === event.repository && path.resolve(dir) === workspaceDir) return;
        throw new PlinthError('PIPELINE_REF_NOT_FOUND', `run local uses the working directory as the workspace; checking out ${target.repository} into ${dir} is not supported`);
      },
      artifacts: directoryArtifactStore(path.join(workspaceDir, '.plinth', 'tmp', `run-${event.runId}`, 'artifacts')),
      cache: directoryCacheStore(path.join(os.homedir(), '.cache', 'plinth', 'actions-cache')),
      actionSources: options.actionSources,
      actionCacheDir: path.join(os.homedir(), '.cache', 'plinth', 'actions'),
      ignoreContainers: options.ignoreContainers,
      platformActions: options.platformActions,
      runnerName: 'plinth-local',
    },
    tempRoot,
    onLog: options.onLog,
    jobFilter: options.jobFilter,
    matrixFilter: options.matrixFilter,
    supportsLabels: (jobLabels) => jobLabels.every((label) => labels.has(label)),
    maxConcurrency: options.maxConcurrency ?? Math.max(1, os.availableParallelism()),
    signal: options.signal,
  });
  return { conclusion: result.conclusion, workflow, legs: result.legs };
}
