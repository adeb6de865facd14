import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from './fake-github.js';

const exec = promisify(execFile);

/**
 * Contract of the fake GitHub against GitHub's documented REST API (docs.github.com/rest/repos):
 * the status codes, the fields publish:github reads, and git over smart HTTP with the token
 * as password. If publish:github needs more of GitHub, this contract grows first.
 */
describe('fake GitHub follows the documented API', () => {
  let github: FakeGithub;
  let dir: string;
  const call = async (method: string, route: string, token?: string, body?: unknown) => {
    const response = await fetch(`${github.url}${route}`, { method, headers: { accept: 'application/vnd.github+json', ...(token ? { authorization: `token ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    github = await startFakeGithub({ tokens: { 'ghp_alice': 'alice', 'ghp_bob': 'bob' }, accounts: [{ login: 'alice', type: 'User' }, { login: 'bob', type: 'User' }, { login: 'northwind', type: 'Organization', members: ['alice'] }] });
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-fake-github-'));
  });
  afterAll(async () => {
    await github.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 with a message without a token', async () => {
    expect(await call('GET', '/user')).toEqual({ status: 401, body: expect.objectContaining({ message: 'Requires authentication' }) });
  });

  it('GET /users/:username tells users from organisations; 404 for unknown accounts', async () => {
    expect((await call('GET', '/users/northwind', 'ghp_alice')).body).toMatchObject({ login: 'northwind', type: 'Organization' });
    expect((await call('GET', '/users/alice', 'ghp_alice')).body).toMatchObject({ login: 'alice', type: 'User' });
    expect((await call('GET', '/users/nobody', 'ghp_alice')).status).toBe(404);
  });

  it('POST /orgs/:org/repos creates (201) for members, 403 for others, 422 when the name is taken', async () => {
    const created = await call('POST', '/orgs/northwind/repos', 'ghp_alice', { name: 'shop', description: 'The shop', private: true });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'shop', full_name: 'northwind/shop', private: true, owner: { login: 'northwind', type: 'Organization' }, html_url: `${github.url}/northwind/shop`, clone_url: `${github.url}/northwind/shop.git`, default_branch: 'main' });
    expect((await call('POST', '/orgs/northwind/repos', 'ghp_bob', { name: 'other' })).status).toBe(403);
    const again = await call('POST', '/orgs/northwind/repos', 'ghp_alice', { name: 'shop' });
    expect(again.status).toBe(422);
    expect(again.body.errors[0]).toMatchObject({ resource: 'Repository', field: 'name' });
  });

  it('POST /user/repos creates under the authenticated user; GET /repos/:owner/:repo reads it', async () => {
    expect((await call('POST', '/user/repos', 'ghp_bob', { name: 'notes', visibility: 'public', private: false })).body).toMatchObject({ full_name: 'bob/notes', private: false, visibility: 'public' });
    expect((await call('GET', '/repos/bob/notes', 'ghp_alice')).body).toMatchObject({ full_name: 'bob/notes' });
    expect((await call('GET', '/repos/bob/nothing', 'ghp_alice')).status).toBe(404);
  });

  it('serves git over smart HTTP with the token as the basic-auth password', async () => {
    const url = `${github.url}/northwind/shop.git`.replace('http://', 'http://x-access-token:ghp_alice@');
    const work = path.join(dir, 'work');
    await exec('git', ['clone', '-q', url, work]);
    writeFileSync(path.join(work, 'README.md'), '# shop\n');
    const env = { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@e', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@e' };
    await exec('git', ['add', '.'], { cwd: work });
    await exec('git', ['commit', '-q', '-m', 'first'], { cwd: work, env });
    await exec('git', ['push', '-q', 'origin', 'HEAD:main'], { cwd: work });
    const copy = path.join(dir, 'copy');
    await exec('git', ['clone', '-q', url, copy]);
    expect(readFileSync(path.join(copy, 'README.md'), 'utf8')).toBe('# shop\n');
    await expect(exec('git', ['clone', '-q', `${github.url}/northwind/shop.git`, path.join(dir, 'anonymous')], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } })).rejects.toThrow();
  });
});
