import { describe, expect, it } from 'vitest';
import { PlinthError } from '../../core/errors.js';
import { resolveSubstitutions } from './substitutions.js';

const files: Record<string, string> = {
  './README.md': '# Petstore\n',
  './definition.json': '{"openapi": "3.0.0", "paths": {}}',
  './values.yaml': 'replicas: 3\nports: [80, 443]\n',
  './broken.json': '{"openapi": ',
  './two.yaml': 'a: 1\n---\nb: 2\n',
};
const read = async (target: string) => {
  const content = files[target];
  if (content === undefined) throw new Error(`${target}: no such file`);
  return content;
};

describe('resolveSubstitutions', () => {
  it('replaces $text by the text, $json and $yaml by the parsed value, anywhere in the value', async () => {
    const entity = {
      metadata: { name: 'petstore', description: { $text: './README.md' } },
      spec: { definition: { $json: './definition.json' }, config: [{ $yaml: './values.yaml' }], owner: 'team-c' },
    };
    expect(await resolveSubstitutions(entity, read)).toEqual({
      metadata: { name: 'petstore', description: '# Petstore\n' },
      spec: { definition: { openapi: '3.0.0', paths: {} }, config: [{ replicas: 3, ports: [80, 443] }], owner: 'team-c' },
    });
  });

  it('does not touch the input', async () => {
    const entity = { spec: { definition: { $text: './README.md' } } };
    await resolveSubstitutions(entity, read);
    expect(entity.spec.definition).toEqual({ $text: './README.md' });
  });

  it('leaves alone what is not exactly one placeholder key with a string value (e.g. JSON Schema $ref)', async () => {
    const value = { schema: { $ref: '#/definitions/node' }, two: { $text: './README.md', other: 1 }, nonString: { $json: 7 }, other: { $unknown: 'x' } };
    expect(await resolveSubstitutions(value, read)).toEqual(value);
  });

  it('leaves placeholders in place when the reader resolves to undefined', async () => {
    const value = { definition: { $text: 'https://example.com/spec.yaml' } };
    expect(await resolveSubstitutions(value, async () => undefined)).toEqual(value);
  });

  it('throws CATALOG_FILE_INVALID naming the placeholder path, for each failure', async () => {
    const value = { spec: { definition: { $json: './broken.json' }, links: [{ $text: './missing.md' }], extra: { $yaml: './two.yaml' } } };
    const error = await resolveSubstitutions(value, read).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PlinthError);
    const plinthError = error as PlinthError;
    expect(plinthError.code).toBe('CATALOG_FILE_INVALID');
    expect(plinthError.location).toEqual({ field: 'spec.definition' });
    expect(plinthError.message).toMatch(/^spec\.definition: \$json placeholder "\.\/broken\.json" is not valid JSON: /);
    expect(plinthError.details.map((d) => d.message)).toEqual([
      expect.stringContaining('spec.definition: $json placeholder'),
      'spec.links[0]: $text placeholder cannot read "./missing.md": ./missing.md: no such file',
      'spec.extra: $yaml placeholder "./two.yaml" holds 2 YAML documents; a $yaml placeholder takes exactly one',
    ]);
  });
});
