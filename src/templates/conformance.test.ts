import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../core/yaml.js';
import { runTemplate } from './run-template.js';
import type { ScaffolderAction } from './scaffolder-action.js';
import { createOfflineActions } from './scaffolder-actions/builtin-actions.js';
import { assertRunnableTemplate, locateTemplateInFile, parameterSchemaOf, secretParameterNames, stripUiKeys, TEMPLATE_API_VERSION, validateParameterValues, type JsonSchema, type TemplateEntity } from './template-spec.js';

/**
 * Every `scaffolder.backstage.io/v1beta3` Template of the Backstage corpus loads, its parameter
 * pages compile, and each whose actions Plinth has runs to completion — as a dry run, so
 * publish:github only says what it would do — with its skeleton and values derived from its
 * parameter schema. The corpus lives outside the repository: PLINTH_CORPUS, else
 * ../shared/corpus from the repo root.
 */
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const CORPUS = path.resolve(REPO_ROOT, process.env.PLINTH_CORPUS ?? '../shared/corpus');
const BACKSTAGE = path.join(CORPUS, 'backstage');
const present = existsSync(path.join(BACKSTAGE, 'SOURCES.md'));
if (!present) {
  const message = `The Backstage corpus is not at ${BACKSTAGE} (set PLINTH_CORPUS to the corpus directory)`;
  if (process.env.CI && process.env.CI !== 'false') throw new Error(`${message}: CI must run the template conformance test.`);
  console.warn(`\n!!! ${message}\n!!! The template conformance test is SKIPPED.\n`);
}

/** Values the schema cannot suggest (no default, example or enum), by ui:field or format. */
const SAMPLE_BY_FIELD: Record<string, unknown> = {
  RepoUrlPicker: 'github.com?owner=northwind&repo=sample',
  OwnerPicker: 'group:default/engineering',
  EntityPicker: 'component:default/storefront',
  OwnedEntityPicker: 'component:default/storefront',
  MyGroupsPicker: 'group:default/engineering',
  EntityNamePicker: 'sample-service',
  RepoOwnerPicker: 'northwind',
  RepoBranchPicker: 'main',
  Secret: 'sample-secret-value',
};
const SAMPLE_BY_FORMAT: Record<string, string> = {
  email: 'dev@example.com',
  uri: 'https://example.com',
  date: '2026-01-31',
  'date-time': '2026-01-31T10:00:00Z',
  time: '10:00:00Z',
  'data-url': 'data:text/plain;base64,aGk=',
};

/** A value for one property: its default, first example or enum value, else one by field, format or type. */
function sampleOf(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const field = schema['ui:field'] as string | undefined;
  if (field && field in SAMPLE_BY_FIELD) return schema.type === 'array' ? [SAMPLE_BY_FIELD[field]] : SAMPLE_BY_FIELD[field];
  switch (schema.type) {
    case 'string':
      return SAMPLE_BY_FORMAT[schema.format as string] ?? 'sample';
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'array': {
      const items = (schema.items ?? {}) as JsonSchema;
      return Array.isArray(items.enum) ? [items.enum[0]] : items.type === 'object' ? [sampleObject(items)] : schema.minItems ? [sampleOf(items)] : [];
    }
    case 'object':
      return sampleObject(schema);
    default:
      return 'sample';
  }
}

function sampleObject(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) out[name] = sampleOf(property);
  return out;
}

function sampleValues(entity: TemplateEntity): Record<string, unknown> {
  return Object.assign({}, ...parameterSchemaOf(entity).steps.map((step) => sampleObject(step.schema)));
}

function templateFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(full).isDirectory()) return templateFiles(full);
    return /\.ya?ml$/.test(name) && readFileSync(full, 'utf8').includes(TEMPLATE_API_VERSION) ? [full] : [];
  });
}

const actions: ScaffolderAction[] = createOfflineActions();
const actionsById = new Map(actions.map((a) => [a.id, a]));

describe.skipIf(!present)('Backstage v1beta3 templates', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'plinth-template-conformance-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const found = present
    ? templateFiles(BACKSTAGE).flatMap((file) =>
        parseYamlDocuments(readFileSync(file, 'utf8'), file, 'TEMPLATE_INVALID')
          .map((doc) => doc.value as TemplateEntity)
          .filter((value) => value?.apiVersion === TEMPLATE_API_VERSION && value.kind === 'Template')
          .map((entity) => ({ file, entity })),
      )
    : [];
  const counts = { templates: found.length, runnable: 0, completed: 0, files: 0, unsupported: [] as string[] };

  afterAll(() => {
    console.log(`template conformance: ${counts.templates} v1beta3 templates load and validate; ${counts.runnable} use only supported actions, ${counts.completed} ran to completion rendering ${counts.files} files; unsupported: ${counts.unsupported.join(', ') || 'none'}`);
  });

  it('finds the corpus templates', () => {
    expect(found.length).toBeGreaterThanOrEqual(8);
  });

  it.each(found.map(({ file, entity }) => [path.relative(BACKSTAGE, file), entity, file] as const))('%s loads, validates and runs', async (_name, entity, file) => {
    assertRunnableTemplate(entity);
    for (const step of parameterSchemaOf(entity).steps) expect(stripUiKeys(step.schema)).toBeTypeOf('object');
    const values = validateParameterValues(entity, sampleValues(entity));
    const missing = (entity.spec.steps ?? []).map((s) => s.action).filter((id) => !actionsById.has(id));
    if (missing.length) {
      counts.unsupported.push(`${entity.metadata.name} (${[...new Set(missing)].join(', ')})`);
      return;
    }
    counts.runnable++;
    const workspace = mkdtempSync(path.join(work, `${entity.metadata.name}-`));
    const log: string[] = [];
    const secrets = secretParameterNames(entity).map((name) => String(values[name]));
    const output = await runTemplate({
      template: entity,
      locate: await locateTemplateInFile(file, entity),
      templateInfo: { entityRef: `template:default/${entity.metadata.name}`, source: file, entity },
      values,
      secrets: {},
      user: { ref: 'user:default/alice' },
      taskId: 'conformance',
      workspacePath: workspace,
      isDryRun: true,
      signal: AbortSignal.timeout(30_000),
      actions: actionsById,
      mask: (text) => secrets.reduce((masked, secret) => masked.replaceAll(secret, '***'), text),
      observer: { log: (message) => void log.push(message), stepChanged: () => {} },
    });
    counts.completed++;
    const written = readdirSync(workspace, { recursive: true }).filter((f) => statSync(path.join(workspace, String(f))).isFile()).map(String);
    counts.files += written.length;
    // What the steps wrote is rendered: no ${{ }} left in any file.
    for (const relative of written) expect(readFileSync(path.join(workspace, relative), 'utf8'), relative).not.toMatch(/\$\{\{/);
    expect(output).toBeTypeOf('object');
    if (entity.metadata.name === 'golang-template') {
      expect(readFileSync(path.join(workspace, 'catalog-info.yaml'), 'utf8')).toContain('name: "sample-service"');
      expect(log).toContainEqual(expect.stringMatching(/dry run: would create northwind\/sample on github.com/));
    }
    if (entity.metadata.name === 'conditional-output-demo') {
      expect((output.links as Array<{ title: string }>).map((l) => l.title)).toEqual(['Backstage Homepage', 'CI Dashboard', 'CI Docs']);
    }
  });
});
