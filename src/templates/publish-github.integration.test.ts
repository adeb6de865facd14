import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../../test/support/fake-github.js';
import { PlinthError } from '../core/errors.js';
import { runTemplate } from './run-template.js';
import { createScaffolderActions } from './scaffolder-actions/builtin-actions.js';
import type { TemplateEntity } from './template-spec.js';

const exec = promisify(execFile);

/** publish:github and publish:git against a local fake GitHub (see test/support/fake-github.ts). */
describe('publishing to GitHub and to any git remote', () => {
  let github: FakeGithub;
  let dir: string;
  beforeAll(async () => {
    github = await startFakeGithub({ tokens: { ghp_platform: 'plinth-bot' }, accounts: [{ login: 'plinth-bot', type: 'User' }, { login: 'northwind', type: 'Organization', members: ['plinth-bot'] }] });
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-publish-'));
    mkdirSync(path.join(dir, 'skeleton'));
    writeFileSync(path.join(dir, 'skeleton', 'README.md'), '# ${{ values.name }}\n');
  });
  afterAll(async () => {
    await github.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const actions = () =>
    new Map(
      createScaffolderActions({
        source: { localRepository: () => undefined, cacheDir: path.join(dir, 'cache'), gitCredentials: [{ urlPrefix: github.url, username: 'x-access-token', password: 'ghp_platform' }] },
        catalog: { getEntity: async () => undefined, registerLocation: async () => [] },
        repositories: { find: async () => undefined, create: async () => { throw new Error('not used'); }, recordPush: async () => {} },
        github: [{ host: 'github.example.com', apiBaseUrl: github.url, token: 'ghp_platform' }],
        commandActions: [],
      }).map((a) => [a.id, a]),
    );

  async function run(publish: Record<string, unknown>, taskId = 'task-1') {
    const entity = {
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name: 'publisher' },
      spec: {
        steps: [
          { id: 'fetch', action: 'fetch:template', input: { url: './skeleton', values: { name: 'shop' } } },
          { id: 'publish', ...publish },
        ],
        output: { remoteUrl: '${{ steps.publish.output.remoteUrl }}', repoContentsUrl: '${{ steps.publish.output.repoContentsUrl }}', commitHash: '${{ steps.publish.output.commitHash }}' },
      },
    } as unknown as TemplateEntity;
    const workspace = mkdtempSync(path.join(dir, 'workspace-'));
    return runTemplate({
      template: entity,
      templateInfo: { entityRef: 'template:default/publisher', source: path.join(dir, 'template.yaml'), entity },
      values: {},
      secrets: {},
      user: { ref: 'user:alice' },
      taskId,
      workspacePath: workspace,
      isDryRun: false,
      signal: AbortSignal.timeout(30_000),
      actions: actions(),
      mask: (s) => s,
      observer: { log: () => {}, stepChanged: () => {} },
    });
  }

  it('publish:github creates the repository in an organisation through the API and pushes the workspace', async () => {
    const output = await run({ action: 'publish:github', input: { repoUrl: 'github.example.com?owner=northwind&repo=shop', description: 'The shop', repoVisibility: 'internal', gitCommitMessage: 'Scaffolded' } });
    expect(output).toMatchObject({ remoteUrl: `${github.url}/northwind/shop`, repoContentsUrl: `${github.url}/northwind/shop/blob/main`, commitHash: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(github.created.get('northwind/shop')).toMatchObject({ name: 'shop', description: 'The shop', visibility: 'internal', private: true });
    const { stdout } = await exec('git', ['--git-dir', github.gitDirOf('northwind', 'shop'), 'show', 'main:README.md']);
    expect(stdout).toBe('# shop\n');
    const subject = (await exec('git', ['--git-dir', github.gitDirOf('northwind', 'shop'), 'log', '-1', '--format=%s', 'main'])).stdout.trim();
    expect(subject).toBe('Scaffolded');
  });

  it('publish:github creates under the token user, replaces its own earlier push, and refuses a repository that has other content', async () => {
    const first = await run({ action: 'publish:github', input: { repoUrl: 'github.example.com?owner=plinth-bot&repo=tool' } }, 'task-tool');
    expect(github.created.has('plinth-bot/tool')).toBe(true);
    // The same task run again (its worker died after pushing): the repository exists, the push replaces it.
    const again = await run({ action: 'publish:github', input: { repoUrl: 'github.example.com?owner=plinth-bot&repo=tool' } }, 'task-tool');
    const head = (await exec('git', ['--git-dir', github.gitDirOf('plinth-bot', 'tool'), 'rev-parse', 'main'])).stdout.trim();
    expect(head).toBe(again.commitHash);
    expect((await exec('git', ['--git-dir', github.gitDirOf('plinth-bot', 'tool'), 'rev-list', '--count', 'main'])).stdout.trim()).toBe('1');
    expect(first.commitHash).toBeDefined();
    let error: unknown;
    try {
      await run({ action: 'publish:github', input: { repoUrl: 'github.example.com?owner=northwind&repo=shop' } }, 'task-2');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlinthError);
    expect((error as PlinthError).code).toBe('TEMPLATE_PUBLISH_CONFLICT');
  });

  it('publish:github refuses an unconfigured host', async () => {
    await expect(run({ action: 'publish:github', input: { repoUrl: 'gitlab.example.com?owner=o&repo=r' } })).rejects.toThrow(/no GitHub host 'gitlab.example.com' is configured/);
  });

  it('publish:git pushes to any git remote with the configured credentials', async () => {
    const created = await fetch(`${github.url}/user/repos`, { method: 'POST', headers: { authorization: 'token ghp_platform', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'plain' }) });
    expect(created.status).toBe(201);
    const output = await run({ action: 'publish:git', input: { remoteUrl: `${github.url}/plinth-bot/plain.git`, defaultBranch: 'trunk' } });
    expect(output.repoContentsUrl).toBe(`${github.url}/plinth-bot/plain.git/blob/trunk`);
    expect((await exec('git', ['--git-dir', github.gitDirOf('plinth-bot', 'plain'), 'show', 'trunk:README.md'])).stdout).toBe('# shop\n');
    const bare = path.join(dir, 'local.git');
    await exec('git', ['init', '-q', '--bare', bare]);
    await run({ action: 'publish:git', input: { remoteUrl: `file://${bare}` } });
    expect(readFileSync(path.join(bare, 'HEAD'), 'utf8')).toContain('ref:');
    expect((await exec('git', ['--git-dir', bare, 'show', 'main:README.md'])).stdout).toBe('# shop\n');
  });
});
