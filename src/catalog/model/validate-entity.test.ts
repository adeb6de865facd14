import { describe, expect, it } from 'vitest';
import { createKindRegistry } from './kind-registry.js';
import { validateEntity, type EntityFinding } from './validate-entity.js';

const registry = createKindRegistry();

/** A valid Component with every metadata field set (Backstage's FieldFormatEntityPolicy test fixture). */
function component(): Record<string, any> {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'my-component-yay',
      namespace: 'the-namespace',
      title: 'My component',
      description: 'Does things',
      labels: { 'backstage.io/custom': 'ValueStuff' },
      annotations: { 'example.com/bindings': 'are-secret' },
      tags: ['java', 'data-service'],
      links: [{ url: 'https://example.org', title: 'Website', icon: 'website', type: 'home' }],
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a', providesApis: ['petstore'], system: 'audio' },
  };
}

function findings(raw: unknown): EntityFinding[] {
  const result = validateEntity(raw, registry);
  return result.ok ? [] : result.errors;
}

function rulesOf(raw: unknown): string[] {
  return findings(raw).map((f) => f.rule);
}

describe('validateEntity', () => {
  it('accepts a valid entity and returns a copy with the namespace defaulted', () => {
    const raw = component();
    delete raw.metadata.namespace;
    const result = validateEntity(raw, registry);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.entity.metadata.namespace).toBe('default');
    expect(raw.metadata.namespace).toBeUndefined();
    expect(result.entity.spec).toEqual(raw.spec);
  });

  it('matches kinds case-insensitively and spells them as their definition does', () => {
    const result = validateEntity({ ...component(), kind: 'component' }, registry);
    expect(result.ok && result.entity.kind).toBe('Component');
  });

  it('accepts every built-in kind in its minimal form', () => {
    const v1 = 'backstage.io/v1alpha1';
    const minimal = [
      { apiVersion: v1, kind: 'API', metadata: { name: 'a' }, spec: { type: 'openapi', lifecycle: 'production', owner: 'team-a', definition: 'openapi: 3.0.0' } },
      { apiVersion: v1, kind: 'API', metadata: { name: 'mcp' }, spec: { type: 'mcp-server', lifecycle: 'production', owner: 'team-a', remotes: [{ type: 'sse', url: 'http://x' }] } },
      { apiVersion: 'backstage.io/v1beta1', kind: 'Resource', metadata: { name: 'db' }, spec: { type: 'database', owner: 'team-a' } },
      { apiVersion: v1, kind: 'System', metadata: { name: 's' }, spec: { owner: 'team-a' } },
      { apiVersion: v1, kind: 'Domain', metadata: { name: 'd' }, spec: { owner: 'team-a' } },
      { apiVersion: v1, kind: 'Group', metadata: { name: 'g' }, spec: { type: 'team', children: [] } },
      { apiVersion: v1, kind: 'User', metadata: { name: 'u' }, spec: { memberOf: [] } },
      { apiVersion: v1, kind: 'Location', metadata: { name: 'l' }, spec: { targets: ['./a.yaml'] } },
      { apiVersion: 'scaffolder.backstage.io/v1beta3', kind: 'Template', metadata: { name: 't' }, spec: { type: 'service', steps: [] } },
    ];
    for (const raw of minimal) expect(findings(raw), `${raw.kind} ${raw.metadata.name}`).toEqual([]);
  });

  describe('envelope', () => {
    it('rejects what is not a mapping, and documents that are not entities at all', () => {
      expect(rulesOf('hello')).toEqual(['entity.type']);
      expect(rulesOf([1])).toEqual(['entity.type']);
      expect(findings({ openapi: '3.0.0', info: {} })).toEqual([{ rule: 'entity.type', path: [], message: 'this document is not a catalog entity: it has no apiVersion, kind or metadata' }]);
    });

    it('rejects unknown root fields (NoForeignRootFieldsEntityPolicy), but accepts relations and status', () => {
      expect(findings({ ...component(), specs: {} })).toEqual([
        { rule: 'entity.field.unknown', path: ['specs'], message: 'unknown field "specs" at the top of the entity; it may have only apiVersion, kind, metadata and spec' },
      ]);
      expect(rulesOf({ ...component(), relations: [], status: {} })).toEqual([]);
    });

    it('requires apiVersion and kind in their formats', () => {
      const { apiVersion: _a, kind: _k, ...rest } = component();
      expect(rulesOf(rest)).toEqual(['apiVersion.required', 'kind.required']);
      expect(rulesOf({ ...component(), apiVersion: 7 })).toEqual(['apiVersion.format']);
      expect(rulesOf({ ...component(), apiVersion: 'a#b' })).toEqual(['apiVersion.format']);
      expect(rulesOf({ ...component(), kind: 'a#b' })).toEqual(['kind.format']);
    });

    it('names the known kinds and KindDefinition for an unknown kind', () => {
      const [finding] = findings({ ...component(), kind: 'Environment' });
      expect(finding?.rule).toBe('kind.unknown');
      expect(finding?.message).toBe(
        'kind "Environment" is not known (known kinds: API, Component, Domain, Group, KindDefinition, Location, Resource, System, Template, User); define it with a KindDefinition entity (apiVersion plinth.dev/v1alpha1)',
      );
    });

    it('rejects an apiVersion its kind does not accept, naming the supported ones', () => {
      expect(findings({ ...component(), apiVersion: 'backstage.io/v2' })).toEqual([
        { rule: 'apiVersion.unsupported', path: ['apiVersion'], message: 'apiVersion "backstage.io/v2" is not supported for kind Component: use backstage.io/v1alpha1 or backstage.io/v1beta1' },
      ]);
    });

    it('rejects historical Templates with the supported apiVersion, without judging their old spec', () => {
      const old = { apiVersion: 'backstage.io/v1beta2', kind: 'Template', metadata: { name: 'old' }, spec: { owner: 'x', type: 'service', templater: 'cookiecutter' } };
      const result = findings(old);
      expect(result.map((f) => f.rule)).toEqual(['apiVersion.unsupported']);
      expect(result[0]!.message).toContain('Plinth reads templates in scaffolder.backstage.io/v1beta3');
    });
  });

  describe('metadata', () => {
    it('requires metadata with a name', () => {
      expect(rulesOf({ ...component(), metadata: undefined })).toEqual(['metadata.required']);
      expect(rulesOf({ ...component(), metadata: 'x' })).toEqual(['metadata.type']);
      expect(rulesOf({ ...component(), metadata: {} })).toEqual(['metadata.name.required']);
    });

    it('checks the name format and says what is expected', () => {
      const raw = component();
      raw.metadata.name = 'invalid component';
      expect(findings(raw)).toEqual([
        { rule: 'metadata.name.format', path: ['metadata', 'name'], message: 'metadata.name "invalid component" must be 1-63 characters of [a-zA-Z0-9] separated by [-_.]' },
      ]);
      raw.metadata.name = 7;
      expect(findings(raw)[0]!.message).toBe('metadata.name 7 must be 1-63 characters of [a-zA-Z0-9] separated by [-_.]');
      raw.metadata.name = 'a'.repeat(64);
      expect(rulesOf(raw)).toEqual(['metadata.name.format']);
    });

    it('checks the namespace is a DNS label', () => {
      for (const namespace of [7, 'a'.repeat(64), 'Upper', 'a_b']) {
        expect(rulesOf({ ...component(), metadata: { ...component().metadata, namespace } })).toEqual(['metadata.namespace.format']);
      }
    });

    it('checks label keys and values', () => {
      const raw = component();
      raw.metadata.labels = { 'a#b': 'value', a: 'a#b', empty: '' };
      expect(findings(raw)).toEqual([
        { rule: 'metadata.labels.key', path: ['metadata', 'labels', 'a#b'], message: expect.stringContaining('metadata.labels key "a#b" must be an optional lower-case DNS-subdomain prefix') },
        { rule: 'metadata.labels.value', path: ['metadata', 'labels', 'a'], message: 'metadata.labels.a "a#b" must be empty or 1-63 characters of [a-zA-Z0-9] separated by [-_.]' },
      ]);
      expect(rulesOf({ ...component(), metadata: { ...component().metadata, labels: ['x'] } })).toEqual(['metadata.labels.type']);
    });

    it('checks annotation keys, and that values are strings', () => {
      const raw = component();
      raw.metadata.annotations = { 'a#b': 'value', 'github.com/user-id': 123456 };
      expect(findings(raw)).toEqual([
        { rule: 'metadata.annotations.key', path: ['metadata', 'annotations', 'a#b'], message: expect.stringContaining('metadata.annotations key "a#b"') },
        {
          rule: 'metadata.annotations.value',
          path: ['metadata', 'annotations', 'github.com/user-id'],
          message: 'metadata.annotations["github.com/user-id"] 123456 must be a string (quote numbers and booleans)',
        },
      ]);
    });

    it('checks each tag', () => {
      const raw = component();
      raw.metadata.tags = ['go', 'go 1.15.3', 'c++'];
      expect(findings(raw)).toEqual([
        { rule: 'metadata.tags.format', path: ['metadata', 'tags', 1], message: 'metadata.tags[1] "go 1.15.3" must be 1-63 characters of [a-z0-9:+#] separated by [-]' },
      ]);
      expect(rulesOf({ ...component(), metadata: { ...component().metadata, tags: 'java' } })).toEqual(['metadata.tags.type']);
    });

    it('checks links: url required and absolute, title, icon and type when given', () => {
      const withLinks = (links: unknown) => rulesOf({ ...component(), metadata: { ...component().metadata, links } });
      expect(withLinks([])).toEqual([]);
      expect(withLinks([{ url: 'http://foo' }, { url: 'https://bar', icon: 'foo_dashboard' }])).toEqual([]);
      expect(withLinks([{}])).toEqual(['metadata.links.url']);
      expect(withLinks([{ url: 'http://good' }, { url: '' }])).toEqual(['metadata.links.url']);
      expect(withLinks([{ url: 'invalid' }])).toEqual(['metadata.links.url']);
      expect(withLinks([{ url: 'http://foo', title: '' }])).toEqual(['metadata.links.title']);
      expect(withLinks([{ url: 'http://foo', title: 123 }])).toEqual(['metadata.links.title']);
      expect(withLinks([{ url: 'http://foo', icon: 'abc xyz' }])).toEqual(['metadata.links.icon']);
      expect(withLinks([{ url: 'http://foo', type: '' }])).toEqual(['metadata.links.type']);
      expect(withLinks(['http://foo'])).toEqual(['metadata.links.type']);
      expect(findings({ ...component(), metadata: { ...component().metadata, links: [{ url: 'invalid' }] } })[0]).toEqual({
        rule: 'metadata.links.url',
        path: ['metadata', 'links', 0, 'url'],
        message: 'metadata.links[0].url "invalid" must be an absolute URL (e.g. https://example.com/page)',
      });
    });

    it('requires title and description to be strings', () => {
      expect(rulesOf({ ...component(), metadata: { ...component().metadata, title: 5, description: ['x'] } })).toEqual(['metadata.title.type', 'metadata.description.type']);
    });

    it('reports every problem at once', () => {
      const raw = component();
      raw.metadata.name = 'invalid component';
      raw.metadata.tags = ['go 1.15.3'];
      delete raw.spec.owner;
      expect(rulesOf(raw)).toEqual(['metadata.name.format', 'metadata.tags.format', 'spec.schema.required']);
    });
  });

  describe('spec', () => {
    it('requires a spec for built-in kinds, naming its required fields', () => {
      expect(findings({ ...component(), spec: undefined })).toEqual([
        { rule: 'spec.required', path: ['spec'], message: 'spec is required for kind Component (with type, lifecycle, owner)' },
      ]);
      expect(rulesOf({ ...component(), spec: 'x' })).toEqual(['spec.type']);
    });

    // Backstage's ComponentEntityV1alpha1.test.ts, GroupEntityV1alpha1.test.ts and friends.
    it.each([
      ['Component without type', { type: undefined }, 'spec.type is required (Component needs it)'],
      ['Component without lifecycle', { lifecycle: undefined }, 'spec.lifecycle is required (Component needs it)'],
      ['Component without owner', { owner: undefined }, 'spec.owner is required (Component needs it)'],
      ['Component with an empty type', { type: '' }, 'spec.type must not be empty'],
      ['Component with a numeric owner', { owner: 7 }, 'spec.owner must be a string'],
      ['Component with providesApis not a list', { providesApis: 'petstore' }, 'spec.providesApis must be a list'],
      ['Component with an empty providesApis entry', { providesApis: [''] }, 'spec.providesApis[0] must not be empty'],
    ])('rejects a %s', (_name, change, message) => {
      const raw = component();
      for (const [key, value] of Object.entries(change)) {
        if (value === undefined) delete raw.spec[key];
        else raw.spec[key] = value;
      }
      expect(findings(raw).map((f) => f.message)).toEqual([message]);
    });

    it('locates a missing spec field at its own path', () => {
      const raw = component();
      delete raw.spec.owner;
      expect(findings(raw)[0]!.path).toEqual(['spec', 'owner']);
    });

    it('applies each kind its own required fields', () => {
      const v1 = 'backstage.io/v1alpha1';
      expect(findings({ apiVersion: v1, kind: 'API', metadata: { name: 'a' }, spec: { type: 'openapi', lifecycle: 'p', owner: 'o' } }).map((f) => f.message)).toEqual([
        'spec.definition is required (API needs it)',
      ]);
      expect(findings({ apiVersion: v1, kind: 'API', metadata: { name: 'a' }, spec: { type: 'mcp-server', lifecycle: 'p', owner: 'o' } }).map((f) => f.message)).toEqual([
        'spec.remotes is required (API needs it)',
      ]);
      expect(rulesOf({ apiVersion: v1, kind: 'Group', metadata: { name: 'g' }, spec: { type: 'team' } })).toEqual(['spec.schema.required']);
      expect(rulesOf({ apiVersion: v1, kind: 'User', metadata: { name: 'u' }, spec: {} })).toEqual(['spec.schema.required']);
      expect(rulesOf({ apiVersion: v1, kind: 'Resource', metadata: { name: 'r' }, spec: { type: 'db' } })).toEqual(['spec.schema.required']);
      expect(rulesOf({ apiVersion: v1, kind: 'System', metadata: { name: 's' }, spec: {} })).toEqual(['spec.schema.required']);
      expect(rulesOf({ apiVersion: v1, kind: 'Location', metadata: { name: 'l' }, spec: { presence: 'sometimes' } })).toEqual(['spec.schema.enum']);
      expect(rulesOf({ apiVersion: 'scaffolder.backstage.io/v1beta3', kind: 'Template', metadata: { name: 't' }, spec: { type: 'service', steps: [{ name: 'x' }] } })).toEqual([
        'spec.schema.required',
      ]);
    });
  });

  describe('relation refs', () => {
    it('requires a kind in dependsOn refs, as Backstage does', () => {
      const raw = component();
      raw.spec.dependsOn = ['resource:artists-db', 'artists-db'];
      expect(findings(raw)).toEqual([
        {
          rule: 'spec.ref',
          path: ['spec', 'dependsOn', 1],
          message: 'spec.dependsOn[1]: entity ref "artists-db" has no kind, and none can be assumed here; write it as kind:[namespace/]name (e.g. component:artists-db)',
        },
      ]);
    });

    it('rejects malformed refs', () => {
      const raw = component();
      raw.spec.system = 'a:b:c';
      expect(rulesOf(raw)).toEqual(['spec.ref']);
    });

    it('requires owners to be groups or users', () => {
      const raw = component();
      raw.spec.owner = 'component:other';
      expect(findings(raw)).toEqual([{ rule: 'spec.ref.kind', path: ['spec', 'owner'], message: 'spec.owner "component:other" must refer to Group or User, not component' }]);
      raw.spec.owner = 'user:guest';
      expect(rulesOf(raw)).toEqual([]);
      raw.spec.owner = 'petstore@example.com';
      expect(rulesOf(raw)).toEqual([]);
    });
  });
});
