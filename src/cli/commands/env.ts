import type { Command } from 'commander';
import { PlinthError } from '../../core/errors.js';
import { callApi, resolveServer, type ServerCredentials } from '../client.js';
import { printRecords, type OutputFormat } from '../output.js';

interface EnvironmentView {
  name: string;
  type: string;
  owner: string | null;
  status: string;
  expiresAt: string | null;
  clonedFrom: string | null;
  createdAt: string;
}

interface ResourceView {
  environment: string;
  uid: string;
  type: string;
  class: string;
  definition: string;
  status: string;
  outputs: Record<string, unknown>;
  usedBy: string[];
}

export function serverOf(command: Command): { server: ServerCredentials; output: OutputFormat } {
  const global = command.optsWithGlobals<{ server?: string; token?: string; output: OutputFormat }>();
  const server = resolveServer(global);
  if (!server) throw new PlinthError('CLI_SERVER_REQUIRED', 'this command talks to a Plinth server: pass --server <url>, set PLINTH_SERVER, or run plinth login', { location: { field: '--server' } });
  return { server, output: global.output };
}

/** `KEY=VALUE` options, repeatable. */
export function collectPairs(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const index = value.indexOf('=');
  if (index <= 0) throw new PlinthError('ENVIRONMENT_INVALID', `'${value}' is not KEY=VALUE`, { location: { field: '--value' } });
  return { ...previous, [value.slice(0, index)]: value.slice(index + 1) };
}

const COLUMNS = ['name', 'type', 'owner', 'status', 'expiresAt', 'clonedFrom'];
const rowOf = (e: EnvironmentView) => ({ ...e });
const path = (name: string) => `/api/environments/${encodeURIComponent(name)}`;

