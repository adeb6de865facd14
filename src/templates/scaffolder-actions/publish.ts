import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PlinthError } from '../../core/errors.js';
import { listRefs } from '../../git/bare-repository.js';
import { runGit } from '../../git/run-git.js';
import { parseRepoUrl } from '../render.js';
import type { ActionContext, ScaffolderAction } from '../scaffolder-action.js';
import { resolveInside } from '../workspace-path.js';
import type { GitCredentialConfig } from '../../core/config.js';
import { gitAuthFor } from '../../git/credentials.js';

/** What publish:plinth needs from hosted repositories (wired in server/platform.ts). */
export interface TemplateRepositoryAccess {
  /** The repository, or undefined when there is none. */
  find(namespace: string, name: string): Promise<{ gitDir: string; cloneUrl: string; defaultBranch: string; createdBy: string } | undefined>;
  create(input: { namespace: string; name: string; owner?: string; description?: string; defaultBranch: string }, actorRef: string): Promise<{ gitDir: string; cloneUrl: string }>;
  /** Emits `git:pushed` for the refs that changed since `before`. */
  recordPush(namespace: string, name: string, before: Map<string, string>, pusher: string): Promise<void>;
}

/** publish:github's view of GitHub: API base URL and token per host. */
export interface GithubHostConfig {
  host: string;
  apiBaseUrl: string;
  token?: string;
}

interface CommitInput {
  defaultBranch?: string;
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
  sourcePath?: string;
}

const commitInputProperties = {
  defaultBranch: { type: 'string', default: 'main' },
  gitCommitMessage: { type: 'string', default: 'initial commit' },
  gitAuthorName: { type: 'string', default: 'Plinth Scaffolder' },
  gitAuthorEmail: { type: 'string', default: 'scaffolder@plinth.local' },
  sourcePath: { type: 'string', description: 'Publish only this directory of the workspace' },
};
const publishOutput = { type: 'object', properties: { remoteUrl: { type: 'string' }, repoContentsUrl: { type: 'string' }, commitHash: { type: 'string' } } };
const TASK_TRAILER = 'Plinth-Task';

/**
 * Commits the workspace (or sourcePath) as a single root commit in a scratch repository. The
 * commit message carries a `Plinth-Task: <id>` trailer: a re-run of the same task recognises
 * its own earlier push and replaces it instead of failing.
 */
