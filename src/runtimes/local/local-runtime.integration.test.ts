import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { LocalRuntime, type LocalWorkloadSpec } from './local-runtime.js';
import { isRunning } from '../../../test/support/environments.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../../test/fixtures/environments/notes-service');

/** GET through the proxy with the workload's Host header. */
function viaProxy(runtime: LocalRuntime, host: string, pathname = '/', method = 'GET', body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: runtime.proxy.port, path: pathname, method, headers: { host: `${host}:${runtime.proxy.port}` } }, (response) => {
      let text = '';
      response.on('data', (d) => (text += d));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function notesSpec(revision: string, extra: Partial<LocalWorkloadSpec> = {}, env: Record<string, string> = {}): LocalWorkloadSpec {
  return {
    environment: 'preview-1',
    workload: 'notes',
    revision,
    containers: [{ name: 'main', command: [process.execPath, 'server.js'], workingDirectory: FIXTURE, env: { RELEASE: revision, ...env }, files: [{ target: '/etc/notes/hello.txt', content: 'hi' }] }],
    ports: [{ name: 'web', port: 80, targetPort: 8080 }],
    fixedPorts: false,
    readiness: { path: '/healthz', targetPort: 8080 },
    routes: [],
    ...extra,
  };
}

describe('local runtime', () => {
  let directory: string;
  let runtime: LocalRuntime;
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'plinth-runtime-'));
    runtime = new LocalRuntime({ directory, proxy: { host: '127.0.0.1', port: 0 }, logger, stopGraceMs: 2000 });
    await runtime.start();
  });

  afterEach(async () => {
    await runtime.stopAll();
  });

  afterAll(async () => {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('runs a workload behind the proxy at <workload>.<environment>.localhost, with files and PORT', async () => {
    const status = await runtime.deploy(notesSpec('r1'), 10_000);
    expect(status.state).toBe('running');
    expect(status.url).toBe(`http://notes.preview-1.localhost:${runtime.proxy.port}/`);
    const answer = await viaProxy(runtime, 'notes.preview-1.localhost');
    expect(JSON.parse(answer.text)).toMatchObject({ service: 'notes', release: 'r1' });
    const echoed = await viaProxy(runtime, 'notes.preview-1.localhost', '/stream', 'POST', 'x'.repeat(200_000));
    expect(echoed.text.length).toBe(200_000);
    const unknown = await viaProxy(runtime, 'nothing.preview-1.localhost');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain("no workload is routed for host 'nothing.preview-1.localhost");
  });

  it('replaces a revision without dropping a request, and stops the old process', async () => {
    const first = await runtime.deploy(notesSpec('r1'), 10_000);
    const oldPid = first.processes[0]!.pid!;
    let failures = 0;
    let requests = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const answer = await viaProxy(runtime, 'notes.preview-1.localhost').catch(() => ({ status: 0, text: '' }));
        requests += 1;
        if (answer.status !== 200) failures += 1;
      }
    })();
    const second = await runtime.deploy(notesSpec('r2'), 10_000);
    await sleep(200);
    polling = false;
    await poller;
    expect(failures).toBe(0);
    expect(requests).toBeGreaterThan(5);
    expect(second.processes[0]!.pid).not.toBe(oldPid);
    expect(isRunning(oldPid)).toBe(false);
    expect(JSON.parse((await viaProxy(runtime, 'notes.preview-1.localhost')).text).release).toBe('r2');
  });

  it('a revision that never becomes ready fails with its log, and the old one keeps serving', async () => {
    await runtime.deploy(notesSpec('r1'), 10_000);
    await expect(runtime.deploy(notesSpec('broken', {}, { BROKEN: 'true' }), 1500)).rejects.toMatchObject({
      code: 'LOCAL_RUNTIME_WORKLOAD_NOT_READY',
      message: expect.stringMatching(/did not become ready within 2 s: readiness probe GET \/healthz answered 503[\s\S]*notes listening on/),
    });
    expect(JSON.parse((await viaProxy(runtime, 'notes.preview-1.localhost')).text).release).toBe('r1');
  });

  it('a fixed port held by another workload is a clear error and starts nothing', async () => {
    const holder = http.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => holder.once('listening', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(runtime.deploy(notesSpec('r1', { fixedPorts: true, ports: [{ name: 'web', port: 80, targetPort: port }] }), 5000)).rejects.toMatchObject({
        code: 'LOCAL_RUNTIME_PORT_IN_USE',
        message: expect.stringContaining(`port ${port} (service port 'web' of workload notes) is in use by another program`),
      });
      expect(runtime.status('preview-1', 'notes')).toBeUndefined();
    } finally {
      holder.close();
    }
  });

  it('restarts a process that dies, with backoff', async () => {
    const status = await runtime.deploy(notesSpec('r1'), 10_000);
    process.kill(status.processes[0]!.pid!, 'SIGKILL');
    const deadline = Date.now() + 8000;
    let restarted = runtime.status('preview-1', 'notes')!;
    while (Date.now() < deadline && !(restarted.processes[0]!.restarts === 1 && restarted.state === 'running')) {
      await sleep(100);
      restarted = runtime.status('preview-1', 'notes')!;
    }
    expect(restarted.processes[0]).toMatchObject({ restarts: 1, lastExit: 'SIGKILL' });
    await expect.poll(async () => (await viaProxy(runtime, 'notes.preview-1.localhost')).status, { timeout: 5000 }).toBe(200);
  });

  it('a new runtime adopts running processes and stops workloads no longer desired', async () => {
    const spec = notesSpec('r1');
    const other = { ...notesSpec('o1'), workload: 'other' };
    const status = await runtime.deploy(spec, 10_000);
    const otherStatus = await runtime.deploy(other, 10_000);
    await runtime.close();
    runtime = new LocalRuntime({ directory, proxy: { host: '127.0.0.1', port: 0 }, logger, stopGraceMs: 2000 });
    await runtime.start();
    const outcomes = await runtime.reconcile([spec], 10_000);
    expect(outcomes).toEqual([{ workload: 'notes', environment: 'preview-1', outcome: 'adopted' }]);
    expect(runtime.status('preview-1', 'notes')!.processes[0]!.pid).toBe(status.processes[0]!.pid);
    expect(JSON.parse((await viaProxy(runtime, 'notes.preview-1.localhost')).text).pid).toBe(status.processes[0]!.pid);
    expect(isRunning(otherStatus.processes[0]!.pid!)).toBe(false);
  });

  it('streams logs and follows them', async () => {
    await runtime.deploy(notesSpec('r1'), 10_000);
    const controller = new AbortController();
    let text = '';
    const following = runtime.followLogs('preview-1', 'notes', { follow: true, signal: controller.signal }, (_container, chunk) => (text += chunk));
    await expect.poll(() => text, { timeout: 3000 }).toContain('notes listening on');
    controller.abort();
    await following;
  });
});
