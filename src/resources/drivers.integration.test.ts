import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { connect, StringCodec } from 'nats';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { PlinthError } from '../core/errors.js';
import { POSTGRES_ADMIN_URL } from '../../test/support/postgres-url.js';
import { createResourceDrivers, DEFAULT_RESOURCE_DRIVERS_CONFIG, type ProvisionRequest, type ResourceDriversConfig } from './index.js';

/** Real servers on loopback (see BRIEF): PostgreSQL, MariaDB, Redis, RabbitMQ (rabbitmqctl), NATS JetStream. */
const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-resources-'));
const config: ResourceDriversConfig = { ...DEFAULT_RESOURCE_DRIVERS_CONFIG, postgres: { adminUrl: POSTGRES_ADMIN_URL }, dataDir, passwordSeed: randomBytes(16).toString('hex') };
const drivers = createResourceDrivers(config);
const ctx = { logger: createLogger({ level: 'silent' }) };
const run = randomBytes(3).toString('hex');

function request(type: string, name: string, extra: Partial<ProvisionRequest> = {}): ProvisionRequest {
  return { resourceId: `test-${run}.api.${name}`, type, class: 'default', settings: {}, params: {}, metadata: { environment: `test-${run}`, workload: 'api', resourceName: name }, ...extra };
}

function driver(type: string) {
  const found = drivers.get(type);
  if (!found) throw new Error(`no driver ${type}`);
  return found;
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function expectRejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(PlinthError);
  expect((error as PlinthError).code).toBe(code);
  expect((error as PlinthError).message).toMatch(message);
}

