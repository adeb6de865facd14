import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PlinthError } from '../core/errors.js';
import { createFetchActions } from './scaffolder-actions/fetch.js';
import { createDebugActions, createWorkspaceFileActions } from './scaffolder-actions/workspace-files.js';
import { createCommandAction } from './scaffolder-actions/command.js';
import { runTemplate } from './run-template.js';
import { renderTemplateValue } from './render.js';
import type { ScaffolderAction } from './scaffolder-action.js';
import { locateTemplateInFile, validateParameterValues, type TemplateEntity } from './template-spec.js';

const access = { localRepository: () => undefined, cacheDir: path.join(tmpdir(), 'plinth-test-git-cache'), gitCredentials: [] };
const baseActions: ScaffolderAction[] = [...createFetchActions(access), ...createWorkspaceFileActions(), ...createDebugActions()];

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'plinth-run-template-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A template directory with template.yaml and the given files; returns where it is. */
function templateDir(steps: unknown[], files: Record<string, string> = {}, extra: Record<string, unknown> = {}): { file: string; entity: TemplateEntity; workspace: string } {
  const dir = path.join(root, `t${++counter}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  const entity = { apiVersion: 'scaffolder.backstage.io/v1beta3', kind: 'Template', metadata: { name: `t${counter}` }, spec: { steps, ...extra } } as TemplateEntity;
  writeFileSync(path.join(dir, 'template.yaml'), stringify(entity));
  const workspace = path.join(dir, 'workspace');
  mkdirSync(workspace);
  return { file: path.join(dir, 'template.yaml'), entity, workspace };
}

async function run(
  t: { file: string; entity: TemplateEntity; workspace: string },
  values: Record<string, unknown> = {},
  options: { actions?: ScaffolderAction[]; secrets?: Record<string, string>; mask?: (s: string) => string; logWriteMs?: number; failingLogWrite?: string; log?: Array<{ message: string; stepId?: string }> } = {},
) {
  const log = options.log ?? [];
  // A log write that takes time, as a database insert does.
  const writeLog = async (message: string, stepId?: string) => {
    if (options.logWriteMs) await new Promise((resolve) => setTimeout(resolve, options.logWriteMs));
    if (message === options.failingLogWrite) throw new Error('the log store is unavailable');
    log.push({ message, stepId });
  };
  const output = await runTemplate({
    template: t.entity,
    locate: await locateTemplateInFile(t.file, t.entity),
    templateInfo: { entityRef: `template:default/${t.entity.metadata.name}`, source: t.file, entity: t.entity },
    values,
    secrets: options.secrets ?? {},
    user: { ref: 'user:default/alice' },
    taskId: 'task-1',
    workspacePath: t.workspace,
    isDryRun: false,
    signal: new AbortController().signal,
    actions: new Map((options.actions ?? baseActions).map((a) => [a.id, a])),
    mask: options.mask ?? ((s) => s),
    observer: { log: writeLog, stepChanged: () => {} },
  });
  return { output, log };
}

async function runError(...args: Parameters<typeof run>): Promise<PlinthError> {
  try {
    await run(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(PlinthError);
    return error as PlinthError;
  }
  throw new Error('expected the run to fail');
}

describe('rendering', () => {
  const context = { parameters: { name: 'Web', count: 3, tags: ['a', 'b'], flag: false }, steps: {}, user: { ref: 'user:default/alice' }, secrets: {} };
  const render = (value: unknown) => renderTemplateValue(value, context, { what: 'test' });

  it('keeps the type of a value that is one ${{ }} expression, and renders text around others', () => {
    expect(render('${{ parameters.count }}')).toBe(3);
    expect(render('${{ parameters.tags }}')).toEqual(['a', 'b']);
    expect(render('${{ parameters.flag }}')).toBe(false);
    expect(render('n=${{ parameters.count }}')).toBe('n=3');
    expect(render('${{ parameters.missing }}')).toBeUndefined();
    expect(render('{{ left alone }} ${{ parameters.name | lower }}')).toBe('{{ left alone }} web');
  });

  it('has the scaffolder filters', () => {
    expect(render('${{ "github.com?owner=o&repo=r" | parseRepoUrl }}')).toEqual({ host: 'github.com', owner: 'o', repo: 'r' });
    expect(render('${{ "plinth?organization=o&workspace=w&project=p&repo=r" | parseRepoUrl }}')).toEqual({ host: 'plinth', organization: 'o', workspace: 'w', project: 'p', repo: 'r' });
    expect(render('${{ "team-a" | parseEntityRef({ defaultKind: "group", defaultNamespace: "ops" }) }}')).toEqual({ kind: 'group', namespace: 'ops', name: 'team-a' });
    expect(render('${{ "user:bob" | parseEntityRef }}')).toEqual({ kind: 'user', namespace: 'default', name: 'bob' });
    expect(render('${{ parameters | pick("name") }}')).toBe('Web');
    expect(render('${{ "host?owner=o&repo=r" | projectSlug }}')).toBe('o/r');
  });

  it.each([
    "${{ ''.constructor.constructor('return process')() }}",
    "${{ range.constructor('return process')() }}",
    "${{ cycler.constructor('return process')() }}",
    "${{ joiner.constructor('return process')() }}",
    '${{ parameters.__proto__ }}',
    "${{ parameters['constructor'] }}",
    '${{ parameters.tags.constructor }}',
    '${{ (parameters | pick("__proto__")) }}',
    "${{ parameters.name.toString.call }}",
    '${{ range(0, 100000000) | length }}',
    "${{ 'x'.padStart(2000000000) }}",
    '{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}',
    "{% set s = 'xxxxxxxxxxxxxxxx' %}{% for i in range(40) %}{% set s = s + s %}{% endfor %}${{ s | length }}",
  ])('refuses the sandbox escape %s', (payload) => {
    let error: unknown;
    try {
      render(payload);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlinthError);
    expect((error as PlinthError).code).toBe('TEMPLATE_UNSAFE');
  });

  it('fails endless recursion as a render error', () => {
    expect(() => render('{% macro f(n) %}${{ f(n + 1) }}{% endmacro %}${{ f(0) }}')).toThrow(/Maximum call stack/);
  });

  it('offers string methods that cannot allocate without bound only', () => {
    expect(render("${{ 'web'.padStart(5, '-') }}")).toBe('--web');
    expect(() => render("${{ 'x'.repeat(10) }}")).toThrow(/Unable to call/);
  });

  it('cannot read files through include or import', () => {
    expect(() => render("{% include '/etc/passwd' %}")).toThrow(/template not found/);
    expect(() => render("{% import '/etc/passwd' as x %}")).toThrow(/template not found/);
  });
});

describe('parameters', () => {
  const entity = {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: 'p' },
    spec: {
      parameters: [
        { title: 'One', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z]+$', 'ui:autofocus': true }, port: { type: 'integer', default: 8080 } } },
        {
          title: 'Two',
          properties: { kind: { type: 'string', enum: ['db', 'queue'] }, email: { type: 'string', format: 'email' } },
          dependencies: { kind: { oneOf: [{ properties: { kind: { const: 'db' }, size: { type: 'integer' } }, required: ['size'] }, { properties: { kind: { const: 'queue' } } }] } },
        },
      ],
    },
  } as unknown as TemplateEntity;

  it('fills defaults and accepts valid values', () => {
    expect(validateParameterValues(entity, { name: 'web', kind: 'queue' })).toEqual({ name: 'web', kind: 'queue', port: 8080 });
  });

  it('names every invalid field', () => {
    let error: PlinthError | undefined;
    try {
      validateParameterValues(entity, { name: 'Web!', email: 'nope', port: 'x' });
    } catch (e) {
      error = e as PlinthError;
    }
    expect(error?.code).toBe('TEMPLATE_VALUES_INVALID');
    const fields = error!.details.map((d) => d.location?.field);
    expect(fields).toEqual(expect.arrayContaining(['/values/name', '/values/email', '/values/port']));
  });

  it('checks dependencies with oneOf', () => {
    expect(() => validateParameterValues(entity, { name: 'web', kind: 'db' })).toThrow(/size/);
    expect(validateParameterValues(entity, { name: 'web', kind: 'db', size: 2 })).toMatchObject({ size: 2 });
  });
});

describe('steps', () => {
  it('renders a skeleton with templated names, copyWithoutTemplating, if, each and output', async () => {
    const t = templateDir(
      [
        { id: 'fetch', action: 'fetch:template', input: { url: './skeleton', copyWithoutTemplating: ['.github/**'], values: { name: '${{ parameters.name }}', docs: '${{ parameters.docs }}' } } },
        { id: 'skipped', if: '${{ parameters.docs }}', action: 'debug:log', input: { message: 'never' } },
        { id: 'many', each: '${{ parameters.items }}', action: 'fs:read', input: { path: '${{ each.value }}' } },
        { id: 'rename', action: 'fs:rename', input: { files: [{ from: 'web.txt', to: 'renamed.txt' }] } },
      ],
      {
        'skeleton/${{ values.name }}.txt': 'Hello ${{ values.name | upper }}',
        'skeleton/${{ "docs" if values.docs else "" }}/index.md': 'docs',
        'skeleton/.github/workflows/ci.yml': 'run: ${{ github.sha }}',
        'skeleton/a.txt': 'A',
        'skeleton/b.txt': 'B',
      },
      { output: { links: [{ title: 'files', url: 'https://x/${{ parameters.name }}' }], read: '${{ steps.many.output.content }}' } },
    );
    const { output, log } = await run(t, { name: 'web', docs: false, items: ['a.txt', 'b.txt'] });
    expect(readFileSync(path.join(t.workspace, 'renamed.txt'), 'utf8')).toBe('Hello WEB');
    expect(readFileSync(path.join(t.workspace, '.github/workflows/ci.yml'), 'utf8')).toBe('run: ${{ github.sha }}');
    expect(existsSync(path.join(t.workspace, 'docs'))).toBe(false);
    expect(output).toEqual({ links: [{ title: 'files', url: 'https://x/web' }], read: ['A', 'B'] });
    expect(log.some((l) => l.stepId === 'skipped' && /if condition is false/.test(l.message))).toBe(true);
  });

  it('supports cookiecutterCompat and templateFileExtension', async () => {
    const t = templateDir(
      [
        { id: 'cc', action: 'fetch:template', input: { url: './cc', cookiecutterCompat: true, values: { name: 'x' } } },
        { id: 'ext', action: 'fetch:template', input: { url: './ext', templateFileExtension: true, targetPath: 'ext', values: { name: 'y' } } },
      ],
      { 'cc/a.txt': '{{ cookiecutter.name }}-{{ values.name }}', 'ext/b.txt.njk': '${{ values.name }}', 'ext/c.txt': '${{ values.name }}' },
    );
    await run(t);
    expect(readFileSync(path.join(t.workspace, 'a.txt'), 'utf8')).toBe('x-x');
    expect(readFileSync(path.join(t.workspace, 'ext/b.txt'), 'utf8')).toBe('y');
    expect(readFileSync(path.join(t.workspace, 'ext/c.txt'), 'utf8')).toBe('${{ values.name }}');
  });
});

describe('safety: nothing leaves the workspace', () => {
  it.each([
    ['targetPath with ..', { id: 's', action: 'fetch:template', input: { url: './skeleton', targetPath: '../outside' } }, /leaves the task workspace/],
    ['absolute targetPath', { id: 's', action: 'fetch:template', input: { url: './skeleton', targetPath: '/tmp/evil' } }, /is absolute/],
    ['a rendered file name with ..', { id: 's', action: 'fetch:template', input: { url: './skeleton', values: { name: '../../escaped' } } }, /leaves the task workspace/],
    ['fs:rename to ..', { id: 's', action: 'fs:rename', input: { files: [{ from: 'x', to: '../y' }] } }, /leaves the task workspace/],
    ['fs:delete of /', { id: 's', action: 'fs:delete', input: { files: ['/'] } }, /is absolute/],
    ['fs:read of ../template.yaml', { id: 's', action: 'fs:read', input: { path: '../template.yaml' } }, /leaves the task workspace/],
  ])('refuses %s', async (_name, step, message) => {
    const t = templateDir([step], { 'skeleton/${{ values.name }}.txt': 'x' });
    const error = await runError(t);
    expect(error.code).toBe('TEMPLATE_PATH_UNSAFE');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^step s \(/);
    expect(existsSync(path.join(root, 'outside'))).toBe(false);
  });

  it('refuses a symbolic link in a skeleton, and writing through one in the workspace', async () => {
    const t = templateDir([{ id: 'fetch', action: 'fetch:template', input: { url: './skeleton' } }], { 'skeleton/a.txt': 'a' });
    symlinkSync('/etc/passwd', path.join(path.dirname(t.file), 'skeleton', 'link'));
    expect((await runError(t)).message).toMatch(/symbolic link 'link'/);

    const u = templateDir([{ id: 'fetch', action: 'fetch:template', input: { url: './skeleton', targetPath: 'out' } }], { 'skeleton/a.txt': 'a' });
    symlinkSync(root, path.join(u.workspace, 'out'));
    const error = await runError(u);
    expect(error.code).toBe('TEMPLATE_PATH_UNSAFE');
    expect(error.message).toMatch(/symbolic link 'out'/);
  });
});

describe('errors name the step, the input key and the line', () => {
  it('a bad filter in an input', async () => {
    const t = templateDir([{ id: 'greet', action: 'debug:log', input: { message: 'hi ${{ parameters.name | nosuchfilter }}' } }]);
    const error = await runError(t, { name: 'x' });
    expect(error.code).toBe('TEMPLATE_RENDER_FAILED');
    expect(error.message).toMatch(/step greet, input\.message: filter not found: nosuchfilter/);
    expect(error.location?.file).toBe(t.file);
    const line = readFileSync(t.file, 'utf8').split('\n').findIndex((l) => l.includes('nosuchfilter')) + 1;
    expect(error.location?.line).toBe(line);
  });

  it('a missing required input, and an unknown action', async () => {
    const t = templateDir([{ id: 'read', action: 'fs:read', input: {} }]);
    expect((await runError(t)).message).toMatch(/step read \(fs:read\): input path is required/);
    const u = templateDir([{ id: 'x', action: 'no:such' }]);
    const error = await runError(u);
    expect(error.code).toBe('TEMPLATE_ACTION_UNKNOWN');
    expect(error.location?.line).toBeGreaterThan(0);
  });

  it('a failing skeleton file names the file and its line', async () => {
    const t = templateDir([{ id: 'fetch', action: 'fetch:template', input: { url: './skeleton' } }], { 'skeleton/src/app.js': 'line one\nline two ${{ values.x | nope }}\n' });
    const error = await runError(t);
    expect(error.message).toMatch(/step fetch \(fetch:template\): skeleton file src\/app\.js: filter not found: nope/);
    expect(error.location).toMatchObject({ file: 'src/app.js', line: 2 });
  });
});

describe('command actions', () => {
  const echo = createCommandAction({
    id: 'acme:echo',
    command: ['node', '-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const i=JSON.parse(s);console.error("working on "+i.name);console.log(JSON.stringify({greeting:"hello "+i.name}))})'],
    inputSchema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    outputSchema: { type: 'object', required: ['greeting'], properties: { greeting: { type: 'string' } } },
  });
  const bad = createCommandAction({ id: 'acme:bad', command: ['node', '-e', 'console.log(JSON.stringify({greeting: 1}))'], outputSchema: { type: 'object', properties: { greeting: { type: 'string' } } } });

  it('reads JSON on stdin, logs stderr, and its JSON output becomes the step output', async () => {
    const t = templateDir([{ id: 'echo', action: 'acme:echo', input: { name: '${{ parameters.name }}' } }], {}, { output: { text: '${{ steps.echo.output.greeting }}' } });
    const { output, log } = await run(t, { name: 'web' }, { actions: [echo] });
    expect(output).toEqual({ text: 'hello web' });
    expect(log.map((l) => l.message)).toContain('working on web');
  });

  it('validates input and output', async () => {
    const t = templateDir([{ id: 'echo', action: 'acme:echo', input: {} }]);
    expect((await runError(t, {}, { actions: [echo] })).message).toMatch(/input name is required/);
    const u = templateDir([{ id: 'bad', action: 'acme:bad' }]);
    expect((await runError(u, {}, { actions: [bad] })).message).toMatch(/output\/greeting must be string|output.greeting must be string/);
  });
});

describe('secrets', () => {
  it('are masked in log lines', async () => {
    const t = templateDir([{ id: 'log', action: 'debug:log', input: { message: 'token is ${{ secrets.token }}' } }]);
    const { log } = await run(t, {}, { secrets: { token: 'hunter2-secret' }, mask: (s) => s.replaceAll('hunter2-secret', '***') });
    expect(log.map((l) => l.message)).toContain('token is ***');
  });
});

describe('action logs', () => {
  // Actions call log without awaiting it; the task's completion must not overtake those writes.
  const chatty: ScaffolderAction<{ fail?: boolean }> = {
    id: 'acme:chatty',
    description: 'logs twice without awaiting, then fails when asked',
    supportsDryRun: false,
    schema: { input: { type: 'object', properties: { fail: { type: 'boolean' } } } },
    async handler(ctx) {
      ctx.log('first');
      ctx.log('second');
      if (ctx.input.fail) throw new Error('gave up');
    },
  };

  it('are written, in order, before the step ends', async () => {
    const t = templateDir([{ id: 'talk', action: 'acme:chatty' }]);
    const { log } = await run(t, {}, { actions: [chatty], logWriteMs: 20 });
    expect(log.map((l) => l.message)).toEqual(['running acme:chatty', 'first', 'second']);
  });

  it('are written before a failing step reports its error', async () => {
    const t = templateDir([{ id: 'talk', action: 'acme:chatty', input: { fail: true } }]);
    const log: Array<{ message: string }> = [];
    expect((await runError(t, {}, { actions: [chatty], logWriteMs: 20, log })).message).toMatch(/step talk \(acme:chatty\): gave up/);
    expect(log.map((l) => l.message)).toEqual(['running acme:chatty', 'first', 'second']);
  });

  it('fail the step when one cannot be written, after the action ends and without ending the process', async () => {
    const t = templateDir([{ id: 'talk', action: 'acme:chatty' }]);
    const log: Array<{ message: string }> = [];
    expect((await runError(t, {}, { actions: [chatty], logWriteMs: 20, failingLogWrite: 'first', log })).message).toMatch(/step talk \(acme:chatty\): the log store is unavailable/);
    expect(log.map((l) => l.message)).toEqual(['running acme:chatty', 'second']);
  });
});
