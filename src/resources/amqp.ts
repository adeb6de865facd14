import { execFile } from 'node:child_process';
import { PlinthError } from '../core/errors.js';
import type { DeprovisionRequest, ProvisionRequest, ProvisionResult, ResourceDriver, ResourceDriversConfig } from './driver.js';
import { KeyedMutex, PUBLIC_ADDRESS_SETTINGS, publicAddress, resourcePassword, serverName, settingsSchema, stringParam, urlSetting } from './support.js';

/**
 * `amqp`: a RabbitMQ virtual host and a user with configure/write/read permissions on it
 * only. Driven through `rabbitmqctl` (config.amqp.rabbitmqctl), because the management API
 * is not enabled on our servers; passwords go to rabbitmqctl on stdin, never on the command
 * line. rabbitmqctl starts an Erlang VM per call (about a second each).
 */
export function amqpDriver(config: ResourceDriversConfig): ResourceDriver {
  const mutex = new KeyedMutex();
  return {
    type: 'amqp',
    dataBearing: true,
    settingsSchema: settingsSchema({ url: urlSetting('amqp', 'amqps'), rabbitmqctl: { type: 'string', minLength: 1 }, ...PUBLIC_ADDRESS_SETTINGS }),
    provision: (request) => mutex.run(request.resourceId, () => provision(config, request)),
    deprovision: (request) => mutex.run(request.resourceId, () => deprovision(config, request)),
  };
}

function rabbitmqctl(binary: string, args: string[], what: string, stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(binary, ['--quiet', ...args], { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new PlinthError('RESOURCE_SERVER_UNREACHABLE', `${what}: rabbitmqctl not found at '${binary}' (set the amqp driver's rabbitmqctl)`, { cause: error }));
      const output = `${stderr}${stdout}`.trim().split('\n').slice(-5).join('\n');
      if (/unable to perform an operation on node|nodedown|could not connect|connection refused/i.test(output)) {
        return reject(new PlinthError('RESOURCE_SERVER_UNREACHABLE', `${what}: cannot reach RabbitMQ through ${binary}: ${output}`, { cause: error }));
      }
      reject(new PlinthError('RESOURCE_PROVISION_FAILED', `${what}: rabbitmqctl ${args[0]} failed: ${output || error.message}`, { cause: error }));
    });
    child.stdin?.end(stdin ?? '');
  });
}

function listed(output: string): Set<string> {
  return new Set(output.split('\n').map((line) => line.split('\t')[0]!.trim()).filter(Boolean));
}

async function provision(config: ResourceDriversConfig, request: ProvisionRequest): Promise<ProvisionResult> {
  const binary = stringParam(request.settings, 'rabbitmqctl', config.amqp.rabbitmqctl);
  const url = stringParam(request.settings, 'url', config.amqp.url);
  const name = serverName(request.resourceId, { maxLength: 100, separator: '-', allowed: /[^a-z0-9.]+/g });
  const password = resourcePassword(request, config.passwordSeed);
  const what = `amqp resource ${request.resourceId}`;
  // Each rabbitmqctl call starts a VM (about a second): independent calls run side by side.
  const [vhosts, users] = (await Promise.all([rabbitmqctl(binary, ['list_vhosts', 'name'], what), rabbitmqctl(binary, ['list_users'], what)])).map(listed) as [Set<string>, Set<string>];
  const created: Array<'vhost' | 'user'> = [];
  try {
    if (!vhosts.has(name)) {
      await rabbitmqctl(binary, ['add_vhost', name], what);
      created.push('vhost');
    }
    if (users.has(name)) {
      await rabbitmqctl(binary, ['change_password', name], what, password);
    } else {
      await rabbitmqctl(binary, ['add_user', name], what, password).catch(async (error: unknown) => {
        // Another process added it between our listing and now: converge its password.
        if (!(error instanceof PlinthError && /already exists/i.test(error.message))) throw error;
        await rabbitmqctl(binary, ['change_password', name], what, password);
      });
      created.push('user');
    }
    await rabbitmqctl(binary, ['set_permissions', '-p', name, name, '.*', '.*', '.*'], what);
  } catch (error) {
    if (created.includes('user')) await rabbitmqctl(binary, ['delete_user', name], what).catch(() => undefined);
    if (created.includes('vhost')) await rabbitmqctl(binary, ['delete_vhost', name], what).catch(() => undefined);
    throw error;
  }
  const { host, port } = publicAddress(request.settings, url, 5672);
  const connection = `amqp://${encodeURIComponent(name)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(name)}`;
  return {
    outputs: { host, port, vhost: name, username: name, password, connection },
    secretOutputKeys: ['password', 'connection'],
    state: { name, password, rabbitmqctl: binary },
  };
}

async function deprovision(config: ResourceDriversConfig, request: DeprovisionRequest): Promise<void> {
  const binary = typeof request.state.rabbitmqctl === 'string' ? request.state.rabbitmqctl : stringParam(request.settings, 'rabbitmqctl', config.amqp.rabbitmqctl);
  const name = typeof request.state.name === 'string' ? request.state.name : serverName(request.resourceId, { maxLength: 100, separator: '-', allowed: /[^a-z0-9.]+/g });
  const what = `amqp resource ${request.resourceId}`;
  const [vhosts, users] = (await Promise.all([rabbitmqctl(binary, ['list_vhosts', 'name'], what), rabbitmqctl(binary, ['list_users'], what)])).map(listed) as [Set<string>, Set<string>];
  await Promise.all([
    users.has(name) ? rabbitmqctl(binary, ['delete_user', name], what) : undefined,
    vhosts.has(name) ? rabbitmqctl(binary, ['delete_vhost', name], what) : undefined,
  ]);
}
