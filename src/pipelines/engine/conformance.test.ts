import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPlinthError } from '../../core/errors.js';
import { evaluateExpression, fromExpressionData } from './actions-parser.js';
import { parseWorkflowFile } from './workflow.js';
import { expandMatrix } from './plan.js';
import { runWorkflowLocally, DEFAULT_LOCAL_LABELS, type LocalRunOptions } from './local-run.js';

/**
 * Conformance against the act corpus ($PLINTH_CORPUS/actions, EXPECTED.md) through the same code
 * path as `plinth run local`, with act's harness assumptions: a fresh copy of the corpus folder
 * is the workspace, env ACT=true, `container:` jobs run on the host (act's host mode), labels
 * other than ubuntu-latest/self-hosted are skipped. Also the expression conformance cases of
 * actions/languageservices ($PLINTH_CORPUS/actions-conformance/expressions).
 */
const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const CORPUS = path.resolve(REPO_ROOT, process.env.PLINTH_CORPUS ?? '../shared/corpus');
const ACTIONS = path.join(CORPUS, 'actions');
const EXPRESSIONS = path.join(CORPUS, 'actions-conformance', 'expressions');
const present = existsSync(path.join(ACTIONS, 'EXPECTED.md'));

if (!present) {
  const message = `The actions corpus is not at ${ACTIONS} (set PLINTH_CORPUS to the corpus directory)`;
  if (process.env.CI && process.env.CI !== 'false') throw new Error(`${message}: CI must run the conformance test.`);
  console.warn(`\n!!! ${message}\n!!! The actions conformance test is SKIPPED.\n`);
}

interface Case {
  name: string;
  file: string;
  expected: 'success' | 'failure' | 'invalid';
  options?: Partial<LocalRunOptions>;
  /** Why this host cannot give the expected outcome (the row is reported, not asserted). */
  hostLimit?: () => string | undefined;
}

function dotenv(file: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1);
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\n/g, '\n');
    result[line.slice(0, eq)] = value;
  }
  return result;
}

const onPath = (program: string) => (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, program)));
const eventOf = (name: string) => JSON.parse(readFileSync(path.join(ACTIONS, name, 'event.json'), 'utf8')) as Record<string, unknown>;

