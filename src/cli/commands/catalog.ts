import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { PlinthError, formatLocation, type ErrorLocation } from '../../core/errors.js';
import {
  createKindRegistry,
  entityRefOf,
  kindDefinitionFromEntity,
  parseCatalogFile,
  parseCatalogFileWithSubstitutions,
  KIND_DEFINITION_KIND,
  type KindDefinition,
  type KindRegistry,
} from '../../catalog/model/index.js';
import type { OutputFormat } from '../output.js';
import { registerCatalogServerCommands } from './catalog-server.js';

interface GlobalOptions {
  output: OutputFormat;
}

/**
 * The `plinth catalog` command group. Each subcommand is registered by its own function below;
 * `validate` works offline, the others (register, get, list, search, graph) talk to a server.
 */
export function registerCatalogCommands(program: Command): Command {
  const catalog = program.command('catalog').description('Work with the software catalog: validate descriptors offline; register, get, list, search and graph entities on a server');
  registerValidateCommand(catalog);
  registerCatalogServerCommands(catalog);
  return catalog;
}

function registerValidateCommand(catalog: Command): void {
  catalog
    .command('validate')
    .description(
      'Check catalog descriptor files offline (no server, no database): every error as file:line:column. ' +
        'Directories are searched recursively (skipping node_modules and .git) for *.yaml and *.yml files that have a top-level apiVersion: line; ' +
        'files named explicitly are always checked. KindDefinition entities among the files define kinds for the others. ' +
        'Relative $text/$json/$yaml placeholders are read; URL ones are left unchecked.',
    )
    .argument('<paths...>', 'catalog files or directories')
    .action(async (paths: string[], _options: unknown, command: Command) => {
      const format = command.optsWithGlobals<GlobalOptions>().output;
      const report = await validateCatalogPaths(paths);
      printValidationReport(report, format);
      if (report.files === 0 && report.errors.length === 0) {
        throw new PlinthError('CATALOG_FILE_INVALID', `no catalog files found in ${paths.join(', ')} (looked for *.yaml and *.yml files with a top-level apiVersion: line)`);
      }
      if (report.errors.length > 0) {
        throw new PlinthError('CATALOG_ENTITY_INVALID', `catalog validation failed: ${summarize(report)}`);
      }
    });
}

export interface CatalogValidationError {
  file: string;
  line?: number;
  column?: number;
  rule: string;
  message: string;
}

export interface CatalogValidationReport {
  /** Files checked. */
  files: number;
  entities: Array<{ ref: string; file: string; line?: number; column?: number }>;
  errors: CatalogValidationError[];
}

/**
 * Validates catalog files and directories the way the catalog would ingest them, offline. Two
 * passes: the first finds KindDefinition entities, the second checks every document against the
 * built-in kinds plus those. Entity refs defined twice (compared case-insensitively) are errors.
 */
export async function validateCatalogPaths(paths: string[], cwd = process.cwd()): Promise<CatalogValidationReport> {
  const errors: CatalogValidationError[] = [];
  const files = await collectCatalogFiles(paths, cwd, errors);

  const registry = buildRegistry(files, errors);
  const entities: CatalogValidationReport['entities'] = [];
  const firstDefinition = new Map<string, { file: string; line?: number }>();
  for (const file of files) {
    const parsed = await parseCatalogFileWithSubstitutions(file.text, file.display, registry, (target) => readPlaceholderTarget(file.absolute, target));
    for (const error of parsed.errors) errors.push({ ...at(error.location, file.display), rule: error.rule, message: error.message });
    for (const { entity, location } of parsed.entities) {
      const ref = entityRefOf(entity);
      const key = ref.toLowerCase();
      const earlier = firstDefinition.get(key);
      if (earlier) {
        errors.push({ ...at(location, file.display), rule: 'entity.duplicate', message: `${ref} is defined twice: also at ${earlier.file}:${earlier.line ?? 1}` });
        continue;
      }
      firstDefinition.set(key, { file: file.display, line: location.line });
      entities.push({ ref, ...at(location, file.display) });
    }
  }
  return { files: files.length, entities, errors: sortErrors(errors) };
}

