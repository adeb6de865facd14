import { spawn } from 'node:child_process';
import { cp, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { GitCredentialConfig } from '../core/config.js';
import { PlinthError } from '../core/errors.js';
import { resolveRevision, syncMirror } from '../git/read-tree.js';
import { runGit } from '../git/run-git.js';
import type { TemplateInfo } from './scaffolder-action.js';

/** How fetch actions reach git repositories: Plinth's own on disk, others through a mirror. */
export interface TemplateSourceAccess {
  /** The bare repository behind a clone URL of this Plinth, if it is one. */
  localRepository(url: string): string | undefined;
  /** Where mirrors of remote repositories are kept. */
  cacheDir: string;
  /** A token for a git URL (by URL prefix), if configured. */
  /** Config `git.credentials`, for templates in remote git repositories. */
  gitCredentials: readonly GitCredentialConfig[];
}

const GIT_BLOB = /^(.+?\.git)\/(?:blob|tree)\/([^/]+)(?:\/(.*))?$/;

/** Where a fetch URL points: a local path, or a path in a git repository. */
type ResolvedSource = { kind: 'file'; path: string } | { kind: 'git'; repo: string; ref: string; path: string };

/**
 * Resolves a fetch action's `url` against the template's own location, as Backstage's
 * UrlReader does: `./skeleton` next to template.yaml (a file, or a file in a git repository),
 * or an absolute git URL `<repo>.git[/tree/<branch>/<path>]`.
 */
export function resolveSourceUrl(info: TemplateInfo, url: string): ResolvedSource {
  if (typeof url !== 'string' || !url) throw new PlinthError('TEMPLATE_INPUT_INVALID', 'url must be a non-empty string');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    if (url.startsWith('file://')) return { kind: 'file', path: new URL(url).pathname };
    const git = GIT_BLOB.exec(url);
    if (git) return { kind: 'git', repo: git[1]!, ref: git[2]!, path: path.posix.normalize(git[3] ?? '.') };
    if (/\.git\/?$/.test(url)) return { kind: 'git', repo: url.replace(/\/$/, ''), ref: 'HEAD', path: '.' };
    throw new PlinthError('TEMPLATE_INPUT_INVALID', `url ${url} is not a git repository URL; use <repo>.git or <repo>.git/tree/<branch>/<path>`);
  }
  const source = info.source;
  if (!source) throw new PlinthError('TEMPLATE_INPUT_INVALID', `url '${url}' is relative, but template ${info.entityRef} has no location to resolve it against`);
  const git = GIT_BLOB.exec(source);
  if (git) {
    const inRepo = path.posix.normalize(path.posix.join(path.posix.dirname(git[3] ?? 'template.yaml'), url));
    if (inRepo.startsWith('..')) throw new PlinthError('TEMPLATE_PATH_UNSAFE', `url '${url}' leaves the repository of template ${info.entityRef}`);
    return { kind: 'git', repo: git[1]!, ref: git[2]!, path: inRepo };
  }
  if (/^https?:\/\//.test(source)) {
    throw new PlinthError('TEMPLATE_INPUT_INVALID', `template ${info.entityRef} was registered from ${source}; a plain URL has no directory to fetch '${url}' from (register it from a git repository or a file)`);
  }
  return { kind: 'file', path: path.resolve(path.dirname(source), url) };
}

function extractTar(archive: Buffer, destination: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-x', '-f', '-', '-C', destination], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar failed: ${stderr.trim()}`))));
    child.stdin.end(archive);
  });
}

/**
 * Copies what `url` points at (a directory, or one file when `single`) into destination, a
 * fresh directory. Symbolic links come along as links; callers refuse them when they walk.
 */
export async function fetchSource(info: TemplateInfo, url: string, destination: string, access: TemplateSourceAccess, single = false): Promise<string> {
  const source = resolveSourceUrl(info, url);
  await mkdir(destination, { recursive: true });
  if (source.kind === 'file') {
    const stats = await stat(source.path).catch(() => undefined);
    if (!stats) throw new PlinthError('TEMPLATE_SOURCE_UNREADABLE', `cannot fetch '${url}': ${source.path} does not exist`);
    if (single !== stats.isFile()) throw new PlinthError('TEMPLATE_SOURCE_UNREADABLE', `cannot fetch '${url}': ${source.path} is ${stats.isFile() ? 'a file; use the :file variant of the action' : 'a directory'}`);
    const target = single ? path.join(destination, path.basename(source.path)) : destination;
    await cp(source.path, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: false });
    return target;
  }
  let gitDir: string;
  try {
    gitDir = access.localRepository(source.repo) ?? (await syncMirror(source.repo, access.cacheDir, access.gitCredentials));
  } catch (error) {
    throw new PlinthError('TEMPLATE_SOURCE_UNREADABLE', `cannot fetch '${url}': ${source.repo} is unreadable: ${(error as Error).message}`, { cause: error });
  }
  const commit = await resolveRevision(gitDir, source.ref);
  if (!commit) throw new PlinthError('TEMPLATE_SOURCE_UNREADABLE', `cannot fetch '${url}': ${source.repo} has no branch or revision '${source.ref}'`);
  let archive: Buffer;
  try {
    // A file is taken with its path (`git archive <commit>:<file>` is refused); a directory as its tree.
    archive = await runGit(['--git-dir', gitDir, 'archive', '--format=tar', ...(single ? [commit, '--', source.path] : [source.path === '.' ? commit : `${commit}:${source.path}`])]);
  } catch (error) {
    throw new PlinthError('TEMPLATE_SOURCE_UNREADABLE', `cannot fetch '${url}': no '${source.path}' in ${source.repo} at ${source.ref}`, { cause: error });
  }
  await extractTar(archive, destination);
  if (!single) return destination;
  const file = path.join(destination, source.path);
  if (!(await stat(file)).isFile()) throw new PlinthError('TEMPLATE_SOURCE_UNREADABLE', `cannot fetch '${url}': ${source.path} is a directory`);
  return file;
}
