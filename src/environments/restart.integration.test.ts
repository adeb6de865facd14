import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { startPlinthServer, type RunningServer } from '../../test/support/server.js';
import { isRunning, NOTES_SERVICE, plainScore } from '../../test/support/environments.js';
import { allocatePort } from '../runtimes/local/ports.js';

function viaProxy(port: number, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (response) => {
        let text = '';
        response.on('data', (d) => (text += d));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      })
      .on('error', reject);
  });
}

/** A real `plinth serve`: workloads outlive it, and the next one adopts them without a restart. */
describe('plinth serve restarts', () => {
  let server: RunningServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('leaves workloads serving and adopts them after a restart; destroy stops them', async () => {
    const proxyPort = await allocatePort();
    const env = { PLINTH_PROXY_PORT: String(proxyPort) };
    server = await startPlinthServer({ env });
    const api = async (method: string, url: string, body?: unknown) => {
      const response = await fetch(`${server!.url}${url}`, { method, headers: { authorization: `Bearer ${server!.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return (await response.json()) as any;
    };
    await api('POST', '/api/environments', { name: 'keep', type: 'development' });
    const deployment = await api('POST', '/api/deployments', { environment: 'keep', component: 'notes', score: plainScore({ RELEASE: 'r1' }), artifact: NOTES_SERVICE });
    await expect.poll(async () => (await api('GET', `/api/deployments/${deployment.id}`)).status, { timeout: 30_000 }).toBe('succeeded');
    const before = JSON.parse((await viaProxy(proxyPort, 'notes.keep.localhost')).text);

    const { dataDir, adminToken } = server;
    const first = server;
    server = undefined;
    await stopKeepingData(first);
    expect(isRunning(before.pid)).toBe(true);

    server = await startPlinthServer({ env, dataDir, adminToken });
    await expect.poll(async () => (await viaProxy(proxyPort, 'notes.keep.localhost').catch(() => ({ text: '{}' }))).text, { timeout: 20_000 }).toContain(`"pid":${before.pid}`);
    expect((await api('GET', '/api/environments/keep')).workloads[0].health).toBe('running');

    await api('DELETE', '/api/environments/keep');
    expect(isRunning(before.pid)).toBe(false);
  });
});

/** Stops a server without deleting its data dir (RunningServer.stop deletes dirs it made). */
async function stopKeepingData(server: RunningServer): Promise<void> {
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  await exited;
}
