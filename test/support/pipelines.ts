import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runGit } from '../../src/git/run-git.js';

/**
 * A clone (or the working copy `dir` of an earlier call) with the given files committed on top, pushed to a Plinth-hosted repository
 * over smart HTTP with a token, as a developer would. Returns the pushed commit.
 */
export async function pushFiles(cloneUrl: string, token: string, files: Record<string, string>, options: { branch?: string; message?: string; dir?: string } = {}): Promise<{ sha: string; dir: string }> {
  const branch = options.branch ?? 'main';
  // Well inside a test's timeout, so a git call that hangs fails with its own stderr.
  const git = (args: string[], env?: Record<string, string>) => runGit(args, { env, timeoutMs: 20_000 });
  let dir = options.dir;
  if (!dir) {
    // A fresh clone (of an empty repository too) so each push builds on what is there.
    const url = new URL(cloneUrl);
    url.username = 'x';
    url.password = token;
    dir = path.join(mkdtempSync(path.join(tmpdir(), 'plinth-work-')), 'repo');
    await git(['clone', '--quiet', url.toString(), dir]);
    await git(['-C', dir, 'checkout', '--quiet', '-B', branch]);
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  const author = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
  await git(['-C', dir, 'add', '-A']);
  await git(['-C', dir, 'commit', '--quiet', '-m', options.message ?? 'change'], author);
  await git(['-C', dir, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
  const sha = (await git(['-C', dir, 'rev-parse', 'HEAD'])).toString().trim();
  return { sha, dir };
}

/**
 * Polls until check returns a value (not undefined), or fails after timeoutMs. A check that does
 * not return by the deadline fails the wait too, so a hang is named rather than left to the test's
 * own timeout; `explain` adds what the system looked like then (a run's jobs and logs, say).
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, explain?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const fail = async (why: string) => {
    const explained = explain?.().catch((error: unknown) => `(could not explain: ${String(error)})`);
    const state = explained ? await Promise.race([explained, new Promise<string>((resolve) => setTimeout(() => resolve('(explaining did not return in 5 s)'), 5000).unref())]) : '';
    return new Error(`timed out waiting for ${what}${why}${state ? `\n${state}` : ''}`);
  };
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const hung = Symbol('hung');
    const value = await Promise.race([check(), new Promise<typeof hung>((resolve) => (timer = setTimeout(() => resolve(hung), Math.max(0, deadline - Date.now()) + 1000)))]);
    clearTimeout(timer);
    if (value === hung) throw await fail(': a check did not return');
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw await fail('');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
