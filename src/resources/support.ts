import { createHash, createHmac } from 'node:crypto';
import { PlinthError } from '../core/errors.js';
import type { ProvisionRequest, ProvisionResult } from './driver.js';

/**
 * A server-side name for a resource id: `plinth_` + the id's safe characters + a hash of the
 * full id, so different ids never collide after sanitising and long ids still fit `maxLength`.
 */
export function serverName(resourceId: string, options: { maxLength: number; separator?: string; allowed?: RegExp }): string {
  const separator = options.separator ?? '_';
  const allowed = options.allowed ?? /[^a-z0-9]+/g;
  const hash = createHash('sha256').update(resourceId).digest('hex').slice(0, 8);
  const readable = resourceId.toLowerCase().replace(allowed, separator).replace(new RegExp(`^\\${separator}+|\\${separator}+$`, 'g'), '');
  const room = options.maxLength - 'plinth'.length - hash.length - 2 * separator.length;
  return ['plinth', readable.slice(0, Math.max(0, room)), hash].filter(Boolean).join(separator);
}

/**
 * The password of a resource: the one its previous state holds, else derived from the
 * drivers' seed and the resource id. Deriving makes provisioning idempotent and concurrent
 * provisions agree on one password without talking to each other.
 */
export function resourcePassword(request: ProvisionRequest, seed: string): string {
  const previous = request.previousState?.password;
  if (typeof previous === 'string' && previous.length > 0) return previous;
  return createHmac('sha256', seed).update(`${request.type}\0${request.resourceId}`).digest('base64url').slice(0, 32);
}

/** Errors that mean the server was not reached (as opposed to refusing the request). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'CONNECTION_REFUSED']);

export function isUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (current instanceof AggregateError && current.errors.some(isUnreachable)) return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && /ECONNREFUSED|connect ETIMEDOUT|CONNECTION_REFUSED/.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Wraps a driver failure as RESOURCE_SERVER_UNREACHABLE or RESOURCE_PROVISION_FAILED. */
export function driverError(error: unknown, what: string, server: string): PlinthError {
  if (error instanceof PlinthError) return error;
  const reason = error instanceof Error ? error.message || error.constructor.name : String(error);
  if (isUnreachable(error)) return new PlinthError('RESOURCE_SERVER_UNREACHABLE', `${what}: cannot reach ${server} (${reason})`, { cause: error });
  return new PlinthError('RESOURCE_PROVISION_FAILED', `${what}: ${server} refused: ${reason}`, { cause: error });
}

/**
 * Runs `fn` on a fresh admin connection to a server and closes it. Failing to connect or a
 * failure inside `fn` becomes RESOURCE_SERVER_UNREACHABLE or RESOURCE_PROVISION_FAILED naming
 * the resource (`what`) and the server (its URL without credentials).
 */
export async function withConnection<C, T>(
  server: { kind: string; url: string },
  what: string,
  open: () => Promise<C>,
  close: (connection: C) => Promise<unknown> | void,
  fn: (connection: C) => Promise<T>,
): Promise<T> {
  const named = `${server.kind} at ${displayUrl(server.url)}`;
  let connection: C;
  try {
    connection = await open();
  } catch (error) {
    throw driverError(error, what, named);
  }
  try {
    return await fn(connection);
  } catch (error) {
    throw driverError(error, what, named);
  } finally {
    await Promise.resolve()
      .then(() => close(connection))
      .catch(() => undefined);
  }
}

/** A URL for messages: credentials removed. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** Runs `fn` for one key at a time in this process (cross-process safety is each server's lock). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** A string param, or the fallback. A non-string value is a definition error. */
export function stringParam(params: Record<string, unknown>, key: string, fallback: string): string {
  const value = params[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || value.length === 0) throw new PlinthError('RESOURCE_DEFINITION_INVALID', `param ${key} must be a non-empty string (got ${JSON.stringify(value)})`);
  return value;
}

/** Where workloads reach a server: the definition's `host`/`port` settings, else the server URL's. */
export function publicAddress(settings: Record<string, unknown>, serverUrl: string, defaultPort: number): { host: string; port: number } {
  const server = new URL(serverUrl);
  return { host: stringParam(settings, 'host', server.hostname), port: Number(settings.port ?? (server.port || defaultPort)) };
}

/** A database resource (postgres, mysql): score-compose's output names plus a `connection` URL. */
export function databaseResult(scheme: string, address: { host: string; port: number }, name: string, password: string, adminUrl: string): ProvisionResult {
  const connection = `${scheme}://${encodeURIComponent(name)}:${encodeURIComponent(password)}@${address.host}:${address.port}/${encodeURIComponent(name)}`;
  return {
    outputs: { ...address, name, database: name, username: name, password, connection },
    secretOutputKeys: ['password', 'connection'],
    state: { adminUrl, name, password },
  };
}

/** Settings schema: only these keys, each as described (a misspelt setting is an error, not a silent default). */
export function settingsSchema(properties: Record<string, Record<string, unknown>>, options: { open?: boolean } = {}): Record<string, unknown> {
  return { type: 'object', additionalProperties: options.open ?? false, properties };
}

/** A server URL setting with one of these schemes. */
export function urlSetting(...schemes: string[]): Record<string, unknown> {
  return { type: 'string', pattern: `^(${schemes.join('|')})://` };
}

/** The `host`/`port` settings: where workloads reach the server, when not at the admin URL's host. */
export const PUBLIC_ADDRESS_SETTINGS = { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 1, maximum: 65535 } };
