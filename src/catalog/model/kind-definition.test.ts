import { describe, expect, it } from 'vitest';
import { PlinthError } from '../../core/errors.js';
import { parseCatalogFile } from './catalog-file.js';
import type { Entity } from './entity.js';
import { kindDefinitionFromConfig, kindDefinitionFromEntity } from './kind-definition.js';
import { createKindRegistry } from './kind-registry.js';
import { relationsOf } from './relations.js';
import { validateEntity } from './validate-entity.js';

const environmentKind = `
apiVersion: plinth.dev/v1alpha1
kind: KindDefinition
metadata:
  name: environment
spec:
  kind: Environment
  apiVersions: [backstage.io/v1alpha1]
  description: A place where workloads run
  schema:
    type: object
    required: [lifecycle, owner]
    properties:
      lifecycle: { type: string, enum: [dev, staging, production] }
      owner: { type: string }
      promotesTo: { type: array, items: { type: string } }
  relations:
    - { field: spec.owner, type: ownedBy, reverse: ownerOf, defaultKind: Group, allowedKinds: [Group, User] }
    - { field: spec.promotesTo, type: promotesTo, reverse: promotedFrom, defaultKind: Environment, many: true }
`;

function errorOf(fn: () => unknown): PlinthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PlinthError) return error;
    throw error;
  }
  throw new Error('expected a PlinthError');
}

