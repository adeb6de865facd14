import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlinth } from '../../../test/support/server.js';

const files: Record<string, string> = {
  'catalog-info.yaml': [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata:',
    '  name: artist-web',
    'spec:',
    '  type: website',
    '  lifecycle: production',
    '  owner: team-a',
    '---',
    'apiVersion: backstage.io/v1alpha1',
    'kind: API',
    'metadata:',
    '  name: artist-api',
    'spec:',
    '  type: openapi',
    '  lifecycle: production',
    '  owner: team-a',
    '  definition:',
    '    $text: ./openapi.yaml',
  ].join('\n'),
  // Not a descriptor (no top-level apiVersion): skipped when found in a directory.
  'openapi.yaml': 'openapi: 3.0.0\ninfo: { title: Artists, version: 1.0.0 }\n',
  'mkdocs.yml': 'site_name: docs\n',
  'org/teams.yaml': 'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: team-a }\nspec: { type: team, children: [] }\n',
  'kinds/environment.yaml': [
    'apiVersion: plinth.dev/v1alpha1',
    'kind: KindDefinition',
    'metadata: { name: environment }',
    'spec:',
    '  kind: Environment',
    '  apiVersions: [backstage.io/v1alpha1]',
    '  schema: { type: object, required: [lifecycle], properties: { lifecycle: { type: string } } }',
    '  relations: [{ field: spec.owner, type: ownedBy, reverse: ownerOf, defaultKind: Group }]',
  ].join('\n'),
  'environments/dev.yaml': 'apiVersion: backstage.io/v1alpha1\nkind: Environment\nmetadata: { name: dev }\nspec: { lifecycle: dev, owner: team-a }\n',
  'node_modules/pkg/catalog-info.yaml': 'apiVersion: backstage.io/v1alpha1\nkind: Nonsense\n',
  '.git/catalog-info.yaml': 'apiVersion: backstage.io/v1alpha1\nkind: Nonsense\n',
};

const invalid = [
  'apiVersion: backstage.io/v1alpha1',
  'kind: Component',
  'metadata:',
  '  name: invalid component',
  '  tags:',
  '    - go',
  '    - go 1.15.3',
  'spec:',
  '  type: service',
  '  lifecycle: production',
  '  owner: user:guest',
  '---',
  'apiVersion: backstage.io/v1alpha1',
  'kind: Component',
  'metadata: { name: fine }',
  'spec:',
  '  type: service',
  '  lifecycle: production',
  '  owner: user:guest',
  '  dependsOn: [artists-db]',
  '---',
  'apiVersion: backstage.io/v1alpha1',
  'kind: API',
  'metadata: { name: broken-definition }',
  'spec:',
  '  type: openapi',
  '  lifecycle: production',
  '  owner: team-a',
  '  definition: { $text: ./missing.yaml }',
].join('\n');

// Paths are absolute: runPlinth runs from the repository (where tsx resolves); files outside it print absolute.
describe('plinth catalog validate', () => {
  let dir: string;
  const at = (name: string) => path.join(dir, name);
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'plinth-catalog-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, 'good', name)), { recursive: true });
      writeFileSync(path.join(dir, 'good', name), text);
    }
    writeFileSync(path.join(dir, 'invalid.yaml'), invalid);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has --help', async () => {
    const result = await runPlinth(['catalog', 'validate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: plinth catalog validate');
  });

  it('accepts a valid tree, reading relative placeholders, using its KindDefinitions, skipping non-descriptors, node_modules and .git', async () => {
    const result = await runPlinth(['catalog', 'validate', at('good')]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('5 entities valid, 0 errors in 4 files\n');
    expect(result.code).toBe(0);
  });

  it('prints each error as file:line:column: message [rule], a summary, and exits 2', async () => {
    const result = await runPlinth(['catalog', 'validate', at('invalid.yaml'), at('good/org')]);
    expect(result.code).toBe(2);
    expect(result.stdout.replaceAll(`${dir}${path.sep}`, '').split('\n')).toEqual([
      'invalid.yaml:4:9: metadata.name "invalid component" must be 1-63 characters of [a-zA-Z0-9] separated by [-_.] [metadata.name.format]',
      'invalid.yaml:7:7: metadata.tags[1] "go 1.15.3" must be 1-63 characters of [a-z0-9:+#] separated by [-] [metadata.tags.format]',
      'invalid.yaml:20:15: spec.dependsOn[0]: entity ref "artists-db" has no kind, and none can be assumed here; write it as kind:[namespace/]name (e.g. component:artists-db) [spec.ref]',
      'invalid.yaml:29:15: spec.definition: $text placeholder cannot read "./missing.yaml": no such file [substitution]',
      '1 entity valid, 4 errors in 2 files',
      '',
    ]);
    expect(result.stderr).toContain('error: catalog validation failed: 1 entity valid, 4 errors in 2 files [CATALOG_ENTITY_INVALID]');
  });

  it('prints the findings as JSON with --output json', async () => {
    const result = await runPlinth(['catalog', 'validate', '--output', 'json', at('invalid.yaml'), at('good')]);
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as { ok: boolean; files: number; entities: Array<{ ref: string }>; errors: Array<{ file: string; line: number; column: number; rule: string }> };
    expect(report.ok).toBe(false);
    expect(report.files).toBe(5);
    expect(report.entities.map((e) => e.ref)).toContain('environment:default/dev');
    expect(report.errors[0]).toEqual(expect.objectContaining({ file: at('invalid.yaml'), line: 4, column: 9, rule: 'metadata.name.format' }));
  });

  it('reports the same entity defined twice', async () => {
    writeFileSync(path.join(dir, 'twice.yaml'), files['org/teams.yaml']!.replace('team-a', 'Team-A'));
    const result = await runPlinth(['catalog', 'validate', at('good/org'), at('twice.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(`${at('twice.yaml')}:1:1: group:default/Team-A is defined twice: also at ${at('good/org/teams.yaml')}:1 [entity.duplicate]`);
  });

  it('reports a path that does not exist, and a YAML syntax error, with exit 2', async () => {
    writeFileSync(path.join(dir, 'broken.yaml'), 'apiVersion: backstage.io/v1alpha1\nmetadata:\n  name: [unclosed\n');
    const result = await runPlinth(['catalog', 'validate', at('nope'), at('broken.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/broken\.yaml:4:1: invalid YAML: Flow sequence .* \[yaml\.syntax\]$/m);
    expect(result.stdout).toContain(`${at('nope')}: no such file or directory [file.unreadable]`);
  });

  it('exits 2 when it finds nothing to check', async () => {
    mkdirSync(path.join(dir, 'empty'));
    const result = await runPlinth(['catalog', 'validate', at('empty')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no catalog files found in ${at('empty')}`);
  });
});
