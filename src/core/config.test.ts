import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { PlinthError } from './errors.js';

function configFile(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'plinth-config-'));
  const file = path.join(dir, 'plinth.yaml');
  writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): PlinthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PlinthError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('loadConfig', () => {
  it('fills defaults when nothing is configured', () => {
    const config = loadConfig({ env: {}, cwd: '/srv/plinth' });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 7007, dataDir: '/srv/plinth/.data', publicUrl: 'http://127.0.0.1:7007', workers: { enabled: true } });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.auth.guest.enabled).toBe(false);
  });

  it('reads command actions for templates, and names a misspelt key with its line', () => {
    const file = configFile('templates:\n  actions:\n    - id: acme:hello\n      command: [echo, hi]\n      timeoutSeconds: 5\n');
    expect(loadConfig({ file, env: {} }).templates.actions).toEqual([{ id: 'acme:hello', command: ['echo', 'hi'], timeoutSeconds: 5 }]);
    const bad = configFile('templates:\n  actions:\n    - id: acme:hello\n      comand: [echo]\n');
    const error = errorOf(() => loadConfig({ file: bad, env: {} }));
    expect(error.message).toMatch(/unknown config key 'templates.actions.0.comand'|'templates.actions.0.command' is required/);
    expect(error.location?.line).toBeGreaterThan(1);
  });

  it('reads plinth.yaml and lets the environment override it', () => {
    const file = configFile('port: 8080\nworkers:\n  concurrency: 2\n');
    const config = loadConfig({ file, env: { PLINTH_PORT: '9090', PLINTH_DATABASE_URL: 'postgres://db/plinth', PLINTH_GUEST_ROLE: 'viewer' } });
    expect(config.port).toBe(9090);
    expect(config.workers.concurrency).toBe(2);
    expect(config.databaseUrl).toBe('postgres://db/plinth');
    expect(config.auth.guest).toEqual({ enabled: true, role: 'viewer' });
  });

  it('stops on an unknown key, naming it and its file:line:column', () => {
    const file = configFile('port: 8080\nworkers:\n  concurency: 2\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.toString()).toBe(`${file}:3:3: unknown config key 'workers.concurency'`);
  });

  it('stops on a wrong type at the value', () => {
    const file = configFile('port: eighty\n');
    expect(errorOf(() => loadConfig({ file, env: {} })).toString()).toBe(`${file}:1:7: config key 'port' must be integer`);
  });

  it('stops on a missing required value', () => {
    const file = configFile('auth:\n  oidc:\n    issuer: https://id.example.com\n');
    expect(errorOf(() => loadConfig({ file, env: {} })).toString()).toBe(`${file}:2:3: config key 'auth.oidc.clientId' is required`);
  });

  it('stops on YAML syntax errors with their position', () => {
    const file = configFile('port: 8080\nworkers: [1, 2\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.location).toMatchObject({ file, line: 3 });
  });

  it('stops on a bad environment variable, naming it', () => {
    expect(errorOf(() => loadConfig({ env: { PLINTH_PORT: 'x' } })).message).toBe("PLINTH_PORT must be a whole number, got 'x'");
    expect(errorOf(() => loadConfig({ env: { PLINTH_DATABASE_URL: 'mysql://x' } })).toString()).toContain('databaseUrl (or PLINTH_DATABASE_URL): config key');
  });

  it('says when the config file cannot be read', () => {
    const error = errorOf(() => loadConfig({ file: '/nonexistent/plinth.yaml', env: {} }));
    expect(error.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(error.message).toContain('ENOENT');
  });

  it('reads git.credentials, resolves $env: secrets and keeps catalog.gitCredentials as an alias', () => {
    const file = configFile(
      'git:\n  credentials:\n    - { urlPrefix: https://github.com/acme/, token: $env:ACME_TOKEN }\n    - { host: git.example.com, username: bot, password: hunter2 }\ncatalog:\n  gitCredentials:\n    - { urlPrefix: https://gitlab.example.com/, token: glpat-1 }\n',
    );
    const config = loadConfig({ file, env: { ACME_TOKEN: 'ghp_secret' } });
    expect(config.git.credentials).toEqual([
      { urlPrefix: 'https://github.com/acme/', username: 'x-access-token', password: 'ghp_secret' },
      { host: 'git.example.com', username: 'bot', password: 'hunter2' },
      { urlPrefix: 'https://gitlab.example.com/', username: 'x-access-token', password: 'glpat-1' },
    ]);
  });

  it('refuses git credentials naming an unset variable, or with both or neither of urlPrefix and host', () => {
    const unset = errorOf(() => loadConfig({ file: configFile('git:\n  credentials:\n    - { host: github.com, token: $env:NOT_SET }\n'), env: {} }));
    expect(unset.message).toBe("config key 'git.credentials.0.token' names the environment variable NOT_SET, which is not set");
    const both = errorOf(() => loadConfig({ file: configFile('git:\n  credentials:\n    - { host: github.com, urlPrefix: https://github.com/, token: t }\n'), env: {} }));
    expect(both.message).toBe("config key 'git.credentials.0' needs exactly one of urlPrefix or host");
    const secretless = errorOf(() => loadConfig({ file: configFile('git:\n  credentials:\n    - { host: github.com }\n'), env: {} }));
    expect(secretless.message).toBe("config key 'git.credentials.0' needs exactly one of token or password");
    const badPrefix = errorOf(() => loadConfig({ file: configFile('git:\n  credentials:\n    - { urlPrefix: github.com, token: t }\n'), env: {} }));
    expect(badPrefix.location).toMatchObject({ line: 3, column: 20 });
  });
});