const CASES: Case[] = present
  ? [
      { name: 'act-composite-env-test', file: 'act-composite-env-test/push.yml', expected: 'success' },
      { name: 'commands', file: 'commands/push.yml', expected: 'success' },
      { name: 'composite-fail-with-output', file: 'composite-fail-with-output/push.yml', expected: 'success' },
      { name: 'env-and-path', file: 'env-and-path/push.yaml', expected: 'success' },
      { name: 'environment-files-parser-bug', file: 'environment-files-parser-bug/push.yaml', expected: 'success' },
      { name: 'evalenv', file: 'evalenv/push.yml', expected: 'success' },
      { name: 'evalmatrix-merge-array', file: 'evalmatrix-merge-array/push.yml', expected: 'success' },
      { name: 'evalmatrixneeds', file: 'evalmatrixneeds/push.yml', expected: 'success' },
      { name: 'if-env-act', file: 'if-env-act/push.yml', expected: 'success' },
      { name: 'inputs-via-env-context', file: 'inputs-via-env-context/push.yml', expected: 'success' },
      { name: 'invalid-job-name/invalid-1', file: 'invalid-job-name/invalid-1.yml', expected: 'invalid' },
      { name: 'invalid-job-name/invalid-2', file: 'invalid-job-name/invalid-2.yml', expected: 'invalid' },
      { name: 'invalid-job-name/valid-1', file: 'invalid-job-name/valid-1.yml', expected: 'success' },
      { name: 'invalid-job-name/valid-2', file: 'invalid-job-name/valid-2.yml', expected: 'success' },
      { name: 'job-needs-context-contains-result', file: 'job-needs-context-contains-result/push.yml', expected: 'success' },
      { name: 'job-nil-step', file: 'job-nil-step/push.yml', expected: 'invalid' },
      { name: 'matrix', file: 'matrix/push.yml', expected: 'success' },
      {
        name: 'matrix-with-user-inclusions',
        file: 'matrix-with-user-inclusions/push.yml',
        expected: 'success',
        options: { matrixFilter: { node: ['8', '8.x'], os: ['ubuntu-18.04'] }, labels: [...DEFAULT_LOCAL_LABELS, 'ubuntu-18.04'] },
      },
      { name: 'nix-prepend-path', file: 'nix-prepend-path/push.yml', expected: 'success' },
      { name: 'outputs', file: 'outputs/push.yml', expected: 'success' },
      { name: 'pull-request', file: 'pull-request/main.yaml', expected: 'success', options: { event: 'pull_request', eventPayload: eventOf('pull-request') } },
      {
        name: 'secrets',
        file: 'secrets/push.yml',
        expected: 'success',
        options: { secrets: dotenv(path.join(ACTIONS, 'secrets/.secrets')), env: { ACT: 'true', ...dotenv(path.join(ACTIONS, 'secrets/.env')) } },
      },
      { name: 'set-env-step-env-override', file: 'set-env-step-env-override/push.yml', expected: 'success' },
      { name: 'shells/bash', file: 'shells/bash/push.yml', expected: 'success' },
      { name: 'shells/defaults', file: 'shells/defaults/push.yml', expected: 'success' },
      { name: 'shells/pwsh', file: 'shells/pwsh/push.yml', expected: 'success', hostLimit: () => (onPath('pwsh') ? undefined : 'pwsh is not installed on this host') },
      { name: 'steps-context/conclusion', file: 'steps-context/conclusion/push.yml', expected: 'success' },
      { name: 'strategy', file: 'strategy/push.yml', expected: 'success' },
      { name: 'uses-composite', file: 'uses-composite/push.yml', expected: 'success' },
      { name: 'uses-composite-with-error', file: 'uses-composite-with-error/push.yml', expected: 'failure' },
      { name: 'uses-github-noref', file: 'uses-github-noref/push.yml', expected: 'invalid' },
      { name: 'uses-workflow', file: 'uses-workflow/local-workflow.yml', expected: 'success', options: { event: 'pull_request', secrets: { secret: 'keep_it_private' } } },
      {
        name: 'workdir',
        file: 'workdir/push.yml',
        expected: 'success',
        hostLimit: () => (existsSync('/root') && process.getuid?.() === 0 ? undefined : 'needs /root readable (run as root)'),
      },
      { name: 'workflow_dispatch', file: 'workflow_dispatch/workflow_dispatch.yml', expected: 'success', options: { event: 'workflow_dispatch', eventPayload: eventOf('workflow_dispatch') } },
      { name: 'workflow_dispatch-scalar', file: 'workflow_dispatch-scalar/workflow_dispatch.yml', expected: 'success', options: { event: 'workflow_dispatch' } },
    ]
  : [];

const table: Array<{ case: string; expected: string; got: string; note: string }> = [];
const scratch: string[] = [];

