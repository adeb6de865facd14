import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO_ROOT, 'src', 'cli', 'run.ts');
// Absolute, so child processes started in another working directory still find tsx.
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `plinth` CLI (from source, through tsx) as a child process. */
export function runPlinth(args: string[], options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...cleanEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** The environment without PLINTH_* settings of the developer's shell, so tests are deterministic. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PLINTH_')) env[key] = value;
  env.XDG_CONFIG_HOME = mkdtempSync(path.join(tmpdir(), 'plinth-home-'));
  env.PLINTH_LOG_LEVEL = 'warn';
  // Servers of parallel tests must not race for the local runtime's default proxy port (7080).
  env.PLINTH_PROXY_PORT = '0';
  return env;
}

export interface RunningServer {
  url: string;
  adminToken: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  env?: Record<string, string | undefined>;
  args?: string[];
  dataDir?: string;
  /** Skip creating an admin token (e.g. when the database already has one). */
  adminToken?: string;
}

/**
 * Starts `plinth serve` as a real child process on a free port with a fresh SQLite data dir
 * (or the database in env.PLINTH_DATABASE_URL), after creating an admin token with the CLI.
 */
export async function startPlinthServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const ownDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'plinth-server-'));
  const env = { PLINTH_DATA_DIR: dataDir, ...options.env };
  let adminToken = options.adminToken;
  if (!adminToken) {
    const created = await runPlinth(['token', 'create', '--name', `admin-${Date.now()}`, '--role', 'admin', '--data-dir', dataDir], { env });
    if (created.code !== 0) throw new Error(`token create failed: ${created.stderr}`);
    adminToken = created.stdout.trim();
  }
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'serve', '--port', '0', ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`plinth serve did not start in time:\n${output}`)), 30_000);
    const check = () => {
      // The child's stdout is not a terminal, so the URL comes without colour codes.
      const match = /running at (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`plinth serve exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    adminToken,
    dataDir,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Calls the server's API with its admin token: JSON in, status and JSON out. */
export function adminApi(server: () => RunningServer) {
  return async <T = unknown>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const { url: base, adminToken } = server();
    const res = await fetch(`${base}/api${url}`, { method, headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as T };
  };
}
