import path from 'node:path';
import type { Command } from 'commander';
import { PlinthError } from '../../core/errors.js';
import { callApi, resolveServer, type ServerCredentials } from '../client.js';
import { printRecords, type OutputFormat } from '../output.js';

interface GlobalOptions {
  server?: string;
  token?: string;
  output: OutputFormat;
}

interface ApiEntity {
  kind: string;
  metadata: { name: string; namespace?: string; title?: string; description?: string };
  spec?: Record<string, unknown>;
  relations?: Array<{ type: string; targetRef: string }>;
}

function serverOf(command: Command): { server: ServerCredentials; output: OutputFormat } {
  const global = command.optsWithGlobals<GlobalOptions>();
  const server = resolveServer(global);
  if (!server) throw new PlinthError('CLI_SERVER_REQUIRED', 'this command talks to a Plinth server: pass --server <url>, set PLINTH_SERVER, or run plinth login', { location: { field: '--server' } });
  return { server, output: global.output };
}

const refOf = (e: ApiEntity) => `${e.kind.toLowerCase()}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`;
const rowOf = (e: ApiEntity) => ({ ref: refOf(e), title: e.metadata.title, type: e.spec?.type, owner: e.spec?.owner, lifecycle: e.spec?.lifecycle });

/** Catalog commands that work against a server: register, get, list, search, graph. */
export function registerCatalogServerCommands(catalog: Command): void {
  catalog
    .command('register')
    .description('Register a location (a file path, a URL, or a git URL like https://host/org/repo.git/blob/main/catalog-info.yaml)')
    .argument('<target>')
    .option('--type <type>', 'file or url (default: url for URLs, file for paths)')
    .option('--dry-run', 'show what the location would add; store nothing')
    .option('--on-conflict <mode>', 'keep (default) or refresh: take over entities other locations hold')
    .action(async (target: string, options: { type?: string; dryRun?: boolean; onConflict?: string }, command: Command) => {
      const { server, output } = serverOf(command);
      const isUrl = /^[a-z]+:\/\//.test(target);
      const type = options.type ?? (isUrl ? 'url' : 'file');
      const body = { type, target: type === 'file' && !isUrl ? path.resolve(target) : target, ...(options.onConflict ? { onConflict: options.onConflict } : {}) };
      const result = await callApi<{ location: { id: string; target: string }; entities: ApiEntity[] }>(server, 'POST', `/api/catalog/locations${options.dryRun ? '?dryRun=true' : ''}`, body);
      if (output !== 'table') return printRecords(output, result, [], []);
      process.stderr.write(`${options.dryRun ? 'Would register' : 'Registered'} ${result.location.target}${options.dryRun ? '' : ` (location ${result.location.id})`}: ${result.entities.length} entities\n`);
      printRecords(output, result, result.entities.map(rowOf), ['ref', 'title', 'owner']);
    });

  catalog
    .command('get')
    .description('Show an entity by ref ([kind:][namespace/]name; kind defaults to component)')
    .argument('<ref>')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const { server, output } = serverOf(command);
      const [kindPart, rest] = ref.includes(':') ? [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)] : ['component', ref];
      const [namespace, name] = rest.includes('/') ? rest.split('/', 2) : ['default', rest];
      const entity = await callApi<ApiEntity>(server, 'GET', `/api/catalog/entities/by-name/${encodeURIComponent(kindPart)}/${encodeURIComponent(namespace!)}/${encodeURIComponent(name!)}`);
      if (output !== 'table') return printRecords(output, entity, [], []);
      const row = rowOf(entity);
      process.stdout.write(`${row.ref}${entity.metadata.title ? `  (${entity.metadata.title})` : ''}\n`);
      if (entity.metadata.description) process.stdout.write(`${entity.metadata.description}\n`);
      process.stdout.write(`type: ${row.type ?? '-'}  owner: ${row.owner ?? '-'}  lifecycle: ${row.lifecycle ?? '-'}\n\n`);
      printRecords(output, entity, (entity.relations ?? []).map((r) => ({ relation: r.type, target: r.targetRef })), ['relation', 'target']);
    });

  const list = async (command: Command, params: URLSearchParams, limit: number) => {
    const { server, output } = serverOf(command);
    params.set('limit', String(limit));
    const page = await callApi<{ items: ApiEntity[]; totalItems: number }>(server, 'GET', `/api/catalog/entities/by-query?${params}`);
    printRecords(output, page, page.items.map(rowOf), ['ref', 'title', 'type', 'owner', 'lifecycle']);
    if (output === 'table') process.stderr.write(`${page.items.length} of ${page.totalItems} entities\n`);
  };

  catalog
    .command('list')
    .description('List entities; filters as in the API (kind=component,spec.owner=team-a); repeat --filter for OR')
    .option('-f, --filter <filter>', 'key=value[,key=value…]', (value: string, previous: string[] = []) => [...previous, value])
    .option('--limit <n>', 'at most this many', '100')
    .action(async (options: { filter?: string[]; limit: string }, command: Command) => {
      const params = new URLSearchParams();
      for (const filter of options.filter ?? []) params.append('filter', filter);
      await list(command, params, Number(options.limit));
    });

  catalog
    .command('search')
    .description('Full-text search over names, titles, descriptions and tags')
    .argument('<text>')
    .option('--limit <n>', 'at most this many', '20')
    .action(async (text: string, options: { limit: string }, command: Command) => {
      await list(command, new URLSearchParams({ fullTextFilterTerm: text }), Number(options.limit));
    });

  catalog
    .command('graph')
    .description('The relations around an entity, both directions')
    .argument('<ref>', 'entity ref (kind:namespace/name)')
    .option('--depth <n>', 'how many hops', '1')
    .action(async (ref: string, options: { depth: string }, command: Command) => {
      const { server, output } = serverOf(command);
      const graph = await callApi<{ root: string; edges: Array<{ source: string; type: string; target: string }>; truncated: boolean }>(server, 'GET', `/api/catalog/graph?${new URLSearchParams({ ref, depth: options.depth })}`);
      if (output !== 'table') return printRecords(output, graph, [], []);
      const bySource = new Map<string, Array<{ type: string; target: string }>>();
      for (const edge of graph.edges) bySource.set(edge.source, [...(bySource.get(edge.source) ?? []), edge]);
      const seen = new Set<string>();
      const print = (node: string, indent: string, depth: number) => {
        for (const edge of (bySource.get(node) ?? []).sort((a, b) => a.type.localeCompare(b.type) || a.target.localeCompare(b.target))) {
          process.stdout.write(`${indent}${edge.type} → ${edge.target}\n`);
          if (depth > 1 && !seen.has(edge.target)) {
            seen.add(edge.target);
            print(edge.target, `${indent}  `, depth - 1);
          }
        }
      };
      process.stdout.write(`${graph.root}\n`);
      seen.add(graph.root);
      print(graph.root, '  ', Number(options.depth));
      if (graph.truncated) process.stderr.write('(graph truncated: too many nodes; lower --depth)\n');
    });
}
