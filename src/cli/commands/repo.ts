import type { Command } from 'commander';
import { PlinthError } from '../../core/errors.js';
import { callApi, resolveServer, type ServerCredentials } from '../client.js';
import { printRecords, type OutputFormat } from '../output.js';

interface RepositoryView {
  namespace: string;
  name: string;
  owner: string | null;
  description: string | null;
  defaultBranch: string;
  cloneUrl: string;
}

export function serverOf(command: Command): { server: ServerCredentials; output: OutputFormat } {
  const global = command.optsWithGlobals<{ server?: string; token?: string; output: OutputFormat }>();
  const server = resolveServer(global);
  if (!server) throw new PlinthError('CLI_SERVER_REQUIRED', 'this command talks to a Plinth server: pass --server <url>, set PLINTH_SERVER, or run plinth login', { location: { field: '--server' } });
  return { server, output: global.output };
}

/** `namespace/name` or `name` (namespace default). */
function splitName(full: string): { namespace: string; name: string } {
  const [namespace, name] = full.includes('/') ? (full.split('/', 2) as [string, string]) : ['default', full];
  return { namespace, name };
}

const COLUMNS = ['repository', 'owner', 'defaultBranch', 'cloneUrl'];
const rowOf = (r: RepositoryView) => ({ repository: `${r.namespace}/${r.name}`, owner: r.owner, defaultBranch: r.defaultBranch, cloneUrl: r.cloneUrl });

/** `plinth repo create|list|delete|clone-url`: git repositories hosted by Plinth. */
export function registerRepoCommands(program: Command): void {
  const repo = program.command('repo').description('Git repositories hosted by Plinth (clone and push with a Plinth token as the password)');

  repo
    .command('create')
    .description('Create a hosted repository')
    .argument('<name>', '[namespace/]name')
    .option('--owner <ref>', 'owning group or user, e.g. group:default/web-team')
    .option('--description <text>', 'what it holds')
    .option('--default-branch <branch>', 'default branch', 'main')
    .action(async (full: string, options: { owner?: string; description?: string; defaultBranch: string }, command: Command) => {
      const { server, output } = serverOf(command);
      const created = await callApi<RepositoryView>(server, 'POST', '/api/repositories', { ...splitName(full), owner: options.owner, description: options.description, defaultBranch: options.defaultBranch });
      printRecords(output, created, [rowOf(created)], COLUMNS);
    });

  repo
    .command('list')
    .description('List hosted repositories')
    .action(async (_options: unknown, command: Command) => {
      const { server, output } = serverOf(command);
      const { items } = await callApi<{ items: RepositoryView[] }>(server, 'GET', '/api/repositories');
      printRecords(output, items, items.map(rowOf), COLUMNS);
    });

  repo
    .command('delete')
    .description('Delete a hosted repository and its history')
    .argument('<name>', '[namespace/]name')
    .action(async (full: string, _options: unknown, command: Command) => {
      const { server } = serverOf(command);
      const { namespace, name } = splitName(full);
      await callApi(server, 'DELETE', `/api/repositories/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`);
      process.stderr.write(`Repository ${namespace}/${name} deleted.\n`);
    });

  repo
    .command('clone-url')
    .description('Print the clone URL of a hosted repository')
    .argument('<name>', '[namespace/]name')
    .action(async (full: string, _options: unknown, command: Command) => {
      const { server } = serverOf(command);
      const { namespace, name } = splitName(full);
      const found = await callApi<RepositoryView>(server, 'GET', `/api/repositories/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`);
      process.stdout.write(`${found.cloneUrl}\n`);
    });
}
