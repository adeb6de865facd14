import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { isPlinthError } from '../../core/errors.js';
import { parseEnvironmentFile, parseWorkflowCommand, Masker } from './commands.js';
import { evaluateCondition, evaluateTemplate } from './expressions.js';
import { combineMatrix } from './plan.js';
import { matchesPushEvent, nextScheduleTimes, resolveDispatchInputs } from './triggers.js';
import { parseWorkflowFile, runWorkflowLocally, type LocalRunOptions, type LocalRunResult } from './index.js';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function workspace(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'plinth-engine-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

async function runFlow(yaml: string, extra: Record<string, string> = {}, options: Partial<Pick<LocalRunOptions, 'secrets' | 'platformActions'>> = {}): Promise<LocalRunResult & { logs: string[] }> {
  const dir = await workspace({ '.github/workflows/ci.yml': yaml, ...extra });
  const logs: string[] = [];
  const result = await runWorkflowLocally({ workspaceDir: dir, workflowPath: '.github/workflows/ci.yml', onLog: (leg, line) => logs.push(`${leg}|${line.stepName}|${line.text}`), ...options });
  return { ...result, logs };
}

describe('parser adapter', () => {
  it('loads @actions/workflow-parser under plain Node (outside vitest)', async () => {
    const adapter = pathToFileURL(path.join(REPO_ROOT, 'src/pipelines/engine/actions-parser.ts')).href;
    const script = `import { validateWorkflowText } from '${adapter}';
      const problems = await validateWorkflowText('on: push\\njobs:\\n  1bad:\\n    runs-on: x\\n    steps: [{run: echo}]\\n', 'w.yml');
      console.log(JSON.stringify(problems));`;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'plinth-import-'));
    dirs.push(dir);
    const file = path.join(dir, 'check.mts');
    await writeFile(file, script);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT });
    expect(JSON.parse(stdout)).toMatchObject([{ line: 3, column: 3 }]);
  });

  it('gives located errors for a bad workflow', async () => {
    const error = await parseWorkflowFile('on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout\n', 'ci.yml').catch((e: unknown) => e);
    expect(isPlinthError(error) && error.code).toBe('PIPELINE_WORKFLOW_INVALID');
    expect(isPlinthError(error) && error.location).toMatchObject({ file: 'ci.yml', line: 6 });
  });

  it("turns GitHub's reserved '__' job id into a warning of that job, while a '__' step id (Plinth's own step keys) stays an error", async () => {
    const workflow = await parseWorkflowFile('on: push\njobs:\n  __deploy:\n    runs-on: x\n    steps:\n      - run: echo hi\n', 'ci.yml');
    expect(workflow.warnings).toEqual([{ jobId: '__deploy', location: { file: 'ci.yml', line: 3, column: 3 }, message: "job id '__deploy' starts with '__': GitHub reserves such ids and may reject this workflow" }]);
    const error = await parseWorkflowFile('on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - id: __run_0\n        run: echo hi\n', 'ci.yml').catch((e: unknown) => e);
    expect(isPlinthError(error) && error.message).toMatch(/IDs starting with '__' are reserved/);
  });
});

