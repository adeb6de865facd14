import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PlinthError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { allocatePort, canConnect, isPortFree } from './ports.js';
import { ReverseProxy, type ProxyRoute } from './reverse-proxy.js';
import { SupervisedProcess, type ProcessSpec } from './supervised-process.js';

/** A file a container expects, written under the revision's files root. */
export interface WorkloadFile {
  /** The container path (`/etc/app/config.yaml`); written to `$PLINTH_FILES_ROOT/etc/app/config.yaml`. */
  target: string;
  content: string | Buffer;
  mode?: number;
}

export interface LocalContainerSpec extends Omit<ProcessSpec, 'workingDirectory'> {
  /** Where the process runs; default: the revision's files root. */
  workingDirectory?: string;
  files: WorkloadFile[];
  /** Volumes: `$PLINTH_FILES_ROOT/<target>` becomes a link to `source`. */
  links?: Array<{ target: string; source: string }>;
}

/** A service port of the workload (Score `service.ports`). */
export interface LocalServicePort {
  name: string;
  port: number;
  targetPort: number;
}

/** What the local runtime runs for one workload of one environment. */
export interface LocalWorkloadSpec {
  environment: string;
  workload: string;
  /** Identifies the rollout (a deployment id): a new revision replaces the running one. */
  revision: string;
  containers: LocalContainerSpec[];
  ports: LocalServicePort[];
  /**
   * Listen on the Score target ports themselves instead of allocated ones (for programs that
   * ignore PORT). A target port in use is a clear error, and replacing such a workload stops the
   * old revision before starting the new one.
   */
  fixedPorts: boolean;
  /** HTTP readiness probe (Score `readinessProbe.httpGet`); without one, a TCP connect to the first port. */
  readiness?: { path: string; targetPort?: number };
  /** Extra routes (Score `route` resources); the workload's own host is always routed. */
  routes: Array<{ host: string; path: string; port: number | string }>;
}

/** What a running workload looks like from outside. */
export interface LocalWorkloadStatus {
  environment: string;
  workload: string;
  revision: string;
  state: 'running' | 'restarting' | 'stopped';
  url: string;
  ports: Record<string, number>;
  processes: Array<{ name: string; pid: number | null; restarts: number; lastExit: string | null }>;
}

export interface LocalRuntimeOptions {
  /** Where revisions keep pid files, logs and files: `<dataDir>/runtime`. */
  directory: string;
  proxy: ReverseProxyConfig;
  logger: Logger;
  /** SIGTERM, then SIGKILL after this long. */
  stopGraceMs?: number;
}

export interface ReverseProxyConfig {
  host: string;
  port: number;
}

interface RunningRevision {
  spec: LocalWorkloadSpec;
  /** Host port per service port name. */
  ports: Record<string, number>;
  processes: SupervisedProcess[];
  directory: string;
}

/** What survives a Plinth restart next to the pid files: which revision runs on which ports. */
interface CurrentFile {
  revision: string;
  ports: Record<string, number>;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The embedded runtime: workloads run as supervised local processes behind Plinth's reverse
 * proxy at `http://<workload>.<environment>.localhost:<proxy port>/`. Processes outlive Plinth;
 * `reconcile` re-adopts them after a restart (or restarts them) and stops anything not desired.
 */
export class LocalRuntime {
  readonly proxy: ReverseProxy;
  private readonly running = new Map<string, RunningRevision>();
  /** Deploys of one workload run one at a time. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly stopGraceMs: number;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.proxy = new ReverseProxy(options.proxy);
    this.stopGraceMs = options.stopGraceMs ?? 5000;
  }

  private starting: Promise<void> | undefined;

  /** Starts the proxy (once; deploys call it too, so a worker-only process serves its workloads). */
  start(): Promise<void> {
    this.starting ??= (async () => {
      mkdirSync(this.options.directory, { recursive: true });
      await this.proxy.start();
    })();
    this.starting.catch(() => (this.starting = undefined));
    return this.starting;
  }

  hostOf(environment: string, workload: string): string {
    return `${workload}.${environment}.localhost`;
  }

