import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { PlinthError } from '../../core/errors.js';
import { parseYamlDocuments } from '../../core/yaml.js';
import { loadConfig } from '../../core/config.js';
import { dryRunTemplate, type DryRunResult } from '../../templates/dry-run.js';
import { createOfflineActions } from '../../templates/scaffolder-actions/builtin-actions.js';
import { TEMPLATE_API_VERSION, type TemplateEntity } from '../../templates/template-spec.js';
import { callApi, resolveServer, type ServerCredentials } from '../client.js';
import { bold, printRecords, type OutputFormat } from '../output.js';

interface GlobalOptions {
  server?: string;
  token?: string;
  output: OutputFormat;
}

function serverOf(command: Command): { server: ServerCredentials; output: OutputFormat } {
  const global = command.optsWithGlobals<GlobalOptions>();
  const server = resolveServer(global);
  if (!server) throw new PlinthError('CLI_SERVER_REQUIRED', 'this command talks to a Plinth server: pass --server <url>, set PLINTH_SERVER, or run plinth login', { location: { field: '--server' } });
  return { server, output: global.output };
}

/** A YAML (or JSON) file holding one mapping: --values, --secrets. */
async function readMapping(file: string | undefined, option: string): Promise<Record<string, unknown>> {
  if (!file) return {};
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PlinthError('TEMPLATE_VALUES_INVALID', `cannot read ${option} file ${file}: ${error.code ?? error.message}`, { location: { field: option } });
  });
  const value = parseYamlDocuments(text, file, 'TEMPLATE_VALUES_INVALID')[0]?.value ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PlinthError('TEMPLATE_VALUES_INVALID', `${file} must hold a mapping of names to values`, { location: { file, line: 1, column: 1 } });
  return value as Record<string, unknown>;
}

/** The Template entity in a file, with the positions of its values. */
async function readTemplateFile(file: string) {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PlinthError('TEMPLATE_INVALID', `cannot read ${file}: ${error.code ?? error.message}`, { location: { file } });
  });
  const document = parseYamlDocuments(text, file, 'TEMPLATE_INVALID').find((doc) => (doc.value as { kind?: string } | null)?.kind === 'Template');
  if (!document) throw new PlinthError('TEMPLATE_INVALID', `${file} holds no Template (apiVersion ${TEMPLATE_API_VERSION}, kind Template)`, { location: { file, line: 1, column: 1 } });
  return { entity: document.value as TemplateEntity, locate: (p: Array<string | number>) => document.locate(p) };
}

/** Every file under a directory, for the server's dry run (the template's skeletons). */
async function directoryContentsOf(dir: string): Promise<Array<{ path: string; base64Content: string }>> {
  const out: Array<{ path: string; base64Content: string }> = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || /(^|\/)(\.git|node_modules)\//.test(path.join(entry.parentPath, entry.name))) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.push({ path: path.relative(dir, full).split(path.sep).join('/'), base64Content: (await readFile(full)).toString('base64') });
  }
  return out;
}

function printDryRun(result: DryRunResult, format: OutputFormat): void {
  if (format !== 'table') {
    printRecords(format, result, [], []);
    return;
  }
  for (const line of result.log) process.stderr.write(`${line.body.stepId ? `[${line.body.stepId}] ` : ''}${line.body.message}\n`);
  process.stdout.write(`${bold('Files')} (${result.directoryContents.length})\n`);
  for (const file of result.directoryContents) process.stdout.write(`  ${file.path}${file.executable ? ' *' : ''}\n`);
  for (const file of result.directoryContents) {
    const content = Buffer.from(file.base64Content, 'base64');
    process.stdout.write(`\n${bold(`--- ${file.path}`)}\n`);
    process.stdout.write(content.subarray(0, 8000).includes(0) ? `(binary, ${content.length} bytes)\n` : `${content.toString('utf8').replace(/\n?$/, '\n')}`);
  }
  process.stdout.write(`\n${bold('Output')}\n${JSON.stringify(result.output, null, 2)}\n`);
}

interface TaskEvent {
  id: number;
  type: 'log' | 'completion' | 'cancelled';
  body: { message: string; stepId?: string; status?: string };
}

