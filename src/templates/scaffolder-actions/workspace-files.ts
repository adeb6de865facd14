import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PlinthError } from '../../core/errors.js';
import type { ScaffolderAction } from '../scaffolder-action.js';
import { resolveInside } from '../workspace-path.js';

/** fs:rename, fs:delete, fs:read: file operations inside the task workspace. */
export function createWorkspaceFileActions(): ScaffolderAction[] {
  const renameFiles: ScaffolderAction<{ files: Array<{ from: string; to: string; overwrite?: boolean }> }> = {
    id: 'fs:rename',
    description: 'Renames files or directories in the workspace.',
    supportsDryRun: true,
    schema: {
      input: {
        type: 'object',
        required: ['files'],
        properties: { files: { type: 'array', items: { type: 'object', required: ['from', 'to'], properties: { from: { type: 'string' }, to: { type: 'string' }, overwrite: { type: 'boolean' } } } } },
      },
    },
    async handler(ctx) {
      if (!Array.isArray(ctx.input.files)) throw new PlinthError('TEMPLATE_INPUT_INVALID', 'files must be a list of { from, to }');
      for (const [index, file] of ctx.input.files.entries()) {
        const from = await resolveInside(ctx.workspacePath, file.from, `files[${index}].from`);
        const to = await resolveInside(ctx.workspacePath, file.to, `files[${index}].to`);
        if (!(await lstat(from).catch(() => undefined))) throw new PlinthError('TEMPLATE_INPUT_INVALID', `files[${index}].from: '${file.from}' does not exist in the workspace`);
        if (!file.overwrite && (await lstat(to).catch(() => undefined))) throw new PlinthError('TEMPLATE_INPUT_INVALID', `files[${index}].to: '${file.to}' exists; set overwrite: true to replace it`);
        await mkdir(path.dirname(to), { recursive: true });
        if (file.overwrite) await rm(to, { recursive: true, force: true });
        await rename(from, to);
        ctx.log(`renamed ${file.from} to ${file.to}`);
      }
    },
  };

  const deleteFiles: ScaffolderAction<{ files: string[] }> = {
    id: 'fs:delete',
    description: 'Deletes files or directories from the workspace.',
    supportsDryRun: true,
    schema: { input: { type: 'object', required: ['files'], properties: { files: { type: 'array', items: { type: 'string' } } } } },
    async handler(ctx) {
      if (!Array.isArray(ctx.input.files)) throw new PlinthError('TEMPLATE_INPUT_INVALID', 'files must be a list of paths');
      for (const [index, file] of ctx.input.files.entries()) {
        const target = await resolveInside(ctx.workspacePath, file, `files[${index}]`);
        if (target === ctx.workspacePath) throw new PlinthError('TEMPLATE_PATH_UNSAFE', `files[${index}]: deleting the whole workspace is not allowed`);
        await rm(target, { recursive: true, force: true });
        ctx.log(`deleted ${file}`);
      }
    },
  };

  const readWorkspaceFile: ScaffolderAction<{ path: string }> = {
    id: 'fs:read',
    description: 'Reads a file of the workspace; its text is the output `content`.',
    supportsDryRun: true,
    schema: {
      input: { type: 'object', required: ['path'], properties: { path: { type: 'string' } } },
      output: { type: 'object', properties: { content: { type: 'string' } } },
    },
    async handler(ctx) {
      const file = await resolveInside(ctx.workspacePath, ctx.input.path, 'path');
      const content = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new PlinthError('TEMPLATE_INPUT_INVALID', `path: cannot read '${ctx.input.path}' in the workspace: ${error.code ?? error.message}`);
      });
      ctx.output('content', content);
    },
  };

  return [renameFiles, deleteFiles, readWorkspaceFile];
}

/** debug:log and debug:wait. */
export function createDebugActions(): ScaffolderAction[] {
  const debugLog: ScaffolderAction<{ message?: string; listWorkspace?: boolean | 'with-filenames' | 'with-contents' }> = {
    id: 'debug:log',
    description: 'Writes a message (and optionally the workspace file list) to the task log.',
    supportsDryRun: true,
    schema: { input: { type: 'object', properties: { message: { type: 'string' }, listWorkspace: { type: ['boolean', 'string'], enum: [true, false, 'with-filenames', 'with-contents'] } } } },
    async handler(ctx) {
      if (ctx.input.message !== undefined) ctx.log(typeof ctx.input.message === 'string' ? ctx.input.message : JSON.stringify(ctx.input.message));
      if (ctx.input.listWorkspace) {
        const entries = await readdir(ctx.workspacePath, { recursive: true, withFileTypes: true });
        for (const entry of entries.filter((e) => e.isFile())) {
          const relative = path.relative(ctx.workspacePath, path.join(entry.parentPath, entry.name));
          ctx.log(ctx.input.listWorkspace === 'with-contents' ? `${relative}:\n${await readFile(path.join(ctx.workspacePath, relative), 'utf8')}` : relative);
        }
      }
    },
  };

  const debugWait: ScaffolderAction<{ seconds?: number; minutes?: number; milliseconds?: number }> = {
    id: 'debug:wait',
    description: 'Waits for a while (at most 10 minutes); stops early when the task is cancelled.',
    supportsDryRun: true,
    schema: { input: { type: 'object', properties: { milliseconds: { type: 'number' }, seconds: { type: 'number' }, minutes: { type: 'number' } } } },
    async handler(ctx) {
      const ms = (ctx.input.milliseconds ?? 0) + (ctx.input.seconds ?? 0) * 1000 + (ctx.input.minutes ?? 0) * 60_000;
      if (ms > 600_000) throw new PlinthError('TEMPLATE_INPUT_INVALID', 'debug:wait waits at most 10 minutes');
      ctx.log(`waiting ${ms} ms`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('cancelled'));
        }, { once: true });
      });
    },
  };
  return [debugLog, debugWait];
}
