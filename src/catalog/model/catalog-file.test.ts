import { describe, expect, it } from 'vitest';
import { parseCatalogFile, parseCatalogFileWithSubstitutions } from './catalog-file.js';
import { createKindRegistry } from './kind-registry.js';

const registry = createKindRegistry();
const file = 'catalog-info.yaml';

// The fixtures are written line by line so that the expected line:column can be read off them.
const invalidComponent = [
  'apiVersion: backstage.io/v1alpha1', //              1
  'kind: Component', //                                2
  'metadata:', //                                      3
  '  name: invalid component', //                      4: name at column 9
  '  tags:', //                                        5
  '    - go', //                                       6
  '    - go 1.15.3', //                                7: tag at column 7
  'spec:', //                                          8: spec key at column 1
  '  type: service', //                                9
  '  lifecycle: production', //                        10
].join('\n');

describe('parseCatalogFile', () => {
  it('locates each finding at the offending value, and a missing field at its parent key', () => {
    const result = parseCatalogFile(invalidComponent, file, registry);
    expect(result.entities).toEqual([]);
    expect(result.errors).toEqual([
      {
        rule: 'metadata.name.format',
        message: 'metadata.name "invalid component" must be 1-63 characters of [a-zA-Z0-9] separated by [-_.]',
        location: { file, line: 4, column: 9 },
      },
      { rule: 'metadata.tags.format', message: 'metadata.tags[1] "go 1.15.3" must be 1-63 characters of [a-z0-9:+#] separated by [-]', location: { file, line: 7, column: 7 } },
      { rule: 'spec.schema.required', message: 'spec.owner is required (Component needs it)', location: { file, line: 8, column: 1 } },
    ]);
  });

  it('locates key problems at the key', () => {
    const text = ['apiVersion: backstage.io/v1alpha1', 'kind: Group', 'metadata:', '  name: team-a', '  labels:', '    "Bad Key": x', 'spec:', '  type: team', '  children: []', 'specs: {}'].join('\n');
    expect(parseCatalogFile(text, file, registry).errors.map((e) => [e.rule, e.location.line, e.location.column])).toEqual([
      ['entity.field.unknown', 10, 1],
      ['metadata.labels.key', 6, 5],
    ]);
  });

  it('returns the valid documents of a file even when others are invalid, and ignores empty ones', () => {
    const text = [
      '# a comment-only document',
      '---',
      'apiVersion: backstage.io/v1alpha1',
      'kind: Group',
      'metadata: { name: team-a }',
      'spec: { type: team, children: [] }',
      '---',
      '---',
      'apiVersion: backstage.io/v1alpha1',
      'kind: User',
      'metadata: { name: "no good" }',
      'spec: { memberOf: [team-a] }',
      '---',
      'apiVersion: backstage.io/v1alpha1',
      'kind: User',
      'metadata:',
      '  name: guest',
      'spec:',
      '  memberOf: [team-a]',
    ].join('\n');
    const result = parseCatalogFile(text, file, registry);
    expect(result.entities.map(({ entity, location }) => [entity.kind, entity.metadata.name, entity.metadata.namespace, location.line])).toEqual([
      ['Group', 'team-a', 'default', 3],
      ['User', 'guest', 'default', 14],
    ]);
    expect(result.errors).toEqual([{ rule: 'metadata.name.format', message: expect.stringContaining('"no good"'), location: { file, line: 11, column: 19 } }]);
  });

  it('reports a YAML syntax error located, and keeps the other documents', () => {
    const text = ['apiVersion: backstage.io/v1alpha1', 'kind: Group', 'metadata: { name: team-a }', 'spec: { type: team, children: [] }', '---', 'metadata:', '  name: [unclosed'].join('\n');
    const result = parseCatalogFile(text, file, registry);
    expect(result.entities).toHaveLength(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ rule: 'yaml.syntax', location: { file, line: 7 } });
    expect(result.errors[0]!.message).toMatch(/^invalid YAML: /);
  });

  it('reports duplicate keys, which YAML forbids', () => {
    const text = 'apiVersion: backstage.io/v1alpha1\nkind: Group\nkind: User\n';
    expect(parseCatalogFile(text, file, registry).errors[0]).toMatchObject({ rule: 'yaml.syntax', location: { file, line: 3, column: 1 } });
  });

  it('reports a document that is not a mapping', () => {
    expect(parseCatalogFile('- a\n- b\n', file, registry).errors).toEqual([
      { rule: 'entity.type', message: 'a catalog entity must be a mapping with apiVersion, kind, metadata and spec, got a list', location: { file, line: 1, column: 1 } },
    ]);
  });

  it('leaves placeholders in place and does not judge the values they stand for', () => {
    const text = [
      'apiVersion: backstage.io/v1alpha1',
      'kind: API',
      'metadata: { name: petstore }',
      'spec:',
      '  type: openapi',
      '  lifecycle: production',
      '  owner: team-c',
      '  definition:',
      '    $text: ./petstore.oas.yaml',
    ].join('\n');
    const result = parseCatalogFile(text, file, registry);
    expect(result.errors).toEqual([]);
    expect(result.entities[0]!.entity.spec!.definition).toEqual({ $text: './petstore.oas.yaml' });
  });
});

describe('parseCatalogFileWithSubstitutions', () => {
  const api = (definition: string) =>
    ['apiVersion: backstage.io/v1alpha1', 'kind: API', 'metadata: { name: petstore }', 'spec:', '  type: openapi', '  lifecycle: production', '  owner: team-c', '  definition:', `    ${definition}`].join('\n');

  it('reads placeholders and validates what they hold', async () => {
    const result = await parseCatalogFileWithSubstitutions(api('$text: ./petstore.oas.yaml'), file, registry, async (target) => `read ${target}`);
    expect(result.errors).toEqual([]);
    expect(result.entities[0]!.entity.spec!.definition).toBe('read ./petstore.oas.yaml');
    const wrongShape = await parseCatalogFileWithSubstitutions(api('$json: ./definition.json'), file, registry, async () => '{"openapi": "3.0.0"}');
    expect(wrongShape.errors).toEqual([{ rule: 'spec.schema.type', message: 'spec.definition must be a string', location: { file, line: 9, column: 5 } }]);
  });

  it('locates a failed read at the placeholder', async () => {
    const result = await parseCatalogFileWithSubstitutions(api('$json: ./missing.json'), file, registry, async () => {
      throw new Error('no such file');
    });
    expect(result.entities).toEqual([]);
    expect(result.errors).toEqual([
      { rule: 'substitution', message: 'spec.definition: $json placeholder cannot read "./missing.json": no such file', location: { file, line: 9, column: 5 } },
    ]);
  });

  it('leaves placeholders the reader does not resolve unchecked', async () => {
    const result = await parseCatalogFileWithSubstitutions(api('$text: https://example.com/openapi.yaml'), file, registry, async () => undefined);
    expect(result.errors).toEqual([]);
    expect(result.entities[0]!.entity.spec!.definition).toEqual({ $text: 'https://example.com/openapi.yaml' });
  });
});
