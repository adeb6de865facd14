import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PlinthError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/** One process of a workload (a Score container run locally). */
export interface ProcessSpec {
  name: string;
  /** argv: the executable and its arguments. */
  command: string[];
  workingDirectory: string;
  env: Record<string, string>;
}

interface PidFile {
  pid: number;
  /** Kernel start time of the process (clock ticks since boot), so a reused pid is not mistaken for ours. */
  startTime: string | null;
}

export const RESTART_BACKOFF_MAX_MS = 30_000;
/** A process that stayed up this long starts its backoff from the beginning again. */
const STABLE_AFTER_MS = 30_000;
const LIVENESS_POLL_MS = 1000;

/**
 * A supervised process: started in its own process group (so stopping it stops its children),
 * stdout and stderr appended to a log file (so it outlives Plinth and can be re-adopted), its
 * pid in a pid file, restarted with exponential backoff when it exits unasked.
 */
export class SupervisedProcess {
  readonly logFile: string;
  private readonly pidFile: string;
  private pid: number | undefined;
  private stopping = false;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  /** Exits since the last stable run. */
  private failures = 0;
  restarts = 0;
  lastExit: { code: number | null; signal: string | null; at: number } | undefined;

  constructor(
    readonly spec: ProcessSpec,
    readonly directory: string,
    private readonly logger: Logger,
  ) {
    this.logFile = path.join(directory, `${spec.name}.log`);
    this.pidFile = path.join(directory, `${spec.name}.pid`);
  }

  get running(): boolean {
    return this.pid !== undefined && isGroupAlive(this.pid);
  }

  get currentPid(): number | undefined {
    return this.pid;
  }

  /** Exits in a row without a stable run in between: readiness gives up early on a crash loop. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  start(): void {
    this.stopping = false;
    this.launch();
  }

  /** Takes over a process a previous Plinth started, if its pid file names a live process of ours. */
  adopt(): boolean {
    if (!existsSync(this.pidFile)) return false;
    let recorded: PidFile;
    try {
      recorded = JSON.parse(readFileSync(this.pidFile, 'utf8')) as PidFile;
    } catch {
      return false;
    }
    if (!isGroupAlive(recorded.pid) || (recorded.startTime !== null && processStartTime(recorded.pid) !== recorded.startTime)) return false;
    this.pid = recorded.pid;
    this.startedAt = Date.now();
    this.stopping = false;
    this.watchLiveness();
    return true;
  }

  /** SIGTERM to the process group, SIGKILL after graceMs; resolves when the group is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.livenessTimer);
    const pid = this.pid ?? this.recordedPid();
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isGroupAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isGroupAlive(pid)) {
      signalGroup(pid, 'SIGKILL');
      while (isGroupAlive(pid)) await sleep(20);
    }
    this.pid = undefined;
  }

  /** Stops watching without touching the process: it keeps running for the next Plinth to adopt. */
  detach(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.livenessTimer);
  }

  private recordedPid(): number | undefined {
    try {
      return (JSON.parse(readFileSync(this.pidFile, 'utf8')) as PidFile).pid;
    } catch {
      return undefined;
    }
  }

  private launch(): void {
    const [executable, ...args] = this.spec.command;
    if (!executable) throw new PlinthError('LOCAL_RUNTIME_COMMAND_INVALID', `container ${this.spec.name} has no command to run`);
    mkdirSync(this.directory, { recursive: true });
    const log = openSync(this.logFile, 'a');
    try {
      const child = spawn(executable, args, {
        cwd: this.spec.workingDirectory,
        env: this.spec.env,
        detached: true,
        stdio: ['ignore', log, log],
      });
      child.unref();
      child.once('error', (error) => {
        writeFileSync(this.logFile, `plinth: cannot start ${executable}: ${error.message}\n`, { flag: 'a' });
        this.onExit(null, null);
      });
      child.once('exit', (code, signal) => {
        if (child.pid === this.pid) this.onExit(code, signal);
      });
      this.pid = child.pid;
    } finally {
      closeSync(log);
    }
    this.startedAt = Date.now();
    if (this.pid !== undefined) {
      const record: PidFile = { pid: this.pid, startTime: processStartTime(this.pid) ?? null };
      writeFileSync(this.pidFile, JSON.stringify(record));
    }
  }

  /** Adopted processes are not our children: their exit is noticed by polling. */
  private watchLiveness(): void {
    clearInterval(this.livenessTimer);
    this.livenessTimer = setInterval(() => {
      if (this.pid !== undefined && !isGroupAlive(this.pid)) {
        clearInterval(this.livenessTimer);
        this.onExit(null, null);
      }
    }, LIVENESS_POLL_MS);
    this.livenessTimer.unref();
  }

  private onExit(code: number | null, signal: string | null): void {
    // A process whose group is still alive has left children running: kill them too.
    if (this.pid !== undefined && isGroupAlive(this.pid)) signalGroup(this.pid, 'SIGKILL');
    this.pid = undefined;
    this.lastExit = { code, signal, at: Date.now() };
    if (this.stopping) return;
    this.failures = Date.now() - this.startedAt >= STABLE_AFTER_MS ? 1 : this.failures + 1;
    const delay = Math.min(1000 * 2 ** (this.failures - 1), RESTART_BACKOFF_MAX_MS);
    this.logger.warn({ process: this.spec.name, code, signal, restartInMs: delay }, 'workload process exited; restarting');
    writeFileSync(this.logFile, `plinth: process exited (${signal ?? `code ${code}`}); restarting in ${delay} ms\n`, { flag: 'a' });
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restarts += 1;
      try {
        this.launch();
      } catch (error) {
        this.logger.error({ err: error, process: this.spec.name }, 'workload process restart failed');
      }
    }, delay);
    this.restartTimer.unref();
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function isGroupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

/** A leader that exited but was not yet reaped still answers signal 0; it is not alive. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Field 22 of /proc/<pid>/stat; undefined where /proc is not available. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
