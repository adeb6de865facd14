import pg from 'pg';
import type { DeprovisionRequest, ProvisionRequest, ProvisionResult, ResourceDriver, ResourceDriversConfig } from './driver.js';
import { databaseResult, KeyedMutex, PUBLIC_ADDRESS_SETTINGS, publicAddress, resourcePassword, serverName, settingsSchema, stringParam, urlSetting, withConnection } from './support.js';

/**
 * `postgres`: a login role and a database it owns on a shared PostgreSQL server, reached with
 * an admin URL (setting adminUrl, default config.postgres.adminUrl). CONNECT on the database is
 * revoked from PUBLIC, so other resources' roles cannot open it. Provisions of one resource
 * are serialised by a PostgreSQL advisory lock, so they are safe across processes.
 */
export function postgresDriver(config: ResourceDriversConfig): ResourceDriver {
  const mutex = new KeyedMutex();
  return {
    type: 'postgres',
    dataBearing: true,
    settingsSchema: settingsSchema({ adminUrl: urlSetting('postgres', 'postgresql'), ...PUBLIC_ADDRESS_SETTINGS }),
    provision: (request) => mutex.run(request.resourceId, () => provision(config, request)),
    deprovision: (request) => mutex.run(request.resourceId, () => deprovision(config, request)),
  };
}

function withAdmin<T>(adminUrl: string, what: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const open = async () => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    // A dropped connection later must not become an unhandled 'error' event.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  return withConnection({ kind: 'PostgreSQL', url: adminUrl }, what, open, (client) => client.end(), fn);
}

async function provision(config: ResourceDriversConfig, request: ProvisionRequest): Promise<ProvisionResult> {
  const adminUrl = stringParam(request.settings, 'adminUrl', config.postgres.adminUrl);
  const name = typeof request.previousState?.name === 'string' ? request.previousState.name : serverName(request.resourceId, { maxLength: 63 });
  const password = resourcePassword(request, config.passwordSeed);
  const what = `postgres resource ${request.resourceId}`;
  await withAdmin(adminUrl, what, async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const created: Array<'role' | 'database'> = [];
    try {
      const role = client.escapeIdentifier(name);
      const roleExists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1;
      await client.query(`${roleExists ? 'ALTER' : 'CREATE'} ROLE ${role} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
      if (!roleExists) created.push('role');
      const databaseExists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
      if (!databaseExists) {
        await client.query(`CREATE DATABASE ${role} OWNER ${role}`);
        created.push('database');
      }
      await client.query(`REVOKE CONNECT ON DATABASE ${role} FROM PUBLIC`);
      await client.query(`GRANT CONNECT ON DATABASE ${role} TO ${role}`);
    } catch (error) {
      // Undo only what this call created: a pre-existing role or database stays.
      if (created.includes('database')) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)}`).catch(() => undefined);
      if (created.includes('role')) await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(name)}`).catch(() => undefined);
      throw error;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => undefined);
    }
  });
  return databaseResult('postgres', publicAddress(request.settings, adminUrl, 5432), name, password, adminUrl);
}

async function deprovision(config: ResourceDriversConfig, request: DeprovisionRequest): Promise<void> {
  const adminUrl = typeof request.state.adminUrl === 'string' ? request.state.adminUrl : stringParam(request.settings, 'adminUrl', config.postgres.adminUrl);
  const name = typeof request.state.name === 'string' ? request.state.name : serverName(request.resourceId, { maxLength: 63 });
  await withAdmin(adminUrl, `postgres resource ${request.resourceId}`, async (client) => {
    const identifier = client.escapeIdentifier(name);
    // FORCE ends the workload's open sessions (PostgreSQL 13+).
    await client.query(`DROP DATABASE IF EXISTS ${identifier} WITH (FORCE)`);
    await client.query(`DROP ROLE IF EXISTS ${identifier}`);
  });
}
