import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { RelationGraph } from '../../web/src/api/types.js';
import { summarizeOpenApi } from '../../web/src/pages/catalog/api-definition.js';
import { catalogSearch, filterFor, parseCatalogQuery, toggleFacetValue } from '../../web/src/pages/catalog/catalog-query.js';
import { entityToYaml, sourceLinkOf } from '../../web/src/pages/catalog/entity-source.js';
import { layoutGraph } from '../../web/src/pages/catalog/graph-layout.js';
import { entityPath, humanizeRef, parseEntityRef } from '../../web/src/pages/catalog/refs.js';
import { relationLabel } from '../../web/src/pages/catalog/entity-relations.js';

/** The catalog pages' pure logic, without a browser (the e2e test drives the pages themselves). */

describe('catalog URL state', () => {
  it('round-trips, drops duplicates and unknown values, and starts over on a new filter', () => {
    const query = parseCatalogQuery('?kind=Component&kind=component&owner=team-a&q=%20pay%20&limit=10&page=3&cursor=abc&sort=nope');
    expect(query.selected.kind).toEqual(['Component']);
    expect(query).toMatchObject({ q: 'pay', limit: 10, page: 3, cursor: 'abc', sort: 'metadata.name', order: 'asc' });
    expect(catalogSearch(query)).toBe('?kind=Component&owner=team-a&q=pay&limit=10&page=3&cursor=abc');
    const next = toggleFacetValue(query, 'kind', 'API');
    expect(catalogSearch(next)).toBe('?kind=Component&kind=API&owner=team-a&q=pay&limit=10');
    expect(catalogSearch(toggleFacetValue(next, 'kind', 'component'))).toBe('?kind=API&owner=team-a&q=pay&limit=10');
    expect(parseCatalogQuery('?limit=7&page=2').limit).toBe(25); // not a page size; no cursor → page 1
    expect(parseCatalogQuery('?limit=7&page=2').page).toBe(1);
  });

  it('builds one filter: values of a facet OR, facets AND; a facet is counted without its own selection', () => {
    const { selected } = parseCatalogQuery('?kind=Component&kind=API&owner=team-a&tag=go');
    expect(filterFor(selected)).toEqual(['kind=Component,kind=API,spec.owner=team-a,metadata.tags=go']);
    expect(filterFor(selected, 'kind')).toEqual(['spec.owner=team-a,metadata.tags=go']);
    expect(filterFor(parseCatalogQuery('').selected)).toEqual([]);
  });
});

describe('entity refs', () => {
  it('parses spec values with the kind and namespace they imply, and builds portal paths', () => {
    expect(parseEntityRef('team-a', { kind: 'Group', namespace: 'ops' })).toEqual({ kind: 'Group', namespace: 'ops', name: 'team-a' });
    expect(parseEntityRef('user:default/ann', { kind: 'Group' })).toEqual({ kind: 'user', namespace: 'default', name: 'ann' });
    expect(parseEntityRef('nameonly')).toBeUndefined();
    expect(entityPath({ kind: 'API', namespace: 'default', name: 'a b' })).toBe('/catalog/default/api/a%20b');
    expect(humanizeRef('group:default/team-a')).toBe('group:team-a');
    expect(humanizeRef('group:other/team-a', { defaultKind: 'group' })).toBe('other/team-a');
    expect(relationLabel('apiConsumedBy')).toBe('API consumed by');
    expect(relationLabel('providesApi')).toBe('Provides API');
    expect(relationLabel('ownedBy')).toBe('Owned by');
  });
});

