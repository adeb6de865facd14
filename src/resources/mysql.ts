import type mysql from 'mysql2/promise';
import type { DeprovisionRequest, ProvisionRequest, ProvisionResult, ResourceDriver, ResourceDriversConfig } from './driver.js';
import { databaseResult, KeyedMutex, PUBLIC_ADDRESS_SETTINGS, publicAddress, resourcePassword, serverName, settingsSchema, stringParam, urlSetting, withConnection } from './support.js';

/**
 * `mysql`: a user (`'<name>'@'%'`) and a database it has every privilege on, on a shared
 * MySQL/MariaDB server reached with the setting adminUrl (default config.mysql.adminUrl).
 * Provisions of one resource are serialised by GET_LOCK, so they are safe across processes.
 * Names are at most 32 characters (MySQL's user name limit).
 */
export function mysqlDriver(config: ResourceDriversConfig): ResourceDriver {
  const mutex = new KeyedMutex();
  return {
    type: 'mysql',
    dataBearing: true,
    settingsSchema: settingsSchema({ adminUrl: urlSetting('mysql', 'mariadb'), ...PUBLIC_ADDRESS_SETTINGS }),
    provision: (request) => mutex.run(request.resourceId, () => provision(config, request)),
    deprovision: (request) => mutex.run(request.resourceId, () => deprovision(config, request)),
  };
}

function withAdmin<T>(adminUrl: string, what: string, fn: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const open = async () => {
    // Loaded on first use: a client library costs its resident memory in every Plinth process otherwise.
    const { default: mysqlClient } = await import('mysql2/promise');
    const connection = await mysqlClient.createConnection({ uri: adminUrl, connectTimeout: 5000 });
    connection.on('error', () => undefined);
    return connection;
  };
  return withConnection({ kind: 'MySQL', url: adminUrl }, what, open, (connection) => connection.end(), fn);
}

async function provision(config: ResourceDriversConfig, request: ProvisionRequest): Promise<ProvisionResult> {
  const adminUrl = stringParam(request.settings, 'adminUrl', config.mysql.adminUrl);
  const name = typeof request.previousState?.name === 'string' ? request.previousState.name : serverName(request.resourceId, { maxLength: 32 });
  const password = resourcePassword(request, config.passwordSeed);
  await withAdmin(adminUrl, `mysql resource ${request.resourceId}`, async (connection) => {
    const [lock] = await connection.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, 30) AS acquired', [name]);
    if (lock[0]?.acquired !== 1) throw new Error(`timed out waiting for the lock on ${name}`);
    const created: Array<'user' | 'database'> = [];
    try {
      const [users] = await connection.query<mysql.RowDataPacket[]>("SELECT 1 FROM mysql.user WHERE User = ? AND Host = '%'", [name]);
      if (users.length === 0) {
        await connection.query("CREATE USER ?@'%' IDENTIFIED BY ?", [name, password]);
        created.push('user');
      } else {
        await connection.query("ALTER USER ?@'%' IDENTIFIED BY ?", [name, password]);
      }
      const [databases] = await connection.query<mysql.RowDataPacket[]>('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [name]);
      if (databases.length === 0) {
        await connection.query(`CREATE DATABASE ${connection.escapeId(name)}`);
        created.push('database');
      }
      await connection.query(`GRANT ALL PRIVILEGES ON ${connection.escapeId(name)}.* TO ?@'%'`, [name]);
    } catch (error) {
      if (created.includes('database')) await connection.query(`DROP DATABASE IF EXISTS ${connection.escapeId(name)}`).catch(() => undefined);
      if (created.includes('user')) await connection.query("DROP USER IF EXISTS ?@'%'", [name]).catch(() => undefined);
      throw error;
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [name]).catch(() => undefined);
    }
  });
  return databaseResult('mysql', publicAddress(request.settings, adminUrl, 3306), name, password, adminUrl);
}

async function deprovision(config: ResourceDriversConfig, request: DeprovisionRequest): Promise<void> {
  const adminUrl = typeof request.state.adminUrl === 'string' ? request.state.adminUrl : stringParam(request.settings, 'adminUrl', config.mysql.adminUrl);
  const name = typeof request.state.name === 'string' ? request.state.name : serverName(request.resourceId, { maxLength: 32 });
  await withAdmin(adminUrl, `mysql resource ${request.resourceId}`, async (connection) => {
    await connection.query(`DROP DATABASE IF EXISTS ${connection.escapeId(name)}`);
    await connection.query("DROP USER IF EXISTS ?@'%'", [name]);
  });
}