afterAll(async () => {
  if (table.length > 0) {
    const width = Math.max(...table.map((row) => row.case.length));
    const lines = table.map((row) => `${row.case.padEnd(width)}  ${row.expected.padEnd(8)}  ${row.got.padEnd(8)}  ${row.note}`);
    const passes = table.filter((row) => row.got === row.expected).length;
    const limited = table.filter((row) => row.note.startsWith('HOST LIMIT')).map((row) => row.case);
    console.log(`\nactions conformance (act corpus): ${passes}/${table.length} cases give the expected outcome${limited.length ? `; host limits: ${limited.join(', ')}` : ''}\n${'case'.padEnd(width)}  expected  got       note\n${lines.join('\n')}\n`);
  }
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe.skipIf(!present)('act corpus through runWorkflowLocally', () => {
  it.each(CASES)('$name', async (testCase) => {
    const workspace = await mkdtemp(path.join(os.tmpdir(), 'plinth-act-'));
    scratch.push(workspace);
    await cp(ACTIONS, workspace, { recursive: true, verbatimSymlinks: true });
    const logs: string[] = [];
    let got: string;
    let note: string;
    try {
      const result = await runWorkflowLocally({
        workspaceDir: workspace,
        workflowPath: testCase.file,
        env: { ACT: 'true' },
        ignoreContainers: true,
        onLog: (leg, line) => logs.push(`[${leg}] ${line.text}`),
        ...testCase.options,
      });
      got = result.conclusion;
      note = result.legs
        .filter((leg) => leg.conclusion !== 'success')
        .map((leg) => `${leg.name}: ${leg.conclusion}${leg.reason ? ` (${leg.reason})` : ''}`)
        .join('; ');
      if (testCase.name === 'invalid-job-name/valid-2') {
        // act runs it; GitHub's parser rejects the reserved id: a warning at the id, not an error.
        expect(result.legs[0]?.result?.annotations).toEqual([
          { level: 'warning', file: 'invalid-job-name/valid-2.yml', line: 5, column: 3, message: "job id '___valid-JOB-Name-v123-docker_hub' starts with '__': GitHub reserves such ids and may reject this workflow" },
        ]);
        expect(logs).toContain("[___valid-JOB-Name-v123-docker_hub] ##[warning]invalid-job-name/valid-2.yml:5:3: job id '___valid-JOB-Name-v123-docker_hub' starts with '__': GitHub reserves such ids and may reject this workflow");
      }
      if (testCase.name === 'strategy') {
        const workflow = result.workflow;
        const counts = workflow.jobs.map((job) => expandMatrix(workflow, job.id, { event: { name: 'push', payload: {}, ref: '', sha: '', repository: 'a/b', actor: 'x', runId: '1', runNumber: 1, runAttempt: 1 }, results: {}, inputs: {}, vars: {} }).legs.length);
        expect(counts).toEqual([5, 1, 1, 1]);
      }
    } catch (error) {
      if (!isPlinthError(error) || error.code !== 'PIPELINE_WORKFLOW_INVALID') throw error;
      got = 'invalid';
      note = error.toString();
    }
    const limit = testCase.hostLimit?.();
    table.push({ case: testCase.name, expected: testCase.expected, got, note: limit ? `HOST LIMIT: ${limit}` : note.slice(0, 160) });
    if (limit) return;
    if (got !== testCase.expected) console.log(logs.slice(-40).join('\n'));
    expect(got).toBe(testCase.expected);
  });

  it('reports job-id errors at the parser location', async () => {
    const text = readFileSync(path.join(ACTIONS, 'invalid-job-name/invalid-1.yml'), 'utf8');
    const error = await parseWorkflowFile(text, 'invalid-1.yml').catch((e: unknown) => e);
    expect(isPlinthError(error) && error.location).toMatchObject({ file: 'invalid-1.yml', line: 5, column: 3 });
  });
});

interface ExpressionCase {
  expr: string;
  result?: { kind: string; value: unknown };
  err?: { kind: string; value: string };
  contexts?: Record<string, unknown>;
  /** Implementations the case does not apply to (e.g. Go-only memory limits). */
  options?: { skip?: string[] };
}

const expressionFiles = existsSync(EXPRESSIONS) ? readdirSync(EXPRESSIONS).filter((name) => name.endsWith('.json')) : [];

describe.skipIf(!present)('expression conformance (actions/languageservices)', () => {
  it('evaluates every case as the reference does', () => {
    let passed = 0;
    const skipped: string[] = [];
    const failures: string[] = [];
    for (const file of expressionFiles) {
      const groups = JSON.parse(readFileSync(path.join(EXPRESSIONS, file), 'utf8')) as Record<string, ExpressionCase[]>;
      for (const [group, cases] of Object.entries(groups)) {
        for (const testCase of cases) {
          if (testCase.options?.skip?.includes('typescript')) {
            skipped.push(`${file} ${group}`);
            continue;
          }
          let ok: boolean;
          try {
            const value = fromExpressionData(evaluateExpression(testCase.expr, testCase.contexts ?? {}));
            ok = testCase.result !== undefined && JSON.stringify(value) === JSON.stringify(testCase.result.value);
          } catch {
            ok = testCase.err !== undefined;
          }
          if (ok) passed++;
          else failures.push(`${file} ${group}: ${testCase.expr}`);
        }
      }
    }
    console.log(`\nexpression conformance: ${passed}/${passed + failures.length} passed, ${skipped.length} skipped for TypeScript implementations by the corpus (${skipped.join(', ')})${failures.length ? `\n  failing: ${failures.join('\n  failing: ')}` : ''}\n`);
    expect(failures).toEqual([]);
  });
});
