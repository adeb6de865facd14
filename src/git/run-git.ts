import { spawn } from 'node:child_process';

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`git ${args[0]} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
  }
}

export interface RunGitOptions {
  cwd?: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Stop reading (and end git) after this many bytes of output; resolves with what was read. */
  maxOutputBytes?: number;
}

/** Runs the system `git` with a clean, non-interactive environment; resolves to stdout. */
export function runGit(args: string[], options: RunGitOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let received = 0;
    let stderr = '';
    const timeoutMs = options.timeoutMs ?? 120_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const limit = options.maxOutputBytes;
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      received += d.length;
      if (limit !== undefined && received >= limit) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.kill('SIGKILL');
        resolve(Buffer.concat(out).subarray(0, limit));
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new GitError(args, timedOut ? `${stderr}\nkilled: no exit after ${timeoutMs} ms` : stderr, code));
    });
    // git may exit without reading its input (an error, or a command that takes none).
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
