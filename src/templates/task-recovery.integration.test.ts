import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { createTestApp, type TestApp } from '../../test/support/platform.js';
import { REPO_ROOT } from '../../test/support/server.js';
import { readEvents } from '../store/events.js';
import { startQueueWorker } from '../server/platform.js';
import { reapExpiredLeases, type QueueWorker } from '../store/queue/worker.js';
import type { TaskView } from './service.js';
import type { DbTemplateTaskRow, TemplateTables } from './tables.js';

const exec = promisify(execFile);
const TSX = import.meta.resolve('tsx');

/**
 * A real `plinth worker` process is killed with SIGKILL in the middle of a task: the job's lease
 * runs out and the task runs again from the start in a clean workspace (publish:plinth replaces
 * what its first attempt pushed), or, when the last attempt dies too, it is failed visibly.
 */
describe.each(testDatabases)('template tasks survive a killed worker on $name', (database) => {
  let t: TestApp;
  let base: string;
  let dir: string;
  let configFile: string;
  const workers: QueueWorker[] = [];

  beforeAll(async () => {
    t = await createTestApp(database, (config) => {
      config.workers.leaseSeconds = 1;
    });
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    t.platform.config.publicUrl = base;
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-task-recovery-'));
    mkdirSync(path.join(dir, 'skeleton'));
    writeFileSync(path.join(dir, 'skeleton', 'README.md'), '# ${{ values.name }}\n');
    writeFileSync(
      path.join(dir, 'template.yaml'),
      JSON.stringify({
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'slow-service' },
        spec: {
          owner: 'group:default/engineering',
          type: 'service',
          parameters: { properties: { name: { type: 'string' } } },
          steps: [
            { id: 'fetch', action: 'fetch:template', input: { url: './skeleton', values: { name: '${{ parameters.name }}' } } },
            { id: 'publish', action: 'publish:plinth', input: { repoUrl: 'plinth?owner=default&repo=${{ parameters.name }}' } },
            { id: 'wait', action: 'debug:wait', input: { milliseconds: 1500 } },
          ],
          output: { commit: '${{ steps.publish.output.commitHash }}' },
        },
      }),
    );
    await t.platform.catalog.addLocation({ type: 'file', target: path.join(dir, 'template.yaml') }, 'user:default/admin');
    configFile = path.join(dir, 'plinth.yaml');
    writeFileSync(configFile, `workers:\n  leaseSeconds: 1\npublicUrl: ${base}\n`);
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function startWorkerProcess(): ChildProcess {
    return spawn(process.execPath, ['--import', TSX, path.join(REPO_ROOT, 'src/cli/run.ts'), 'worker', '--config', configFile], {
      cwd: REPO_ROOT,
      env: { ...process.env, PLINTH_DATA_DIR: t.config.dataDir, ...(t.config.databaseUrl ? { PLINTH_DATABASE_URL: t.config.databaseUrl } : {}), PLINTH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  const getTask = async (id: string) => (await (await fetch(`${base}/api/scaffolder/v2/tasks/${id}`, { headers: { authorization: `Bearer ${t.tokens.admin}` } })).json()) as TaskView;

  async function until(id: string, predicate: (task: TaskView) => boolean, timeoutMs = 30_000): Promise<TaskView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const task = await getTask(id);
      if (predicate(task)) return task;
      if (Date.now() > deadline) throw new Error(`task ${id} is ${task.status} (${JSON.stringify(task.steps)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const messagesOf = async (id: string) =>
    ((await (await fetch(`${base}/api/scaffolder/v2/tasks/${id}/events`, { headers: { authorization: `Bearer ${t.tokens.admin}` } })).json()) as Array<{ body: { message: string } }>).map((e) => e.body.message);

  async function killDuringWait(id: string, attempt: number): Promise<void> {
    const child = startWorkerProcess();
    try {
      if (attempt > 1) await expect.poll(async () => (await messagesOf(id)).some((m) => m.includes(`(attempt ${attempt})`)), { timeout: 30_000 }).toBe(true);
      await until(id, (task) => task.steps.find((s) => s.id === 'wait')?.status === 'processing');
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
    }
  }

  async function submit(name: string): Promise<string> {
    const response = await fetch(`${base}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ templateRef: 'template:default/slow-service', values: { name } }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  it('re-runs the task from the start after SIGKILL, replacing its own first push', async () => {
    const id = await submit('recovered');
    await killDuringWait(id, 1);
    // Killed after publishing: the repository holds the first attempt's commit.
    expect((await getTask(id)).status).toBe('processing');
    workers.push(await startQueueWorker(t.platform));
    const task = await until(id, (x) => x.status !== 'processing' && x.status !== 'open');
    // The task's own log says why, should it not complete.
    expect(task.status, (await messagesOf(id)).join('\n')).toBe('completed');
    expect(task.steps.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    const messages = await messagesOf(id);
    expect(messages).toContainEqual(expect.stringMatching(/Running again from the start \(attempt 2\)/));
    expect(messages).toContainEqual(expect.stringMatching(/created by an earlier attempt of this task; replacing its content/));
    // One commit, the second attempt's, on main; both pushes were recorded.
    const gitDir = t.platform.repositories.gitDirOf('default', 'recovered');
    const log = (await exec('git', ['--git-dir', gitDir, 'log', '--format=%H', 'main'])).stdout.trim().split('\n');
    expect(log).toEqual([task.output!.commit]);
    const pushes = await readEvents(t.platform.store, { types: ['git:pushed'], subject: 'repository:default/recovered' });
    expect(pushes).toHaveLength(2);
    await workers.pop()!.stop();
  });

  it('fails the task visibly when its last attempt dies too', async () => {
    const id = await submit('lost');
    await killDuringWait(id, 1);
    // The second attempt is killed as well; then its lease runs out with no attempt left.
    await killDuringWait(id, 2);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await reapExpiredLeases(t.platform.store)).toBe(1);
    const task = await until(id, (x) => x.status === 'failed', 10_000);
    expect(task.error?.message).toMatch(/the task's worker stopped: lease expired/);
    expect(task.steps.find((s) => s.id === 'wait')?.status).toBe('failed');
    expect((await messagesOf(id)).at(-1)).toMatch(/Run failed: the task's worker stopped/);
  });

  it('shows a task that ended while it was being read as it ended, not as lost', async () => {
    const id = await submit('finished');
    workers.push(await startQueueWorker(t.platform));
    await until(id, (x) => x.status === 'completed');
    await workers.pop()!.stop();
    // A reader that saw the task processing, then found its job gone (a completed job's row is
    // removed), must not report it lost: this raced with the polling above on a slow machine.
    const seenBefore = await t.platform.store.db.withTables<TemplateTables>().selectFrom('template_tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const reconcile = (t.platform.templates as unknown as { reconcile(row: DbTemplateTaskRow): Promise<DbTemplateTaskRow> }).reconcile.bind(t.platform.templates);
    expect((await reconcile({ ...seenBefore, status: 'processing' })).status).toBe('completed');
    expect((await getTask(id)).status).toBe('completed');
  });
});
