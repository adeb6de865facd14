import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PlinthError } from '../../core/errors.js';
import { globToRegExp } from '../../core/glob.js';
import { renderTemplateString } from '../render.js';
import type { ScaffolderAction } from '../scaffolder-action.js';
import { fetchSource, type TemplateSourceAccess } from '../template-source.js';
import { resolveInside } from '../workspace-path.js';

interface SkeletonFile {
  /** Path in the skeleton, `/`-separated. */
  relative: string;
  absolute: string;
  mode: number;
}

/** Every file of a fetched tree; a symbolic link anywhere is refused. */
async function listSkeleton(root: string): Promise<SkeletonFile[]> {
  const files: SkeletonFile[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const absolute = path.join(dir, entry.name);
      const relative = path.relative(root, absolute).split(path.sep).join('/');
      if (entry.isSymbolicLink()) throw new PlinthError('TEMPLATE_PATH_UNSAFE', `the skeleton holds a symbolic link '${relative}'; templates may only contain files and directories`);
      if (entry.isDirectory()) await walk(absolute);
      else if (entry.isFile()) files.push({ relative, absolute, mode: (await lstat(absolute)).mode & 0o777 });
    }
  };
  await walk(root);
  return files.sort((a, b) => a.relative.localeCompare(b.relative));
}

function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

interface WriteOptions {
  targetPath: string;
  values: Record<string, unknown>;
  /** undefined: copy verbatim (fetch:plain). */
  templating?: {
    cookiecutterCompat: boolean;
    copyWithoutTemplating: RegExp[];
    /** Only files with this extension are templated (and lose it). */
    extension?: string;
  };
  replace: boolean;
  /** Write this one file at targetPath itself (the :file actions). */
  singleFile?: SkeletonFile;
}

/** Renders (or copies) a fetched tree into the workspace; returns the paths written. */
async function writeIntoWorkspace(workspace: string, files: SkeletonFile[], options: WriteOptions, log: (message: string) => void): Promise<string[]> {
  const written: string[] = [];
  const syntax = options.templating?.cookiecutterCompat ? 'cookiecutter' : 'scaffolder';
  const context = options.templating?.cookiecutterCompat ? { cookiecutter: options.values, values: options.values } : { values: options.values };
  for (const file of files) {
    const templating = options.templating;
    const hasExtension = templating?.extension ? file.relative.endsWith(templating.extension) : true;
    const renderContent = Boolean(templating) && hasExtension && !templating!.copyWithoutTemplating.some((glob) => glob.test(file.relative));
    let relative = file.relative;
    if (templating) {
      if (templating.extension && hasExtension) relative = relative.slice(0, -templating.extension.length);
      relative = renderTemplateString(relative, context, { what: `file name '${file.relative}'` }, syntax);
      // A name that renders empty (`${{ values.withDocs and 'docs' }}/…`) leaves the file out, as in Backstage.
      if (relative.split('/').some((segment) => segment.trim() === '')) {
        log(`skipping ${file.relative}: its name renders empty`);
        continue;
      }
    }
    const destinationRelative = options.singleFile ? options.targetPath : path.posix.join(options.targetPath, relative);
    const destination = await resolveInside(workspace, destinationRelative, `file '${destinationRelative}' (from '${file.relative}')`);
    if (!options.replace && (await lstat(destination).catch(() => undefined))) {
      log(`skipping ${destinationRelative}: it exists and replace is false`);
      continue;
    }
    const raw = await readFile(file.absolute);
    const content = renderContent && !isBinary(raw) ? renderTemplateString(raw.toString('utf8'), context, { what: `skeleton file ${file.relative}`, location: { file: file.relative, line: 1, column: 1 } }, syntax) : raw;
    await mkdir(path.dirname(destination), { recursive: true });
    await writeFile(destination, content, { mode: file.mode });
    written.push(path.relative(workspace, destination));
  }
  return written;
}

const valuesSchema = { type: 'object', description: 'Values the skeleton sees as ${{ values.* }}' };
const urlSchema = { type: 'string', description: "Relative to the template's location (./skeleton), or a git URL <repo>.git/tree/<branch>/<path>" };

