import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { createTestApp, type TestApp } from '../../test/support/platform.js';
import { findGitCredential, gitAuthFor } from './credentials.js';
import { syncMirror } from './read-tree.js';
import { runGit } from './run-git.js';
import { gitAsAlice as git } from '../../test/support/git.js';


describe('findGitCredential', () => {
  const credentials = [
    { urlPrefix: 'https://github.com/', username: 'x-access-token', password: 'org-wide' },
    { urlPrefix: 'https://github.com/acme/', username: 'x-access-token', password: 'acme' },
    { host: 'git.example.com:8443', username: 'bot', password: 'by-host' },
  ];
  it('takes the longest matching URL prefix, then the host (with port), else none', () => {
    expect(findGitCredential('https://github.com/acme/shop.git', credentials)?.password).toBe('acme');
    expect(findGitCredential('https://github.com/other/x.git', credentials)?.password).toBe('org-wide');
    expect(findGitCredential('https://GIT.example.com:8443/a/b.git', credentials)?.password).toBe('by-host');
    expect(findGitCredential('https://git.example.com/a/b.git', credentials)).toBeUndefined();
    expect(findGitCredential('not a url', credentials)).toBeUndefined();
    expect(gitAuthFor('https://gitlab.com/x.git', credentials)).toEqual({});
  });
});

// Plinth's own /git endpoint is a real git server that demands HTTP basic auth.
describe.each(testDatabases)('git credentials against a Plinth git server on $name', (database) => {
  let remote: TestApp;
  let reader: TestApp;
  let base: string;
  let dir: string;
  let cloneUrl: string;

  beforeAll(async () => {
    remote = await createTestApp(database);
    base = await remote.app.listen({ host: '127.0.0.1', port: 0 });
    remote.platform.config.publicUrl = base;
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-git-auth-'));
    const created = await fetch(`${base}/api/repositories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${remote.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'remote-services' }),
    });
    cloneUrl = ((await created.json()) as { cloneUrl: string }).cloneUrl;
    const work = path.join(dir, 'work');
    await git(dir, 'init', '-q', '-b', 'main', work);
    writeFileSync(path.join(work, 'catalog-info.yaml'), 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: far-away\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n');
    await git(work, 'add', '.');
    await git(work, 'commit', '-q', '-m', 'catalog');
    // A push with the credential from config: the token is in no argument and no URL.
    await runGit(['push', '-q', cloneUrl, 'HEAD:main'], { cwd: work, env: gitAuthFor(cloneUrl, [{ urlPrefix: `${base}/git/`, username: 'ci', password: remote.tokens.admin }]) });
    reader = await createTestApp(database, (config) => {
      config.git.credentials = [{ host: new URL(base).host, username: 'ci', password: remote.tokens.viewer }];
    });
  });
  afterAll(async () => {
    await reader?.close();
    await remote?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails without a credential, and never writes the secret into the mirror', async () => {
    await expect(syncMirror(cloneUrl, path.join(dir, 'anonymous'))).rejects.toThrow(/Authentication failed|could not read Username|401/);
    const wrong = syncMirror(cloneUrl, path.join(dir, 'wrong'), [{ urlPrefix: base, username: 'ci', password: 'not-a-token' }]);
    await expect(wrong).rejects.toThrow(/Authentication failed|401/);
    await expect(wrong).rejects.not.toThrow(/not-a-token/);

    const mirror = await syncMirror(cloneUrl, path.join(dir, 'authorized'), [{ urlPrefix: base, username: 'ci', password: remote.tokens.viewer }]);
    expect((await runGit(['--git-dir', mirror, 'show', 'main:catalog-info.yaml'])).toString()).toContain('far-away');
    for (const file of ['config', ...readdirSync(mirror).filter((f) => f.endsWith('HEAD'))]) {
      expect(readFileSync(path.join(mirror, file), 'utf8')).not.toContain(remote.tokens.viewer);
    }
  });

  it('lets the catalog read a location in a remote repository with git.credentials', async () => {
    const response = await reader.app.inject({
      method: 'POST',
      url: '/api/catalog/locations',
      headers: { authorization: `Bearer ${reader.tokens.admin}` },
      payload: { type: 'url', target: `${cloneUrl}/blob/main/catalog-info.yaml` },
    });
    expect(response.statusCode, response.body).toBe(201);
    const entity = await reader.app.inject({ method: 'GET', url: '/api/catalog/entities/by-name/component/default/far-away', headers: { authorization: `Bearer ${reader.tokens.admin}` } });
    expect(entity.statusCode).toBe(200);
  });
});