  urlOf(environment: string, workload: string): string {
    return this.proxy.urlOf(this.hostOf(environment, workload));
  }

  /**
   * Zero-downtime rollout: start the new revision on fresh ports, wait until it is ready, switch
   * the proxy, stop the old one. A revision that does not become ready within timeoutMs is
   * stopped and the old one keeps serving.
   */
  async deploy(spec: LocalWorkloadSpec, timeoutMs: number): Promise<LocalWorkloadStatus> {
    await this.start();
    return this.serialized(keyOf(spec.environment, spec.workload), () => this.rollOut(spec, timeoutMs));
  }

  /** Stops a workload's processes, removes its routes and its directory. */
  remove(environment: string, workload: string): Promise<void> {
    const key = keyOf(environment, workload);
    return this.serialized(key, async () => {
      const current = this.running.get(key);
      this.running.delete(key);
      this.proxy.removeRoutes(key);
      if (current) await this.stopRevision(current);
      await this.killRecorded(this.workloadDirectory(environment, workload));
      rmSync(this.workloadDirectory(environment, workload), { recursive: true, force: true });
    });
  }

  async removeEnvironment(environment: string): Promise<void> {
    const directory = path.join(this.options.directory, environment);
    const workloads = existsSync(directory) ? readdirSync(directory) : [];
    const known = [...this.running.values()].filter((r) => r.spec.environment === environment).map((r) => r.spec.workload);
    for (const workload of new Set([...workloads, ...known])) await this.remove(environment, workload);
    rmSync(directory, { recursive: true, force: true });
  }

  /**
   * Brings the processes in line with the desired workloads after a start: a workload whose
   * recorded revision is still alive is adopted, any other is started; processes of workloads
   * no longer desired are stopped, so nothing is orphaned.
   */
  async reconcile(desired: LocalWorkloadSpec[], timeoutMs: number): Promise<Array<{ workload: string; environment: string; outcome: 'adopted' | 'started' | 'failed'; error?: string }>> {
    const wanted = new Set(desired.map((spec) => keyOf(spec.environment, spec.workload)));
    for (const environment of existsSync(this.options.directory) ? readdirSync(this.options.directory) : []) {
      for (const workload of readdirSync(path.join(this.options.directory, environment))) {
        if (!wanted.has(keyOf(environment, workload))) await this.remove(environment, workload);
      }
    }
    const outcomes = [];
    for (const spec of desired) {
      const key = keyOf(spec.environment, spec.workload);
      try {
        const adopted = await this.serialized(key, async () => this.adopt(spec));
        if (adopted) {
          outcomes.push({ workload: spec.workload, environment: spec.environment, outcome: 'adopted' as const });
          continue;
        }
        await this.deploy(spec, timeoutMs);
        outcomes.push({ workload: spec.workload, environment: spec.environment, outcome: 'started' as const });
      } catch (error) {
        this.options.logger.error({ err: error, workload: spec.workload, environment: spec.environment }, 'workload could not be restored');
        outcomes.push({ workload: spec.workload, environment: spec.environment, outcome: 'failed' as const, error: (error as Error).message });
      }
    }
    return outcomes;
  }

  status(environment: string, workload: string): LocalWorkloadStatus | undefined {
    const current = this.running.get(keyOf(environment, workload));
    return current ? this.describe(current) : undefined;
  }

  /** Log files of the running revision, one per container. */
  logFiles(environment: string, workload: string): Array<{ container: string; file: string }> {
    const current = this.running.get(keyOf(environment, workload));
    if (!current) throw new PlinthError('LOCAL_RUNTIME_WORKLOAD_NOT_RUNNING', `workload ${workload} is not running in environment ${environment}`);
    return current.processes.map((p) => ({ container: p.spec.name, file: p.logFile }));
  }

  /**
   * Calls onText with the log of the running revision: the last `tail` bytes, then (when follow)
   * whatever is appended, until the signal aborts.
   */
  async followLogs(environment: string, workload: string, options: { follow: boolean; tailBytes?: number; signal?: AbortSignal }, onText: (container: string, text: string) => void): Promise<void> {
    const files = this.logFiles(environment, workload);
    await Promise.all(files.map((f) => followFile(f.file, options, (text) => onText(f.container, text))));
  }

