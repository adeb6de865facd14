import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlinth, startPlinthServer, type RunningServer } from '../../test/support/server.js';

describe('plinth CLI', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-cli-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('has --help on every command', async () => {
    for (const command of [[], ['serve'], ['worker'], ['migrate'], ['token'], ['token', 'create'], ['token', 'list'], ['token', 'revoke'], ['login']]) {
      const result = await runPlinth([...command, '--help']);
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout).toContain('Usage: plinth');
    }
  });

  it('exits 2 with a usage message on an unknown command or option', async () => {
    const unknown = await runPlinth(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badOption = await runPlinth(['token', 'create', '--colour', 'red']);
    expect(badOption.code).toBe(2);
  });

  it('bootstraps, lists and revokes tokens directly on the database', async () => {
    const created = await runPlinth(['token', 'create', '--name', 'ci', '--role', 'admin', '--data-dir', dataDir]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^plinth_[A-Za-z0-9_-]{40,}$/);
    expect(created.stderr).toContain('shown only now');
    const list = await runPlinth(['token', 'list', '--data-dir', dataDir, '--output', 'json']);
    expect(list.code).toBe(0);
    const items = JSON.parse(list.stdout) as Array<{ name: string; role: string; createdBy: string }>;
    expect(items).toEqual([expect.objectContaining({ name: 'ci', role: 'admin', createdBy: 'system:cli' })]);
    expect(list.stdout).not.toContain(token);
    const table = await runPlinth(['token', 'list', '--data-dir', dataDir]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+ROLE/);
    expect(table.stdout).not.toContain('\x1b['); // no colour when not on a terminal
    expect((await runPlinth(['token', 'revoke', 'ci', '--data-dir', dataDir])).code).toBe(0);
    const after = JSON.parse((await runPlinth(['token', 'list', '--data-dir', dataDir, '-o', 'json'])).stdout) as Array<{ revokedAt: string | null }>;
    expect(after[0]!.revokedAt).not.toBeNull();
  });

  it('names the bad value and exits 2 on bad input; 3 when a token is not found', async () => {
    const role = await runPlinth(['token', 'create', '--name', 'x', '--role', 'owner', '--data-dir', dataDir]);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain("--role: --role must be one of admin, member, viewer, got 'owner'");
    const missing = await runPlinth(['token', 'revoke', 'nope', '--data-dir', dataDir]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("no token with id or name 'nope' [AUTH_TOKEN_NOT_FOUND]");
  });

  it('stops start-up on a bad config with one located line', async () => {
    const config = path.join(dataDir, 'bad.yaml');
    writeFileSync(config, 'port: 7007\nlogLevel: loud\n');
    const result = await runPlinth(['serve', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')[0]).toBe(`error: ${config}:2:11: config key 'logLevel' must be one of fatal, error, warn, info, debug, trace, silent [CONFIG_INVALID]`);
  });

  describe('against a server', () => {
    let server: RunningServer;
    let home: string;
    beforeAll(async () => {
      server = await startPlinthServer();
      home = mkdtempSync(path.join(tmpdir(), 'plinth-home-'));
    });
    afterAll(async () => {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    });

    it('logs in, remembers the server in a private file, and manages tokens through the API', async () => {
      const env = { XDG_CONFIG_HOME: home };
      const login = await runPlinth(['login', '--server', server.url], { env, input: `${server.adminToken}\n` });
      expect(login.code).toBe(0);
      expect(login.stdout).toContain('Logged in to');
      const file = path.join(home, 'plinth', 'credentials.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8')).server).toBe(server.url);
      const created = await runPlinth(['token', 'create', '--name', 'deploy', '--role', 'member'], { env });
      expect(created.code).toBe(0);
      const list = JSON.parse((await runPlinth(['token', 'list', '-o', 'json'], { env })).stdout) as Array<{ name: string; createdBy: string }>;
      expect(list.find((t) => t.name === 'deploy')?.createdBy).toMatch(/^token:admin-/);
      // The member token cannot mint an admin one: exit 5 (not allowed).
      const denied = await runPlinth(['token', 'create', '--name', 'x', '--role', 'admin', '--server', server.url, '--token', created.stdout.trim()], { env });
      expect(denied.code).toBe(5);
      expect(denied.stderr).toContain('AUTH_NOT_ALLOWED');
    });

    it('exits 4 on a wrong token and 7 when the server is unreachable', async () => {
      const wrong = await runPlinth(['login', '--server', server.url, '--token', 'plinth_wrongwrongwrongwrongwrong'], { env: { XDG_CONFIG_HOME: home } });
      expect(wrong.code).toBe(4);
      const down = await runPlinth(['token', 'list', '--server', 'http://127.0.0.1:9', '--token', 'x']);
      expect(down.code).toBe(7);
      expect(down.stderr).toContain('cannot reach http://127.0.0.1:9');
    });

    it('never writes a token to the server log', () => {
      expect(server.output()).not.toContain(server.adminToken);
    });
  });
});
