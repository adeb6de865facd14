import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Starts worker-process.ts as real child processes and reads its line protocol. */

const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface WorkerProcessOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Written into effect rows, to tell which process did the work. */
  name: string;
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  /** Milliseconds to wait for READY. */
  startTimeoutMs?: number;
}

export interface WorkerEvent {
  event: string;
  data: Record<string, unknown>;
}

export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  /** The queue worker's id (`jobs.locked_by`), from READY. */
  readonly workerId: string;
  readonly events: WorkerEvent[];
  /** Everything the process wrote to stderr, for failure messages. */
  readonly stderr: () => string;
  /** Resolves with the first event (already seen or future) that matches. */
  waitFor(match: (event: WorkerEvent) => boolean, timeoutMs?: number): Promise<WorkerEvent>;
  /** SIGTERM: the worker stops gracefully; resolves with its STOPPED counts. */
  stop(timeoutMs?: number): Promise<Record<string, number>>;
  /** SIGKILL: no cleanup at all; resolves when the process is gone. */
  kill(): Promise<void>;
}

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, WORKER_DATA_DIR: options.dataDir, WORKER_NAME: options.name };
  if (options.databaseUrl) env.WORKER_DATABASE_URL = options.databaseUrl;
  if (options.concurrency !== undefined) env.WORKER_CONCURRENCY = String(options.concurrency);
  if (options.leaseMs !== undefined) env.WORKER_LEASE_MS = String(options.leaseMs);
  if (options.pollMs !== undefined) env.WORKER_POLL_MS = String(options.pollMs);
  // e.g. WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the workers (not allowed in NODE_OPTIONS).
  const nodeArgs = process.env.WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });

  const events: WorkerEvent[] = [];
  const waiters = new Set<{ match: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void }>();
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const space = line.indexOf(' ');
    let event: WorkerEvent;
    try {
      event = { event: line.slice(0, space), data: JSON.parse(line.slice(space + 1)) as Record<string, unknown> };
    } catch {
      stderr += `[stdout] ${line}\n`;
      return;
    }
    events.push(event);
    for (const waiter of waiters) if (waiter.match(event)) waiter.resolve(event);
  });
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = `exited with ${signal ?? `code ${code}`}`;
      resolve();
    });
  });
  // Our end of its stdin; closing it (or our own death) tells the worker to stop.
  child.stdin!.on('error', () => {});

  const describe = () => `worker ${options.name} (pid ${child.pid}${exitInfo ? `, ${exitInfo}` : ''}); stderr:\n${stderr}`;

  const waitFor = (match: (e: WorkerEvent) => boolean, timeoutMs = 30_000) => {
    const seen = events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<WorkerEvent>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (e: WorkerEvent) => {
          cleanup();
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for an event from ${describe()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
      };
      waiters.add(waiter);
      void exited.then(() => {
        // Lines still buffered in readline arrive before 'close'; give them a tick.
        setImmediate(() => {
          if (!waiters.has(waiter)) return;
          cleanup();
          reject(new Error(`${describe()}\nended before the awaited event`));
        });
      });
    });
  };

  const ready = await waitFor((e) => e.event === 'READY', options.startTimeoutMs ?? 30_000).catch((error: Error) => {
    child.kill('SIGKILL');
    throw error;
  });

  return {
    name: options.name,
    pid: child.pid!,
    workerId: String(ready.data.workerId),
    events,
    stderr: () => stderr,
    waitFor,
    async stop(timeoutMs = 20_000) {
      if (exitInfo) throw new Error(`cannot stop ${describe()}`);
      child.kill('SIGTERM');
      const stopped = await waitFor((e) => e.event === 'STOPPED', timeoutMs);
      await exited;
      return stopped.data as Record<string, number>;
    },
    async kill() {
      if (!exitInfo) process.kill(child.pid!, 'SIGKILL');
      await exited;
    },
  };
}
