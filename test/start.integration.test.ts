import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/server.js';

/** The README's first command: `npm start` builds what is stale and serves the demo. */
describe('npm start', () => {
  it('serves the portal and the API with the demo organisation', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-start-'));
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.js'), '--port', '0', '--data-dir', dataDir], {
      cwd: REPO_ROOT,
      env: { ...process.env, PLINTH_LOG_LEVEL: 'warn', PLINTH_PROXY_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start did not print its URL:\n${output}`)), 240_000);
        child.stdout.on('data', () => {
          // The URL, then the demo lines: wait for the last of them.
          const match = /running at (http:\/\/\S+)/.exec(output);
          if (match && output.includes('Guests may look around')) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
      });
      expect(output).toMatch(/Demo admin token \(shown once; log in with it in the portal\): plinth_/);
      const page = await fetch(`${url}/catalog`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root"');
      const providers = await fetch(`${url}/api/auth/providers`);
      expect(await providers.json()).toEqual({ token: true, oidc: false, guest: true });
      // The demo catalog arrives through the queue: wait for it.
      const deadline = Date.now() + 30_000;
      let total = 0;
      while (Date.now() < deadline && total < 100) {
        total = ((await (await fetch(`${url}/api/catalog/entities/by-query?limit=1`)).json()) as { totalItems: number }).totalItems;
        if (total < 100) await new Promise((r) => setTimeout(r, 200));
      }
      expect(total).toBeGreaterThanOrEqual(100);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
