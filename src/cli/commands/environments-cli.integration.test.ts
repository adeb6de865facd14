import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlinth, startPlinthServer, REPO_ROOT, type RunningServer } from '../../../test/support/server.js';
import { NOTES_SERVICE, plainScore } from '../../../test/support/environments.js';
import { allocatePort } from '../../runtimes/local/ports.js';

/** `plinth env|deploy|promote|rollback|approve|logs|resources` against a real `plinth serve`. */
describe('plinth environment and deployment commands', () => {
  let server: RunningServer;
  let checkout: string;
  const run = (args: string[]) => runPlinth(args, { env: { PLINTH_SERVER: server.url, PLINTH_TOKEN: server.adminToken }, cwd: checkout });

  beforeAll(async () => {
    server = await startPlinthServer({ env: { PLINTH_PROXY_PORT: String(await allocatePort()) } });
    // A checkout inside the repository (under the ignored .data/), so the fixture's `pg` and `ioredis` imports resolve.
    mkdirSync(path.join(REPO_ROOT, '.data'), { recursive: true });
    checkout = mkdtempSync(path.join(REPO_ROOT, '.data', 'cli-checkout-'));
    cpSync(NOTES_SERVICE, checkout, { recursive: true });
    writeFileSync(path.join(checkout, 'score.yaml'), plainScore({ RELEASE: 'cli' }));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(checkout, { recursive: true, force: true });
  });

  it('creates, shows, deploys from a checkout, follows logs, promotes with approval, rolls back and destroys', async () => {
    expect((await run(['env', 'create', 'cli-dev', '--type', 'development', '--value', 'GREETING=hi', '--secret', 'TOKEN=s3cret'])).code).toBe(0);
    expect((await run(['env', 'create', 'cli-staging', '--type', 'staging'])).code).toBe(0);
    const list = await run(['env', 'list']);
    expect(list.stdout).toMatch(/cli-dev\s+development/);

    const dry = await run(['deploy', 'notes', '--env', 'cli-dev', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('requiresApproval: false');

    const deployed = await run(['deploy', 'notes', '--env', 'cli-dev', '--ref', 'abcdef1']);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).toContain(': succeeded');

    const shown = await run(['env', 'show', 'cli-dev']);
    expect(shown.stdout).toMatch(/notes\s+rel-\w+\s+running\s+http:\/\/notes\.cli-dev\.localhost:\d+\//);
    expect(shown.stdout).toMatch(/TOKEN\s+\*{8}\s+true/);

    const logs = await run(['logs', 'notes', '--env', 'cli-dev']);
    expect(logs.stdout).toContain('notes listening on');
    const follower = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(REPO_ROOT, 'src/cli/run.ts'), 'logs', 'notes', '--env', 'cli-dev', '-f'], {
      env: { ...process.env, PLINTH_SERVER: server.url, PLINTH_TOKEN: server.adminToken },
    });
    let followed = '';
    follower.stdout.on('data', (d) => (followed += d));
    await expect.poll(() => followed, { timeout: 15_000 }).toContain('notes listening on');
    follower.kill();

    const promoted = await run(['promote', 'notes', '--from', 'cli-dev', '--to', 'cli-staging']);
    expect(promoted.code, promoted.stderr).toBe(0);

    const badPromotion = await run(['promote', 'notes', '--from', 'cli-staging', '--to', 'cli-dev']);
    expect(badPromotion.code).toBe(2);
    expect(badPromotion.stderr).toContain('[DEPLOYMENT_PROMOTION_INVALID]');

    writeFileSync(path.join(checkout, 'score.yaml'), plainScore({ RELEASE: 'cli-2' }));
    expect((await run(['deploy', 'notes', '--env', 'cli-dev'])).code).toBe(0);
    const rolledBack = await run(['rollback', 'notes', '--env', 'cli-dev', '-o', 'json']);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(JSON.parse(rolledBack.stdout)).toMatchObject({ action: 'rollback', status: 'succeeded' });

    const resources = await run(['resources', 'list']);
    expect(resources.code).toBe(0);
    const history = await run(['deployments', '--env', 'cli-dev', '-o', 'json']);
    expect(JSON.parse(history.stdout).map((d: { action: string }) => d.action)).toEqual(['rollback', 'deploy', 'deploy']);

    const missing = await run(['deploy', 'notes', '--env', 'cli-dev', '--score', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the Score file');

    expect((await run(['env', 'destroy', 'cli-dev'])).code).toBe(0);
    const gone = await run(['env', 'show', 'cli-dev']);
    expect(gone.code).toBe(3);
  }, 240_000);

  it('approves a production deployment', async () => {
    expect((await run(['env', 'create', 'cli-prod', '--type', 'production'])).code).toBe(0);
    const waiting = await run(['promote', 'notes', '--from', 'cli-staging', '--to', 'cli-prod', '-o', 'json']);
    expect(waiting.code, waiting.stderr).toBe(0);
    const deployment = JSON.parse(waiting.stdout) as { id: string; status: string };
    expect(deployment.status).toBe('awaiting-approval');
    expect(waiting.stderr).toContain(`plinth approve ${deployment.id}`);
    // The same token asked for it: production needs another person.
    const self = await run(['approve', deployment.id]);
    expect(self.code).toBe(5);
    expect(self.stderr).toContain('need another person');
  }, 60_000);
});
