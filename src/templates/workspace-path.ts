import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { PlinthError } from '../core/errors.js';

/**
 * Resolves a path a template gave (targetPath, a rendered file name, fs:rename's `to`…) inside
 * a root directory. Absolute paths, `..` that leave the root, and paths through a symbolic
 * link are refused with TEMPLATE_PATH_UNSAFE: nothing a template renders can write outside
 * its task's workspace.
 */
export async function resolveInside(root: string, relative: string, what: string): Promise<string> {
  if (typeof relative !== 'string') throw new PlinthError('TEMPLATE_INPUT_INVALID', `${what} must be a path, got ${JSON.stringify(relative)}`);
  if (relative.includes('\0')) throw new PlinthError('TEMPLATE_PATH_UNSAFE', `${what} contains a NUL character`);
  if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative)) {
    throw new PlinthError('TEMPLATE_PATH_UNSAFE', `${what} '${relative}' is absolute; paths are relative to the task workspace`);
  }
  const resolved = path.resolve(root, relative);
  if (resolved !== root && !resolved.startsWith(`${root}${path.sep}`)) {
    throw new PlinthError('TEMPLATE_PATH_UNSAFE', `${what} '${relative}' leaves the task workspace`);
  }
  // Every existing parent must be a real directory (not a link that points elsewhere).
  let current = root;
  for (const segment of path.relative(root, resolved).split(path.sep).filter(Boolean)) {
    current = path.join(current, segment);
    const stats = await lstat(current).catch(() => undefined);
    if (!stats) break;
    if (stats.isSymbolicLink()) throw new PlinthError('TEMPLATE_PATH_UNSAFE', `${what} '${relative}' goes through the symbolic link '${path.relative(root, current)}'`);
  }
  return resolved;
}