describe('postgres driver', () => {
  it('provisions a database a role can use, converges on re-provision, and drops both', async () => {
    const postgres = driver('postgres');
    const first = await postgres.provision(request('postgres', 'db'), ctx);
    expect(Object.keys(first.outputs).sort()).toEqual(['connection', 'database', 'host', 'name', 'password', 'port', 'username']);
    expect(first.secretOutputKeys.sort()).toEqual(['connection', 'password']);
    const client = new pg.Client({ connectionString: String(first.outputs.connection) });
    await client.connect();
    await client.query('CREATE TABLE t (v text)');
    await client.query("INSERT INTO t VALUES ('hello')");
    expect((await client.query('SELECT v FROM t')).rows).toEqual([{ v: 'hello' }]);
    await client.end();

    const again = await postgres.provision(request('postgres', 'db', { previousState: first.state }), ctx);
    expect(again.outputs).toEqual(first.outputs);
    const withoutState = await postgres.provision(request('postgres', 'db'), ctx);
    expect(withoutState.outputs).toEqual(first.outputs);

    await postgres.deprovision({ ...request('postgres', 'db'), state: first.state }, ctx);
    const gone = new pg.Client({ connectionString: String(first.outputs.connection) });
    gone.on('error', () => undefined);
    await expect(gone.connect()).rejects.toThrow(/does not exist|authentication failed/);
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [first.outputs.username])).rowCount).toBe(0);
    await admin.end();
    // Deprovisioning what is gone succeeds (callers retry).
    await postgres.deprovision({ ...request('postgres', 'db'), state: first.state }, ctx);
  });

  it('two concurrent provisions of one id end with one database and the same outputs', async () => {
    const postgres = driver('postgres');
    const [a, b] = await Promise.all([postgres.provision(request('postgres', 'race'), ctx), createResourceDrivers(config).get('postgres')!.provision(request('postgres', 'race'), ctx)]);
    expect(a.outputs).toEqual(b.outputs);
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    expect((await admin.query('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [a.outputs.name])).rows[0].n).toBe(1);
    await admin.end();
    await postgres.deprovision({ ...request('postgres', 'race'), state: a.state }, ctx);
  });

  it('an unreachable server is a clear error and creates nothing', async () => {
    await expectRejects(driver('postgres').provision(request('postgres', 'down', { settings: { adminUrl: 'postgres://postgres@127.0.0.1:1/postgres' } }), ctx), 'RESOURCE_SERVER_UNREACHABLE', /postgres resource .*down: cannot reach PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/postgres/);
  });

  it('a refused provision removes the role it had created', async () => {
    // An admin that may create roles but not databases: the role is created, CREATE DATABASE is refused.
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    const weak = `plinth_weak_${run}`;
    await admin.query(`CREATE ROLE "${weak}" LOGIN CREATEROLE NOCREATEDB`);
    try {
      const weakUrl = new URL(POSTGRES_ADMIN_URL);
      weakUrl.username = weak;
      const refused = request('postgres', 'refused', { settings: { adminUrl: weakUrl.toString() } });
      await expectRejects(driver('postgres').provision(refused, ctx), 'RESOURCE_PROVISION_FAILED', /postgres resource .*refused: PostgreSQL at .* refused: permission denied to create database/);
      const roles = await admin.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'plinth_test_' || $1 || '%refused%'", [run]);
      expect(roles.rows).toEqual([]);
    } finally {
      await admin.query(`DROP ROLE "${weak}"`);
      await admin.end();
    }
  });
});

describe('mysql driver', () => {
  it('provisions a user and database, converges, is safe concurrently, and drops both', async () => {
    const mysqlDriver = driver('mysql');
    const [first, concurrent] = await Promise.all([mysqlDriver.provision(request('mysql', 'db'), ctx), createResourceDrivers(config).get('mysql')!.provision(request('mysql', 'db'), ctx)]);
    expect(concurrent.outputs).toEqual(first.outputs);
    expect(first.secretOutputKeys.sort()).toEqual(['connection', 'password']);
    const connection = await mysql.createConnection({ host: String(first.outputs.host), port: Number(first.outputs.port), user: String(first.outputs.username), password: String(first.outputs.password), database: String(first.outputs.database) });
    await connection.query('CREATE TABLE t (v varchar(10))');
    await connection.query("INSERT INTO t VALUES ('hello')");
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT v FROM t');
    expect(rows.map((r) => r.v)).toEqual(['hello']);
    await connection.end();
    expect((await mysqlDriver.provision(request('mysql', 'db', { previousState: first.state }), ctx)).outputs).toEqual(first.outputs);

    await mysqlDriver.deprovision({ ...request('mysql', 'db'), state: first.state }, ctx);
    await expect(mysql.createConnection({ host: '127.0.0.1', port: 3306, user: String(first.outputs.username), password: String(first.outputs.password) })).rejects.toThrow(/Access denied/);
  });

  it('an unreachable server is a clear error', async () => {
    await expectRejects(driver('mysql').provision(request('mysql', 'down', { settings: { adminUrl: 'mysql://root@127.0.0.1:1/' } }), ctx), 'RESOURCE_SERVER_UNREACHABLE', /cannot reach MySQL at mysql:\/\/127\.0\.0\.1:1/);
  });
});

describe('redis driver', () => {
  it('gives a user its own key prefix only, converges, and removes user and keys', async () => {
    const redisDriver = driver('redis');
    const [first, concurrent] = await Promise.all([redisDriver.provision(request('redis', 'cache'), ctx), redisDriver.provision(request('redis', 'cache'), ctx)]);
    expect(concurrent.outputs).toEqual(first.outputs);
    expect(first.secretOutputKeys).toEqual(['password']);
    const prefix = String(first.outputs.prefix);
    const user = new Redis({ host: String(first.outputs.host), port: Number(first.outputs.port), username: String(first.outputs.username), password: String(first.outputs.password), lazyConnect: true, maxRetriesPerRequest: 0 });
    await user.connect();
    await user.set(`${prefix}greeting`, 'hello');
    expect(await user.get(`${prefix}greeting`)).toBe('hello');
    await expect(user.set('outside', 'x')).rejects.toThrow(/NOPERM/);
    await expect(user.get('outside')).rejects.toThrow(/NOPERM/);
    await expect(user.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
    await expect(user.call('KEYS', '*')).rejects.toThrow(/NOPERM/);
    await expect(user.scan('0')).rejects.toThrow(/NOPERM/);
    user.disconnect();

    await redisDriver.deprovision({ ...request('redis', 'cache'), state: first.state }, ctx);
    const admin = new Redis({ lazyConnect: true });
    await admin.connect();
    expect(await admin.exists(`${prefix}greeting`)).toBe(0);
    admin.disconnect();
    const probe = new Redis({ lazyConnect: true });
    await probe.connect();
    await expect(probe.call('AUTH', String(first.outputs.username), String(first.outputs.password))).rejects.toThrow(/WRONGPASS/);
    probe.disconnect();
  });

  it('an unreachable server is a clear error', async () => {
    await expectRejects(driver('redis').provision(request('redis', 'down', { settings: { url: 'redis://127.0.0.1:1' } }), ctx), 'RESOURCE_SERVER_UNREACHABLE', /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});

describe('amqp driver', () => {
  it('provisions a vhost and a user confined to it, converges, and removes both', async () => {
    const amqpDriver = driver('amqp');
    const [first, concurrent] = await Promise.all([amqpDriver.provision(request('amqp', 'bus'), ctx), createResourceDrivers(config).get('amqp')!.provision(request('amqp', 'bus'), ctx)]);
    expect(concurrent.outputs).toEqual(first.outputs);
    const connection = await amqp.connect(String(first.outputs.connection));
    const channel = await connection.createChannel();
    await channel.assertQueue('q');
    channel.sendToQueue('q', Buffer.from('hello'));
    const message = await new Promise<string>((resolve) => void channel.consume('q', (m) => m && resolve(m.content.toString()), { noAck: true }));
    expect(message).toBe('hello');
    await connection.close();
    // The user has no rights on the default vhost.
    await expect(amqp.connect(`amqp://${String(first.outputs.username)}:${String(first.outputs.password)}@127.0.0.1:5672/`)).rejects.toThrow();

    await amqpDriver.deprovision({ ...request('amqp', 'bus'), state: first.state }, ctx);
    await expect(amqp.connect(String(first.outputs.connection))).rejects.toThrow();
  }, 120_000);

  it('a missing rabbitmqctl is a clear error', async () => {
    await expectRejects(driver('amqp').provision(request('amqp', 'down', { settings: { rabbitmqctl: '/nonexistent/rabbitmqctl' } }), ctx), 'RESOURCE_SERVER_UNREACHABLE', /rabbitmqctl not found at '\/nonexistent\/rabbitmqctl'/);
  });
});

describe('nats driver', () => {
  it('provisions a JetStream stream on the resource prefix, converges, and deletes it', async () => {
    const natsDriver = driver('nats');
    const [first, concurrent] = await Promise.all([natsDriver.provision(request('nats', 'events'), ctx), natsDriver.provision(request('nats', 'events'), ctx)]);
    expect(concurrent.outputs).toEqual(first.outputs);
    const connection = await connect({ servers: String(first.outputs.connection) });
    const codec = StringCodec();
    const ack = await connection.jetstream().publish(`${String(first.outputs.prefix)}.created`, codec.encode('hello'));
    expect(ack.stream).toBe(first.outputs.stream);
    const manager = await connection.jetstreamManager();
    expect((await manager.streams.getMessage(String(first.outputs.stream), { seq: ack.seq })).string()).toBe('hello');
    await natsDriver.deprovision({ ...request('nats', 'events'), state: first.state }, ctx);
    await expect(manager.streams.info(String(first.outputs.stream))).rejects.toThrow(/stream not found/);
    await connection.close();
  });

  it('an unreachable server is a clear error', async () => {
    await expectRejects(driver('nats').provision(request('nats', 'down', { settings: { url: 'nats://127.0.0.1:1' } }), ctx), 'RESOURCE_SERVER_UNREACHABLE', /cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
  });
});

describe('platform drivers', () => {
  it('volume: a directory under the data dir, removed on deprovision', async () => {
    const result = await driver('volume').provision(request('volume', 'data'), ctx);
    expect(String(result.outputs.source).startsWith(path.join(dataDir, 'volumes'))).toBe(true);
    expect(existsSync(String(result.outputs.source))).toBe(true);
    await driver('volume').deprovision({ ...request('volume', 'data'), state: result.state }, ctx);
    expect(existsSync(String(result.outputs.source))).toBe(false);
  });

  it('dns, route, service-port, service and environment', async () => {
    expect((await driver('dns').provision(request('dns', 'dns'), ctx)).outputs).toEqual({ host: `api.test-${run}.localhost` });
    expect((await driver('route').provision(request('route', 'route', { params: { host: 'api.x.localhost', path: '/v1', port: 'web' } }), ctx)).outputs).toEqual({ host: 'api.x.localhost', path: '/v1', port: 'web' });
    await expectRejects(driver('route').provision(request('route', 'route', { params: { path: '/' } }), ctx), 'RESOURCE_DEFINITION_INVALID', /param 'host' is required/);
    expect((await driver('service-port').provision(request('service-port', 'orders', { params: { workload: 'orders', port: '8080' } }), ctx)).outputs).toEqual({ hostname: 'orders', port: 8080 });
    const lookedUp = await driver('service-port').provision(request('service-port', 'orders', { params: { workload: 'orders', port: 'web' } }), { ...ctx, lookupService: async () => ({ hostname: 'orders.dev.localhost', port: 41234 }) });
    expect(lookedUp.outputs).toEqual({ hostname: 'orders.dev.localhost', port: 41234 });
    expect((await driver('service').provision(request('service', 'cart'), ctx)).outputs).toEqual({ name: 'cart' });
    const env = await driver('environment').provision(request('environment', 'env', { metadata: { environmentValues: { LOG_LEVEL: 'debug', API_KEY: 'k' }, secretValueKeys: ['API_KEY'] } }), ctx);
    expect(env).toMatchObject({ outputs: { LOG_LEVEL: 'debug', API_KEY: 'k' }, secretOutputKeys: ['API_KEY'] });
  });
});

describe('command provisioner', () => {
  const scripts = mkdtempSync(path.join(tmpdir(), 'plinth-cmdprov-'));
  afterAll(() => rmSync(scripts, { recursive: true, force: true }));
  function script(name: string, body: string): string {
    const file = path.join(scripts, name);
    writeFileSync(file, `#!/usr/bin/env node\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it("speaks score-compose's JSON protocol: input on stdin, outputs and state back", async () => {
    const provisioner = script('echo.js', `
      let input = ''; process.stdin.on('data', (c) => input += c).on('end', () => {
        const req = JSON.parse(input);
        const count = (req.resource_state.count ?? 0) + 1;
        process.stdout.write(JSON.stringify({ resource_outputs: { uid: req.resource_uid, type: req.resource_type, cls: req.resource_class, size: req.resource_params.size, token: 'tok-' + count }, resource_state: { count }, shared_state: { seen: true } }));
      });`);
    const command = driver('command');
    const first = await command.provision(request('queue', 'q', { settings: { command: [provisioner], secretOutputs: ['token'] }, params: { size: 3 }, metadata: { uid: 'queue.default#api.q' } }), ctx);
    expect(first).toEqual({ outputs: { uid: 'queue.default#api.q', type: 'queue', cls: 'default', size: 3, token: 'tok-1' }, secretOutputKeys: ['token'], state: { resource_state: { count: 1 }, shared_state: { seen: true } } });
    const second = await command.provision(request('queue', 'q', { settings: { uri: `cmd://${provisioner}`, args: [] }, previousState: first.state }), ctx);
    expect(second.outputs.token).toBe('tok-2');
  });

  it("a Score file's params cannot choose the program or the server a driver uses", async () => {
    await expectRejects(driver('command').provision(request('queue', 'q', { params: { command: ['/bin/sh', '-c', 'echo owned'] } }), ctx), 'RESOURCE_DEFINITION_INVALID', /params\.command must be a list/);
    const redirected = await driver('redis').provision(request('redis', 'redirect', { params: { url: 'redis://127.0.0.1:1', host: 'evil.example' } }), ctx);
    expect(redirected.outputs.host).toBe('127.0.0.1');
    await driver('redis').deprovision({ ...request('redis', 'redirect'), state: redirected.state }, ctx);
  });

  it('a failing command is RESOURCE_COMMAND_FAILED with its stderr; bad stdout is named', async () => {
    const failing = script('fail.js', `process.stderr.write('quota exceeded for team orders\\n'); process.exit(3);`);
    await expectRejects(driver('command').provision(request('queue', 'q', { settings: { command: [failing] } }), ctx), 'RESOURCE_COMMAND_FAILED', /exited with code 3; stderr: quota exceeded for team orders/);
    const chatty = script('chatty.js', `console.log('provisioning...');`);
    await expectRejects(driver('command').provision(request('queue', 'q', { settings: { command: [chatty] } }), ctx), 'RESOURCE_COMMAND_FAILED', /stdout is not a JSON object with resource_outputs; it began: "provisioning/);
    await expectRejects(driver('command').provision(request('queue', 'q', { settings: { command: [path.join(scripts, 'missing')] } }), ctx), 'RESOURCE_COMMAND_FAILED', /program not found/);
    const slow = script('slow.js', `setTimeout(() => {}, 10000);`);
    await expectRejects(driver('command').provision(request('queue', 'q', { settings: { command: [slow], timeoutSeconds: 0.5 } }), ctx), 'RESOURCE_COMMAND_FAILED', /timed out after 0.5s/);
  });

  it('deprovision runs deprovisionCommand with the resource state', async () => {
    const marker = path.join(scripts, 'removed');
    const remover = script('remove.js', `let input = ''; process.stdin.on('data', (c) => input += c).on('end', () => require('fs').writeFileSync(${JSON.stringify(marker)}, input));`);
    await driver('command').deprovision({ ...request('queue', 'q'), settings: { command: ['true'], deprovisionCommand: [remover] }, state: { resource_state: { id: 'q-1' } } }, ctx);
    expect(JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(marker, 'utf8')))).toMatchObject({ action: 'deprovision', resource_state: { id: 'q-1' } });
  });
});
