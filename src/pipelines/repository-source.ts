import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PlinthError } from '../core/errors.js';
import { runGit } from '../git/run-git.js';
import { listTreeFiles, readTreeFiles, resolveRevision, syncMirror } from '../git/read-tree.js';
import type { GitCredentialConfig, PipelinesConfig } from '../core/config.js';

/**
 * Where a repository's commits are read: a Plinth-hosted bare repository, or a local mirror of
 * a configured remote. Wired by the platform (pipelines/ does not know repositories/).
 */
export interface RepositorySource {
  /** The bare git directory holding the repository's commits (fetched fresh for remotes). */
  gitDirOf(repository: string): Promise<string>;
  /** The branch runs of manual triggers default to. */
  defaultBranchOf(repository: string): Promise<string>;
  /** Every repository whose schedules fire. */
  listRepositories(): Promise<string[]>;
}

/** What the platform passes about Plinth-hosted repositories (pipelines/ does not import repositories/). */
export interface HostedRepositories {
  find(namespace: string, name: string): Promise<{ defaultBranch: string }>;
  gitDirOf(namespace: string, name: string): string;
  list(): Promise<Array<{ namespace: string; name: string }>>;
}

/**
 * Hosted repositories by `namespace/name`, and the remotes of `pipelines.remotes` (their
 * configured name wins) through a mirror under `mirrorDir`, fetched before each use.
 */
export function createRepositorySource(hosted: HostedRepositories, remotes: PipelinesConfig['remotes'], mirrorDir: string, gitCredentials: readonly GitCredentialConfig[] = []): RepositorySource {
  const remoteOf = (repository: string) => remotes.find((r) => r.name === repository);
  // A remote's own token first, then git.credentials.
  const credentialsOf = (remote: PipelinesConfig['remotes'][number]): GitCredentialConfig[] => [
    ...(remote.token ? [{ urlPrefix: remote.url, username: 'x-access-token', password: remote.token }] : []),
    ...gitCredentials,
  ];
  const split = (repository: string) => {
    const [namespace, name] = repository.split('/', 2) as [string, string];
    return { namespace, name };
  };
  return {
    async gitDirOf(repository) {
      const remote = remoteOf(repository);
      if (remote) return syncMirror(remote.url, mirrorDir, credentialsOf(remote));
      const { namespace, name } = split(repository);
      await hosted.find(namespace, name).catch(() => {
        throw new PlinthError('PIPELINE_REMOTE_NOT_FOUND', `no hosted repository or configured remote '${repository}'`, { location: { field: '/body/repository' } });
      });
      return hosted.gitDirOf(namespace, name);
    },
    async defaultBranchOf(repository) {
      const remote = remoteOf(repository);
      if (remote) {
        const head = await runGit(['--git-dir', await syncMirror(remote.url, mirrorDir, credentialsOf(remote)), 'symbolic-ref', '--short', 'HEAD']).catch(() => undefined);
        return head?.toString('utf8').trim() || 'main';
      }
      const { namespace, name } = split(repository);
      return (await hosted.find(namespace, name)).defaultBranch;
    },
    async listRepositories() {
      return [...(await hosted.list()).map((r) => `${r.namespace}/${r.name}`), ...remotes.map((r) => r.name)];
    },
  };
}

export interface WorkflowFile {
  path: string;
  text: string;
}

const WORKFLOW_PATTERN = /^\.(github|plinth)\/workflows\/[^/]+\.ya?ml$/;

/** Every workflow file (`.github/workflows/*.yml`, `.plinth/workflows/*.yml`) at a commit. */
export async function readWorkflowFiles(gitDir: string, sha: string): Promise<WorkflowFile[]> {
  const paths = (await listTreeFiles(gitDir, sha)).filter((p) => WORKFLOW_PATTERN.test(p));
  const files = await readTreeFiles(gitDir, sha, paths);
  return [...files].map(([path, text]) => ({ path, text }));
}

/** `main`, `refs/heads/main`, a tag or a sha → the full ref and the commit. */
export async function resolveRef(gitDir: string, ref: string): Promise<{ ref: string; sha: string }> {
  for (const candidate of ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`]) {
    const sha = await resolveRevision(gitDir, candidate);
    if (sha) return { ref: candidate, sha };
  }
  if (/^[0-9a-f]{7,40}$/.test(ref)) {
    const sha = await resolveRevision(gitDir, ref);
    if (sha) return { ref: sha, sha };
  }
  throw new PlinthError('PIPELINE_REF_NOT_FOUND', `no branch, tag or commit '${ref}' in the repository`, { location: { field: '/body/ref' } });
}

/** Paths changed between two commits; every path of `after` for a new branch. */
export async function changedPaths(gitDir: string, before: string, after: string): Promise<string[]> {
  const zero = /^0+$/.test(before);
  const out = zero ? await runGit(['--git-dir', gitDir, 'ls-tree', '-r', '-z', '--name-only', after]) : await runGit(['--git-dir', gitDir, 'diff', '-z', '--name-only', before, after]);
  return out.toString('utf8').split('\0').filter(Boolean);
}

/**
 * A clean working tree of `sha` in `workspace` (removed and created afresh): a repository that
 * borrows the objects of `gitDir` (alternates) instead of copying them, so checking out costs
 * two git processes and no pack transfer.
 */
export async function checkoutWorkspace(gitDir: string, sha: string, workspace: string): Promise<void> {
  await rm(workspace, { recursive: true, force: true });
  await mkdir(workspace, { recursive: true });
  await runGit(['init', '--quiet', workspace]);
  await writeFile(path.join(workspace, '.git', 'objects', 'info', 'alternates'), `${path.resolve(gitDir, 'objects')}\n`);
  await runGit(['-C', workspace, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', sha]);
}