/** `plinth env create|list|show|clone|destroy|set` and `plinth resources list`. */
export function registerEnvironmentCommands(program: Command): void {
  const env = program.command('env').description('Environments: where components run, with their resources, values and secrets');

  const create = (clone: boolean) => async (name: string, sourceOrOptions: unknown, maybeOptions: unknown, maybeCommand?: Command) => {
    const [source, options, command] = clone ? [sourceOrOptions as string, maybeOptions as CreateOptions, maybeCommand!] : [undefined, sourceOrOptions as CreateOptions, maybeOptions as Command];
    const { server, output } = serverOf(command);
    const created = await callApi<EnvironmentView & { deployments: Array<{ id: string; component: string }> }>(server, 'POST', '/api/environments', {
      name,
      type: options.type,
      owner: options.owner,
      description: options.description,
      ttlHours: options.ttl === undefined ? undefined : Number(options.ttl),
      values: options.value,
      secrets: options.secret,
      cloneFrom: source,
    });
    printRecords(output, created, [rowOf(created)], COLUMNS);
    for (const deployment of created.deployments ?? []) process.stderr.write(`Deploying ${deployment.component} (${deployment.id}).\n`);
  };
  interface CreateOptions {
    type: string;
    owner?: string;
    description?: string;
    ttl?: string;
    value?: Record<string, string>;
    secret?: Record<string, string>;
  }
  const withCreateOptions = (cmd: Command, typeRequired: boolean) =>
    (typeRequired ? cmd.requiredOption('--type <type>', 'environment type: development, preview, staging, production, …') : cmd.option('--type <type>', 'environment type'))
      .option('--owner <ref>', 'owning group or user, e.g. group:default/web-team')
      .option('--description <text>', 'what it is for')
      .option('--ttl <hours>', "destroy it after this many hours (0: never; default: the type's)")
      .option('--value <KEY=VALUE>', 'a configuration value (repeatable)', collectPairs)
      .option('--secret <KEY=VALUE>', 'a secret, stored encrypted (repeatable)', collectPairs);

  withCreateOptions(env.command('create').description('Create an environment').argument('<name>', 'a DNS label'), true).action(create(false));
  withCreateOptions(env.command('clone').description('Create an environment from another: its values, secrets and running releases').argument('<source>', 'environment to copy').argument('<name>', 'the new environment'), true).action(
    async (source: string, name: string, options: CreateOptions, command: Command) => create(true)(name, source, options, command),
  );

  env
    .command('list')
    .description('List environments')
    .action(async (_options: unknown, command: Command) => {
      const { server, output } = serverOf(command);
      const { items } = await callApi<{ items: EnvironmentView[] }>(server, 'GET', '/api/environments');
      printRecords(output, items, items.map(rowOf), COLUMNS);
    });

  env
    .command('show')
    .description('An environment: values, resources and workloads')
    .argument('<name>')
    .option('--show-secrets', 'show secret values and outputs (needs environment.secrets.read; audited)')
    .action(async (name: string, options: { showSecrets?: boolean }, command: Command) => {
      const { server, output } = serverOf(command);
      const details = await callApi<EnvironmentView & { values: Array<{ name: string; value: string | null; secret: boolean }>; resources: ResourceView[]; workloads: Array<{ component: string; release: string; health: string; url: string | null }> }>(
        server,
        'GET',
        `${path(name)}${options.showSecrets ? '?showSecrets=true' : ''}`,
      );
      if (output !== 'table') return printRecords(output, details, [], []);
      printRecords(output, details, [rowOf(details)], COLUMNS);
      process.stdout.write('\nWorkloads\n');
      printRecords(output, details.workloads, details.workloads, ['component', 'release', 'health', 'url']);
      process.stdout.write('\nResources\n');
      printRecords(output, details.resources, details.resources.map((r) => ({ ...r, outputs: Object.entries(r.outputs).map(([k, v]) => `${k}=${String(v)}`).join(' ') })), ['uid', 'definition', 'status', 'outputs']);
      process.stdout.write('\nValues\n');
      printRecords(output, details.values, details.values.map((v) => ({ ...v, value: v.value ?? '********' })), ['name', 'value', 'secret']);
    });

  env
    .command('set')
    .description('Set configuration values and secrets of an environment')
    .argument('<name>')
    .option('--value <KEY=VALUE>', 'a configuration value (repeatable)', collectPairs)
    .option('--secret <KEY=VALUE>', 'a secret (repeatable)', collectPairs)
    .action(async (name: string, options: { value?: Record<string, string>; secret?: Record<string, string> }, command: Command) => {
      const { server } = serverOf(command);
      await callApi(server, 'PATCH', `${path(name)}/values`, { values: options.value, secrets: options.secret });
      process.stderr.write(`Environment ${name} updated.\n`);
    });

  env
    .command('destroy')
    .description('Destroy an environment: stop its workloads and deprovision its resources (their data is dropped)')
    .argument('<name>')
    .option('--confirm <name>', 'the environment name again: needed for production-like environments that hold data')
    .action(async (name: string, options: { confirm?: string }, command: Command) => {
      const { server, output } = serverOf(command);
      const result = await callApi<{ deprovisioned: string[] }>(server, 'DELETE', `${path(name)}${options.confirm ? `?confirm=${encodeURIComponent(options.confirm)}` : ''}`);
      if (output !== 'table') return printRecords(output, result, [], []);
      process.stderr.write(`Environment ${name} destroyed; deprovisioned: ${result.deprovisioned.join(', ') || 'nothing'}.\n`);
    });

  program
    .command('resources')
    .description('Provisioned resources')
    .command('list')
    .description('Resources of every environment (secret outputs masked)')
    .option('--env <name>', 'only this environment')
    .action(async (options: { env?: string }, command: Command) => {
      const { server, output } = serverOf(command);
      const { items } = await callApi<{ items: ResourceView[] }>(server, 'GET', options.env ? `${path(options.env)}/resources` : '/api/resources');
      printRecords(output, items, items.map((r) => ({ ...r, usedBy: r.usedBy.join(',') })), ['environment', 'uid', 'definition', 'status', 'usedBy']);
    });
}
