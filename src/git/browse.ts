import { PlinthError } from '../core/errors.js';
import { GitError, runGit } from './run-git.js';

/**
 * Reading a repository's history and files with git plumbing (for-each-ref, log, ls-tree,
 * cat-file), the way a repository browser needs them. Every ref and path from a request is
 * checked here first: a ref never starts with `-` (it would be read as an option) and a path
 * never leaves the tree.
 */

export interface CommitSummary {
  sha: string;
  author: string;
  email: string;
  date: string;
  subject: string;
}

export interface BranchSummary {
  name: string;
  sha: string;
  lastCommit: CommitSummary;
}

export type TreeEntryType = 'blob' | 'tree' | 'symlink' | 'submodule';

export interface TreeEntry {
  name: string;
  /** From the root of the repository. */
  path: string;
  type: TreeEntryType;
  /** Bytes, for blobs and symlinks. */
  size?: number;
  /** The newest commit that changed the entry, when it was found within the searched history. */
  lastCommit?: CommitSummary;
}

export interface BlobContent {
  path: string;
  type: 'blob' | 'symlink';
  size: number;
  /** Holds a NUL byte in its first 8000 bytes, as git decides. `content` is then empty. */
  binary: boolean;
  /** Only the first `maxBytes` were read. */
  truncated: boolean;
  content: string;
}

// Git's own rules (git check-ref-format) plus: no leading '-', which would turn a ref into an option.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const REF_PATTERN = /^(?!-)(?!.*\.\.)(?!.*@\{)(?!.*\/\/)(?!.*\/\.)(?!\.)[^\s~^:?*[\\\x00-\x1f\x7f]+(?<![./])(?<!\.lock)$/;

/** Throws REPOSITORY_REF_INVALID unless `ref` is a name git could store (or a commit id). */
export function assertSafeRef(ref: string): string {
  if (ref.length === 0 || ref.length > 255 || !REF_PATTERN.test(ref)) {
    throw new PlinthError('REPOSITORY_REF_INVALID', `'${ref}' is not a branch, tag or commit name (no leading '-', no '..', spaces or control characters)`, {
      location: { field: 'ref' },
    });
  }
  return ref;
}

/** A path inside the tree, without leading or trailing slashes; '' is the root. Throws REPOSITORY_PATH_INVALID for `..`, absolute paths and control characters. */
export function normalizeTreePath(raw: string | undefined): string {
  const trimmed = (raw ?? '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  const segments = trimmed.split('/');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (trimmed.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..') || /[\x00-\x1f\x7f]/.test(trimmed)) {
    throw new PlinthError('REPOSITORY_PATH_INVALID', `'${raw}' is not a path inside the repository (relative, no '.' or '..' segments)`, { location: { field: 'path' } });
  }
  return trimmed;
}

/** The commit a (checked) ref names; REPOSITORY_REF_NOT_FOUND when there is none. */
export async function resolveCommit(gitDir: string, ref: string): Promise<string> {
  assertSafeRef(ref);
  try {
    return (await runGit(['--literal-pathspecs', '--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).toString('utf8').trim();
  } catch (error) {
    if (error instanceof GitError) throw new PlinthError('REPOSITORY_REF_NOT_FOUND', `no branch, tag or commit '${ref}'`, { location: { field: 'ref' } });
    throw error;
  }
}

const COMMIT_FORMAT = '%H%x1f%an%x1f%ae%x1f%aI%x1f%s';

function parseCommit(record: string): CommitSummary {
  const [sha, author, email, date, subject] = record.split('\x1f') as [string, string, string, string, string];
  return { sha, author, email, date, subject };
}

export async function listBranches(gitDir: string): Promise<BranchSummary[]> {
  const format = '%(refname:strip=2)%1f%(objectname)%1f%(authorname)%1f%(authoremail:trim)%1f%(authordate:iso-strict)%1f%(contents:subject)';
  const out = (await runGit(['--literal-pathspecs', '--git-dir', gitDir, 'for-each-ref', '--sort=-committerdate', `--format=${format}`, 'refs/heads/'])).toString('utf8');
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, sha, author, email, date, subject] = line.split('\x1f') as [string, string, string, string, string, string];
      return { name, sha, lastCommit: { sha, author, email, date, subject } };
    });
}

export interface CommitPage {
  items: CommitSummary[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/**
 * Commits reachable from `commit`, newest first, optionally only those touching `path`.
 * The cursor is the number of commits already seen (history is immutable below a commit id,
 * so it stays valid when the caller pages on the same commit).
 */
export async function listCommits(gitDir: string, commit: string, options: { path?: string; limit: number; cursor?: string }): Promise<CommitPage> {
  const skip = options.cursor ? Number(options.cursor) : 0;
  if (!Number.isSafeInteger(skip) || skip < 0) throw new PlinthError('REQUEST_INVALID', `cursor '${options.cursor}' is not one this API gave out`, { location: { field: 'cursor' } });
  const path = normalizeTreePath(options.path);
  const out = (
    await runGit(['--literal-pathspecs', '--git-dir', gitDir, 'log', `--skip=${skip}`, `-n${options.limit + 1}`, `--format=${COMMIT_FORMAT}%x1e`, commit, '--', ...(path ? [path] : [])])
  ).toString('utf8');
  const commits = out
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map(parseCommit);
  const items = commits.slice(0, options.limit);
  return commits.length > options.limit ? { items, nextCursor: String(skip + options.limit) } : { items };
}

const TYPES: Record<string, TreeEntryType> = { '040000': 'tree', '100644': 'blob', '100755': 'blob', '120000': 'symlink', '160000': 'submodule' };

/** What a path at a commit is: its mode and object, or undefined when there is nothing there. */
async function describePath(gitDir: string, commit: string, path: string): Promise<{ type: TreeEntryType; size?: number } | undefined> {
  if (path === '') return { type: 'tree' };
  const slash = path.lastIndexOf('/');
  const parent = slash < 0 ? commit : `${commit}:${path.slice(0, slash)}`;
  let out: string;
  try {
    out = (await runGit(['--literal-pathspecs', '--git-dir', gitDir, 'ls-tree', '-z', '-l', '--end-of-options', parent, '--', path.slice(slash + 1)])).toString('utf8');
  } catch {
    return undefined;
  }
  const entry = parseTreeEntries(out, path.slice(0, Math.max(slash, 0)))[0];
  return entry && { type: entry.type, size: entry.size };
}

function parseTreeEntries(out: string, dir: string): TreeEntry[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, , , size] = line.slice(0, tab).split(/ +/) as [string, string, string, string];
      const name = line.slice(tab + 1);
      const type = TYPES[mode] ?? 'blob';
      return { name, path: dir ? `${dir}/${name}` : name, type, ...(size !== '-' && size !== undefined ? { size: Number(size) } : {}) };
    });
}

