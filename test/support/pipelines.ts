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
  let dir = options.dir;
  if (!dir) {
    // A fresh clone (of an empty repository too) so each push builds on what is there.
    const url = new URL(cloneUrl);
    url.username = 'x';
    url.password = token;
    dir = path.join(mkdtempSync(path.join(tmpdir(), 'plinth-work-')), 'repo');
    await runGit(['clone', '--quiet', url.toString(), dir]);
    await runGit(['-C', dir, 'checkout', '--quiet', '-B', branch]);
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  const author = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
  await runGit(['-C', dir, 'add', '-A']);
  await runGit(['-C', dir, 'commit', '--quiet', '-m', options.message ?? 'change'], { env: author });
  await runGit(['-C', dir, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
  const sha = (await runGit(['-C', dir, 'rev-parse', 'HEAD'])).toString().trim();
  return { sha, dir };
}

/** Polls until check returns a value (not undefined), or fails after timeoutMs. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