describe('relations graph layout', () => {
  it('draws each related pair once, forward, with the root in the middle and rings by distance', () => {
    const graph: RelationGraph = {
      root: 'component:default/a',
      nodes: ['component:default/a', 'group:default/t', 'api:default/x', 'component:default/b'].map((ref) => ({ ref, entity: null })),
      edges: [
        { source: 'component:default/a', type: 'ownedBy', target: 'group:default/t' },
        { source: 'group:default/t', type: 'ownerOf', target: 'component:default/a' },
        { source: 'component:default/a', type: 'providesApi', target: 'api:default/x' },
        { source: 'api:default/x', type: 'apiConsumedBy', target: 'component:default/b' },
      ],
      truncated: false,
    };
    const layout = layoutGraph(graph);
    expect(layout.edges.map((e) => `${e.source} ${e.type} ${e.target}`).sort()).toEqual([
      'component:default/a ownedBy group:default/t',
      'component:default/a providesApi api:default/x',
      'component:default/b consumesApi api:default/x',
    ]);
    const byRef = new Map(layout.nodes.map((n) => [n.ref, n]));
    expect(byRef.get('component:default/a')).toMatchObject({ level: 0, x: 0, y: 0 });
    expect(byRef.get('group:default/t')!.level).toBe(1);
    expect(byRef.get('component:default/b')!.level).toBe(2);
    expect(Math.hypot(byRef.get('component:default/b')!.x, byRef.get('component:default/b')!.y)).toBeGreaterThan(Math.hypot(byRef.get('api:default/x')!.x, byRef.get('api:default/x')!.y));
    expect(layout.families).toEqual(['ownership', 'provides', 'consumes']);
  });

  it('lays out 500 nodes quickly, without overlapping neighbours on a ring', () => {
    const members = Array.from({ length: 499 }, (_, i) => `user:default/u${i}`);
    const graph: RelationGraph = {
      root: 'group:default/big',
      nodes: [{ ref: 'group:default/big', entity: null }, ...members.map((ref) => ({ ref, entity: null }))],
      edges: members.flatMap((ref) => [
        { source: 'group:default/big', type: 'hasMember', target: ref },
        { source: ref, type: 'memberOf', target: 'group:default/big' },
      ]),
      truncated: false,
    };
    const started = performance.now();
    const layout = layoutGraph(graph);
    expect(performance.now() - started).toBeLessThan(200);
    expect(layout.edges).toHaveLength(499);
    const ring = layout.nodes.filter((n) => n.level === 1);
    expect(ring.every((n) => n.labelMode === 'radial')).toBe(true);
    const gap = Math.hypot(ring[0]!.x - ring[1]!.x, ring[0]!.y - ring[1]!.y);
    expect(gap).toBeGreaterThan(20);
  });
});

describe('API definitions', () => {
  it('lists OpenAPI operations with merged path parameters and local $refs', () => {
    const summary = summarizeOpenApi(
      parse(`openapi: 3.0.3
info: { title: Pets, version: '2' }
servers: [{ url: https://pets.example.com }]
components:
  parameters:
    Limit: { name: limit, in: query, schema: { type: integer } }
paths:
  /pets/{id}:
    parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
    get:
      summary: Get a pet
      parameters: [{ $ref: '#/components/parameters/Limit' }]
      responses: { '200': { description: OK } }
    delete: { responses: { '204': { description: Gone } } }
`),
    );
    expect(summary).toMatchObject({ title: 'Pets', version: '2', specVersion: '3.0.3', servers: ['https://pets.example.com'] });
    expect(summary.operations.map((o) => `${o.method} ${o.path}`)).toEqual(['get /pets/{id}', 'delete /pets/{id}']);
    expect(summary.operations[0]!.parameters.map((p) => `${p.in}:${p.name}:${p.schema}:${p.required}`)).toEqual(['path:id:string:true', 'query:limit:integer:false']);
    expect(() => summarizeOpenApi('just text')).toThrow();
  });
});

describe('entity source', () => {
  const entity = { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'web', uid: 'u', etag: 'e' }, spec: { owner: 'team-a' }, relations: [{ type: 'ownedBy', targetRef: 'group:default/team-a' }] };
  const status = (file: string, line: number | null = 4) => ({ orphan: false, source: 'location:1', location: null, file, line, problems: [] });

  it('renders YAML without the server-made fields', () => {
    const yaml = entityToYaml(entity);
    expect(yaml).toContain('name: web');
    expect(yaml).not.toMatch(/uid|etag|relations/);
  });

  it('links git files to the forge page, shows local paths, and prefers backstage.io/edit-url', () => {
    expect(sourceLinkOf(entity, status('https://github.com/acme/web.git/blob/main/catalog-info.yaml'))).toEqual({
      href: 'https://github.com/acme/web/blob/main/catalog-info.yaml#L4',
      text: 'https://github.com/acme/web.git/blob/main/catalog-info.yaml:4',
    });
    expect(sourceLinkOf(entity, status('/srv/catalog/web.yaml'))).toEqual({ text: '/srv/catalog/web.yaml:4' });
    expect(sourceLinkOf({ ...entity, metadata: { ...entity.metadata, annotations: { 'backstage.io/edit-url': 'https://edit.example.com/web' } } }, status('/x.yaml'))?.href).toBe('https://edit.example.com/web');
    expect(sourceLinkOf(entity, undefined)).toBeUndefined();
  });
});