/** Follows a task's event stream, printing its log; resolves to its final status. */
async function followTask(server: ServerCredentials, taskId: string): Promise<string> {
  const response = await fetch(`${server.server}/api/scaffolder/v2/tasks/${encodeURIComponent(taskId)}/eventstream`, { headers: server.token ? { authorization: `Bearer ${server.token}` } : {} });
  if (!response.ok || !response.body) throw new PlinthError('CLI_REQUEST_FAILED', `cannot follow task ${taskId}: HTTP ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let status = 'processing';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (!data) continue;
      const event = JSON.parse(data.slice(6)) as TaskEvent;
      process.stderr.write(`${event.body.stepId ? `[${event.body.stepId}] ` : ''}${event.body.message}\n`);
      if (event.type !== 'log') status = event.body.status ?? event.type;
    }
  }
  return status;
}

/** `plinth template dry-run|run|list`. */
export function registerTemplateCommands(program: Command): void {
  const template = program.command('template').description('Software templates (Backstage scaffolder v1beta3): dry-run, run, list');

  template
    .command('dry-run')
    .description('Render a template file with values, with no side effects; prints the files it would create. Offline unless --remote.')
    .argument('<file>', 'template.yaml (its skeletons next to it)')
    .option('--values <file>', 'YAML or JSON file of parameter values')
    .option('--secrets <file>', 'YAML or JSON file of secrets (masked in the log)')
    .option('--remote', "use the server's dry-run endpoint (its configured actions) instead of running in this process")
    .option('--config <file>', 'plinth.yaml whose templates.actions (command actions) the offline dry run may use')
    .action(async (file: string, options: { values?: string; secrets?: string; remote?: boolean; config?: string }, command: Command) => {
      const { entity, locate } = await readTemplateFile(file);
      const values = await readMapping(options.values, '--values');
      const secrets = (await readMapping(options.secrets, '--secrets')) as Record<string, string>;
      const format = command.optsWithGlobals<GlobalOptions>().output;
      let result: DryRunResult;
      if (options.remote) {
        const { server } = serverOf(command);
        result = await callApi<DryRunResult>(server, 'POST', '/api/scaffolder/v2/dry-run', { template: entity, values, secrets, directoryContents: await directoryContentsOf(path.dirname(path.resolve(file))) });
      } else {
        const commandActions = options.config ? loadConfig({ file: options.config }).templates.actions : [];
        const actions = new Map(createOfflineActions(commandActions).map((a) => [a.id, a]));
        result = await dryRunTemplate({ template: entity, values, secrets, source: path.resolve(file), locate, actions, getEntity: async () => undefined }, 'user:default/cli');
      }
      printDryRun(result, format);
    });

  template
    .command('run')
    .description('Run a template from the catalog on the server (creates a task)')
    .argument('<templateRef>', 'e.g. template:default/nodejs-service (or just nodejs-service)')
    .option('--values <file>', 'YAML or JSON file of parameter values')
    .option('--secrets <file>', 'YAML or JSON file of secrets')
    .option('--follow', "print the task's log until it ends; the exit code tells whether it completed")
    .action(async (ref: string, options: { values?: string; secrets?: string; follow?: boolean }, command: Command) => {
      const { server, output } = serverOf(command);
      const templateRef = ref.includes(':') ? ref : `template:${ref.includes('/') ? ref : `default/${ref}`}`;
      const values = await readMapping(options.values, '--values');
      const secrets = options.secrets ? ((await readMapping(options.secrets, '--secrets')) as Record<string, string>) : undefined;
      const { id } = await callApi<{ id: string }>(server, 'POST', '/api/scaffolder/v2/tasks', { templateRef, values, secrets });
      if (!options.follow) {
        printRecords(output, { id }, [{ task: id }], ['task']);
        return;
      }
      process.stderr.write(`Task ${id}\n`);
      const status = await followTask(server, id);
      const task = await callApi<{ status: string; output: unknown; error: { message: string } | null }>(server, 'GET', `/api/scaffolder/v2/tasks/${encodeURIComponent(id)}`);
      if (task.status !== 'completed') throw new PlinthError('TEMPLATE_ACTION_FAILED', `task ${id} ${status}: ${task.error?.message ?? 'no error recorded'}`);
      if (output === 'table') process.stdout.write(`${JSON.stringify(task.output, null, 2)}\n`);
      else printRecords(output, task.output, [], []);
    });

  template
    .command('list')
    .description('List the templates in the catalog')
    .action(async (_options: unknown, command: Command) => {
      const { server, output } = serverOf(command);
      const { items: entities } = await callApi<{ items: Array<{ metadata: { name: string; namespace?: string; title?: string }; spec: { owner?: string; type?: string } }> }>(
        server,
        'GET',
        '/api/catalog/entities/by-query?filter=kind=template&limit=500&orderField=metadata.name,asc',
      );
      printRecords(
        output,
        entities,
        entities.map((e) => ({ template: `template:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`, title: e.metadata.title, type: e.spec.type, owner: e.spec.owner })),
        ['template', 'title', 'type', 'owner'],
      );
    });
}