describe('custom kinds', () => {
  const [definitionEntity] = parseCatalogFile(environmentKind, 'kinds.yaml', createKindRegistry()).entities;

  it('validates KindDefinition entities as a built-in kind', () => {
    expect(definitionEntity?.entity.kind).toBe('KindDefinition');
  });

  it('turns a KindDefinition entity into a kind whose entities validate against its schema', () => {
    const definition = kindDefinitionFromEntity(definitionEntity!.entity);
    expect(definition).toEqual({
      kind: 'Environment',
      apiVersions: ['backstage.io/v1alpha1'],
      description: 'A place where workloads run',
      specSchema: expect.objectContaining({ required: ['lifecycle', 'owner'] }),
      relationFields: [
        { path: 'spec.owner', relation: 'ownedBy', reverse: 'ownerOf', defaultKind: 'Group', allowedKinds: ['Group', 'User'], many: false },
        { path: 'spec.promotesTo', relation: 'promotesTo', reverse: 'promotedFrom', defaultKind: 'Environment', many: true },
      ],
      builtIn: false,
    });
    const registry = createKindRegistry([definition]);
    const dev = { apiVersion: 'backstage.io/v1alpha1', kind: 'environment', metadata: { name: 'dev' }, spec: { lifecycle: 'dev', owner: 'team-a', promotesTo: ['staging'] } };
    const result = validateEntity(dev, registry);
    expect(result.ok).toBe(true);
    const bad = validateEntity({ ...dev, spec: { lifecycle: 'qa', owner: 'component:x' } }, registry);
    expect(bad.ok ? [] : bad.errors.map((e) => e.message)).toEqual(['spec.lifecycle must be one of "dev", "staging", "production"', 'spec.owner "component:x" must refer to Group or User, not component']);
    expect(relationsOf(dev, registry)).toEqual([
      { source: 'environment:default/dev', type: 'ownedBy', target: 'group:default/team-a' },
      { source: 'group:default/team-a', type: 'ownerOf', target: 'environment:default/dev' },
      { source: 'environment:default/dev', type: 'promotesTo', target: 'environment:default/staging' },
      { source: 'environment:default/staging', type: 'promotedFrom', target: 'environment:default/dev' },
    ]);
  });

  it('lets a custom kind go without a spec when its schema allows it', () => {
    const registry = createKindRegistry([kindDefinitionFromConfig({ kind: 'Note', apiVersions: ['example.com/v1'], schema: { type: 'object' } })]);
    expect(validateEntity({ apiVersion: 'example.com/v1', kind: 'Note', metadata: { name: 'n' } }, registry).ok).toBe(true);
  });

  it('reads kinds from config and names every problem', () => {
    const error = errorOf(() =>
      kindDefinitionFromConfig(
        { kind: 'my-kind', apiVersions: [], schema: { type: 'strng' }, relations: [{ field: 'owner', type: 'owned by', reverse: 'ownerOf' }], colour: 'red' },
        { file: 'plinth.yaml', line: 12, column: 5 },
      ),
    );
    expect(error.code).toBe('CATALOG_KIND_INVALID');
    expect(error.location).toEqual({ file: 'plinth.yaml', line: 12, column: 5 });
    expect(error.details.map((d) => d.message)).toEqual([
      'colour is not a field of a kind definition (kind, apiVersions, description, schema, relations)',
      'kind must be 1-63 characters of [a-zA-Z0-9] starting with a letter, got "my-kind"',
      'apiVersions must be a non-empty list of apiVersions (e.g. [example.com/v1alpha1])',
      expect.stringMatching(/^schema is not a valid JSON Schema: schema is invalid: data\/type/),
      'relations[0].field must be a dotted path into the spec (e.g. spec.owner), got "owner"',
      'relations[0].type must be a relation name of [A-Za-z0-9_] (e.g. ownedBy), got "owned by"',
    ]);
  });

  it('rejects a KindDefinition whose schema does not compile, as a located finding and from kindDefinitionFromEntity', () => {
    const text = environmentKind.replace('type: object\n    required', 'type: objekt\n    required');
    const parsed = parseCatalogFile(text, 'kinds.yaml', createKindRegistry());
    expect(parsed.entities).toEqual([]);
    expect(parsed.errors).toEqual([{ rule: 'kind.definition.schema', message: expect.stringContaining('spec.schema is not a valid JSON Schema'), location: { file: 'kinds.yaml', line: 11, column: 5 } }]);
    const entity = { ...definitionEntity!.entity, spec: { ...definitionEntity!.entity.spec, schema: { type: 'objekt' } } } as Entity;
    const error = errorOf(() => kindDefinitionFromEntity(entity));
    expect(error.code).toBe('CATALOG_KIND_INVALID');
    expect(error.message).toMatch(/^invalid KindDefinition "environment": spec\.schema is not a valid JSON Schema/);
  });

  it('requires the KindDefinition to be named after its kind', () => {
    const text = environmentKind.replace('name: environment', 'name: envs');
    expect(parseCatalogFile(text, 'kinds.yaml', createKindRegistry()).errors).toEqual([
      { rule: 'metadata.name.kind', message: 'metadata.name of a KindDefinition must be its kind in lower case, "environment", got "envs"', location: { file: 'kinds.yaml', line: 5, column: 9 } },
    ]);
    expect(() => kindDefinitionFromEntity({ ...definitionEntity!.entity, metadata: { name: 'envs' } })).toThrow(/must be the kind's name in lower case/);
  });

  it('does not let custom kinds redefine built-in ones or each other', () => {
    const component = kindDefinitionFromConfig({ kind: 'component', apiVersions: ['example.com/v1'], schema: {} });
    expect(errorOf(() => createKindRegistry([component])).message).toBe('kind component is built in and cannot be redefined; choose another kind name');
    const note = kindDefinitionFromConfig({ kind: 'Note', apiVersions: ['example.com/v1'], schema: {} });
    expect(errorOf(() => createKindRegistry([note, { ...note, kind: 'NOTE' }])).code).toBe('CATALOG_KIND_INVALID');
  });

  it('matches kinds case-insensitively in the registry', () => {
    const registry = createKindRegistry();
    expect(registry.get('component')?.kind).toBe('Component');
    expect(registry.get('API')?.kind).toBe('API');
    expect(registry.get('kinddefinition')?.builtIn).toBe(true);
    expect(registry.all().map((k) => k.kind)).toEqual(['Component', 'API', 'Resource', 'System', 'Domain', 'Group', 'User', 'Location', 'Template', 'KindDefinition']);
  });
});