  /** Stops supervising without stopping the processes: the next start adopts them. */
  async close(): Promise<void> {
    for (const current of this.running.values()) current.processes.forEach((p) => p.detach());
    this.running.clear();
    if (this.starting) await this.proxy.close();
    this.starting = undefined;
  }

  /** Stops every workload process (tests, `plinth serve --stop-workloads`). */
  async stopAll(): Promise<void> {
    for (const [key, current] of [...this.running]) {
      this.running.delete(key);
      this.proxy.removeRoutes(key);
      await this.stopRevision(current);
    }
  }

  private async rollOut(spec: LocalWorkloadSpec, timeoutMs: number): Promise<LocalWorkloadStatus> {
    assertName(spec.environment, 'environment');
    assertName(spec.workload, 'workload');
    const key = keyOf(spec.environment, spec.workload);
    const previous = this.running.get(key);
    if (previous?.spec.revision === spec.revision && previous.processes.every((p) => p.running)) return this.describe(previous);
    const ports = await this.assignPorts(spec, previous);
    // Fixed ports cannot be shared by two revisions: the old one makes room first.
    if (spec.fixedPorts && previous) {
      this.running.delete(key);
      this.proxy.removeRoutes(key);
      await this.stopRevision(previous);
    }
    const next = this.launch(spec, ports);
    try {
      await this.waitReady(next, timeoutMs);
    } catch (error) {
      await this.stopRevision(next);
      rmSync(next.directory, { recursive: true, force: true });
      throw error;
    }
    this.running.set(key, next);
    this.proxy.setRoutes(key, this.routesOf(next));
    this.writeCurrent(next);
    if (previous && !spec.fixedPorts) {
      await this.stopRevision(previous);
      if (previous.directory !== next.directory) rmSync(previous.directory, { recursive: true, force: true });
    }
    return this.describe(next);
  }

  private async assignPorts(spec: LocalWorkloadSpec, previous: RunningRevision | undefined): Promise<Record<string, number>> {
    const ports: Record<string, number> = {};
    for (const servicePort of spec.ports) {
      if (!spec.fixedPorts) {
        ports[servicePort.name] = await allocatePort();
        continue;
      }
      const port = servicePort.targetPort;
      const ownPrevious = previous && Object.values(previous.ports).includes(port);
      if (!ownPrevious && !(await isPortFree(port))) {
        const holder = [...this.running.values()].find((r) => Object.values(r.ports).includes(port));
        const by = holder ? `workload ${holder.spec.workload} of environment ${holder.spec.environment}` : 'another program';
        throw new PlinthError('LOCAL_RUNTIME_PORT_IN_USE', `port ${port} (service port '${servicePort.name}' of workload ${spec.workload}) is in use by ${by}; free it, or drop the plinth.dev/local-ports: fixed annotation so the runtime allocates a port`);
      }
      ports[servicePort.name] = port;
    }
    return ports;
  }

  private launch(spec: LocalWorkloadSpec, ports: Record<string, number>): RunningRevision {
    const directory = path.join(this.workloadDirectory(spec.environment, spec.workload), spec.revision);
    rmSync(directory, { recursive: true, force: true });
    const filesRoot = path.join(directory, 'files');
    mkdirSync(filesRoot, { recursive: true });
    const processes = spec.containers.map((container) => {
      for (const file of container.files) {
        const target = path.join(filesRoot, path.normalize(`/${file.target}`));
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, typeof file.content === 'string' ? file.content : Buffer.from(file.content), { mode: file.mode ?? 0o644 });
      }
      for (const link of container.links ?? []) {
        const target = path.join(filesRoot, path.normalize(`/${link.target}`));
        mkdirSync(path.dirname(target), { recursive: true });
        mkdirSync(link.source, { recursive: true });
        symlinkSync(link.source, target);
      }
      const supervised = new SupervisedProcess(processSpecOf(spec, container, ports, directory), directory, this.options.logger.child({ workload: spec.workload, environment: spec.environment }));
      supervised.start();
      return supervised;
    });
    return { spec, ports, processes, directory };
  }

