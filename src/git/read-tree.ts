import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { GitCredentialConfig } from '../core/config.js';
import { gitAuthFor } from './credentials.js';
import { runGit } from './run-git.js';

/** Paths of every file (blob) at `rev` in a repository. */
export async function listTreeFiles(gitDir: string, rev: string): Promise<string[]> {
  const out = await runGit(['--git-dir', gitDir, 'ls-tree', '-r', '-z', '--name-only', rev]);
  return out.toString('utf8').split('\0').filter(Boolean);
}

/** Reads many files at `rev` through one `git cat-file --batch`; missing paths are left out. */
export async function readTreeFiles(gitDir: string, rev: string, paths: string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (paths.length === 0) return files;
  const out = await runGit(['--git-dir', gitDir, 'cat-file', '--batch'], { input: paths.map((p) => `${rev}:${p}\n`).join('') });
  let offset = 0;
  for (const requested of paths) {
    const headerEnd = out.indexOf(0x0a, offset);
    const header = out.subarray(offset, headerEnd).toString('utf8');
    offset = headerEnd + 1;
    if (header.endsWith(' missing')) continue;
    const size = Number(header.split(' ')[2]);
    files.set(requested, out.subarray(offset, offset + size).toString('utf8'));
    offset += size + 1;
  }
  return files;
}

/** The commit `rev` names, or undefined when the ref does not exist. */
export async function resolveRevision(gitDir: string, rev: string): Promise<string | undefined> {
  try {
    return (await runGit(['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).toString('utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * A bare mirror of a remote repository under cacheDir, fetched fresh on each call, with the
 * configured credential for its URL. Local `file://` repositories are read in place.
 */
export async function syncMirror(url: string, cacheDir: string, credentials: readonly GitCredentialConfig[] = []): Promise<string> {
  if (url.startsWith('file://')) return new URL(url).pathname;
  const dir = path.join(cacheDir, `${createHash('sha1').update(url).digest('hex')}.git`);
  const env = gitAuthFor(url, credentials);
  if (!existsSync(dir)) {
    mkdirSync(cacheDir, { recursive: true });
    await runGit(['clone', '--mirror', '--quiet', url, dir], { env });
  } else {
    await runGit(['--git-dir', dir, 'fetch', '--prune', '--quiet', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], { env });
  }
  return dir;
}