describe('expressions and triggers', () => {
  const contexts = { github: { ref: 'refs/heads/main' }, env: { A: 'x' }, matrix: {}, needs: {}, steps: {}, inputs: {}, vars: {}, secrets: {}, job: {}, runner: {}, strategy: {}, jobs: {} };
  it('evaluates templates keeping the type of a lone expression', () => {
    expect(evaluateTemplate('${{ fromJSON(\'[1,2]\') }}', contexts)).toEqual([1, 2]);
    expect(evaluateTemplate('a-${{ env.A }}-${{ 1 == 1 }}', contexts)).toBe('a-x-true');
  });
  it('adds an implicit success() to if', () => {
    expect(evaluateCondition("env.A == 'x'", contexts, { status: 'failure' })).toBe(false);
    expect(evaluateCondition('${{ failure() }}', contexts, { status: 'failure' })).toBe(true);
    expect(evaluateCondition('always()', contexts, { status: 'cancelled' })).toBe(true);
  });
  it('filters pushes by branch, tag and path with negation and **', () => {
    const workflow = { triggers: { events: ['push'], push: { branches: ['main', 'release/**', '!release/old'], paths: ['src/**', '!src/**/*.md'] } } } as never;
    expect(matchesPushEvent(workflow, { ref: 'refs/heads/release/a/b', changedPaths: ['src/x.ts'] })).toBe(true);
    expect(matchesPushEvent(workflow, { ref: 'refs/heads/release/old', changedPaths: ['src/x.ts'] })).toBe(false);
    expect(matchesPushEvent(workflow, { ref: 'refs/heads/main', changedPaths: ['src/a/readme.md'] })).toBe(false);
    expect(matchesPushEvent(workflow, { ref: 'refs/tags/v1' })).toBe(false);
  });
  it('types dispatch inputs and computes cron times in UTC', () => {
    const specs = { n: { type: 'number' as const, required: true }, b: { type: 'boolean' as const, required: false, default: true }, c: { type: 'choice' as const, required: false, options: ['x', 'y'], default: 'x' } };
    expect(resolveDispatchInputs(specs, { n: '3' })).toEqual({ n: 3, b: true, c: 'x' });
    expect(() => resolveDispatchInputs(specs, { c: 'z' })).toThrow(/inputs.n: input 'n' is required; inputs.c/);
    expect(nextScheduleTimes('30 5 * * *', new Date('2026-01-01T06:00:00Z'), 1)[0]!.toISOString()).toBe('2026-01-02T05:30:00.000Z');
  });
  it('expands include/exclude like GitHub', () => {
    const legs = combineMatrix({ os: ['a', 'b'], v: [1, 2], exclude: [{ os: 'b', v: 2 }], include: [{ v: 1, extra: 'e' }, { os: 'c', v: 9 }] });
    expect(legs).toEqual([{ os: 'a', v: 1, extra: 'e' }, { os: 'a', v: 2 }, { os: 'b', v: 1, extra: 'e' }, { os: 'c', v: 9 }]);
  });
});

describe('environment files, commands and masking', () => {
  it('parses KEY=value (first =) and heredocs', () => {
    expect(parseEnvironmentFile('A=b=c\nM<<EOF\nx=1\ny\nEOF\n')).toEqual([['A', 'b=c'], ['M', 'x=1\ny']]);
    expect(() => parseEnvironmentFile('M<<EOF\nx\n')).toThrow(/delimiter/);
  });
  it('parses workflow commands with escaped properties', () => {
    expect(parseWorkflowCommand('::error file=a.ts,line=3,col=2,title=T%3Ax::bad%0Athing')).toEqual({ command: 'error', properties: { file: 'a.ts', line: '3', col: '2', title: 'T:x' }, value: 'bad\nthing' });
    expect(parseWorkflowCommand('not :: a command')).toBeUndefined();
  });
  it('masks secrets and every line of a multiline secret', () => {
    const masker = new Masker();
    masker.add('s3cr3t');
    masker.add('line1\nline2');
    expect(masker.mask('a s3cr3t b line2')).toBe('a *** b ***');
  });

  it('runs steps with env precedence, GITHUB_ENV/OUTPUT/PATH, add-mask, stop-commands, set-env gating and summaries', async () => {
    const result = await runFlow(
      `on: push
env: { LEVEL: workflow, W: w }
jobs:
  a:
    runs-on: ubuntu-latest
    env: { LEVEL: job }
    environment: { name: staging, url: "https://x/\${{ steps.s.outputs.v }}" }
    outputs: { out: "\${{ steps.s.outputs.v }}" }
    steps:
      - id: s
        env: { LEVEL: step }
        run: |
          test "$LEVEL" = step && test "$W" = w && test "$CI" = true && test -n "$GITHUB_RUN_ID"
          echo "v=1" >> "$GITHUB_OUTPUT"
          printf 'M<<EOF\\nx\\ny\\nEOF\\n' >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool' > "$RUNNER_TEMP/bin/mytool" && chmod +x "$RUNNER_TEMP/bin/mytool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
          echo "::add-mask::hideme"
          echo "value hideme and topsecret"
          echo "::set-env name=NOPE::1"
          echo "::stop-commands::tok"
          echo "::warning::not a command now"
          echo "::tok::"
          echo "::notice file=x.ts,line=2::hello"
          echo "# Summary" >> "$GITHUB_STEP_SUMMARY"
      - run: |
          test "$LEVEL" = job
          test "$M" = "$(printf 'x\\ny')"
          test -z "$NOPE"
          mytool | grep tool
          test "\${{ steps.s.outputs.v }}" = 1
`,
      {},
      { secrets: { S: 'topsecret' } },
    );
    expect(result.conclusion).toBe('success');
    expect(result.logs.some((l) => l.endsWith('value *** and ***'))).toBe(true);
    expect(result.logs.some((l) => l.endsWith('::warning::not a command now'))).toBe(true);
    const leg = result.legs[0]!.result!;
    expect(leg.outputs).toEqual({ out: '1' });
    expect(leg.environment).toEqual({ name: 'staging', url: 'https://x/1' });
    expect(leg.annotations).toEqual([{ level: 'notice', message: 'hello', file: 'x.ts', line: 2 }]);
    expect(leg.summary).toContain('# Summary');
  });
});

