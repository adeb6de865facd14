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

export interface CommitSummary {
  sha: string;
  author: string;
  email: string;
  date: string;
  subject: string;
}

/** The newest commits reachable from a ref; empty for a repository without commits. */
export async function recentCommits(gitDir: string, ref: string, limit: number): Promise<CommitSummary[]> {
  try {
    const out = (await runGit(['--git-dir', gitDir, 'log', `-n${limit}`, '--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e', ref, '--'])).toString('utf8');
    return out
      .split('\x1e')
      .map((r) => r.trim())
      .filter(Boolean)
      .map((record) => {
        const [sha, author, email, date, subject] = record.split('\x1f') as [string, string, string, string, string];
        return { sha, author, email, date, subject };
      });
  } catch {
    return [];
  }
}
