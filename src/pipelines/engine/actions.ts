/** Built-in equivalents of common actions, and fetching remote actions from configured git sources. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { addPostStep, type JobState, type RunJobContext, type StepRunResult, type StepScope } from './job-runner.js';

const run = promisify(execFile);

export interface BuiltinEnvironment {
  state: JobState;
  scope: StepScope;
  logStep: { number: number; name: string };
  withValues: Record<string, string>;
  env: Record<string, string>;
  stepKey: string;
  timeoutMs?: number;
  log: (text: string) => void;
}

const lines = (value: string | undefined) =>
  (value ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

async function tarCreate(root: string, entries: string[]): Promise<Buffer> {
  const { stdout } = await run('tar', ['-czf', '-', '-C', root, '--', ...entries], { encoding: 'buffer', maxBuffer: 1 << 30 });
  return stdout;
}

async function tarExtract(archive: Buffer, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const child = execFile('tar', ['-xzf', '-', '-C', dir], (error) => (error ? reject(error) : resolve()));
    child.stdin!.end(archive);
  });
}

/** Runs a built-in action; undefined when `name` is not one (the caller fetches it as a remote action). */
export async function runBuiltinAction(name: string, b: BuiltinEnvironment): Promise<StepRunResult | undefined> {
  const ctx = b.state.ctx;
  switch (name) {
    case 'actions/checkout': {
      const repository = b.withValues.repository || ctx.event.repository;
      const target = path.resolve(ctx.workspaceDir, b.withValues.path ?? '.');
      b.log(`checking out ${repository}@${b.withValues.ref || ctx.event.sha || ctx.event.ref} into ${target}`);
      await ctx.repositoryCheckout(target, { repository, ref: b.withValues.ref || ctx.event.ref, sha: b.withValues.ref ? '' : ctx.event.sha });
      return { ok: true, outputs: {} };
    }
    case 'actions/setup-node': {
      const requested = b.withValues['node-version'] ?? '';
      const major = /^v?(\d+)/.exec(requested)?.[1];
      const installed = process.versions.node.split('.')[0];
      if (requested && major !== installed && !['lts/*', 'node', 'latest', 'current'].includes(requested)) {
        return { ok: false, message: `actions/setup-node: node ${requested} is not installed on this runner (it has ${process.version}); Plinth does not download toolchains`, outputs: {} };
      }
      b.state.pathAdditions.unshift(path.dirname(process.execPath));
      b.log(`using node ${process.version} from ${path.dirname(process.execPath)}`);
      return { ok: true, outputs: { 'node-version': process.version } };
    }
    case 'actions/upload-artifact': {
      if (!ctx.artifacts) return { ok: false, message: 'actions/upload-artifact: this run has no artifact store', outputs: {} };
      const artifactName = b.withValues.name || 'artifact';
      const paths = lines(b.withValues.path);
      const existing = paths.filter((p) => existsSync(path.resolve(ctx.workspaceDir, p)));
      if (existing.length === 0) {
        const behaviour = b.withValues['if-no-files-found'] || 'warn';
        const message = `actions/upload-artifact: no files found at ${paths.join(', ')}`;
        if (behaviour === 'error') return { ok: false, message, outputs: {} };
        if (behaviour === 'warn') b.log(`##[warning]${message}`);
        return { ok: true, outputs: {} };
      }
      const archive = await tarCreate(ctx.workspaceDir, existing.map((p) => path.relative(ctx.workspaceDir, path.resolve(ctx.workspaceDir, p))));
      const days = b.withValues['retention-days'] ? Number(b.withValues['retention-days']) : undefined;
      await ctx.artifacts.upload(artifactName, archive, { retentionDays: days });
      b.log(`uploaded artifact '${artifactName}' (${archive.length} bytes)`);
      return { ok: true, outputs: { 'artifact-id': artifactName } };
    }
    case 'actions/download-artifact': {
      if (!ctx.artifacts) return { ok: false, message: 'actions/download-artifact: this run has no artifact store', outputs: {} };
      const target = path.resolve(ctx.workspaceDir, b.withValues.path || '.');
      const names = b.withValues.name ? [b.withValues.name] : await ctx.artifacts.list();
      for (const artifactName of names) {
        const archive = await ctx.artifacts.download(artifactName);
        if (!archive) return { ok: false, message: `actions/download-artifact: no artifact named '${artifactName}' in this run`, outputs: {} };
        await tarExtract(archive, b.withValues.name ? target : path.join(target, artifactName));
      }
      return { ok: true, outputs: { 'download-path': target } };
    }
    case 'actions/cache': {
      if (!ctx.cache) return { ok: false, message: 'actions/cache: this run has no cache store', outputs: {} };
      const key = b.withValues.key;
      if (!key) return { ok: false, message: 'actions/cache: input `key` is required', outputs: {} };
      const paths = lines(b.withValues.path).map((p) => path.resolve(ctx.workspaceDir, p.replace(/^~(?=\/|$)/, b.state.baseEnv.HOME ?? '~')));
      const restoreKeys = lines(b.withValues['restore-keys']);
      const hit = await ctx.cache.restore([key, ...restoreKeys]);
      if (hit) {
        await tarExtract(hit.archive, '/');
        b.log(`cache restored from key ${hit.key}`);
      } else b.log(`cache not found for key ${key}`);
      const exact = hit?.key === key;
      if (!exact) {
        addPostStep(b.state, `Post ${b.logStep.name}`, async (postLog) => {
          if (b.state.steps.some((step) => step.conclusion === 'failure')) return true;
          const existing = paths.filter((p) => existsSync(p));
          if (existing.length === 0) return true;
          const archive = await tarCreate('/', existing.map((p) => path.relative('/', p)));
          await ctx.cache!.save(key, archive);
          b.state.ctx.onLog({ stepNumber: postLog.number, stepName: postLog.name, text: `cache saved with key ${key}`, timestamp: Date.now(), stream: 'system' });
          return true;
        });
      }
      return { ok: true, outputs: { 'cache-hit': String(exact), 'cache-matched-key': hit?.key ?? '' } };
    }
    default: {
      const platformAction = ctx.platformActions?.[name.replace(/@.*$/, '')];
      if (!platformAction) return undefined;
      try {
        return { ok: true, outputs: await platformAction(b.withValues, b.log) };
      } catch (error) {
        return { ok: false, message: `${name}: ${error instanceof Error ? error.message : String(error)}`, outputs: {} };
      }
    }
  }
}

