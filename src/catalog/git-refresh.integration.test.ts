import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { testDatabases } from '../../test/support/databases.js';
import { createTestPlatform, type TestPlatform } from '../../test/support/platform.js';
import { systemActor } from '../auth/actor.js';
import { createApiToken } from '../auth/tokens.js';
import { authDb } from '../auth/users.js';
import { buildApp } from '../server/app.js';
import { startQueueWorker } from '../server/platform.js';
import type { QueueWorker } from '../store/queue/worker.js';

const SECRET = 'push-hook-secret';

const descriptor = (title: string) => `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront
  title: ${title}
spec:
  type: website
  lifecycle: production
  owner: team-web
`;

describe.each(testDatabases)('event-driven refresh from a git push on $name', (database) => {
  let t: TestPlatform;
  let app: FastifyInstance;
  let worker: QueueWorker;
  let token: string;
  let base: string;
  let dir: string;
  // Asynchronous: the push's hook calls the server running in this very process.
  const git = async (cwd: string, ...args: string[]) =>
    (await promisify(execFile)('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } })).stdout;

  beforeAll(async () => {
    t = await createTestPlatform(database, (config) => {
      config.catalog.webhookSecret = SECRET;
    });
    worker = await startQueueWorker(t.platform);
    app = await buildApp(t.platform, { worker });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    token = (await createApiToken(authDb(t.platform.store), { name: 'root', role: 'admin', createdBy: systemActor().ref })).token;
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-git-'));
  });
  afterAll(async () => {
    await app.close();
    await worker.stop();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a pushed change in the API within a second', async () => {
    const work = path.join(dir, 'work');
    const bare = path.join(dir, 'storefront.git');
    await git(dir, 'init', '-q', '-b', 'main', work);
    writeFileSync(path.join(work, 'catalog-info.yaml'), descriptor('Storefront v1'));
    await git(work, 'add', '.');
    await git(work, 'commit', '-q', '-m', 'first');
    await git(dir, 'clone', '-q', '--bare', work, bare);
    await git(work, 'remote', 'add', 'origin', bare);
    // The repository's own post-receive hook calls Plinth's signed push webhook, as a git server would.
    const hook = path.join(bare, 'hooks', 'post-receive');
    const body = JSON.stringify({ repository: `file://${bare}`, ref: 'refs/heads/main' });
    writeFileSync(
      hook,
      `#!/bin/sh
body='${body}'
signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac '${SECRET}' | sed 's/^.* //')
curl -fsS -o /dev/null -X POST -H 'content-type: application/json' -H "x-plinth-signature-256: sha256=$signature" --data "$body" '${base}/api/catalog/webhooks/git'
`,
    );
    chmodSync(hook, 0o755);

    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const registered = await fetch(`${base}/api/catalog/locations`, { method: 'POST', headers, body: JSON.stringify({ type: 'url', target: `file://${bare}/blob/main/catalog-info.yaml` }) });
    expect(registered.status).toBe(201);
    const title = async () => ((await (await fetch(`${base}/api/catalog/entities/by-name/component/default/storefront`, { headers })).json()) as { metadata: { title: string } }).metadata.title;
    expect(await title()).toBe('Storefront v1');

    writeFileSync(path.join(work, 'catalog-info.yaml'), descriptor('Storefront v2'));
    await git(work, 'commit', '-q', '-am', 'second');
    // Timed from the start of the push: the hook runs while git waits for it.
    const pushed = Date.now();
    await git(work, 'push', '-q', 'origin', 'main');
    while ((await title()) !== 'Storefront v2') {
      if (Date.now() - pushed > 5000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = Date.now() - pushed;
    console.log(`push → visible in the API: ${elapsed} ms (${database.name})`);
    expect(await title()).toBe('Storefront v2');
    expect(elapsed).toBeLessThan(1000);
  });

  it('refuses a webhook with a wrong signature and changes nothing', async () => {
    const res = await fetch(`${base}/api/catalog/webhooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-plinth-signature-256': 'sha256=00' }, body: JSON.stringify({ repository: 'file:///x.git' }) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('CATALOG_WEBHOOK_SIGNATURE_INVALID');
  });
});
