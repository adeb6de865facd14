import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { gitAsAlice as git, withToken } from '../../test/support/git.js';
import { createTestApp, type TestApp } from '../../test/support/platform.js';
import { createApiToken } from '../auth/tokens.js';
import { authDb, createGroup, createUser } from '../auth/users.js';
import { readEvents } from '../store/events.js';
import { startCapabilities, startQueueWorker } from '../server/platform.js';

describe.each(testDatabases)('hosted git repositories on $name', (database) => {
  let t: TestApp;
  let base: string;
  let member: string;
  let dir: string;
  let background: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    t = await createTestApp(database);
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    t.platform.config.publicUrl = base;
    const db = authDb(t.platform.store);
    const alice = await createUser(db, { name: 'alice', role: 'member' });
    await createGroup(db, { name: 'web-team', members: ['alice'] });
    member = (await createApiToken(db, { name: 'alice', role: 'member', userId: alice.id, createdBy: 'user:alice' })).token;
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-repos-'));
    background = [await startQueueWorker(t.platform), await startCapabilities(t.platform)];
  });
  afterAll(async () => {
    for (const running of background) await running.stop();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await fetch(`${base}/api/repositories${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
  };

  it('creates a repository that the real git client clones, pushes to and fetches from with a token', async () => {
    const created = await api('POST', '/', member, { name: 'storefront', owner: 'group:default/web-team', description: 'The web shop' });
    expect(created.status).toBe(201);
    expect(created.body.cloneUrl).toBe(`${base}/git/default/storefront.git`);

    const work = path.join(dir, 'work');
    await git(dir, 'clone', '-q', withToken(created.body.cloneUrl, member), work);
    writeFileSync(path.join(work, 'README.md'), '# Storefront\n');
    await git(work, 'add', '.');
    await git(work, 'commit', '-q', '-m', 'first commit');
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    const sha = (await git(work, 'rev-parse', 'HEAD')).trim();

    const copy = path.join(dir, 'copy');
    await git(dir, 'clone', '-q', withToken(created.body.cloneUrl, t.tokens.viewer), copy);
    expect(readFileSync(path.join(copy, 'README.md'), 'utf8')).toBe('# Storefront\n');

    const details = await api('GET', '/default/storefront', t.tokens.viewer);
    expect(details.body.branches).toEqual([{ name: 'main', sha }]);
    expect(details.body.recentCommits[0]).toMatchObject({ sha, subject: 'first commit', author: 'Alice' });

    const pushes = await readEvents(t.platform.store, { types: ['git:pushed'] });
    expect(pushes.at(-1)).toMatchObject({ actor: 'user:alice', payload: { repository: 'default/storefront', ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, url: created.body.cloneUrl } });
  });

  it('asks for credentials, refuses a viewer push, and refuses unknown repositories', async () => {
    const anonymous = await fetch(`${base}/git/default/storefront.git/info/refs?service=git-upload-pack`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    const work = path.join(dir, 'copy');
    writeFileSync(path.join(work, 'x.txt'), 'x');
    await git(work, 'add', '.');
    await git(work, 'commit', '-q', '-m', 'viewer change');
    await expect(git(work, 'push', '-q', 'origin', 'HEAD:main')).rejects.toThrow(/403/);
    const missing = await fetch(`${base}/git/default/nope.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${member}` } });
    expect(missing.status).toBe(404);
    const duplicate = await api('POST', '/', member, { name: 'storefront' });
    expect(duplicate.status).toBe(409);
    const badName = await api('POST', '/', member, { name: '../etc' });
    expect(badName.status).toBe(400);
    expect(badName.body.errors[0].path).toBe('/body/name');
  });

  it('refreshes the catalog from a push to a hosted repository within a second', async () => {
    const created = await api('POST', '/', member, { name: 'catalog-repo', owner: 'group:default/web-team' });
    const work = path.join(dir, 'catalog-work');
    await git(dir, 'clone', '-q', withToken(created.body.cloneUrl, member), work);
    const descriptor = (title: string) => `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: hosted-web\n  title: ${title}\nspec:\n  type: website\n  lifecycle: production\n  owner: web-team\n`;
    writeFileSync(path.join(work, 'catalog-info.yaml'), descriptor('Hosted v1'));
    await git(work, 'add', '.');
    await git(work, 'commit', '-q', '-m', 'catalog');
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    const location = await fetch(`${base}/api/catalog/locations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${member}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'url', target: `${created.body.cloneUrl}/blob/main/catalog-info.yaml` }),
    });
    expect(location.status).toBe(201);
    const title = async () => ((await (await fetch(`${base}/api/catalog/entities/by-name/component/default/hosted-web`, { headers: { authorization: `Bearer ${member}` } })).json()) as { metadata?: { title: string } }).metadata?.title;
    expect(await title()).toBe('Hosted v1');
    writeFileSync(path.join(work, 'catalog-info.yaml'), descriptor('Hosted v2'));
    await git(work, 'commit', '-q', '-am', 'retitle');
    const pushed = Date.now();
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    while ((await title()) !== 'Hosted v2' && Date.now() - pushed < 5000) await new Promise((r) => setTimeout(r, 10));
    const elapsed = Date.now() - pushed;
    console.log(`hosted push → visible in the catalog: ${elapsed} ms (${database.name})`);
    expect(await title()).toBe('Hosted v2');
    expect(elapsed).toBeLessThan(1000);
  });

  it('deletes a repository for its owners only', async () => {
    expect((await api('DELETE', '/default/storefront', t.tokens.viewer)).status).toBe(403);
    expect((await api('DELETE', '/default/storefront', member)).status).toBe(204);
    expect((await api('GET', '/default/storefront', member)).status).toBe(404);
  });
});