  private async adopt(spec: LocalWorkloadSpec): Promise<boolean> {
    const current = this.readCurrent(spec.environment, spec.workload);
    if (!current || current.revision !== spec.revision) return false;
    const directory = path.join(this.workloadDirectory(spec.environment, spec.workload), spec.revision);
    const processes = spec.containers.map((container) => new SupervisedProcess(processSpecOf(spec, container, current.ports, directory), directory, this.options.logger.child({ workload: spec.workload, environment: spec.environment })));
    if (!processes.every((p) => p.adopt())) {
      for (const p of processes) await p.stop(this.stopGraceMs);
      return false;
    }
    const revision: RunningRevision = { spec, ports: current.ports, processes, directory };
    this.running.set(keyOf(spec.environment, spec.workload), revision);
    this.proxy.setRoutes(keyOf(spec.environment, spec.workload), this.routesOf(revision));
    return true;
  }

  private async waitReady(revision: RunningRevision, timeoutMs: number): Promise<void> {
    const { spec } = revision;
    const deadline = Date.now() + timeoutMs;
    const probePort = this.probePort(revision);
    let lastProblem = 'it did not answer';
    while (Date.now() < deadline) {
      const crashing = revision.processes.find((p) => p.consecutiveFailures >= 3);
      if (crashing) {
        lastProblem = `container ${crashing.spec.name} keeps exiting (${crashing.lastExit?.signal ?? `code ${crashing.lastExit?.code}`})`;
        break;
      }
      if (revision.processes.every((p) => p.running)) {
        if (probePort === undefined) {
          await sleep(300);
          if (revision.processes.every((p) => p.running)) return;
        } else if (spec.readiness) {
          const answer = await probeHttp(probePort, spec.readiness.path);
          if (answer.ok) return;
          lastProblem = answer.problem;
        } else if (await canConnect(probePort)) {
          return;
        } else {
          lastProblem = `nothing accepts connections on port ${probePort}`;
        }
      }
      await sleep(100);
    }
    const logs = revision.processes.map((p) => `--- ${p.spec.name} ---\n${tailOf(p.logFile, 2000)}`).join('\n');
    throw new PlinthError('LOCAL_RUNTIME_WORKLOAD_NOT_READY', `workload ${spec.workload} did not become ready within ${Math.round(timeoutMs / 1000)} s: ${lastProblem}\n${logs}`);
  }

  private probePort(revision: RunningRevision): number | undefined {
    const { spec, ports } = revision;
    if (spec.ports.length === 0) return undefined;
    const wanted = spec.readiness?.targetPort;
    const match = spec.ports.find((p) => p.targetPort === wanted || p.port === wanted) ?? spec.ports[0]!;
    return ports[match.name];
  }

  private routesOf(revision: RunningRevision): ProxyRoute[] {
    const { spec, ports } = revision;
    const first = spec.ports[0] ? ports[spec.ports[0].name] : undefined;
    const routes: ProxyRoute[] = first === undefined ? [] : [{ host: this.hostOf(spec.environment, spec.workload), path: '/', port: first }];
    for (const route of spec.routes) {
      const servicePort = spec.ports.find((p) => p.name === String(route.port) || p.port === Number(route.port) || p.targetPort === Number(route.port));
      if (servicePort) routes.push({ host: route.host, path: route.path || '/', port: ports[servicePort.name]! });
    }
    return routes;
  }

  private describe(revision: RunningRevision): LocalWorkloadStatus {
    const { spec } = revision;
    const allRunning = revision.processes.every((p) => p.running);
    return {
      environment: spec.environment,
      workload: spec.workload,
      revision: spec.revision,
      state: allRunning ? 'running' : 'restarting',
      url: this.urlOf(spec.environment, spec.workload),
      ports: revision.ports,
      processes: revision.processes.map((p) => ({
        name: p.spec.name,
        pid: p.currentPid ?? null,
        restarts: p.restarts,
        lastExit: p.lastExit ? (p.lastExit.signal ?? `code ${p.lastExit.code}`) : null,
      })),
    };
  }

