import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from './run-git.js';

/** Creates an empty bare repository that accepts pushes over smart HTTP. */
export async function createBareRepository(gitDir: string, defaultBranch: string): Promise<void> {
  await mkdir(path.dirname(gitDir), { recursive: true });
  await runGit(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, gitDir]);
  await runGit(['--git-dir', gitDir, 'config', 'http.receivepack', 'true']);
}

export async function deleteBareRepository(gitDir: string): Promise<void> {
  await rm(gitDir, { recursive: true, force: true });
}

/** Every ref and the object it points at (`refs/heads/main` → sha). */
export async function listRefs(gitDir: string): Promise<Map<string, string>> {
  const out = (await runGit(['--git-dir', gitDir, 'for-each-ref', '--format=%(refname) %(objectname)'])).toString('utf8');
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
}
