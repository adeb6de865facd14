import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { gitAsAlice as git, withToken } from '../../test/support/git.js';
import { createTestApp, type TestApp } from '../../test/support/platform.js';
import { createApiToken } from '../auth/tokens.js';
import { authDb, createUser } from '../auth/users.js';
import { readEvents } from '../store/events.js';
import { EXAMPLES_DIR } from '../server/demo.js';
import { runPlinth } from '../../test/support/server.js';
import { startCapabilities, startQueueWorker } from '../server/platform.js';
import type { TaskView } from './service.js';

const exec = promisify(execFile);

describe.each(testDatabases)('templates end to end on $name', (database) => {
  let t: TestApp;
  let base: string;
  let member: string;
  let dir: string;
  let background: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    t = await createTestApp(database, (config) => {
      // The published skeletons' CI workflows (npm install from the registry) are the pipelines
      // capability's work, tested there: no runner label here matches them, so they stay queued.
      config.workers.labels = ['templates-test'];
      config.templates.actions = [{ id: 'acme:shout', description: 'Upper-cases text', command: ['node', '-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify({text:JSON.parse(s).text.toUpperCase()})))'], inputSchema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } }];
    });
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    t.platform.config.publicUrl = base;
    const db = authDb(t.platform.store);
    const alice = await createUser(db, { name: 'alice', role: 'member' });
    member = (await createApiToken(db, { name: 'alice', role: 'member', userId: alice.id, createdBy: 'user:alice' })).token;
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-templates-'));
    await t.platform.catalog.addLocation({ type: 'file', target: path.join(EXAMPLES_DIR, 'catalog', 'org.yaml') }, 'user:default/admin');
    await t.platform.catalog.addLocation({ type: 'file', target: path.join(EXAMPLES_DIR, 'templates', 'nodejs-service', 'template.yaml') }, 'user:default/admin');
    background = [await startQueueWorker(t.platform), await startCapabilities(t.platform)];
  });
  afterAll(async () => {
    for (const running of background) await running.stop();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await fetch(`${base}/api${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  async function waitForTask(id: string, token = member): Promise<TaskView> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const task = (await api('GET', `/scaffolder/v2/tasks/${id}`, token)).body as TaskView;
      if (!['open', 'processing'].includes(task.status)) return task;
      if (Date.now() > deadline) throw new Error(`task ${id} still ${task.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('lists actions and answers the parameter schema', async () => {
    const actions = await api('GET', '/scaffolder/v2/actions', t.tokens.viewer);
    const ids = actions.body.map((a: { id: string }) => a.id);
    expect(ids).toEqual(expect.arrayContaining(['fetch:template', 'fetch:template:file', 'fetch:plain', 'fetch:plain:file', 'fs:rename', 'fs:delete', 'fs:read', 'debug:log', 'debug:wait', 'catalog:register', 'catalog:write', 'catalog:fetch', 'publish:plinth', 'publish:git', 'publish:github']));
    expect(actions.body[0].schema.input).toBeTypeOf('object');
    expect(actions.body.find((a: { id: string }) => a.id === 'acme:shout')).toEqual({ id: 'acme:shout', description: 'Upper-cases text', schema: { input: expect.objectContaining({ required: ['text'] }), output: { type: 'object' } } });
    const schema = await api('GET', '/scaffolder/v2/templates/default/template/nodejs-service/parameter-schema', t.tokens.viewer);
    expect(schema.status).toBe(200);
    expect(schema.body.title).toBe('Node.js service with PostgreSQL');
    expect(schema.body.steps.map((s: { title: string }) => s.title)).toEqual(['About the service', 'Where to put it']);
    expect(schema.body.steps[0].schema.properties.owner['ui:field']).toBe('OwnerPicker');
  });

  it('runs nodejs-service: hosted repository, clone with a token, catalog entity within 1 s, git:pushed', async () => {
    const created = await api('POST', '/scaffolder/v2/tasks', member, {
      templateRef: 'template:default/nodejs-service',
      values: { name: 'orders-api', owner: 'group:default/engineering', description: 'Takes orders', repoUrl: 'plinth?owner=default&repo=orders-api' },
    });
    expect(created.status).toBe(201);
    const task = await waitForTask(created.body.id);
    const completedAt = Date.now();
    expect(task.error).toBeNull();
    expect(task.status).toBe('completed');
    expect(task.createdBy).toBe('user:alice');
    expect(task.steps.map((s) => [s.id, s.status])).toEqual([
      ['fetch', 'completed'],
      ['publish', 'completed'],
      ['register', 'completed'],
    ]);
    expect(task.steps.every((s) => typeof s.durationMs === 'number' && s.startedAt && s.endedAt)).toBe(true);
    expect(task.output).toMatchObject({ links: [{ title: 'Repository', url: `${base}/git/default/orders-api.git` }, { title: 'Open in catalog', entityRef: 'component:default/orders-api' }] });

    // In the catalog within 1 s, with its owner relation.
    let entity: { spec: { owner: string }; relations: Array<{ type: string; targetRef: string }>; metadata: { annotations: Record<string, string> } } | undefined;
    while (!entity && Date.now() - completedAt < 1000) {
      const found = await api('GET', '/catalog/entities/by-name/component/default/orders-api', t.tokens.viewer);
      if (found.status === 200) entity = found.body;
    }
    expect(entity, 'entity visible within 1 s of completion').toBeDefined();
    expect(entity!.spec.owner).toBe('group:default/engineering');
    expect(entity!.relations).toContainEqual(expect.objectContaining({ type: 'ownedBy', targetRef: 'group:default/engineering' }));
    expect(entity!.metadata.annotations['plinth.dev/score']).toBe('./score.yaml');

    // The hosted repository clones with a token and holds the rendered files.
    const clone = path.join(dir, 'orders-api');
    await git(dir, 'clone', '-q', withToken(`${base}/git/default/orders-api.git`, t.tokens.viewer), clone);
    expect(JSON.parse(readFileSync(path.join(clone, 'package.json'), 'utf8'))).toMatchObject({ name: 'orders-api', description: 'Takes orders', scripts: { test: 'node --test' } });
    expect(readFileSync(path.join(clone, 'catalog-info.yaml'), 'utf8')).toContain('owner: group:default/engineering');
    expect(readFileSync(path.join(clone, 'score.yaml'), 'utf8')).toContain('DATABASE_HOST: ${resources.db.host}');
    expect(readFileSync(path.join(clone, '.github/workflows/ci.yml'), 'utf8')).toContain('${{ github.sha }}');
    expect(existsSync(path.join(clone, 'docs/index.md')) && existsSync(path.join(clone, 'mkdocs.yml'))).toBe(true);
    // The rendered service's own tests pass.
    const tested = await exec('npm', ['test'], { cwd: clone, env: { ...process.env, NODE_OPTIONS: '' } });
    // Node 20 reports in TAP (`# pass 2`) when not on a terminal, Node 22+ in its spec format (`ℹ pass 2`).
    expect(tested.stdout).toMatch(/^(# |ℹ )pass 2$/m);
    expect(tested.stdout).toMatch(/^(# |ℹ )fail 0$/m);

    // The task creator pushed it; a later push emits git:pushed too.
    const pushes = await readEvents(t.platform.store, { types: ['git:pushed'], subject: 'repository:default/orders-api' });
    expect(pushes[0]).toMatchObject({ actor: 'user:alice', payload: { ref: 'refs/heads/main' } });
    writeFileSync(path.join(clone, 'CHANGELOG.md'), '# Changes\n');
    await git(clone, 'add', '.');
    await git(clone, 'commit', '-q', '-m', 'changelog');
    await git(clone, 'remote', 'set-url', 'origin', withToken(`${base}/git/default/orders-api.git`, member));
    await git(clone, 'push', '-q', 'origin', 'HEAD:main');
    // The server records the push once git http-backend has answered: wait for it.
    const pushedBy = async () => (await readEvents(t.platform.store, { types: ['git:pushed'], subject: 'repository:default/orders-api' })).map((e) => e.actor);
    await expect.poll(pushedBy, { timeout: 5000 }).toEqual(['user:alice', 'user:alice']);

    // Logs are stored and replayed.
    const events = await api('GET', `/scaffolder/v2/tasks/${created.body.id}/events`, member);
    expect(events.body.at(-1)).toMatchObject({ type: 'completion', body: { status: 'completed' } });
    expect(events.body.some((e: { body: { stepId?: string } }) => e.body.stepId === 'publish')).toBe(true);
    const tail = await api('GET', `/scaffolder/v2/tasks/${created.body.id}/events?after=${events.body.at(-2).id}`, member);
    expect(tail.body).toHaveLength(1);
    const listed = await api('GET', `/scaffolder/v2/tasks?createdBy=user:alice&status=completed`, t.tokens.viewer);
    expect(listed.body.tasks.map((x: TaskView) => x.id)).toContain(created.body.id);
  });

  it('streams events over SSE and ends after completion', async () => {
    const created = await api('POST', '/scaffolder/v2/tasks', member, {
      templateRef: 'template:default/nodejs-service',
      values: { name: 'stream-api', owner: 'group:default/engineering', repoUrl: 'plinth?owner=default&repo=stream-api' },
    });
    const response = await fetch(`${base}/api/scaffolder/v2/tasks/${created.body.id}/eventstream`, { headers: { authorization: `Bearer ${member}` } });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const text = await response.text();
    const events = text.split('\n\n').filter((block) => block.startsWith('id:')).map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
    expect(events.at(-1)).toMatchObject({ type: 'completion', taskId: created.body.id, body: { status: 'completed' } });
    expect(events.every((e) => typeof e.id === 'number' && e.createdAt)).toBe(true);
    // Last-Event-ID replays the rest.
    const resumed = await fetch(`${base}/api/scaffolder/v2/tasks/${created.body.id}/eventstream`, { headers: { authorization: `Bearer ${member}`, 'last-event-id': String(events.at(-2).id) } });
    expect((await resumed.text()).match(/^id: /gm)).toHaveLength(1);
  });

  it('refuses bad values with field paths, an unknown template, and viewers', async () => {
    const bad = await api('POST', '/scaffolder/v2/tasks', member, { templateRef: 'template:default/nodejs-service', values: { name: 'Bad Name!', repoUrl: 'plinth?owner=default&repo=x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('TEMPLATE_VALUES_INVALID');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['/values/name', '/values/owner']));
    expect(bad.body.errors.find((e: { path: string }) => e.path === '/values/name').message).toMatch(/must match pattern/);
    const missing = await api('POST', '/scaffolder/v2/tasks', member, { templateRef: 'template:default/nope', values: {} });
    expect(missing.status).toBe(404);
    const viewer = await api('POST', '/scaffolder/v2/tasks', t.tokens.viewer, { templateRef: 'template:default/nodejs-service', values: {} });
    expect(viewer.status).toBe(403);
    expect((await api('GET', '/scaffolder/v2/tasks', member)).body.tasks.every((x: TaskView) => x.status !== 'open' || x.spec.parameters.name !== 'Bad Name!')).toBe(true);
  });

  it('fails a task visibly when publishing conflicts, and retries it from the start', async () => {
    expect((await api('POST', '/repositories', t.tokens.admin, { name: 'taken', owner: 'group:default/engineering' })).status).toBe(201);
    const created = await api('POST', '/scaffolder/v2/tasks', member, {
      templateRef: 'template:default/nodejs-service',
      values: { name: 'taken', owner: 'group:default/engineering', repoUrl: 'plinth?owner=default&repo=taken' },
    });
    const failed = await waitForTask(created.body.id);
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/step publish \(publish:plinth\): repository default\/taken exists already/);
    expect(failed.steps.map((s) => s.status)).toEqual(['completed', 'failed', 'open']);
    await api('DELETE', '/repositories/default/taken', t.tokens.admin);
    const retried = await api('POST', `/scaffolder/v2/tasks/${created.body.id}/retry`, member);
    expect(retried.status).toBe(201);
    const done = await waitForTask(created.body.id);
    // The error, if any, is in the failure message.
    expect({ status: done.status, error: done.error }).toEqual({ status: 'completed', error: null });
    const notAgain = await api('POST', `/scaffolder/v2/tasks/${created.body.id}/retry`, member);
    expect(notAgain.status).toBe(409);
  });

  it('creates an environment with the environment:create action', async () => {
    await t.platform.catalog.addLocation(
      { type: 'file', target: writeTemplate('preview-env', [{ id: 'env', action: 'environment:create', input: { name: 'pr-${{ parameters.number }}', type: 'preview' } }], { properties: { number: { type: 'integer' } } }, { text: [{ title: 'env', content: '${{ steps.env.output.name }} (${{ steps.env.output.type }})' }] }) },
      'user:default/admin',
    );
    const created = await api('POST', '/scaffolder/v2/tasks', member, { templateRef: 'template:default/preview-env', values: { number: 7 } });
    const task = await waitForTask(created.body.id);
    expect({ status: task.status, error: task.error }).toEqual({ status: 'completed', error: null });
    expect(task.output).toMatchObject({ text: [{ title: 'env', content: 'pr-7 (preview)' }] });
    const environment = await api('GET', '/environments/pr-7', member);
    expect(environment.status).toBe(200);
    expect(environment.body).toMatchObject({ name: 'pr-7', type: 'preview' });
  });

  it('cancels a running task', async () => {
    await t.platform.catalog.addLocation({ type: 'file', target: writeTemplate('slow', [{ id: 'wait', action: 'debug:wait', input: { seconds: 30 } }]) }, 'user:default/admin');
    const created = await api('POST', '/scaffolder/v2/tasks', member, { templateRef: 'template:default/slow', values: {} });
    expect(created.body).toEqual({ id: expect.any(String) });
    const deadline = Date.now() + 10_000;
    while ((await api('GET', `/scaffolder/v2/tasks/${created.body.id}`, member)).body.status !== 'processing' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const cancelled = await api('POST', `/scaffolder/v2/tasks/${created.body.id}/cancel`, member);
    expect(cancelled.body).toEqual({ status: 'cancelled' });
    const task = await waitForTask(created.body.id);
    expect(task.status).toBe('cancelled');
    const events = await api('GET', `/scaffolder/v2/tasks/${created.body.id}/events`, member);
    expect(events.body.at(-1).type).toBe('cancelled');
  });

  it('masks secrets in every log line and never stores them in clear', async () => {
    await t.platform.catalog.addLocation(
      {
        type: 'file',
        target: writeTemplate(
          'secretive',
          [{ id: 'log', action: 'debug:log', input: { message: 'password ${{ parameters.password }} and token ${{ secrets.apiToken }}' } }],
          { properties: { password: { type: 'string', 'ui:widget': 'password' } } },
          { said: 'token ${{ secrets.apiToken }}' },
        ),
      },
      'user:default/admin',
    );
    const created = await api('POST', '/scaffolder/v2/tasks', member, { templateRef: 'template:default/secretive', values: { password: 'correct-horse-battery' }, secrets: { apiToken: 'tok-very-secret-123' } });
    const task = await waitForTask(created.body.id);
    expect(task.status).toBe('completed');
    const events = await api('GET', `/scaffolder/v2/tasks/${created.body.id}/events`, member);
    expect(events.body.map((e: { body: { message: string } }) => e.body.message)).toContain('password *** and token ***');
    expect(task.output).toEqual({ said: 'token ***' });
    expect(task.spec.parameters).toEqual({});
    const rows = JSON.stringify([
      await t.platform.store.db.selectFrom('template_tasks' as never).selectAll().execute(),
      await t.platform.store.db.selectFrom('template_task_events' as never).selectAll().execute(),
      await t.platform.store.db.selectFrom('jobs').selectAll().execute(),
    ]);
    expect(rows).not.toContain('correct-horse-battery');
    expect(rows).not.toContain('tok-very-secret-123');
  });

  it('dry-runs a template with no side effects and returns the rendered files', async () => {
    const template = readFileSync(path.join(EXAMPLES_DIR, 'templates', 'nodejs-service', 'template.yaml'), 'utf8');
    const { parse } = await import('yaml');
    const skeleton = path.join(EXAMPLES_DIR, 'templates', 'nodejs-service');
    const { stdout } = await exec('git', ['ls-files', '--others', '--cached', 'skeleton'], { cwd: skeleton });
    const directoryContents = stdout.trim().split('\n').map((file) => ({ path: file, base64Content: readFileSync(path.join(skeleton, file)).toString('base64') }));
    const result = await api('POST', '/scaffolder/v2/dry-run', member, {
      template: parse(template),
      values: { name: 'dry-api', owner: 'group:default/engineering', repoUrl: 'plinth?owner=default&repo=dry-api' },
      directoryContents,
    });
    expect(result.status).toBe(200);
    const files = Object.fromEntries(result.body.directoryContents.map((f: { path: string; base64Content: string }) => [f.path, Buffer.from(f.base64Content, 'base64').toString('utf8')]));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['package.json', 'catalog-info.yaml', 'score.yaml', 'src/server.js', '.github/workflows/ci.yml']));
    expect(files['catalog-info.yaml']).toContain('name: dry-api');
    expect(result.body.log.map((l: { body: { message: string } }) => l.body.message)).toEqual(expect.arrayContaining([expect.stringMatching(/dry run: would create the hosted repository default\/dry-api/), expect.stringMatching(/dry run: would register/)]));
    expect(result.body.output.links[1]).toMatchObject({ entityRef: 'component:default/dry-api' });
    expect((await api('GET', '/repositories/default/dry-api', member)).status).toBe(404);
    expect((await api('GET', '/catalog/entities/by-name/component/default/dry-api', member)).status).toBe(404);
  });

  it('fetches the skeleton next to a template registered from a hosted git repository', async () => {
    expect((await api('POST', '/repositories', t.tokens.admin, { name: 'golden-paths' })).status).toBe(201);
    const work = path.join(dir, 'golden-paths');
    await git(dir, 'clone', '-q', withToken(`${base}/git/default/golden-paths.git`, t.tokens.admin), work);
    await import('node:fs').then((fs) => fs.mkdirSync(path.join(work, 'greeter', 'skeleton'), { recursive: true }));
    writeFileSync(path.join(work, 'greeter', 'skeleton', 'hello-${{ values.who }}.txt'), 'hello ${{ values.who }}\n');
    writeFileSync(
      path.join(work, 'greeter', 'template.yaml'),
      JSON.stringify({
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'greeter' },
        spec: {
          owner: 'group:default/engineering',
          type: 'service',
          parameters: { properties: { who: { type: 'string', default: 'world' } } },
          steps: [
            { id: 'fetch', action: 'fetch:template', input: { url: './skeleton', values: { who: '${{ parameters.who }}' } } },
            { id: 'read', action: 'fs:read', input: { path: 'hello-${{ parameters.who }}.txt' } },
          ],
          output: { text: [{ title: 'greeting', content: '${{ steps.read.output.content }}' }] },
        },
      }),
    );
    await git(work, 'add', '.');
    await git(work, 'commit', '-q', '-m', 'greeter template');
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    const registered = await api('POST', '/catalog/locations', t.tokens.admin, { type: 'url', target: `${base}/git/default/golden-paths.git/blob/main/greeter/template.yaml` });
    expect(registered.status).toBe(201);
    const created = await api('POST', '/scaffolder/v2/tasks', member, { templateRef: 'template:default/greeter', values: {} });
    const task = await waitForTask(created.body.id);
    expect(task.error).toBeNull();
    expect(task.output).toEqual({ text: [{ title: 'greeting', content: 'hello world\n' }] });
  });

  it('catalog:fetch, catalog:write and an optional catalog:register; a template error names step, input and line', async () => {
    await t.platform.catalog.addLocation(
      {
        type: 'file',
        target: writeTemplate(
          'catalog-steps',
          [
            { id: 'owner', action: 'catalog:fetch', input: { entityRef: 'engineering', defaultKind: 'group' } },
            { id: 'write', action: 'catalog:write', input: { entity: { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'written' }, spec: { owner: '${{ steps.owner.output.entity.metadata.name }}' } } } },
            { id: 'read', action: 'fs:read', input: { path: 'catalog-info.yaml' } },
            { id: 'shout', action: 'acme:shout', input: { text: '${{ steps.owner.output.entity.metadata.name }}' } },
            { id: 'register', action: 'catalog:register', input: { catalogInfoUrl: 'http://127.0.0.1:1/nowhere.yaml', optional: true } },
          ],
          undefined,
          { written: '${{ steps.read.output.content }}', shouted: '${{ steps.shout.output.text }}' },
        ),
      },
      'user:default/admin',
    );
    const created = await api('POST', '/scaffolder/v2/tasks', member, { templateRef: 'template:default/catalog-steps', values: {} });
    const task = await waitForTask(created.body.id);
    expect(task.error).toBeNull();
    expect(task.output!.written).toContain('owner: engineering');
    expect(task.output!.shouted).toBe('ENGINEERING');
    const messages = (await api('GET', `/scaffolder/v2/tasks/${created.body.id}/events`, member)).body.map((e: { body: { message: string } }) => e.body.message);
    expect(messages).toContainEqual(expect.stringMatching(/could not register http:\/\/127\.0\.0\.1:1\/nowhere\.yaml \(optional\)/));

    const file = path.join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: scaffolder.backstage.io/v1beta3',
        'kind: Template',
        'metadata:',
        '  name: broken',
        'spec:',
        '  owner: group:default/engineering',
        '  type: service',
        '  steps:',
        '    - id: greet',
        '      action: debug:log',
        '      input:',
        '        message: hello ${{ parameters.name | shout }}',
        '',
      ].join('\n'),
    );
    await t.platform.catalog.addLocation({ type: 'file', target: file }, 'user:default/admin');
    const failed = await waitForTask((await api('POST', '/scaffolder/v2/tasks', member, { templateRef: 'template:default/broken', values: {} })).body.id);
    expect(failed.status).toBe('failed');
    expect(failed.error!.message).toBe(`${file}:12:46: step greet, input.message: filter not found: shout`);
  });

  it('plinth template run --follow, list and an offline dry-run', async () => {
    const values = path.join(dir, 'cli-values.yaml');
    writeFileSync(values, 'name: cli-api\nowner: group:default/engineering\nrepoUrl: plinth?owner=default&repo=cli-api\n');
    const ran = await runPlinth(['--server', base, '--token', member, 'template', 'run', 'nodejs-service', '--values', values, '--follow']);
    expect(ran.stderr).toMatch(/\[publish\] pushed [0-9a-f]{12} to /);
    expect(ran.stderr).toMatch(/Run completed/);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('component:default/cli-api');
    const listed = await runPlinth(['--server', base, '--token', member, 'template', 'list']);
    expect(listed.stdout).toMatch(/template:default\/nodejs-service\s+Node\.js service with PostgreSQL\s+service\s+group:default\/platform-team/);
    const dry = await runPlinth(['template', 'dry-run', path.join(EXAMPLES_DIR, 'templates', 'nodejs-service', 'template.yaml'), '--values', values]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/--- catalog-info\.yaml\n[\s\S]*name: cli-api/);
    const bad = await runPlinth(['template', 'dry-run', path.join(EXAMPLES_DIR, 'templates', 'nodejs-service', 'template.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\/values\/name: 'name' is required/);
  });

  function writeTemplate(name: string, steps: unknown[], parameters?: unknown, output?: unknown): string {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, JSON.stringify({ apiVersion: 'scaffolder.backstage.io/v1beta3', kind: 'Template', metadata: { name }, spec: { owner: 'group:default/engineering', type: 'service', parameters, steps, output } }));
    return file;
  }
});