  private async stopRevision(revision: RunningRevision): Promise<void> {
    await Promise.all(revision.processes.map((p) => p.stop(this.stopGraceMs)));
  }

  /** Kills processes recorded in pid files under a directory that this runtime does not hold (left by a crash). */
  private async killRecorded(directory: string): Promise<void> {
    if (!existsSync(directory)) return;
    for (const revision of readdirSync(directory)) {
      const revisionDirectory = path.join(directory, revision);
      if (revision === 'current.json' || !existsSync(revisionDirectory)) continue;
      for (const file of readdirSync(revisionDirectory).filter((f) => f.endsWith('.pid'))) {
        const name = file.slice(0, -'.pid'.length);
        const orphan = new SupervisedProcess({ name, command: [], workingDirectory: revisionDirectory, env: {} }, revisionDirectory, this.options.logger);
        await orphan.stop(this.stopGraceMs);
      }
    }
  }

  private workloadDirectory(environment: string, workload: string): string {
    return path.join(this.options.directory, environment, workload);
  }

  private writeCurrent(revision: RunningRevision): void {
    const file: CurrentFile = { revision: revision.spec.revision, ports: revision.ports };
    writeFileSync(path.join(this.workloadDirectory(revision.spec.environment, revision.spec.workload), 'current.json'), JSON.stringify(file));
  }

  private readCurrent(environment: string, workload: string): CurrentFile | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.workloadDirectory(environment, workload), 'current.json'), 'utf8')) as CurrentFile;
    } catch {
      return undefined;
    }
  }

  private async serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(fn);
    this.locks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === run) this.locks.delete(key);
    }
  }
}

/** The process of a container: its variables, plus PORT / PORT_<NAME> and PLINTH_FILES_ROOT from the runtime. */
function processSpecOf(spec: LocalWorkloadSpec, container: LocalContainerSpec, ports: Record<string, number>, directory: string): ProcessSpec {
  const first = spec.ports[0] ? ports[spec.ports[0].name] : undefined;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? directory,
    ...(first === undefined ? {} : { PORT: String(first) }),
    ...Object.fromEntries(spec.ports.map((p) => [`PORT_${p.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`, String(ports[p.name])])),
    PLINTH_FILES_ROOT: path.join(directory, 'files'),
    ...container.env,
  };
  return { name: container.name, command: container.command, workingDirectory: container.workingDirectory ?? path.join(directory, 'files'), env };
}

function keyOf(environment: string, workload: string): string {
  return `${environment}/${workload}`;
}

function assertName(value: string, what: string): void {
  if (!NAME.test(value)) throw new PlinthError('LOCAL_RUNTIME_COMMAND_INVALID', `${what} name '${value}' is not a DNS label (lower-case letters, digits and '-', at most 63)`);
}

async function probeHttp(port: number, probePath: string): Promise<{ ok: true } | { ok: false; problem: string }> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${probePath.startsWith('/') ? probePath : `/${probePath}`}`, { signal: AbortSignal.timeout(1000), redirect: 'manual' });
    await response.arrayBuffer();
    if (response.status >= 200 && response.status < 400) return { ok: true };
    return { ok: false, problem: `readiness probe GET ${probePath} answered ${response.status}` };
  } catch (error) {
    return { ok: false, problem: `readiness probe GET ${probePath} failed: ${(error as Error).cause ?? (error as Error).message}` };
  }
}

function tailOf(file: string, bytes: number): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '(no output)';
  }
}

async function followFile(file: string, options: { follow: boolean; tailBytes?: number; signal?: AbortSignal }, onText: (text: string) => void): Promise<void> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    const { size } = await handle.stat();
    let position = Math.max(0, size - (options.tailBytes ?? 64 * 1024));
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        onText(buffer.subarray(0, bytesRead).toString('utf8'));
        continue;
      }
      if (!options.follow || options.signal?.aborted) return;
      await sleep(200, undefined, { signal: options.signal }).catch(() => undefined);
      if (options.signal?.aborted) return;
    }
  } finally {
    await handle.close();
  }
}
