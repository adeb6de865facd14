import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { GitCredentialConfig } from '../core/config.js';
import { PlinthError } from '../core/errors.js';
import { globToRegExp } from '../core/glob.js';
import { listTreeFiles, readTreeFiles, resolveRevision, syncMirror } from '../git/read-tree.js';

/** A catalog file read from a location: `path` identifies it within the location (and in errors). */
export interface LocationFile {
  path: string;
  content: string;
}

/** Reads a file next to another one of the same location (Location targets, `$text`…). */
export type ReadRelative = (fromPath: string, relative: string) => Promise<string>;

export interface LocationContents {
  files: LocationFile[];
  /** Turns a relative target found in one of the files into a location target of its own. */
  resolveTarget(fromPath: string, target: string): string;
  readRelative: ReadRelative;
}

export interface ReadLocationOptions {
  /** Where mirrors of remote git repositories are kept. */
  cacheDir: string;
  /** Credentials for remote git hosts (config `git.credentials`). */
  gitCredentials?: readonly GitCredentialConfig[];
  /** The local bare repository behind a git URL, when Plinth hosts it. */
  localRepository?: (url: string) => string | undefined;
}

const GLOB_CHARS = /[*?[{]/;

/** Parses a git location target: `<repo>.git[/blob|tree/<branch>[/<path or glob>]]`. */
export function parseGitTarget(target: string): { repo: string; branch: string; path: string } | undefined {
  const match = /^(.+?\.git)(?:\/(?:blob|tree)\/([^/]+)(?:\/(.+))?)?\/?$/.exec(target);
  if (!match) return undefined;
  return { repo: match[1]!, branch: match[2] ?? 'HEAD', path: match[3] ?? 'catalog-info.yaml' };
}

function unreadable(target: string, reason: string, cause?: unknown): PlinthError {
  return new PlinthError('CATALOG_LOCATION_UNREADABLE', `cannot read ${target}: ${reason}`, { cause });
}

/** Reads the catalog files of a location: a file (or glob), a URL, or a path (or glob) in a git repository. */
export async function readLocation(type: string, target: string, options: ReadLocationOptions): Promise<LocationContents> {
  if (type === 'file') return readFileLocation(target);
  if (type !== 'url') throw new PlinthError('REQUEST_INVALID', `location type '${type}' is not supported; use file or url`, { location: { field: '/body/type' } });
  const git = parseGitTarget(target);
  if (git) return readGitLocation(git, options);
  if (target.startsWith('file://')) return readFileLocation(new URL(target).pathname);
  return readUrlLocation(target);
}

async function readFileLocation(target: string): Promise<LocationContents> {
  const absolute = path.resolve(target);
  const readRelative: ReadRelative = async (fromPath, relative) => {
    const file = path.resolve(path.dirname(fromPath), relative);
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw unreadable(file, (error as NodeJS.ErrnoException).code ?? String(error), error);
    }
  };
  const resolveTarget = (fromPath: string, relative: string) => (path.isAbsolute(relative) ? relative : path.resolve(path.dirname(fromPath), relative));
  if (!GLOB_CHARS.test(absolute)) {
    try {
      return { files: [{ path: absolute, content: await readFile(absolute, 'utf8') }], resolveTarget, readRelative };
    } catch (error) {
      throw unreadable(absolute, (error as NodeJS.ErrnoException).code ?? String(error), error);
    }
  }
  const segments = absolute.split('/');
  const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
  const root = segments.slice(0, firstGlob).join('/') || '/';
  const pattern = globToRegExp(segments.slice(firstGlob).join('/'));
  const files: LocationFile[] = [];
  const walk = async (dir: string) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === root) throw unreadable(root, (error as NodeJS.ErrnoException).code ?? String(error), error);
      return;
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (pattern.test(path.relative(root, full))) files.push({ path: full, content: await readFile(full, 'utf8') });
    }
  };
  if (!(await stat(root).catch(() => undefined))) throw unreadable(root, 'no such directory');
  await walk(root);
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { files, resolveTarget, readRelative };
}

async function readUrlLocation(target: string): Promise<LocationContents> {
  const fetchText = async (url: string) => {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw unreadable(url, String((error as Error).cause ?? (error as Error).message), error);
    }
    if (!response.ok) throw unreadable(url, `HTTP ${response.status}`);
    return response.text();
  };
  return {
    files: [{ path: target, content: await fetchText(target) }],
    resolveTarget: (fromPath, relative) => new URL(relative, fromPath).toString(),
    readRelative: (fromPath, relative) => fetchText(new URL(relative, fromPath).toString()),
  };
}

async function readGitLocation(git: { repo: string; branch: string; path: string }, options: ReadLocationOptions): Promise<LocationContents> {
  let gitDir: string;
  try {
    gitDir = options.localRepository?.(git.repo) ?? (await syncMirror(git.repo, options.cacheDir, options.gitCredentials));
  } catch (error) {
    throw unreadable(git.repo, (error as Error).message, error);
  }
  const commit = await resolveRevision(gitDir, git.branch);
  if (!commit) throw unreadable(git.repo, `no branch or revision '${git.branch}'`);
  const all = await listTreeFiles(gitDir, commit);
  const wanted = GLOB_CHARS.test(git.path) ? all.filter((p) => globToRegExp(git.path).test(p)) : all.filter((p) => p === git.path);
  if (!GLOB_CHARS.test(git.path) && wanted.length === 0) throw unreadable(`${git.repo} ${git.branch}:${git.path}`, 'no such file');
  const contents = await readTreeFiles(gitDir, commit, wanted);
  const urlOf = (repoPath: string) => `${git.repo}/blob/${git.branch}/${repoPath}`;
  const repoPathOf = (fromPath: string, relative: string) => path.posix.normalize(path.posix.join(path.posix.dirname(fromPath.slice(`${git.repo}/blob/${git.branch}/`.length)), relative));
  return {
    files: wanted.map((p) => ({ path: urlOf(p), content: contents.get(p)! })),
    resolveTarget: (fromPath, relative) => (/^[a-z]+:\/\//.test(relative) ? relative : urlOf(repoPathOf(fromPath, relative))),
    async readRelative(fromPath, relative) {
      const repoPath = repoPathOf(fromPath, relative);
      const found = (await readTreeFiles(gitDir, commit, [repoPath])).get(repoPath);
      if (found === undefined) throw unreadable(urlOf(repoPath), 'no such file');
      return found;
    },
  };
}