describe('shells, timeouts, continue-on-error', () => {
  it('runs sh, python, node and custom shells; pwsh fails clearly', async () => {
    const result = await runFlow(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: test -z "$BASH_VERSION"
        shell: sh
      - run: import sys; print(sys.version_info[0])
        shell: python
      - run: console.log(process.version)
        shell: node
      - run: test "$0" != bash && echo custom
        shell: bash --noprofile -x {0}
      - id: p
        run: Write-Host hi
        shell: pwsh
        continue-on-error: true
      - run: test "\${{ steps.p.outcome }}/\${{ steps.p.conclusion }}" = "failure/success"
`);
    expect(result.conclusion, result.logs.join('\n')).toBe('success');
    expect(result.logs.some((l) => l.includes("shell 'pwsh' is not supported"))).toBe(true);
  });

  it('kills the whole process group on a step timeout, background children too', async () => {
    const marker = path.join(os.tmpdir(), `plinth-bg-${process.pid}-${Date.now()}`);
    const started = Date.now();
    const result = await runFlow(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - timeout-minutes: 0.02
        run: |
          (sleep 3; touch ${marker}) &
          echo "bg=$!"
          sleep 30
`);
    expect(result.conclusion).toBe('failure');
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await expect(run('test', ['-e', marker])).rejects.toThrow();
    expect(result.logs.some((l) => l.includes('timed out'))).toBe(true);
  });

  it('fails a job with container: clearly, and skips dependants unless always()', async () => {
    const result = await runFlow(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    container: node:20
    steps: [{ run: echo }]
  b:
    needs: a
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
  c:
    needs: b
    if: always()
    runs-on: ubuntu-latest
    steps: [{ run: 'test "\${{ needs.b.result }}" = skipped' }]
`);
    expect(result.conclusion).toBe('failure');
    expect(result.legs.map((leg) => [leg.jobId, leg.conclusion])).toEqual([
      ['a', 'failure'],
      ['b', 'skipped'],
      ['c', 'success'],
    ]);
    expect(result.legs[0]!.reason).toMatch(/needs a container runtime/);
  });
});

describe('actions', () => {
  it('runs a node action: pre, main, post (posts in reverse order, after a failure), INPUT_*, state', async () => {
    const action = (label: string) => ({
      [`act-${label}/action.yml`]: `name: ${label}\ninputs:\n  who: { default: world }\nruns:\n  using: node20\n  pre: pre.js\n  main: main.js\n  post: post.js\n`,
      [`act-${label}/pre.js`]: `require('fs').appendFileSync(process.env.GITHUB_STATE, 'phase=pre-${label}\\n');`,
      [`act-${label}/main.js`]: `console.log('main ${label} ' + process.env.INPUT_WHO + ' ' + process.env.STATE_phase);`,
      [`act-${label}/post.js`]: `console.log('post ${label} ' + process.env.STATE_phase);`,
    });
    const result = await runFlow(
      `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: ./act-one
        with: { who: you }
      - uses: ./act-two
      - run: exit 1
`,
      { ...action('one'), ...action('two') },
    );
    expect(result.conclusion).toBe('failure');
    const texts = result.logs.map((l) => l.split('|')[2]).filter((t) => /^(main|post) /.test(t!));
    expect(texts).toEqual(['main one you pre-one', 'main two world pre-two', 'post two pre-two', 'post one pre-one']);
  });

  it('a remote action without a reachable source fails naming the action', async () => {
    const result = await runFlow(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: someone/thing@v1
`);
    expect(result.conclusion).toBe('failure');
    expect(result.logs.some((l) => l.includes("action 'someone/thing@v1' cannot be fetched"))).toBe(true);
  });
});

