import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { createTestApp, type TestApp } from '../../test/support/platform.js';
import { pushFiles, waitFor } from '../../test/support/pipelines.js';
import { startCapabilities, startQueueWorker } from '../server/platform.js';
import type { QueueWorker } from '../store/queue/worker.js';
import { runGit } from '../git/run-git.js';
import { deleteExpiredLogLines, readLogLines } from './log-store.js';
import { fireSchedules } from './triggers.js';
import type { CommitStatusView, RunDetails, RunView } from './model.js';

const WEBHOOK_SECRET = 'pipelines-webhook-secret';

describe.each(testDatabases)('pipelines on $name', (database) => {
  let t: TestApp;
  let worker: QueueWorker;
  let capabilities: { stop(): Promise<void> };
  let url: string;
  let remoteDir: string;
  const auth = () => ({ authorization: `Bearer ${t.tokens.admin}` });

  beforeAll(async () => {
    remoteDir = mkdtempSync(path.join(tmpdir(), 'plinth-remote-'));
    t = await createTestApp(database, (config) => {
      config.pipelines.webhookSecret = WEBHOOK_SECRET;
      config.pipelines.remotes = [{ name: 'acme/remote', url: `file://${remoteDir}` }];
      config.workers.concurrency = 6;
    });
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    t.config.publicUrl = url;
    worker = await startQueueWorker(t.platform);
    capabilities = await startCapabilities(t.platform);
    const created = await t.app.inject({ method: 'POST', url: '/api/repositories', headers: auth(), payload: { name: 'web' } });
    expect(created.statusCode).toBe(201);
  });
  afterAll(async () => {
    await capabilities?.stop();
    await worker?.stop(2000);
    await t?.close();
  });

  const cloneUrl = () => `${url}/git/default/web.git`;
  const api = async <T>(method: 'GET' | 'POST' | 'PUT', target: string, payload?: unknown) => {
    const response = await t.app.inject({ method, url: target, headers: auth(), payload: payload as object });
    return { status: response.statusCode, body: (response.body ? JSON.parse(response.body) : undefined) as T };
  };
  const runsOf = async (query: string) => (await api<{ items: RunView[] }>('GET', `/api/pipelines/runs?${query}`)).body.items;
  const completed = (id: number, timeoutMs = 30_000) =>
    waitFor(
      `run ${id} to complete`,
      async () => {
        const { body } = await api<RunDetails>('GET', `/api/pipelines/runs/${id}`);
        return body.status === 'completed' ? body : undefined;
      },
      timeoutMs,
      async () => {
        // Where the run stood: its jobs, their logs, and the queue's jobs with this worker's count.
        const { body } = await api<RunDetails>('GET', `/api/pipelines/runs/${id}`);
        const queued = await t.platform.store.db.selectFrom('jobs').select(['id', 'type', 'state', 'attempts', 'locked_by', 'locked_until', 'run_at', 'last_error']).execute();
        const jobs = body.jobs.map((j) => `${j.id} ${j.key} ${j.status} ${j.conclusion ?? ''}`).join('\n');
        return `run ${body.status}; jobs:\n${jobs}\nlogs:\n${await logsOf(body)}\nqueue (${worker.runningCount} running here, now ${Date.now()}):\n${JSON.stringify(queued)}`;
      },
    );
  const dispatchWorkflow = async (workflow: string) => (await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow })).body;
  const jobOf = async (runId: number, key: string) => (await api<RunDetails>('GET', `/api/pipelines/runs/${runId}`)).body.jobs.find((j) => j.key === key)!;
  const logsOf = async (run: RunDetails) => (await Promise.all(run.jobs.map((j) => readLogLines(t.platform.pipelines.db, j.id, 0, 100_000)))).flat().map((l) => l.text).join('\n');

  it('a push to a hosted repository runs its workflow over the needs graph and the run succeeds', async () => {
    const { sha } = await pushFiles(cloneUrl(), t.tokens.admin, {
      'README.md': '# web\n',
      '.github/workflows/ci.yml': `name: CI
on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      greeting: { type: string, required: true }
      level: { type: choice, options: [low, high], default: low }
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      version: \${{ steps.v.outputs.version }}
    steps:
      - id: v
        run: echo "version=1.2.3" >> "$GITHUB_OUTPUT"
      - run: echo "building $(cat README.md)"
  test:
    needs: build
    runs-on: [self-hosted, linux]
    strategy:
      matrix:
        shard: [1, 2]
    steps:
      - run: echo "testing \${{ needs.build.outputs.version }} shard \${{ matrix.shard }}"
`,
    });
    const run = await waitFor('the push to start a run', async () => (await runsOf('repository=default/web&event=push'))[0]);
    expect(run).toMatchObject({ repository: 'default/web', sha, ref: 'refs/heads/main', event: 'push', workflowName: 'CI', runNumber: 1 });
    const done = await completed(run.id);
    expect(done.conclusion).toBe('success');
    expect(done.jobs.map((j) => [j.key, j.conclusion])).toEqual([
      ['build', 'success'],
      ['test', 'success'],
      ['test', 'success'],
    ]);
    expect(done.jobs[1]!.needs).toEqual(['build']);
    const logs = await logsOf(done);
    expect(logs).toContain('building # web');
    expect(logs).toContain('testing 1.2.3 shard 1');
    expect(logs).toContain('testing 1.2.3 shard 2');
    const status = await api<{ state: string }>('GET', `/api/pipelines/status?repository=default/web&sha=${sha}`);
    expect(status.body.state).toBe('success');
    // What a component's Pipelines card reads: the default branch's latest run of each workflow.
    const onBranch = await api<CommitStatusView>('GET', '/api/pipelines/status?repository=default/web&ref=main');
    expect(onBranch.body).toMatchObject({ repository: 'default/web', sha, state: 'success', runs: [{ id: run.id, workflowName: 'CI', runNumber: 1, refName: 'main', conclusion: 'success' }] });
  });

  it('dispatch checks inputs against workflow_dispatch.inputs, naming each field, and starts nothing when they are wrong', async () => {
    const before = (await runsOf('repository=default/web')).length;
    const bad = await api<{ code: string; errors: Array<{ path: string }> }>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'ci.yml', inputs: { level: 'extreme', colour: 'red' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('PIPELINE_DISPATCH_INVALID');
    expect(bad.body.errors.map((e) => e.path).sort()).toEqual(['/body/inputs/colour', '/body/inputs/greeting', '/body/inputs/level']);
    expect((await runsOf('repository=default/web')).length).toBe(before);
    const missing = await api<{ code: string }>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'nope.yml' });
    expect([missing.status, missing.body.code]).toEqual([404, 'PIPELINE_WORKFLOW_NOT_FOUND']);

    const asViewer = await t.app.inject({ method: 'POST', url: '/api/pipelines/dispatch', headers: { authorization: `Bearer ${t.tokens.viewer}` }, payload: { repository: 'default/web', workflow: 'ci.yml', inputs: { greeting: 'hi' } } });
    expect([asViewer.statusCode, asViewer.json().code]).toEqual([403, 'AUTH_NOT_ALLOWED']);
    expect((await t.app.inject({ method: 'GET', url: '/api/pipelines/runs', headers: { authorization: `Bearer ${t.tokens.viewer}` } })).statusCode).toBe(200);
    expect((await runsOf('repository=default/web')).length).toBe(before);
    const ok = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'ci.yml', ref: 'main', inputs: { greeting: 'hi' } });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ event: 'workflow_dispatch', inputs: { greeting: 'hi', level: 'low' }, runNumber: 2 });
    expect((await completed(ok.body.id)).conclusion).toBe('success');
  });

  it('a failing step fails its job and the run, and skips the jobs that need it; re-running failed jobs makes a new attempt', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/fail.yml': `name: Fail
on:
  workflow_dispatch: {}
jobs:
  ok:
    runs-on: linux
    steps:
      - run: echo fine
  broken:
    runs-on: linux
    steps:
      - run: |
          echo "::error file=src/app.ts,line=12::something broke"
          exit 3
  after:
    needs: [ok, broken]
    runs-on: linux
    steps:
      - run: echo never
`,
    });
    const { body: run } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'fail.yml' });
    const done = await completed(run.id);
    expect(done.conclusion).toBe('failure');
    const byKey = Object.fromEntries(done.jobs.map((j) => [j.key, j]));
    expect(byKey.ok!.conclusion).toBe('success');
    expect(byKey.broken!.conclusion).toBe('failure');
    expect(byKey.after!.conclusion).toBe('skipped');
    expect(byKey.broken!.annotations).toContainEqual(expect.objectContaining({ level: 'error', message: 'something broke', file: 'src/app.ts', line: 12 }));

    const rerun = await api<RunView>('POST', `/api/pipelines/runs/${run.id}/rerun`, { failedOnly: true });
    expect(rerun.status).toBe(200);
    const again = await completed(run.id);
    expect(again.attempt).toBe(2);
    expect(again.conclusion).toBe('failure');
    // The job that succeeded is kept, not run again.
    expect(again.jobs.find((j) => j.key === 'ok')!.id).toBe(byKey.ok!.id === undefined ? -1 : again.jobs.find((j) => j.key === 'ok')!.id);
    const notAgain = await api<{ code: string }>('POST', `/api/pipelines/runs/${run.id}/cancel`);
    expect([notAgain.status, notAgain.body.code]).toEqual([409, 'PIPELINE_RUN_NOT_CANCELLABLE']);
  });

  it('never stores a secret or the job token in logs, and steps reach the server with PLINTH_TOKEN', async () => {
    await api('POST', '/api/repositories', { name: 'other' });
    const set = await api('PUT', '/api/pipelines/secrets/default/web/API_KEY', { value: 'sup3r-s3cret-value' });
    expect(set.status).toBe(204);
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/secret.yml': `on: workflow_dispatch
jobs:
  leak:
    runs-on: linux
    steps:
      - run: |
          echo "key is \${{ secrets.API_KEY }}"
          echo "token is $PLINTH_TOKEN"
          echo "ca file \${NODE_EXTRA_CA_CERTS:-none}, key \${PLINTH_SECRET_KEY:-none}"
          node -e "fetch(process.env.PLINTH_SERVER + '/api/auth/me', { headers: { authorization: 'Bearer ' + process.env.PLINTH_TOKEN } }).then(r => r.json()).then(b => console.log('server says ' + b.actor.name))"
          node -e "$SCOPE_CHECK"
        env:
          SCOPE_CHECK: |
            const call = (method, path, body) => fetch(process.env.PLINTH_SERVER + path, { method, headers: { authorization: 'Bearer ' + process.env.PLINTH_TOKEN, 'content-type': 'application/json' }, body: body && JSON.stringify(body) }).then(r => r.status);
            (async () => {
              console.log('other repository dispatch ' + await call('POST', '/api/pipelines/dispatch', { repository: 'default/other', workflow: 'ci.yml' }));
              console.log('other repository secret ' + await call('PUT', '/api/pipelines/secrets/default/other/X', { value: 'stolen' }));
              console.log('token create ' + await call('POST', '/api/tokens', { name: 'escape', role: 'member' }));
              console.log('own repository secret ' + await call('PUT', '/api/pipelines/secrets/default/web/FROM_JOB', { value: 'set-by-job' }));
            })();
`,
    });
    const { body: run } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'secret.yml' });
    const done = await completed(run.id);
    const logs = await logsOf(done);
    expect(done.conclusion).toBe('success');
    expect(logs).toContain('key is ***');
    expect(logs).toContain('token is ***');
    expect(logs).not.toContain('sup3r-s3cret-value');
    expect(logs).not.toMatch(/plinth_[A-Za-z0-9]{20,}/);
    expect(logs).toMatch(/server says pipeline-job-\d+/);
    // The network's CA settings reach steps (npm install behind a proxy); Plinth's own never do.
    expect(logs).toContain(`ca file ${process.env.NODE_EXTRA_CA_CERTS ?? 'none'}, key none`);
    // The job token acts on its own repository only, and cannot mint tokens.
    expect(logs).toContain('other repository dispatch 403');
    expect(logs).toContain('other repository secret 403');
    expect(logs).toContain('token create 403');
    expect(logs).toContain('own repository secret 204');
  });

  it('honours timeout-minutes: a step running too long is stopped and its job fails', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/slow.yml': `on: workflow_dispatch
jobs:
  slow:
    runs-on: linux
    timeout-minutes: 0.03
    steps:
      - run: echo start && sleep 60
`,
    });
    const started = Date.now();
    const { body: run } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'slow.yml' });
    const done = await completed(run.id);
    expect(done.conclusion).toBe('failure');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('cancel stops the running step (its process group) and runs post steps', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/actions/cleanup/action.yml': `name: cleanup
runs:
  using: node20
  main: main.js
  post: post.js
`,
      '.github/actions/cleanup/main.js': 'console.log("main ran");\n',
      '.github/actions/cleanup/post.js': 'console.log("post ran");\n',
      '.github/workflows/long.yml': `on: workflow_dispatch
jobs:
  long:
    runs-on: linux
    steps:
      - uses: ./.github/actions/cleanup
      - run: echo sleeping && sleep 60 && echo woke
`,
    });
    const { body: run } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'long.yml' });
    await waitFor('the step to start sleeping', async () => {
      const { body } = await api<RunDetails>('GET', `/api/pipelines/runs/${run.id}`);
      return (await logsOf(body)).includes('sleeping') ? true : undefined;
    });
    const cancelled = await api<RunView>('POST', `/api/pipelines/runs/${run.id}/cancel`);
    expect(cancelled.status).toBe(200);
    const started = Date.now();
    const done = await completed(run.id);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(done.conclusion).toBe('cancelled');
    const logs = await logsOf(done);
    expect(logs).toContain('post ran');
    expect(logs).not.toMatch(/^woke$/m);
  });

  it('a concurrency group with cancel-in-progress cancels the older run', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/deploy.yml': `on: workflow_dispatch
concurrency:
  group: deploy-\${{ github.ref }}
  cancel-in-progress: true
jobs:
  deploy:
    runs-on: linux
    steps:
      - run: echo deploying && sleep 30
`,
    });
    const { body: first } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'deploy.yml' });
    const { body: second } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'deploy.yml' });
    expect(second.concurrencyGroup).toBe('deploy-refs/heads/main');
    expect((await completed(first.id)).conclusion).toBe('cancelled');
    const secondNow = (await api<RunView>('GET', `/api/pipelines/runs/${second.id}`)).body;
    expect(secondNow.conclusion).not.toBe('cancelled');
    await api('POST', `/api/pipelines/runs/${second.id}/cancel`);
  });

  it('streams a job\'s log lines live over SSE and ends when the job does', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/stream.yml': `on: workflow_dispatch
jobs:
  talk:
    runs-on: linux
    steps:
      - run: for i in 1 2 3; do echo "line $i"; sleep 0.2; done
`,
    });
    const { body: run } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'stream.yml' });
    const response = await fetch(`${url}/api/pipelines/runs/${run.id}/stream`, { headers: auth() });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const text = await response.text(); // the stream ends with the run
    expect(text).toContain('event: run');
    expect(text).toMatch(/event: lines\ndata: .*line 3/);
    expect(text).toContain('event: end\ndata: {"conclusion":"success"}');
    const { body: details } = await api<RunDetails>('GET', `/api/pipelines/runs/${run.id}`);
    const jobStream = await (await fetch(`${url}/api/pipelines/runs/${run.id}/jobs/${details.jobs[0]!.id}/logs?follow=1&after=2`, { headers: auth() })).text();
    expect(jobStream).not.toContain('"line":2,');
    expect(jobStream).toMatch(/id: \d+\nevent: lines\ndata: .*line 1.*line 2.*line 3/);
    expect(jobStream).toMatch(/event: end\ndata: {"conclusion":"success"}\n\n$/);
  });

  it('fires a schedule once per cron minute however often the tick runs, and repository_dispatch runs the workflows listening for its type', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/nightly.yml': `on:
  schedule:
    - cron: '*/5 * * * *'
  repository_dispatch:
    types: [deploy-requested]
jobs:
  tick:
    runs-on: linux
    steps:
      - run: echo "event \${{ github.event_name }}"
`,
    });
    const fireAt = Date.UTC(2026, 10, 27, 4, 5, 30); // 04:05 UTC falls in the minute before this tick
    const first = await fireSchedules(t.platform.pipelines, fireAt);
    const again = await fireSchedules(t.platform.pipelines, fireAt + 1000);
    expect(first.map((r) => [r.repository, r.event, r.workflowPath])).toEqual([['default/web', 'schedule', '.github/workflows/nightly.yml']]);
    expect(again).toEqual([]);
    expect(await fireSchedules(t.platform.pipelines, fireAt + 60_000)).toEqual([]); // 04:06 is not a fire time
    expect((await completed(first[0]!.id)).conclusion).toBe('success');

    const dispatched = await api<{ items: RunView[] }>('POST', '/api/pipelines/repository-dispatch', { repository: 'default/web', eventType: 'deploy-requested', clientPayload: { env: 'prod' } });
    expect(dispatched.status).toBe(201);
    expect(dispatched.body.items.map((r) => r.workflowPath)).toEqual(['.github/workflows/nightly.yml']);
    const other = await api<{ items: RunView[] }>('POST', '/api/pipelines/repository-dispatch', { repository: 'default/web', eventType: 'something-else' });
    expect(other.body.items).toEqual([]);
    const done = await completed(dispatched.body.items[0]!.id);
    expect(await logsOf(done)).toContain('event repository_dispatch');
  });

  it('keeps uploaded artifacts with the run (retention honoured, downloadable), and a concurrency group without cancel-in-progress queues the next run', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/artifact.yml': `on: workflow_dispatch
concurrency: release
jobs:
  make:
    runs-on: linux
    steps:
      - run: mkdir -p out && echo "report body" > out/report.txt && sleep 1
      - uses: actions/upload-artifact@v4
        with:
          name: report
          path: out/report.txt
          retention-days: 3
  use:
    needs: make
    runs-on: linux
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: report
      - run: find . -name report.txt -not -path './.git/*' -exec cat {} \\;
`,
    });
    const { body: first } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'artifact.yml' });
    const { body: second } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'artifact.yml' });
    // The second waits in the group until the first has ended.
    expect((await api<RunView>('GET', `/api/pipelines/runs/${second.id}`)).body.status).toBe('queued');
    const done = await completed(first.id);
    expect(done.conclusion, await logsOf(done)).toBe('success');
    expect(await logsOf(done)).toMatch(/^report body$/m);
    const { body: listed } = await api<{ items: Array<{ name: string; size: number; expiresAt: string }> }>('GET', `/api/pipelines/runs/${first.id}/artifacts`);
    expect(listed.items.map((a) => a.name)).toEqual(['report']);
    const days = (new Date(listed.items[0]!.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(2.9);
    expect(days).toBeLessThanOrEqual(3);
    const download = await t.app.inject({ method: 'GET', url: `/api/pipelines/runs/${first.id}/artifacts/report`, headers: auth() });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/gzip');
    expect(download.rawPayload.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const missing = await api<{ code: string }>('GET', `/api/pipelines/runs/${first.id}/artifacts/nope`);
    expect([missing.status, missing.body.code]).toEqual([404, 'PIPELINE_ARTIFACT_NOT_FOUND']);
    expect((await completed(second.id)).conclusion).toBe('success');
  });

  it('scopes run concurrency groups to their repository: the same group in another repository does not wait', async () => {
    const workflow = { '.github/workflows/shared.yml': 'on: workflow_dispatch\nconcurrency: shared\njobs:\n  hold:\n    runs-on: linux\n    steps:\n      - run: sleep 2\n' };
    await pushFiles(cloneUrl(), t.tokens.admin, workflow);
    await pushFiles(`${url}/git/default/other.git`, t.tokens.admin, workflow);
    const { body: here } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'shared.yml' });
    const { body: there } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/other', workflow: 'shared.yml' });
    expect([here.concurrencyGroup, there.concurrencyGroup]).toEqual(['shared', 'shared']);
    expect(there.status).toBe('in_progress');
    const [first, second] = [await completed(here.id), await completed(there.id)];
    expect([first.conclusion, second.conclusion]).toEqual(['success', 'success']);
    // They overlapped: the other repository's run started before this one ended.
    expect(Date.parse(second.startedAt!)).toBeLessThan(Date.parse(first.completedAt!));
  });

  it('job concurrency: a job of a group waits, pending and saying why, until the group\'s running job completes', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/job-group.yml': `on: workflow_dispatch
jobs:
  build:
    runs-on: linux
    steps:
      - run: echo built
  deploy:
    needs: build
    runs-on: linux
    concurrency: deploy-\${{ github.ref }}
    steps:
      - run: echo "deploying \${{ github.run_number }}" && sleep 1
`,
    });
    const deployOf = (id: number) => jobOf(id, 'deploy');
    const first = await dispatchWorkflow('job-group.yml');
    await waitFor('the first deploy to start', async () => ((await deployOf(first.id)).status === 'in_progress' ? true : undefined));
    const second = await dispatchWorkflow('job-group.yml');
    const waiting = await waitFor('the second deploy to wait for its group', async () => {
      const job = await deployOf(second.id);
      return job.status === 'pending' && job.waitingFor ? job : undefined;
    });
    expect(waiting).toMatchObject({ concurrencyGroup: 'deploy-refs/heads/main', waitingFor: 'concurrency group deploy-refs/heads/main', startedAt: null });
    const [firstDone, secondDone] = [await completed(first.id), await completed(second.id)];
    expect([firstDone.conclusion, secondDone.conclusion]).toEqual(['success', 'success']);
    const [firstDeploy, secondDeploy] = [firstDone, secondDone].map((run) => run.jobs.find((j) => j.key === 'deploy')!);
    expect(Date.parse(secondDeploy!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(firstDeploy!.completedAt!));
    expect(secondDeploy!.waitingFor).toBeNull();
  });

  it('job concurrency: at most one job waits in a group; a newer one replaces it and the replaced one ends cancelled', async () => {
    const dispatch = () => dispatchWorkflow('job-group.yml');
    const deployOf = (id: number) => jobOf(id, 'deploy');
    const running = await dispatch();
    await waitFor('the running deploy to start', async () => ((await deployOf(running.id)).status === 'in_progress' ? true : undefined));
    const replaced = await dispatch();
    await waitFor('a deploy to wait', async () => ((await deployOf(replaced.id)).status === 'pending' && (await deployOf(replaced.id)).waitingFor ? true : undefined));
    const newest = await dispatch();
    const replacedDone = await completed(replaced.id);
    expect(replacedDone.conclusion).toBe('cancelled');
    expect(replacedDone.jobs.find((j) => j.key === 'deploy')).toMatchObject({ conclusion: 'cancelled', error: "Canceling since a higher priority waiting request for 'deploy-refs/heads/main' exists", startedAt: null });
    const [runningDone, newestDone] = [await completed(running.id), await completed(newest.id)];
    expect([runningDone.conclusion, newestDone.conclusion]).toEqual(['success', 'success']);
    expect(Date.parse(newestDone.jobs.find((j) => j.key === 'deploy')!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(runningDone.jobs.find((j) => j.key === 'deploy')!.completedAt!));
  });

  it('job concurrency with cancel-in-progress: the running job of the group is cancelled (its post steps run) and the new one starts', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/job-cancel.yml': `on: workflow_dispatch
jobs:
  deploy:
    runs-on: linux
    concurrency:
      group: release-\${{ github.ref }}
      cancel-in-progress: true
    steps:
      - uses: ./.github/actions/cleanup
      - run: echo "release \${{ github.run_number }} started" && sleep 30
`,
    });
    const dispatch = () => dispatchWorkflow('job-cancel.yml');
    const started = (run: RunView) =>
      waitFor(`run ${run.id} to start its step`, async () => {
        const { body } = await api<RunDetails>('GET', `/api/pipelines/runs/${run.id}`);
        return (await logsOf(body)).includes(`release ${run.runNumber} started`) ? true : undefined;
      });
    const first = await dispatch();
    await started(first);
    const second = await dispatch();
    const firstDone = await completed(first.id, 15_000);
    expect(firstDone.conclusion).toBe('cancelled');
    expect(firstDone.jobs[0]).toMatchObject({ conclusion: 'cancelled', error: "Canceling since a higher priority waiting request for 'release-refs/heads/main' exists" });
    expect(await logsOf(firstDone)).toContain('post ran');
    await started(second);
    const secondNow = (await api<RunDetails>('GET', `/api/pipelines/runs/${second.id}`)).body;
    expect(secondNow.jobs[0]).toMatchObject({ status: 'in_progress', conclusion: null });
    expect(Date.parse(secondNow.jobs[0]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(firstDone.jobs[0]!.completedAt!));
    await api('POST', `/api/pipelines/runs/${second.id}/cancel`);
    expect((await completed(second.id, 15_000)).conclusion).toBe('cancelled');
  });

  it('runs matrix legs at most max-parallel at a time, and fail-fast stops the other legs when one fails', async () => {
    await pushFiles(cloneUrl(), t.tokens.admin, {
      '.github/workflows/matrix.yml': `on: workflow_dispatch
jobs:
  serial:
    runs-on: linux
    strategy:
      max-parallel: 1
      matrix:
        n: [1, 2, 3]
    steps:
      - run: sleep 0.3
  fragile:
    runs-on: linux
    strategy:
      matrix:
        n: [1, 2]
    steps:
      - run: if [ "\${{ matrix.n }}" = 1 ]; then sleep 0.5; exit 1; else sleep 30; fi
`,
    });
    const started = Date.now();
    const { body: run } = await api<RunView>('POST', '/api/pipelines/dispatch', { repository: 'default/web', workflow: 'matrix.yml' });
    const done = await completed(run.id);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(done.conclusion).toBe('failure');
    const serial = done.jobs.filter((j) => j.key === 'serial');
    expect(serial.map((j) => j.conclusion)).toEqual(['success', 'success', 'success']);
    const spans = serial.map((j) => [Date.parse(j.startedAt!), Date.parse(j.completedAt!)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    expect(done.jobs.filter((j) => j.key === 'fragile').map((j) => [j.name, j.conclusion])).toEqual([
      ['fragile (1)', 'failure'],
      ['fragile (2)', 'cancelled'],
    ]);
  });

  it('drops the log lines of runs completed before the retention, keeping the runs and newer logs', async () => {
    const { items } = (await api<{ items: RunView[] }>('GET', '/api/pipelines/runs?repository=default/web&status=completed&limit=2')).body;
    const [recent, old] = items as [RunView, RunView];
    const db = t.platform.pipelines.db;
    await db.updateTable('pipeline_runs').set({ completed_at: Date.now() - 91 * 86_400_000 }).where('id', '=', old.id).execute();
    const linesOf = async (run: RunView) => (await logsOf((await api<RunDetails>('GET', `/api/pipelines/runs/${run.id}`)).body)).length;
    expect(await linesOf(old)).toBeGreaterThan(0);
    const before = await linesOf(recent);
    expect(await deleteExpiredLogLines(db, Date.now() - 90 * 86_400_000)).toBeGreaterThan(0);
    expect(await linesOf(old)).toBe(0);
    expect(await linesOf(recent)).toBe(before);
    expect((await api<RunView>('GET', `/api/pipelines/runs/${old.id}`)).status).toBe(200);
  });

  it('a signed push webhook of a configured file:// remote starts its workflow; a bad signature changes nothing', async () => {
    await runGit(['init', '--quiet', '--bare', '--initial-branch=main', remoteDir]);
    const remoteUrl = `file://${remoteDir}`;
    const work = mkdtempSync(path.join(tmpdir(), 'plinth-remote-work-'));
    await runGit(['clone', '--quiet', remoteUrl, work]);
    const { sha } = await pushFiles(remoteUrl, '', { '.github/workflows/ci.yml': 'on: push\njobs:\n  hello:\n    runs-on: linux\n    steps:\n      - run: echo from remote\n' }, { dir: work });
    const payload = JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, pusher: { name: 'octo' }, repository: { clone_url: remoteUrl, full_name: 'acme/remote' } });
    const send = (signature: string) => t.app.inject({ method: 'POST', url: '/api/pipelines/webhooks/github', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature, 'x-github-delivery': 'd-1' }, payload });
    const forged = await send('sha256=00');
    expect(forged.statusCode).toBe(401);
    expect((await runsOf('repository=acme/remote')).length).toBe(0);
    const accepted = await send(`sha256=${createHmac('sha256', WEBHOOK_SECRET).update(payload).digest('hex')}`);
    expect(accepted.statusCode).toBe(202);
    const [run] = await runsOf('repository=acme/remote');
    expect(run).toMatchObject({ sha, event: 'push', actor: 'octo' });
    // The same push again (GitHub redelivers) is one run; GitLab's hook checks its token.
    expect((await send(`sha256=${createHmac('sha256', WEBHOOK_SECRET).update(payload).digest('hex')}`)).json()).toEqual({ runs: [] });
    const gitlab = (token: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/pipelines/webhooks/gitlab',
        headers: { 'content-type': 'application/json', 'x-gitlab-token': token, 'x-gitlab-event-uuid': 'g-1' },
        payload: { ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, user_username: 'gitlab-user', project: { git_http_url: remoteUrl, path_with_namespace: 'acme/remote' } },
      });
    expect((await gitlab('wrong-token-value')).statusCode).toBe(401);
    const viaGitlab = await gitlab(WEBHOOK_SECRET);
    expect(viaGitlab.statusCode).toBe(202);
    expect((await runsOf('repository=acme/remote')).map((r) => r.actor)).toEqual(['gitlab-user', 'octo']);
    const done = await completed(run!.id);
    expect(done.conclusion).toBe('success');
    expect(await logsOf(done)).toContain('from remote');
  });
});