/**
 * Clones `<base>/<owner>/<repo>.git` at `ref` from the first configured source that has it,
 * keeping it under the action cache. Fails naming the action when none is reachable.
 */
export async function fetchRemoteAction(ctx: RunJobContext, repository: string, ref: string, log: (text: string) => void): Promise<{ ok: true; dir: string } | { ok: false; message: string }> {
  const cacheRoot = ctx.actionCacheDir ?? path.join(ctx.runnerTempDir, '_actions');
  const dir = path.join(cacheRoot, repository, ref);
  if (existsSync(dir)) return { ok: true, dir };
  const sources = ctx.actionSources ?? [];
  if (sources.length === 0) return { ok: false, message: `action '${repository}@${ref}' cannot be fetched: no action sources are configured` };
  const tried: string[] = [];
  for (const base of sources) {
    const url = `${base.replace(/\/$/, '')}/${repository}.git`;
    const staging = `${dir}.${process.pid}.${Date.now()}`;
    try {
      await mkdir(path.dirname(dir), { recursive: true });
      await run('git', ['clone', '--quiet', url, staging], { timeout: 120_000 });
      await run('git', ['-C', staging, 'checkout', '--quiet', ref]);
      await rename(staging, dir).catch(async () => rm(staging, { recursive: true, force: true }));
      log(`fetched action ${repository}@${ref} from ${url}`);
      return { ok: true, dir };
    } catch (error) {
      tried.push(`${url}: ${String((error as Error).message).split('\n')[0]}`);
      await rm(staging, { recursive: true, force: true });
    }
  }
  return { ok: false, message: `action '${repository}@${ref}' could not be fetched from any action source (${tried.join('; ')})` };
}