describe('scheduling', () => {
  it('matrix: fail-fast cancels the other legs; max-parallel 1 runs legs one at a time', async () => {
    const result = await runFlow(`on: push
jobs:
  ff:
    runs-on: ubuntu-latest
    strategy:
      matrix: { n: [1, 2] }
    steps:
      - run: if [ "\${{ matrix.n }}" = 1 ]; then exit 1; else sleep 20; fi
  serial:
    runs-on: ubuntu-latest
    strategy:
      max-parallel: 1
      matrix: { n: [1, 2, 3] }
    steps:
      - run: |
          if [ -e "$GITHUB_WORKSPACE/lock" ]; then echo overlap; exit 1; fi
          touch "$GITHUB_WORKSPACE/lock"; sleep 0.2; rm "$GITHUB_WORKSPACE/lock"
`);
    const ff = result.legs.filter((leg) => leg.jobId === 'ff').map((leg) => leg.conclusion);
    expect(ff.sort()).toEqual(['cancelled', 'failure']);
    expect(result.legs.filter((leg) => leg.jobId === 'serial').map((leg) => leg.conclusion)).toEqual(['success', 'success', 'success']);
  });

  it('job concurrency with cancel-in-progress cancels the running holder of the group', async () => {
    const result = await runFlow(`on: push
jobs:
  first:
    runs-on: ubuntu-latest
    concurrency: { group: "deploy-\${{ github.ref }}", cancel-in-progress: true }
    steps: [{ run: sleep 20 }]
  second:
    runs-on: ubuntu-latest
    concurrency: { group: "deploy-\${{ github.ref }}", cancel-in-progress: true }
    steps: [{ run: sleep 0.5 && echo second }]
`);
    expect(result.legs.map((leg) => [leg.jobId, leg.conclusion])).toEqual([
      ['first', 'cancelled'],
      ['second', 'success'],
    ]);
  });

  it('runs post steps after the run is cancelled', async () => {
    const abort = new AbortController();
    const dir = await workspace({
      '.github/workflows/ci.yml': `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: ./act
      - run: sleep 30
`,
      'act/action.yml': 'name: a\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n',
      'act/main.js': "console.log('main ran')",
      'act/post.js': "console.log('post ran')",
    });
    const logs: string[] = [];
    setTimeout(() => abort.abort(), 1500);
    const result = await runWorkflowLocally({ workspaceDir: dir, workflowPath: '.github/workflows/ci.yml', onLog: (_leg, line) => logs.push(line.text), signal: abort.signal });
    expect(result.conclusion).toBe('cancelled');
    expect(logs).toContain('post ran');
  });
});

