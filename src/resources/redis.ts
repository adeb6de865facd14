import type { Redis } from 'ioredis';
import type { DeprovisionRequest, ProvisionRequest, ProvisionResult, ResourceDriver, ResourceDriversConfig } from './driver.js';
import { PUBLIC_ADDRESS_SETTINGS, publicAddress, resourcePassword, serverName, settingsSchema, stringParam, urlSetting, withConnection } from './support.js';

/**
 * `redis`: an ACL user confined to the keys and channels under its prefix (`~<prefix>*`,
 * `&<prefix>*`), with every command except the @dangerous ones (INFO excepted) and the two that would reveal
 * other tenants' key names (SCAN, RANDOMKEY). ACL SETUSER is a single atomic command, so
 * concurrent provisions converge. Without an `aclfile` Redis keeps ACL users in memory only:
 * a restarted Redis loses them until the next provision (every deployment re-provisions).
 */
export function redisDriver(config: ResourceDriversConfig): ResourceDriver {
  return {
    type: 'redis',
    dataBearing: true,
    settingsSchema: settingsSchema({ url: urlSetting('redis', 'rediss'), ...PUBLIC_ADDRESS_SETTINGS }),
    provision: (request) => provision(config, request),
    deprovision: (request) => deprovision(config, request),
  };
}

// INFO stays allowed: client libraries (ioredis's ready check) call it on connect.
const RULES = ['+@all', '-@dangerous', '+info', '-scan', '-randomkey'];

function withAdmin<T>(url: string, what: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const open = async () => {
    // Loaded on first use: a client library costs its resident memory in every Plinth process otherwise.
    const { Redis: RedisClient } = await import('ioredis');
    const redis = new RedisClient(url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    // ioredis rejects connect() with "Connection is closed."; the reason arrives as an 'error' event.
    let reason: unknown;
    redis.on('error', (error: unknown) => (reason ??= error));
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw reason ?? error;
    }
    return redis;
  };
  return withConnection({ kind: 'Redis', url }, what, open, (redis) => redis.disconnect(), fn);
}

function namesOf(resourceId: string): { username: string; prefix: string } {
  const name = serverName(resourceId, { maxLength: 100, separator: '-', allowed: /[^a-z0-9.]+/g });
  return { username: name, prefix: `${name}:` };
}

async function provision(config: ResourceDriversConfig, request: ProvisionRequest): Promise<ProvisionResult> {
  const url = stringParam(request.settings, 'url', config.redis.url);
  const { username, prefix } = namesOf(request.resourceId);
  const password = resourcePassword(request, config.passwordSeed);
  await withAdmin(url, `redis resource ${request.resourceId}`, async (redis) => {
    // `reset` first: the user ends with exactly these rules, whatever it had before.
    await redis.call('ACL', 'SETUSER', username, 'reset', 'on', `>${password}`, `~${prefix}*`, `&${prefix}*`, ...RULES);
    if ((await redis.call('CONFIG', 'GET', 'aclfile') as string[])[1]) await redis.call('ACL', 'SAVE');
  });
  const { host, port } = publicAddress(request.settings, url, 6379);
  return {
    outputs: { host, port, username, password, prefix },
    secretOutputKeys: ['password'],
    state: { url, username, prefix, password },
  };
}

/** Removes the user and every key under its prefix. */
async function deprovision(config: ResourceDriversConfig, request: DeprovisionRequest): Promise<void> {
  const url = typeof request.state.url === 'string' ? request.state.url : stringParam(request.settings, 'url', config.redis.url);
  const names = namesOf(request.resourceId);
  const username = typeof request.state.username === 'string' ? request.state.username : names.username;
  const prefix = typeof request.state.prefix === 'string' ? request.state.prefix : names.prefix;
  await withAdmin(url, `redis resource ${request.resourceId}`, async (redis) => {
    await redis.call('ACL', 'DELUSER', username);
    if ((await redis.call('CONFIG', 'GET', 'aclfile') as string[])[1]) await redis.call('ACL', 'SAVE');
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  });
}
