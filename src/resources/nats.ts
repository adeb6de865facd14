import type { NatsConnection } from 'nats';
import type { DeprovisionRequest, ProvisionRequest, ProvisionResult, ResourceDriver, ResourceDriversConfig } from './driver.js';
import { PUBLIC_ADDRESS_SETTINGS, publicAddress, serverName, settingsSchema, stringParam, urlSetting, withConnection } from './support.js';

/**
 * `nats`: a JetStream stream capturing the subjects under a per-resource prefix
 * (`<prefix>.>`). Our NATS runs with the default configuration — no accounts or users — so
 * there are no credentials to issue and isolation is by convention (the prefix), not
 * enforced; a server with accounts would need a command provisioner issuing user JWTs.
 * Adding a stream with an identical configuration is idempotent in JetStream, so concurrent
 * provisions converge.
 */
export function natsDriver(config: ResourceDriversConfig): ResourceDriver {
  return {
    type: 'nats',
    dataBearing: true,
    settingsSchema: settingsSchema({ url: urlSetting('nats', 'tls'), ...PUBLIC_ADDRESS_SETTINGS }),
    provision: (request) => provision(config, request),
    deprovision: (request) => deprovision(config, request),
  };
}

function withServer<T>(url: string, what: string, fn: (connection: NatsConnection) => Promise<T>): Promise<T> {
  // Loaded on first use: a client library costs its resident memory in every Plinth process otherwise.
  const open = async () => (await import('nats')).connect({ servers: url, timeout: 5000, reconnect: false, maxReconnectAttempts: 0 });
  return withConnection({ kind: 'NATS', url }, what, open, (connection) => connection.close(), fn);
}

function namesOf(resourceId: string): { stream: string; prefix: string } {
  const name = serverName(resourceId, { maxLength: 64 });
  return { stream: name, prefix: name };
}

async function provision(config: ResourceDriversConfig, request: ProvisionRequest): Promise<ProvisionResult> {
  const url = stringParam(request.settings, 'url', config.nats.url);
  const { stream, prefix } = namesOf(request.resourceId);
  const subjects = `${prefix}.>`;
  await withServer(url, `nats resource ${request.resourceId}`, async (connection) => {
    const manager = await connection.jetstreamManager();
    const existing = await manager.streams.info(stream).catch(() => undefined);
    if (!existing) await manager.streams.add({ name: stream, subjects: [subjects] });
  });
  const { host, port } = publicAddress(request.settings, url, 4222);
  return {
    outputs: { host, port, stream, prefix, subjects, connection: `nats://${host}:${port}` },
    secretOutputKeys: [],
    state: { url, stream },
  };
}

async function deprovision(config: ResourceDriversConfig, request: DeprovisionRequest): Promise<void> {
  const url = typeof request.state.url === 'string' ? request.state.url : stringParam(request.settings, 'url', config.nats.url);
  const stream = typeof request.state.stream === 'string' ? request.state.stream : namesOf(request.resourceId).stream;
  await withServer(url, `nats resource ${request.resourceId}`, async (connection) => {
    const manager = await connection.jetstreamManager();
    const existing = await manager.streams.info(stream).catch(() => undefined);
    if (existing) await manager.streams.delete(stream);
  });
}
