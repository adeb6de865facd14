import { spawn } from 'node:child_process';

export interface ProcessOutcome {
  exitCode: number | null;
  /** Set when the process could not start (missing shell, bad working directory). */
  spawnError?: string;
  timedOut: boolean;
  cancelled: boolean;
}

export interface StepProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Each output line, without its line ending, in order per stream. */
  onLine: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Process groups still alive after the step (background children) are killed at job end. */
  processGroups: Set<number>;
}

/** Kills a whole process group (the step's shell and everything it started). */
export function killProcessGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** How long output may still arrive after the shell exited (a background child can hold the pipe). */
const OUTPUT_DRAIN_MS = 200;

/**
 * Runs one step process in its own process group (detached) so a timeout or cancellation kills
 * its children too. Output is split into lines as it arrives; the caller's onLine must not block.
 */
export function runStepProcess(options: StepProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    if (pid !== undefined) options.processGroups.add(pid);
    const kill = () => {
      if (pid !== undefined) killProcessGroup(pid);
    };
    const timer = options.timeoutMs !== undefined ? setTimeout(() => ((timedOut = true), kill()), options.timeoutMs) : undefined;
    const onAbort = () => {
      cancelled = true;
      kill();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    const pending = { stdout: '', stderr: '' };
    const open = { stdout: true, stderr: true };
    const feed = (stream: 'stdout' | 'stderr', chunk: string) => {
      const text = pending[stream] + chunk;
      let start = 0;
      let newline = text.indexOf('\n', start);
      while (newline >= 0) {
        const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
        options.onLine(text.slice(start, end), stream);
        start = newline + 1;
        newline = text.indexOf('\n', start);
      }
      pending[stream] = text.slice(start);
    };
    const flush = (stream: 'stdout' | 'stderr') => {
      if (!open[stream]) return;
      open[stream] = false;
      if (pending[stream] !== '') options.onLine(pending[stream], stream);
      pending[stream] = '';
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => feed('stdout', chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => feed('stderr', chunk));
    child.stdout.on('end', () => flush('stdout'));
    child.stderr.on('end', () => flush('stderr'));

    const finish = (exitCode: number | null, spawnError?: string) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      flush('stdout');
      flush('stderr');
      child.stdout.destroy();
      child.stderr.destroy();
      if (timedOut || cancelled) kill();
      resolve({ exitCode, spawnError, timedOut, cancelled });
    };
    child.on('error', (error) => finish(null, error.message));
    child.on('exit', (code, signal) => {
      const exitCode = code ?? (signal ? 128 : null);
      if (!open.stdout && !open.stderr) return finish(exitCode);
      // Let the pipes drain; a background child that keeps them open must not hold the step.
      const drain = setTimeout(() => finish(exitCode), OUTPUT_DRAIN_MS);
      const check = () => {
        if (!open.stdout && !open.stderr) {
          clearTimeout(drain);
          finish(exitCode);
        }
      };
      child.stdout.on('end', check);
      child.stderr.on('end', check);
      check();
    });
  });
}
