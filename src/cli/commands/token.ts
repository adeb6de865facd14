import type { Command } from 'commander';
import { PlinthError } from '../../core/errors.js';
import type { Role } from '../../core/config.js';
import { createPlatform } from '../../server/platform.js';
import { systemActor } from '../../auth/actor.js';
import { runAuditedMutation } from '../../auth/audit.js';
import { createApiToken, findApiToken, listApiTokens, revokeApiToken, type TokenView } from '../../auth/tokens.js';
import { authDb } from '../../auth/users.js';
import { callApi, resolveServer, type ServerCredentials } from '../client.js';
import { printRecords, type OutputFormat } from '../output.js';
import { configFromOptions, type ConfigOptions } from './serve.js';

interface GlobalOptions {
  server?: string;
  token?: string;
  output: OutputFormat;
}

const TOKEN_COLUMNS = ['id', 'name', 'role', 'prefix', 'user', 'createdBy', 'expiresAt', 'lastUsedAt', 'revokedAt'];
const ROLES: Role[] = ['admin', 'member', 'viewer'];

/**
 * Where a token command acts: on a server (--server, PLINTH_SERVER or `plinth login`), or, with
 * --data-dir/--config or when no server is known, directly on the database — the bootstrap path
 * for the very first admin token.
 */
async function withTarget<T>(
  command: Command,
  viaServer: (credentials: ServerCredentials) => Promise<T>,
  viaDatabase: (platform: Awaited<ReturnType<typeof createPlatform>>) => Promise<T>,
): Promise<T> {
  const local = command.opts<ConfigOptions>();
  const global = command.optsWithGlobals<GlobalOptions>();
  const server = local.dataDir || local.config ? undefined : resolveServer(global);
  if (server) return viaServer(server);
  const platform = await createPlatform(configFromOptions(local));
  try {
    return await viaDatabase(platform);
  } finally {
    await platform.close();
  }
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('Create, list and revoke API tokens');
  const withTargetOptions = (command: Command) =>
    command.option('-d, --data-dir <dir>', 'act on the database of this data dir directly (bootstrap)').option('-c, --config <file>', 'act on the database of this config directly');

  withTargetOptions(token.command('create').description('Create an API token; its value is printed once'))
    .requiredOption('--name <name>', 'a name to recognise the token by (e.g. ci)')
    .option('--role <role>', 'admin, member or viewer', 'member')
    .option('--expires-in-days <days>', 'expire after this many days')
    .action(async (options: { name: string; role: string; expiresInDays?: string }, command: Command) => {
      if (!ROLES.includes(options.role as Role)) throw new PlinthError('REQUEST_INVALID', `--role must be one of ${ROLES.join(', ')}, got '${options.role}'`, { location: { field: '--role' } });
      const expiresInDays = options.expiresInDays === undefined ? undefined : Number(options.expiresInDays);
      if (expiresInDays !== undefined && !(Number.isInteger(expiresInDays) && expiresInDays > 0)) {
        throw new PlinthError('REQUEST_INVALID', `--expires-in-days must be a whole number of days, got '${options.expiresInDays}'`, { location: { field: '--expires-in-days' } });
      }
      const input = { name: options.name, role: options.role as Role, expiresInDays };
      const created = await withTarget(
        command,
        (server) => callApi<{ token: string; item: TokenView }>(server, 'POST', '/api/tokens', input),
        (platform) => {
          const context = { actor: systemActor('cli') };
          return runAuditedMutation(platform.store, context, { action: 'token.create', target: `token:${input.name}`, details: { role: input.role } }, (trx) =>
            createApiToken(trx, { ...input, createdBy: context.actor.ref }),
          );
        },
      );
      const format = command.optsWithGlobals<GlobalOptions>().output;
      if (format === 'table') {
        process.stdout.write(`${created.token}\n`);
        process.stderr.write(`Token '${created.item.name}' (${created.item.role}) created. It is shown only now: store it safely.\n`);
      } else {
        printRecords(format, created, [], []);
      }
    });

  withTargetOptions(token.command('list').description('List API tokens (never their values)')).action(async (_options: unknown, command: Command) => {
    const items = await withTarget(
      command,
      async (server) => (await callApi<{ items: TokenView[] }>(server, 'GET', '/api/tokens')).items,
      (platform) => listApiTokens(authDb(platform.store), undefined),
    );
    printRecords(command.optsWithGlobals<GlobalOptions>().output, items, items as unknown as Array<Record<string, unknown>>, TOKEN_COLUMNS);
  });

  withTargetOptions(token.command('revoke').description('Revoke an API token by id or name').argument('<id-or-name>')).action(async (idOrName: string, _options: unknown, command: Command) => {
    await withTarget(
      command,
      async (server) => {
        const { items } = await callApi<{ items: TokenView[] }>(server, 'GET', '/api/tokens');
        const match = items.find((t) => t.id === idOrName || (t.name === idOrName && !t.revokedAt));
        if (!match) throw new PlinthError('AUTH_TOKEN_NOT_FOUND', `no token with id or name '${idOrName}'`);
        await callApi(server, 'DELETE', `/api/tokens/${encodeURIComponent(match.id)}`);
      },
      async (platform) => {
        const row = await findApiToken(authDb(platform.store), idOrName);
        await runAuditedMutation(platform.store, { actor: systemActor('cli') }, { action: 'token.revoke', target: `token:${row.name}` }, (trx) => revokeApiToken(trx, row.id));
      },
    );
    process.stderr.write(`Token '${idOrName}' revoked.\n`);
  });
}