/**
 * The entries of the directory at `path` (directories first, then by name), each with the
 * newest commit that touched it among the last `historyLimit` commits of that directory.
 */
export async function readTree(gitDir: string, commit: string, rawPath: string | undefined, historyLimit = 1000): Promise<TreeEntry[]> {
  const path = normalizeTreePath(rawPath);
  const found = await describePath(gitDir, commit, path);
  if (!found) throw new PlinthError('REPOSITORY_PATH_NOT_FOUND', `no '${path}' at ${commit.slice(0, 12)}`, { location: { field: 'path' } });
  if (found.type !== 'tree') throw new PlinthError('REPOSITORY_PATH_NOT_FOUND', `'${path}' is a file, not a directory`, { location: { field: 'path' } });
  const out = (await runGit(['--literal-pathspecs', '--git-dir', gitDir, 'ls-tree', '-z', '-l', '--end-of-options', path ? `${commit}:${path}` : commit])).toString('utf8');
  const entries = parseTreeEntries(out, path);
  await addLastCommits(gitDir, commit, path, entries, historyLimit);
  return entries.sort((a, b) => (a.type === 'tree') === (b.type === 'tree') ? a.name.localeCompare(b.name) : a.type === 'tree' ? -1 : 1);
}

/** One `git log --name-only` over the directory, walked until every entry has its newest commit. */
async function addLastCommits(gitDir: string, commit: string, dir: string, entries: TreeEntry[], historyLimit: number): Promise<void> {
  const byName = new Map(entries.map((e) => [e.name, e]));
  let missing = byName.size;
  const out = (
    await runGit(['--literal-pathspecs', '--git-dir', gitDir, 'log', '-z', '--name-only', `-n${historyLimit}`, `--format=%x1e${COMMIT_FORMAT}`, commit, '--', ...(dir ? [dir] : [])])
  ).toString('utf8');
  for (const record of out.split('\x1e')) {
    if (missing === 0) break;
    const headerEnd = record.indexOf('\0');
    if (headerEnd < 0) continue;
    const summary = parseCommit(record.slice(0, headerEnd));
    for (const file of record.slice(headerEnd + 1).split('\0')) {
      const relative = dir ? file.trim().slice(dir.length + 1) : file.trim();
      const entry = byName.get(relative.split('/')[0]!);
      if (entry && !entry.lastCommit) {
        entry.lastCommit = summary;
        missing--;
      }
    }
  }
}

/** Reads the file at `path`: text up to `maxBytes`, or only its size for binary files. */
export async function readBlob(gitDir: string, commit: string, rawPath: string, maxBytes = 1024 * 1024): Promise<BlobContent> {
  const path = normalizeTreePath(rawPath);
  const found = path ? await describePath(gitDir, commit, path) : undefined;
  if (!found) throw new PlinthError('REPOSITORY_PATH_NOT_FOUND', `no file '${path}' at ${commit.slice(0, 12)}`, { location: { field: 'path' } });
  if (found.type !== 'blob' && found.type !== 'symlink') throw new PlinthError('REPOSITORY_PATH_NOT_FOUND', `'${path}' is a ${found.type === 'tree' ? 'directory' : found.type}, not a file`, { location: { field: 'path' } });
  const data = await runGit(['--literal-pathspecs', '--git-dir', gitDir, 'cat-file', 'blob', `${commit}:${path}`], { maxOutputBytes: maxBytes });
  const size = found.size ?? data.length;
  const binary = data.subarray(0, 8000).includes(0);
  return { path, type: found.type, size, binary, truncated: size > data.length, content: binary ? '' : data.toString('utf8') };
}

const README_NAMES = ['readme.md', 'readme.markdown', 'readme', 'readme.txt', 'readme.rst'];

/** The README of the directory at `path` (README.md preferred), or undefined when it has none. */
export async function readReadme(gitDir: string, commit: string, rawPath: string | undefined, maxBytes?: number): Promise<BlobContent | undefined> {
  const path = normalizeTreePath(rawPath);
  const out = (await runGit(['--literal-pathspecs', '--git-dir', gitDir, 'ls-tree', '-z', '-l', '--end-of-options', path ? `${commit}:${path}` : commit]).catch(() => Buffer.alloc(0))).toString('utf8');
  const files = parseTreeEntries(out, path).filter((e) => e.type === 'blob');
  const readme = README_NAMES.map((name) => files.find((f) => f.name.toLowerCase() === name)).find(Boolean);
  return readme && readBlob(gitDir, commit, readme.path, maxBytes);
}