describe('artifacts, cache and remote actions', () => {
  it('uploads and downloads an artifact, saves and restores a cache', async () => {
    const key = `k-${process.pid}-${Date.now()}`;
    const yaml = `on: push
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p out && echo hello > out/a.txt
      - uses: actions/upload-artifact@v4
        with: { name: build, path: out }
      - id: c
        uses: actions/cache@v4
        with: { path: cached, key: ${key} }
      - run: mkdir -p cached && echo kept > cached/x
  down:
    needs: up
    runs-on: ubuntu-latest
    steps:
      - run: rm -rf out cached
      - uses: actions/download-artifact@v4
        with: { name: build, path: got }
      - run: grep hello got/out/a.txt
      - id: c
        uses: actions/cache@v4
        with: { path: cached, key: ${key} }
      - run: test "\${{ steps.c.outputs.cache-hit }}" = true && grep kept cached/x
`;
    const result = await runFlow(yaml);
    expect(result.conclusion, result.logs.join('\n')).toBe('success');
  });

  it('fetches a remote action from a configured git source at a ref', async () => {
    const sources = await mkdtemp(path.join(os.tmpdir(), 'plinth-sources-'));
    dirs.push(sources);
    const repo = path.join(sources, 'acme', 'greet');
    await mkdir(repo, { recursive: true });
    await writeFile(path.join(repo, 'action.yml'), 'name: greet\ninputs:\n  who: { required: true }\noutputs:\n  said: { value: "${{ steps.s.outputs.said }}" }\nruns:\n  using: composite\n  steps:\n    - id: s\n      shell: bash\n      run: echo "said=hi ${{ inputs.who }}" >> "$GITHUB_OUTPUT"\n');
    const git = (...args: string[]) => run('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: repo });
    await git('init', '-q', '-b', 'main');
    await git('add', '.');
    await git('commit', '-qm', 'v1');
    await git('tag', `v1-${process.pid}`);
    await run('git', ['clone', '-q', '--bare', repo, `${repo}.git`]);
    const dir = await workspace({
      '.github/workflows/ci.yml': `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: g
        uses: acme/greet@v1-${process.pid}
        with: { who: you }
      - run: test "\${{ steps.g.outputs.said }}" = "hi you"
`,
    });
    const logs: string[] = [];
    const result = await runWorkflowLocally({ workspaceDir: dir, workflowPath: '.github/workflows/ci.yml', actionSources: ['/nonexistent-source', sources], onLog: (_leg, line) => logs.push(line.text) });
    expect(result.conclusion, logs.join('\n')).toBe('success');
  });
});

describe('plinth run local', () => {
  const cli = path.join(REPO_ROOT, 'bin/plinth.js');
  const plinth = async (cwd: string, args: string[]) =>
    run(process.execPath, [cli, 'run', 'local', ...args], { cwd }).then(
      (out) => ({ code: 0, ...out }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  it('exits 0 on success, 1 on failure, 2 on an invalid workflow with its location', async () => {
    const dir = await workspace({
      '.github/workflows/ok.yml': 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "::group::G"; echo inside; echo "::endgroup::"\n',
      '.github/workflows/fail.yml': 'on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ inputs.x }} && exit 1\n',
      '.github/workflows/bad.yml': 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n',
    });
    const ok = await plinth(dir, ['.github/workflows/ok.yml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('[a]   ▸ G\n[a]     inside\n');
    const fail = await plinth(dir, ['.github/workflows/fail.yml', '--event', 'workflow_dispatch']);
    expect(fail.code).toBe(1);
    const list = await plinth(dir, ['.github/workflows/ok.yml', '--list']);
    expect(list.stdout).toBe('a\ta\tneeds: -\n');
    const bad = await plinth(dir, ['.github/workflows/bad.yml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yml:5:5: .*stepz/);
  });
});

describe('job-level settings', () => {
  it('job timeout-minutes fails the job; job continue-on-error turns a failure into success; post-if decides post steps; step names are masked', async () => {
    const result = await runFlow(
      `on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    timeout-minutes: 0.02
    steps: [{ run: sleep 30 }]
  tolerated:
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - uses: ./act
      - name: fails for \${{ secrets.S }}
        run: exit 3
  clean:
    runs-on: ubuntu-latest
    steps:
      - uses: ./act
      - run: test -n "\${{ hashFiles('act/*.js') }}" && test -z "\${{ hashFiles('nothing/**') }}"
`,
      {
        'act/action.yml': 'name: a\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n  post-if: failure()\n',
        'act/main.js': "console.log('main')",
        'act/post.js': "console.log('post on failure')",
      },
      { secrets: { S: 'hush' } },
    );
    const byJob = Object.fromEntries(result.legs.map((leg) => [leg.jobId, leg]));
    expect(byJob.slow!.conclusion).toBe('failure');
    expect(byJob.slow!.reason).toMatch(/timeout of 0.02 minutes/);
    expect(byJob.tolerated!.conclusion).toBe('success');
    expect(byJob.clean!.conclusion).toBe('success');
    expect(result.logs.filter((l) => l.startsWith('tolerated|') && l.endsWith('post on failure'))).toHaveLength(1);
    expect(result.logs.filter((l) => l.startsWith('clean|') && l.endsWith('post on failure'))).toHaveLength(0);
    expect(result.logs.some((l) => l.includes('hush'))).toBe(false);
    expect(byJob.tolerated!.result!.steps.map((step) => step.name)).toContain('fails for ***');
  });
});

describe('what needs a container runtime or is missing fails clearly', () => {
  it('docker:// steps, Docker actions and services: fail with one line; a reusable workflow without a required secret fails naming it', async () => {
    const result = await runFlow(
      `on: push
jobs:
  docker-url:
    runs-on: ubuntu-latest
    steps: [{ uses: "docker://alpine:3" }]
  docker-action:
    runs-on: ubuntu-latest
    steps: [{ uses: ./dock }]
  with-services:
    runs-on: ubuntu-latest
    services: { db: { image: postgres } }
    steps: [{ run: echo }]
  call:
    uses: ./.github/workflows/called.yml
`,
      {
        'dock/action.yml': 'name: d\nruns:\n  using: docker\n  image: Dockerfile\n',
        '.github/workflows/called.yml': 'on:\n  workflow_call:\n    secrets:\n      token: { required: true }\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo }]\n',
      },
    );
    const reasons = Object.fromEntries(result.legs.map((leg) => [leg.jobId, `${leg.conclusion}: ${leg.reason ?? ''}`]));
    expect(reasons['with-services']).toMatch(/^failure: .*services:.*needs a container runtime/);
    expect(reasons.call).toMatch(/^failure: .*without its required secret\(s\) token/);
    expect(result.logs.some((l) => l.startsWith('docker-url|') && /docker:\/\/alpine:3.*needs a container runtime/.test(l))).toBe(true);
    expect(result.logs.some((l) => l.startsWith('docker-action|') && /Docker action and needs a container runtime/.test(l))).toBe(true);
    expect(result.conclusion).toBe('failure');
  });
});

describe('composite env', () => {
  it('a step env beats earlier GITHUB_ENV writes inside a composite; writes inside it reach later steps', async () => {
    const result = await runFlow(
      `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "X=from-file" >> "$GITHUB_ENV"
      - uses: ./comp
        env: { X: from-step }
      - run: test "$X" = from-file && test "$Y" = set-inside
`,
      { 'comp/action.yml': 'name: c\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: test "$X" = from-step && echo "Y=set-inside" >> "$GITHUB_ENV"\n    - shell: bash\n      run: test "$Y" = set-inside\n' },
    );
    expect(result.conclusion, result.logs.join('\n')).toBe('success');
  });
});

describe('platform actions', () => {
  it('runs a `uses:` the platform provides with its evaluated inputs, and fails the step with its error', async () => {
    const calls: Array<Record<string, string>> = [];
    const platformActions = {
      'plinth/deploy': async (inputs: Record<string, string>, log: (text: string) => void) => {
        calls.push(inputs);
        if (inputs.environment === 'nowhere') throw new Error('no environment named nowhere');
        log(`deploying ${inputs.component}`);
        return { deployment: 'd-1', status: 'succeeded' };
      },
    };
    const ok = await runFlow(
      'on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - id: d\n        uses: plinth/deploy@v1\n        with:\n          environment: dev-${{ github.event_name }}\n          component: notes\n      - run: echo "got ${{ steps.d.outputs.deployment }} ${{ steps.d.outputs.status }}"\n',
      {},
      { platformActions },
    );
    expect(ok.conclusion).toBe('success');
    expect(calls[0]).toMatchObject({ environment: 'dev-push', component: 'notes' });
    expect(ok.logs.join('\n')).toContain('got d-1 succeeded');
    const failed = await runFlow('on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: plinth/deploy@v1\n        with:\n          environment: nowhere\n          component: notes\n', {}, { platformActions });
    expect(failed.conclusion).toBe('failure');
    expect(failed.logs.join('\n')).toContain('no environment named nowhere');
  });
});
