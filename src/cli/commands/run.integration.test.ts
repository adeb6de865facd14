import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushFiles } from '../../../test/support/pipelines.js';
import { runPlinth, startPlinthServer, type RunningServer } from '../../../test/support/server.js';

const WORKFLOW = `name: Greet
on:
  workflow_dispatch:
    inputs:
      who: { required: true }
      loud: { type: boolean, default: false }
jobs:
  hello:
    runs-on: linux
    steps:
      - run: |
          echo "hello \${{ inputs.who }} loud=\${{ inputs.loud }}"
          sleep 0.5
          echo "bye \${{ inputs.who }}"
`;

const FAILING = `name: Broken
on: workflow_dispatch
jobs:
  fail:
    runs-on: linux
    steps:
      - run: echo "about to fail" && exit 1
`;

describe('plinth run (against a real server)', () => {
  let server: RunningServer;
  const plinth = (...args: string[]) => runPlinth(['--server', server.url, '--token', server.adminToken, ...args]);

  beforeAll(async () => {
    server = await startPlinthServer();
    const created = await plinth('repo', 'create', 'greeter');
    expect(created.code).toBe(0);
    await pushFiles(`${server.url}/git/default/greeter.git`, server.adminToken, { '.github/workflows/greet.yml': WORKFLOW, '.github/workflows/broken.yml': FAILING });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('dispatch --follow streams the logs and exits with the run; list, show and logs read it back', async () => {
    const dispatched = await plinth('run', 'dispatch', 'default/greeter', 'greet.yml', '--ref', 'main', '--input', 'who=ada', '--input', 'loud=true', '--follow');
    expect(dispatched.stderr).toMatch(/Run (\d+) \(Greet #1\) started/);
    expect(dispatched.stdout).toContain('hello ada loud=true');
    expect(dispatched.stdout).toContain('bye ada');
    expect(dispatched.stderr).toContain('success');
    expect(dispatched.code).toBe(0);
    const id = /Run (\d+)/.exec(dispatched.stderr)![1]!;

    const listed = await plinth('run', 'list', '--repo', 'default/greeter', '-o', 'json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: Number(id), workflowName: 'Greet', conclusion: 'success', inputs: { who: 'ada', loud: true } })]);

    const shown = await plinth('run', 'show', id);
    expect(shown.stdout).toMatch(/hello\s+-\s+success/);
    const logs = await plinth('run', 'logs', id);
    expect(logs.stdout).toContain('bye ada');
  });

  it('a bad input is refused naming the input, and nothing runs', async () => {
    const bad = await plinth('run', 'dispatch', 'default/greeter', 'greet.yml', '--input', 'loud=maybe');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('/body/inputs/who');
    expect(bad.stderr).toContain('/body/inputs/loud');
    const listed = await plinth('run', 'list', '--repo', 'default/greeter', '-o', 'json');
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
  });

  it('logs --follow of a failing run exits 1; rerun makes attempt 2; cancel of a completed run is a conflict', async () => {
    const dispatched = await plinth('run', 'dispatch', 'default/greeter', 'broken', '-o', 'json');
    const { id } = JSON.parse(dispatched.stdout) as { id: number };
    const followed = await plinth('run', 'logs', String(id), '-f');
    expect(followed.stdout).toContain('about to fail');
    expect(followed.code).toBe(1);
    const rerun = await plinth('run', 'rerun', String(id), '--failed', '-o', 'json');
    expect(JSON.parse(rerun.stdout)).toMatchObject({ id, attempt: 2 });
    await plinth('run', 'logs', String(id), '-f');
    const cancelled = await plinth('run', 'cancel', String(id));
    expect(cancelled.code).toBe(6);
    expect(cancelled.stderr).toContain('PIPELINE_RUN_NOT_CANCELLABLE');
  });
});