function globs(list: unknown, field: string): RegExp[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || list.some((g) => typeof g !== 'string')) throw new PlinthError('TEMPLATE_INPUT_INVALID', `${field} must be a list of glob patterns`);
  return (list as string[]).map((glob) => globToRegExp(glob.replace(/^\.\//, '')));
}

export function createFetchActions(access: TemplateSourceAccess): ScaffolderAction[] {
  const fetchTemplate: ScaffolderAction<{
    url: string;
    targetPath?: string;
    values?: Record<string, unknown>;
    copyWithoutRender?: string[];
    copyWithoutTemplating?: string[];
    cookiecutterCompat?: boolean;
    templateFileExtension?: string | boolean;
    replace?: boolean;
  }> = {
    id: 'fetch:template',
    description: 'Renders a skeleton directory with the template values into the workspace (file names too).',
    supportsDryRun: true,
    schema: {
      input: {
        type: 'object',
        required: ['url'],
        properties: {
          url: urlSchema,
          targetPath: { type: 'string', description: 'Directory in the workspace to write to', default: './' },
          values: valuesSchema,
          copyWithoutRender: { type: 'array', items: { type: 'string' }, description: 'Deprecated name of copyWithoutTemplating' },
          copyWithoutTemplating: { type: 'array', items: { type: 'string' }, description: 'Globs of files copied without rendering their contents' },
          cookiecutterCompat: { type: 'boolean', description: 'Use {{ cookiecutter.x }} syntax' },
          templateFileExtension: { type: ['string', 'boolean'], description: 'Only files with this extension (true: .njk) are rendered; it is removed' },
          replace: { type: 'boolean', description: 'Overwrite files that exist in the workspace' },
        },
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      if (input.copyWithoutRender && input.copyWithoutTemplating) throw new PlinthError('TEMPLATE_INPUT_INVALID', 'give copyWithoutTemplating or copyWithoutRender, not both');
      const fetched = await fetchSource(ctx.templateInfo, input.url, await ctx.createTemporaryDirectory(), access);
      const extension = input.templateFileExtension === true ? '.njk' : input.templateFileExtension || undefined;
      ctx.log(`fetching template from ${input.url}`);
      const written = await writeIntoWorkspace(
        ctx.workspacePath,
        await listSkeleton(fetched),
        {
          targetPath: input.targetPath ?? './',
          values: input.values ?? {},
          templating: { cookiecutterCompat: Boolean(input.cookiecutterCompat), copyWithoutTemplating: globs(input.copyWithoutTemplating ?? input.copyWithoutRender, 'copyWithoutTemplating'), extension: extension ? (extension.startsWith('.') ? extension : `.${extension}`) : undefined },
          replace: Boolean(input.replace),
        },
        ctx.log,
      );
      ctx.log(`rendered ${written.length} file(s)`);
    },
  };

  const fetchTemplateFile: ScaffolderAction<{ url: string; targetPath: string; values?: Record<string, unknown>; cookiecutterCompat?: boolean; replace?: boolean }> = {
    id: 'fetch:template:file',
    description: 'Renders one template file with the template values into the workspace.',
    supportsDryRun: true,
    schema: {
      input: {
        type: 'object',
        required: ['url', 'targetPath'],
        properties: { url: urlSchema, targetPath: { type: 'string' }, values: valuesSchema, cookiecutterCompat: { type: 'boolean' }, replace: { type: 'boolean' } },
      },
    },
    async handler(ctx) {
      const file = await fetchSource(ctx.templateInfo, ctx.input.url, await ctx.createTemporaryDirectory(), access, true);
      const skeleton = { relative: path.basename(file), absolute: file, mode: (await lstat(file)).mode & 0o777 };
      await writeIntoWorkspace(
        ctx.workspacePath,
        [skeleton],
        { targetPath: ctx.input.targetPath, values: ctx.input.values ?? {}, templating: { cookiecutterCompat: Boolean(ctx.input.cookiecutterCompat), copyWithoutTemplating: [] }, replace: Boolean(ctx.input.replace), singleFile: skeleton },
        ctx.log,
      );
    },
  };

  const fetchPlain: ScaffolderAction<{ url: string; targetPath?: string; replace?: boolean }> = {
    id: 'fetch:plain',
    description: 'Copies a directory into the workspace as it is.',
    supportsDryRun: true,
    schema: { input: { type: 'object', required: ['url'], properties: { url: urlSchema, targetPath: { type: 'string', default: './' }, replace: { type: 'boolean' } } } },
    async handler(ctx) {
      const fetched = await fetchSource(ctx.templateInfo, ctx.input.url, await ctx.createTemporaryDirectory(), access);
      const written = await writeIntoWorkspace(ctx.workspacePath, await listSkeleton(fetched), { targetPath: ctx.input.targetPath ?? './', values: {}, replace: Boolean(ctx.input.replace) }, ctx.log);
      ctx.log(`copied ${written.length} file(s)`);
    },
  };

  const fetchPlainFile: ScaffolderAction<{ url: string; targetPath: string; replace?: boolean }> = {
    id: 'fetch:plain:file',
    description: 'Copies one file into the workspace as it is.',
    supportsDryRun: true,
    schema: { input: { type: 'object', required: ['url', 'targetPath'], properties: { url: urlSchema, targetPath: { type: 'string' }, replace: { type: 'boolean' } } } },
    async handler(ctx) {
      const file = await fetchSource(ctx.templateInfo, ctx.input.url, await ctx.createTemporaryDirectory(), access, true);
      const skeleton = { relative: path.basename(file), absolute: file, mode: (await lstat(file)).mode & 0o777 };
      await writeIntoWorkspace(ctx.workspacePath, [skeleton], { targetPath: ctx.input.targetPath, values: {}, replace: Boolean(ctx.input.replace), singleFile: skeleton }, ctx.log);
    },
  };

  return [fetchTemplate, fetchTemplateFile, fetchPlain, fetchPlainFile];
}
