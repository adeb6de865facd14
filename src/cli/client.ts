import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { ERROR_CODES, PlinthError, type ErrorCode } from '../core/errors.js';

export interface ServerCredentials {
  server: string;
  token?: string;
}

/** Where `plinth login` keeps the server and token (mode 0600). */
export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config');
  return path.join(base, 'plinth', 'credentials.json');
}

export function readSavedCredentials(env: NodeJS.ProcessEnv = process.env): ServerCredentials | undefined {
  try {
    return JSON.parse(readFileSync(credentialsFile(env), 'utf8')) as ServerCredentials;
  } catch {
    return undefined;
  }
}

export function saveCredentials(credentials: ServerCredentials, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsFile(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/**
 * The server to talk to: --server/--token, then PLINTH_SERVER/PLINTH_TOKEN (a pipeline job
 * gets these), then what `plinth login` saved. Undefined when none is set.
 */
export function resolveServer(options: { server?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): ServerCredentials | undefined {
  const saved = readSavedCredentials(env);
  const server = options.server ?? env.PLINTH_SERVER ?? saved?.server;
  if (!server) return undefined;
  const token = options.token ?? env.PLINTH_TOKEN ?? (saved?.server === server ? saved.token : undefined);
  return { server: server.replace(/\/$/, ''), token };
}

/** Calls the Plinth API; a problem response becomes the PlinthError the server described. */
export async function callApi<T>(credentials: ServerCredentials, method: string, pathname: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${credentials.server}${pathname}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new PlinthError('CLI_REQUEST_FAILED', `cannot reach ${credentials.server}: ${(error as Error).cause ?? (error as Error).message}`);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const problem = parsed as { code?: string; detail?: string; errors?: Array<{ path: string; message: string }> } | undefined;
    const code = (problem?.code && problem.code in ERROR_CODES ? problem.code : 'CLI_REQUEST_FAILED') as ErrorCode;
    throw new PlinthError(code, problem?.detail ?? `${method} ${pathname} answered ${response.status}`, {
      details: problem?.errors?.map((e) => ({ message: e.message, location: { field: e.path } })),
    });
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