interface CatalogFile {
  absolute: string;
  /** As printed: relative to the working directory when inside it. */
  display: string;
  text: string;
}

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);
const DESCRIPTOR_FILE = /\.ya?ml$/i;
const TOP_LEVEL_API_VERSION = /^apiVersion\s*:/m;

async function collectCatalogFiles(paths: string[], cwd: string, errors: CatalogValidationError[]): Promise<CatalogFile[]> {
  const found = new Map<string, CatalogFile>();
  const display = (absolute: string) => {
    const relative = path.relative(cwd, absolute);
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
  };
  const add = async (absolute: string, explicit: boolean) => {
    if (found.has(absolute)) return;
    let text: string;
    try {
      text = await readFile(absolute, 'utf8');
    } catch (error) {
      errors.push({ file: display(absolute), rule: 'file.unreadable', message: `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      return;
    }
    if (explicit || TOP_LEVEL_API_VERSION.test(text)) found.set(absolute, { absolute, display: display(absolute), text });
  };
  const walk = async (directory: string): Promise<void> => {
    const entries = await readdir(directory, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) await walk(full);
      } else if (entry.isFile() && DESCRIPTOR_FILE.test(entry.name)) {
        await add(full, false);
      }
    }
  };
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    let info;
    try {
      info = await stat(absolute);
    } catch {
      errors.push({ file: given, rule: 'file.unreadable', message: 'no such file or directory' });
      continue;
    }
    if (info.isDirectory()) await walk(absolute);
    else await add(absolute, true);
  }
  return [...found.values()];
}

/** The built-in kinds plus the valid KindDefinition entities among the files (the others are reported in the second pass). */
function buildRegistry(files: CatalogFile[], errors: CatalogValidationError[]): KindRegistry {
  const base = createKindRegistry();
  const custom: KindDefinition[] = [];
  for (const file of files) {
    for (const { entity, location } of parseCatalogFile(file.text, file.display, base).entities) {
      if (entity.kind !== KIND_DEFINITION_KIND) continue;
      try {
        const definition = kindDefinitionFromEntity(entity);
        createKindRegistry([...custom, definition]);
        custom.push(definition);
      } catch (error) {
        errors.push({ ...at(location, file.display), rule: 'kind.definition', message: (error as Error).message });
      }
    }
  }
  return custom.length > 0 ? createKindRegistry(custom) : base;
}

/** Relative placeholder targets are read next to the catalog file; URLs are not fetched offline. */
async function readPlaceholderTarget(catalogFile: string, target: string): Promise<string | undefined> {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  try {
    return await readFile(path.resolve(path.dirname(catalogFile), target), 'utf8');
  } catch (error) {
    throw new Error((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message, { cause: error });
  }
}

function at(location: ErrorLocation, file: string): { file: string; line?: number; column?: number } {
  return { file: location.file ?? file, ...(location.line !== undefined ? { line: location.line } : {}), ...(location.column !== undefined ? { column: location.column } : {}) };
}

function sortErrors(errors: CatalogValidationError[]): CatalogValidationError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => a.error.file.localeCompare(b.error.file) || (a.error.line ?? 0) - (b.error.line ?? 0) || (a.error.column ?? 0) - (b.error.column ?? 0) || a.index - b.index)
    .map(({ error }) => error);
}

function plural(count: number, word: string, plural = `${word}s`): string {
  return `${count} ${count === 1 ? word : plural}`;
}

function summarize(report: CatalogValidationReport): string {
  return `${plural(report.entities.length, 'entity', 'entities')} valid, ${plural(report.errors.length, 'error')} in ${plural(report.files, 'file')}`;
}

function printValidationReport(report: CatalogValidationReport, format: OutputFormat): void {
  if (format === 'json' || format === 'yaml') {
    const value = { ok: report.errors.length === 0, files: report.files, entities: report.entities, errors: report.errors };
    process.stdout.write(format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value));
    return;
  }
  for (const error of report.errors) process.stdout.write(`${formatLocation(error)}${error.message} [${error.rule}]\n`);
  process.stdout.write(`${summarize(report)}\n`);
}
