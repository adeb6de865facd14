import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { createTestApp, type TestApp } from '../../test/support/platform.js';
import { gitAsAlice as git } from '../../test/support/git.js';


describe.each(testDatabases)('browsing hosted repositories on $name', (database) => {
  let t: TestApp;
  let base: string;
  let dir: string;
  let first: string;
  let second: string;
  const get = async (url: string, token = t.tokens.viewer) => {
    const res = await fetch(`${base}/api/repositories${url}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    t = await createTestApp(database);
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    t.platform.config.publicUrl = base;
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-browse-'));
    const post = (body: unknown) =>
      fetch(`${base}/api/repositories`, { method: 'POST', headers: { authorization: `Bearer ${t.tokens.admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = await (await post({ name: 'shop', description: 'The shop' })).json();
    await post({ name: 'empty' });
    const work = path.join(dir, 'work');
    await git(dir, 'clone', '-q', created.cloneUrl.replace('http://', `http://x:${t.tokens.admin}@`), work);
    writeFileSync(path.join(work, 'README.md'), '# Shop\n\nSells things.\n');
    mkdirSync(path.join(work, 'src', 'deep'), { recursive: true });
    writeFileSync(path.join(work, 'src', 'deep', 'main.ts'), 'export const answer = 42;\n');
    await git(work, 'add', '.');
    await git(work, 'commit', '-q', '-m', 'first commit');
    first = (await git(work, 'rev-parse', 'HEAD')).trim();
    writeFileSync(path.join(work, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]));
    writeFileSync(path.join(work, 'big.txt'), 'x'.repeat(1024 * 1024 + 10));
    writeFileSync(path.join(work, 'src', 'README.md'), '# Sources\n');
    symlinkSync('src/deep/main.ts', path.join(work, 'main-link'));
    await git(work, 'add', '.');
    await git(work, 'commit', '-q', '-m', 'assets');
    second = (await git(work, 'rev-parse', 'HEAD')).trim();
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    await git(work, 'push', '-q', 'origin', `${first}:refs/heads/feature/old`);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists branches with their last commit, and the last push in the repository list', async () => {
    const branches = await get('/default/shop/branches');
    expect(branches.status).toBe(200);
    expect(branches.body.items.map((b: { name: string }) => b.name).sort()).toEqual(['feature/old', 'main']);
    expect(branches.body.items.find((b: { name: string }) => b.name === 'main')).toMatchObject({ sha: second, lastCommit: { sha: second, subject: 'assets', author: 'Alice' } });
    const list = await get('/');
    const shop = list.body.items.find((r: { name: string }) => r.name === 'shop');
    expect(Date.parse(shop.lastPushAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(list.body.items.find((r: { name: string }) => r.name === 'empty').lastPushAt).toBeNull();
  });

  it('pages through commits, filtered by path and ref', async () => {
    const page1 = await get('/default/shop/commits?limit=1');
    expect(page1.body.items).toEqual([expect.objectContaining({ sha: second, subject: 'assets', author: 'Alice', email: 'a@e' })]);
    const page2 = await get(`/default/shop/commits?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items[0].sha).toBe(first);
    expect(page2.body.nextCursor).toBeUndefined();
    expect((await get('/default/shop/commits?path=src/deep')).body.items.map((c: { sha: string }) => c.sha)).toEqual([first]);
    expect((await get('/default/shop/commits?ref=feature%2Fold')).body.items.map((c: { sha: string }) => c.sha)).toEqual([first]);
  });

  it('lists a directory with types, sizes and last commits, directories first', async () => {
    const root = await get('/default/shop/tree/main');
    expect(root.status).toBe(200);
    expect(root.body.entries.map((e: { name: string; type: string }) => `${e.type}:${e.name}`)).toEqual(['tree:src', 'blob:big.txt', 'blob:logo.png', 'symlink:main-link', 'blob:README.md']);
    expect(root.body.entries.find((e: { name: string }) => e.name === 'README.md')).toMatchObject({ size: 22, lastCommit: { sha: first } });
    expect(root.body.entries.find((e: { name: string }) => e.name === 'src').lastCommit.sha).toBe(second);
    const nested = await get('/default/shop/tree/main/src/deep');
    expect(nested.body.entries).toEqual([expect.objectContaining({ name: 'main.ts', path: 'src/deep/main.ts', type: 'blob', size: 26, lastCommit: expect.objectContaining({ sha: first }) })]);
    const atCommit = await get(`/default/shop/tree/${first}/src`);
    expect(atCommit.body.entries.map((e: { name: string }) => e.name)).toEqual(['deep']);
  });

  it('reads text, binary, large and symlinked files', async () => {
    const text = await get('/default/shop/blob/main/src/deep/main.ts');
    expect(text.body).toMatchObject({ path: 'src/deep/main.ts', type: 'blob', size: 26, binary: false, truncated: false, content: 'export const answer = 42;\n', commit: second });
    const binary = await get('/default/shop/blob/main/logo.png');
    expect(binary.body).toMatchObject({ binary: true, size: 10, content: '' });
    const big = await get('/default/shop/blob/main/big.txt');
    expect(big.body).toMatchObject({ truncated: true, size: 1024 * 1024 + 10 });
    expect(big.body.content.length).toBe(1024 * 1024);
    const link = await get('/default/shop/blob/main/main-link');
    expect(link.body).toMatchObject({ type: 'symlink', content: 'src/deep/main.ts' });
  });

  it('finds the README of the root or of a directory', async () => {
    expect((await get('/default/shop/readme')).body).toMatchObject({ path: 'README.md', content: '# Shop\n\nSells things.\n' });
    expect((await get('/default/shop/readme?path=src')).body).toMatchObject({ path: 'src/README.md', content: '# Sources\n' });
    expect((await get(`/default/shop/readme?ref=${first}&path=src`)).status).toBe(404);
  });

  it('refuses option-like refs, path traversal and wrong kinds of paths, naming the field', async () => {
    for (const ref of ['--output=%2Ftmp%2Fx', '-n1', 'main..feature', 'a%20b', 'HEAD@%7B1%7D', 'main~1']) {
      const res = await get(`/default/shop/commits?ref=${ref}`);
      expect(res.status, ref).toBe(400);
      expect(res.body).toMatchObject({ code: 'REPOSITORY_REF_INVALID', errors: [{ path: 'ref' }] });
    }
    expect((await get('/default/shop/tree/--help')).body.code).toBe('REPOSITORY_REF_INVALID');
    for (const bad of ['src/../..%2F..%2Fetc', '..%2F..%2Fetc%2Fpasswd', 'src%2F.%2Fdeep%2Fmain.ts']) {
      const res = await get(`/default/shop/blob/main/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.code).toBe('REPOSITORY_PATH_INVALID');
    }
    expect((await get('/default/shop/commits?path=../x')).body.code).toBe('REPOSITORY_PATH_INVALID');
    expect((await get('/default/shop/blob/main/src')).body).toMatchObject({ code: 'REPOSITORY_PATH_NOT_FOUND', detail: "path: 'src' is a directory, not a file" });
    expect((await get('/default/shop/tree/main/README.md')).body.code).toBe('REPOSITORY_PATH_NOT_FOUND');
    expect((await get('/default/shop/blob/main/nope.txt')).status).toBe(404);
    expect((await get('/default/shop/tree/nope')).body.code).toBe('REPOSITORY_REF_NOT_FOUND');
    expect((await get('/default/empty/tree/main')).body.code).toBe('REPOSITORY_REF_NOT_FOUND');
    expect((await get('/default/empty/branches')).body.items).toEqual([]);
    expect((await get('/default/missing/branches')).status).toBe(404);
  });

  it('needs a token', async () => {
    expect((await fetch(`${base}/api/repositories/default/shop/tree/main`)).status).toBe(401);
  });
});