async function commitWorkspace(ctx: ActionContext<CommitInput>): Promise<{ dir: string; commit: string; branch: string; cleanup(): Promise<void> }> {
  const source = ctx.input.sourcePath ? await resolveInside(ctx.workspacePath, ctx.input.sourcePath, 'sourcePath') : ctx.workspacePath;
  const dir = await mkdtemp(path.join(tmpdir(), 'plinth-publish-'));
  await cp(source, dir, { recursive: true, verbatimSymlinks: true });
  const branch = ctx.input.defaultBranch ?? 'main';
  const env = authorEnv(ctx.input);
  await runGit(['init', '--quiet', '-b', branch], { cwd: dir });
  await runGit(['add', '--all'], { cwd: dir });
  await runGit(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--allow-empty', '-m', ctx.input.gitCommitMessage ?? 'initial commit', '-m', `${TASK_TRAILER}: ${ctx.taskId}`], { cwd: dir, env });
  const commit = (await runGit(['rev-parse', 'HEAD'], { cwd: dir })).toString().trim();
  return { dir, commit, branch, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * True when an earlier attempt of this task made the repository: its branch head carries the
 * task's trailer, or (the attempt stopped between creating and pushing) it is empty and was
 * created by the same person.
 */
async function isOursToReplace(repository: { gitDir: string; createdBy: string }, branch: string, taskId: string, actorRef: string): Promise<boolean> {
  const { gitDir } = repository;
  const refs = await listRefs(gitDir);
  const head = refs.get(`refs/heads/${branch}`);
  if (!head) return refs.size === 0 && repository.createdBy === actorRef;
  const message = (await runGit(['--git-dir', gitDir, 'log', '-1', '--format=%B', head])).toString();
  return message.includes(`${TASK_TRAILER}: ${taskId}`);
}

/**
 * Commits the workspace (or sourcePath) as a root commit of `branch` directly in a bare
 * repository on this machine, through a temporary index: git add, write-tree, commit-tree,
 * update-ref. Same commit (and trailer) as commitWorkspace, without a clone and a push.
 */
async function commitIntoRepository(ctx: ActionContext<CommitInput>, gitDir: string, branch: string): Promise<string> {
  const source = ctx.input.sourcePath ? await resolveInside(ctx.workspacePath, ctx.input.sourcePath, 'sourcePath') : ctx.workspacePath;
  const scratch = await mkdtemp(path.join(tmpdir(), 'plinth-index-'));
  try {
    const env = { ...authorEnv(ctx.input), GIT_INDEX_FILE: path.join(scratch, 'index') };
    await runGit(['--git-dir', gitDir, '--work-tree', source, 'add', '--all', '.'], { cwd: source, env });
    const tree = (await runGit(['--git-dir', gitDir, 'write-tree'], { env })).toString().trim();
    const message = `${ctx.input.gitCommitMessage ?? 'initial commit'}\n\n${TASK_TRAILER}: ${ctx.taskId}\n`;
    const commit = (await runGit(['--git-dir', gitDir, 'commit-tree', tree], { env, input: message })).toString().trim();
    await runGit(['--git-dir', gitDir, 'update-ref', `refs/heads/${branch}`, commit]);
    return commit;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function authorEnv(input: CommitInput): Record<string, string> {
  const name = input.gitAuthorName ?? 'Plinth Scaffolder';
  const email = input.gitAuthorEmail ?? 'scaffolder@plinth.local';
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
}

export interface PublishActionDeps {
  repositories: TemplateRepositoryAccess;
  /** Config `git.credentials`, for pushes to remotes. */
  gitCredentials: readonly GitCredentialConfig[];
  github: GithubHostConfig[];
}

export function createPublishActions(deps: PublishActionDeps): ScaffolderAction[] {
  const publishPlinth: ScaffolderAction<CommitInput & { repoUrl: string; description?: string; owner?: string }> = {
    id: 'publish:plinth',
    description: 'Creates a repository hosted by Plinth (<owner>/<repo> of repoUrl) and pushes the workspace to it.',
    supportsDryRun: true,
    schema: {
      input: {
        type: 'object',
        required: ['repoUrl'],
        properties: {
          repoUrl: { type: 'string', description: '<any-host>?owner=<namespace>&repo=<name>' },
          description: { type: 'string' },
          owner: { type: 'string', description: 'Entity ref of the owning group or user' },
          ...commitInputProperties,
        },
      },
      output: publishOutput,
    },
    async handler(ctx) {
      const parsed = parseRepoUrl(ctx.input.repoUrl);
      const namespace = parsed.owner ?? parsed.organization ?? 'default';
      const name = parsed.repo;
      if (!/^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/.test(namespace) || !/^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/.test(name)) {
        throw new PlinthError('TEMPLATE_INPUT_INVALID', `repoUrl: '${namespace}/${name}' is not a valid repository name (lower-case letters, digits, . _ -)`);
      }
      const branch = ctx.input.defaultBranch ?? 'main';
      if (ctx.isDryRun) {
        ctx.log(`dry run: would create the hosted repository ${namespace}/${name} and push the workspace to ${branch}`);
        const remoteUrl = `plinth://git/${namespace}/${name}.git`;
        ctx.output('remoteUrl', remoteUrl);
        ctx.output('repoContentsUrl', `${remoteUrl}/blob/${branch}`);
        ctx.output('commitHash', '0'.repeat(40));
        return;
      }
      let repository = await deps.repositories.find(namespace, name);
      if (repository && !(await isOursToReplace(repository, branch, ctx.taskId, ctx.user.ref))) {
        throw new PlinthError('TEMPLATE_PUBLISH_CONFLICT', `repository ${namespace}/${name} exists already; choose another name`);
      }
      if (repository) ctx.log(`repository ${namespace}/${name} was created by an earlier attempt of this task; replacing its content`);
      const before = repository ? await listRefs(repository.gitDir) : new Map<string, string>();
      repository ??= { ...(await deps.repositories.create({ namespace, name, owner: ctx.input.owner, description: ctx.input.description, defaultBranch: branch }, ctx.user.ref)), defaultBranch: branch, createdBy: ctx.user.ref };
      // The repository is on this machine: commit straight into it, no scratch clone and push.
      const commit = await commitIntoRepository(ctx, repository.gitDir, branch);
      await deps.repositories.recordPush(namespace, name, before, ctx.user.ref);
      ctx.log(`pushed ${commit.slice(0, 12)} to ${repository.cloneUrl} (${branch})`);
      ctx.output('remoteUrl', repository.cloneUrl);
      ctx.output('repoContentsUrl', `${repository.cloneUrl}/blob/${branch}`);
      ctx.output('commitHash', commit);
    },
  };

  const publishGit: ScaffolderAction<CommitInput & { remoteUrl: string; force?: boolean }> = {
    id: 'publish:git',
    description: 'Pushes the workspace to any git remote (credentials from git.credentials by URL prefix or host).',
    supportsDryRun: true,
    schema: {
      input: { type: 'object', required: ['remoteUrl'], properties: { remoteUrl: { type: 'string', description: 'A git URL (https://…, file://…)' }, force: { type: 'boolean' }, ...commitInputProperties } },
      output: publishOutput,
    },
    async handler(ctx) {
      const { remoteUrl } = ctx.input;
      if (typeof remoteUrl !== 'string' || !/^(https?|file|ssh):\/\//.test(remoteUrl)) throw new PlinthError('TEMPLATE_INPUT_INVALID', `remoteUrl must be a git URL (https://, file:// or ssh://), got ${JSON.stringify(remoteUrl)}`);
      const branch = ctx.input.defaultBranch ?? 'main';
      const base = remoteUrl.replace(/\/$/, '');
      ctx.output('remoteUrl', remoteUrl);
      ctx.output('repoContentsUrl', `${base}/blob/${branch}`);
      if (ctx.isDryRun) {
        ctx.log(`dry run: would push the workspace to ${remoteUrl} (${branch})`);
        ctx.output('commitHash', '0'.repeat(40));
        return;
      }
      const commit = await commitWorkspace(ctx);
      try {
        await runGit(['push', '--quiet', ...(ctx.input.force ? ['--force'] : []), remoteUrl, `HEAD:refs/heads/${branch}`], { cwd: commit.dir, env: gitAuthFor(remoteUrl, deps.gitCredentials) });
      } finally {
        await commit.cleanup();
      }
      ctx.log(`pushed ${commit.commit.slice(0, 12)} to ${remoteUrl} (${branch})`);
      ctx.output('commitHash', commit.commit);
    },
  };

  const publishGithub: ScaffolderAction<CommitInput & { repoUrl: string; description?: string; repoVisibility?: 'private' | 'public' | 'internal'; token?: string }> = {
    id: 'publish:github',
    description: 'Creates a GitHub repository (organisation or user) through the REST API and pushes the workspace to it.',
    supportsDryRun: true,
    schema: {
      input: {
        type: 'object',
        required: ['repoUrl'],
        properties: {
          repoUrl: { type: 'string', description: 'github.com?owner=<org or user>&repo=<name>' },
          description: { type: 'string' },
          repoVisibility: { type: 'string', enum: ['private', 'public', 'internal'], default: 'private' },
          token: { type: 'string', description: 'Overrides the configured token (e.g. ${{ secrets.USER_OAUTH_TOKEN }})' },
          ...commitInputProperties,
        },
      },
      output: publishOutput,
    },
    async handler(ctx) {
      const { host, owner, repo } = parseRepoUrl(ctx.input.repoUrl);
      if (!owner) throw new PlinthError('TEMPLATE_INPUT_INVALID', 'repoUrl: GitHub repositories need owner= (an organisation or user)');
      const config = deps.github.find((c) => c.host === host) ?? (host === 'github.com' ? { host, apiBaseUrl: 'https://api.github.com' } : undefined);
      if (!config) throw new PlinthError('TEMPLATE_INPUT_INVALID', `repoUrl: no GitHub host '${host}' is configured (templates.github in plinth.yaml)`);
      const branch = ctx.input.defaultBranch ?? 'main';
      if (ctx.isDryRun) {
        ctx.log(`dry run: would create ${owner}/${repo} on ${host} and push the workspace to ${branch}`);
        ctx.output('remoteUrl', `https://${host}/${owner}/${repo}`);
        ctx.output('repoContentsUrl', `https://${host}/${owner}/${repo}/blob/${branch}`);
        ctx.output('commitHash', '0'.repeat(40));
        return;
      }
      const token = ctx.input.token ?? config.token;
      if (!token) throw new PlinthError('TEMPLATE_INPUT_INVALID', `no token for GitHub host ${host}: configure templates.github[].token or pass input.token`);
      const api = async (method: string, route: string, body?: unknown) => {
        const response = await fetch(`${config.apiBaseUrl.replace(/\/$/, '')}${route}`, {
          method,
          headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json', 'user-agent': 'plinth-scaffolder' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(30_000)]),
        });
        const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
        return { status: response.status, data };
      };
      const account = await api('GET', `/users/${encodeURIComponent(owner)}`);
      if (account.status !== 200) throw new PlinthError('TEMPLATE_ACTION_FAILED', `GitHub: no user or organisation '${owner}' (HTTP ${account.status})`);
      const body = { name: repo, description: ctx.input.description, private: (ctx.input.repoVisibility ?? 'private') !== 'public', visibility: ctx.input.repoVisibility ?? 'private' };
      let created = account.data.type === 'Organization' ? await api('POST', `/orgs/${encodeURIComponent(owner)}/repos`, body) : await api('POST', '/user/repos', body);
      if (created.status === 422) {
        // Exists already: ours from an earlier attempt of this task, or a conflict (checked at push).
        created = await api('GET', `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`);
      }
      if (created.status < 200 || created.status >= 300) throw new PlinthError('TEMPLATE_ACTION_FAILED', `GitHub: creating ${owner}/${repo} failed (HTTP ${created.status}): ${String(created.data.message ?? '')}`);
      const cloneUrl = String(created.data.clone_url);
      const htmlUrl = String(created.data.html_url);
      const commit = await commitWorkspace(ctx);
      // The token of this call, given to git as the configured credentials are.
      const env = gitAuthFor(cloneUrl, [{ urlPrefix: cloneUrl, username: 'x-access-token', password: token }]);
      try {
        await runGit(['push', '--quiet', cloneUrl, `HEAD:refs/heads/${branch}`], { cwd: commit.dir, env });
      } catch (error) {
        // Refused: replace the branch only when an earlier attempt of this task pushed it.
        const theirs = await runGit(['fetch', '--quiet', '--depth', '1', cloneUrl, `refs/heads/${branch}`], { cwd: commit.dir, env })
          .then(() => runGit(['log', '-1', '--format=%B', 'FETCH_HEAD'], { cwd: commit.dir }))
          .then((message) => message.toString(), () => '');
        if (!theirs.includes(`${TASK_TRAILER}: ${ctx.taskId}`)) {
          throw new PlinthError('TEMPLATE_PUBLISH_CONFLICT', `pushing to ${cloneUrl} failed: ${owner}/${repo} exists with other content (${(error as Error).message})`, { cause: error });
        }
        ctx.log(`${owner}/${repo} was pushed by an earlier attempt of this task; replacing its content`);
        await runGit(['push', '--quiet', '--force', cloneUrl, `HEAD:refs/heads/${branch}`], { cwd: commit.dir, env });
      } finally {
        await commit.cleanup();
      }
      ctx.log(`pushed ${commit.commit.slice(0, 12)} to ${htmlUrl} (${branch})`);
      ctx.output('remoteUrl', htmlUrl);
      ctx.output('repoContentsUrl', `${htmlUrl}/blob/${branch}`);
      ctx.output('commitHash', commit.commit);
    },
  };

  return [publishPlinth, publishGit, publishGithub];
}
