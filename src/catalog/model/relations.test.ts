import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { Entity } from './entity.js';
import { createKindRegistry } from './kind-registry.js';
import { relationsOf } from './relations.js';

const registry = createKindRegistry();
const v1 = 'backstage.io/v1alpha1';

function entity(kind: string, name: string, spec: Record<string, unknown>, namespace?: string): Entity {
  return { apiVersion: v1, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec };
}

describe('relationsOf', () => {
  it('emits every Component relation in both directions, with Backstage default kinds', () => {
    const component = entity('Component', 'artist-web', {
      type: 'website',
      lifecycle: 'production',
      owner: 'team-a',
      system: 'artist-engagement-portal',
      subcomponentOf: 'artist-platform',
      providesApis: ['artist-api'],
      consumesApis: ['api:ops/spotify'],
      dependsOn: ['resource:artists-db'],
      dependencyOf: ['component:player'],
    });
    expect(relationsOf(component, registry)).toEqual([
      { source: 'component:default/artist-web', type: 'ownedBy', target: 'group:default/team-a' },
      { source: 'group:default/team-a', type: 'ownerOf', target: 'component:default/artist-web' },
      { source: 'component:default/artist-web', type: 'partOf', target: 'component:default/artist-platform' },
      { source: 'component:default/artist-platform', type: 'hasPart', target: 'component:default/artist-web' },
      { source: 'component:default/artist-web', type: 'providesApi', target: 'api:default/artist-api' },
      { source: 'api:default/artist-api', type: 'apiProvidedBy', target: 'component:default/artist-web' },
      { source: 'component:default/artist-web', type: 'consumesApi', target: 'api:ops/spotify' },
      { source: 'api:ops/spotify', type: 'apiConsumedBy', target: 'component:default/artist-web' },
      { source: 'component:default/artist-web', type: 'dependsOn', target: 'resource:default/artists-db' },
      { source: 'resource:default/artists-db', type: 'dependencyOf', target: 'component:default/artist-web' },
      { source: 'component:default/artist-web', type: 'dependencyOf', target: 'component:default/player' },
      { source: 'component:default/player', type: 'dependsOn', target: 'component:default/artist-web' },
      { source: 'component:default/artist-web', type: 'partOf', target: 'system:default/artist-engagement-portal' },
      { source: 'system:default/artist-engagement-portal', type: 'hasPart', target: 'component:default/artist-web' },
    ]);
  });

  it('resolves refs in the entity’s own namespace unless they name one', () => {
    const component = entity('Component', 'different-namespace', { type: 'service', lifecycle: 'experimental', owner: 'default/team-a', system: 'audio' }, 'alternative');
    expect(relationsOf(component, registry)).toEqual([
      { source: 'component:alternative/different-namespace', type: 'ownedBy', target: 'group:default/team-a' },
      { source: 'group:default/team-a', type: 'ownerOf', target: 'component:alternative/different-namespace' },
      { source: 'component:alternative/different-namespace', type: 'partOf', target: 'system:alternative/audio' },
      { source: 'system:alternative/audio', type: 'hasPart', target: 'component:alternative/different-namespace' },
    ]);
  });

  it('emits the Group, User, System, Domain, Resource, API and Template relations', () => {
    const pairs = (e: Entity) => relationsOf(e, registry).map((r) => `${r.source} ${r.type} ${r.target}`);
    expect(pairs(entity('Group', 'team-a', { type: 'team', parent: 'backstage', children: ['team-a1'], members: ['guest'] }))).toEqual([
      'group:default/team-a childOf group:default/backstage',
      'group:default/backstage parentOf group:default/team-a',
      'group:default/team-a parentOf group:default/team-a1',
      'group:default/team-a1 childOf group:default/team-a',
      'group:default/team-a hasMember user:default/guest',
      'user:default/guest memberOf group:default/team-a',
    ]);
    expect(pairs(entity('User', 'guest', { memberOf: ['team-a', 'group:ops/sre'] }))).toEqual([
      'user:default/guest memberOf group:default/team-a',
      'group:default/team-a hasMember user:default/guest',
      'user:default/guest memberOf group:ops/sre',
      'group:ops/sre hasMember user:default/guest',
    ]);
    expect(pairs(entity('System', 'audio', { owner: 'team-a', domain: 'playback' }))).toContain('system:default/audio partOf domain:default/playback');
    expect(pairs(entity('Domain', 'artists', { owner: 'team-a', subdomainOf: 'music' }))).toContain('domain:default/music hasPart domain:default/artists');
    expect(pairs(entity('Resource', 'db', { type: 'database', owner: 'team-a', system: 'audio', dependsOn: ['resource:disk'] }))).toEqual([
      'resource:default/db ownedBy group:default/team-a',
      'group:default/team-a ownerOf resource:default/db',
      'resource:default/db dependsOn resource:default/disk',
      'resource:default/disk dependencyOf resource:default/db',
      'resource:default/db partOf system:default/audio',
      'system:default/audio hasPart resource:default/db',
    ]);
    expect(pairs(entity('API', 'petstore', { type: 'openapi', owner: 'user:guest', system: 'pets', definition: 'x' }))).toEqual([
      'api:default/petstore ownedBy user:default/guest',
      'user:default/guest ownerOf api:default/petstore',
      'api:default/petstore partOf system:default/pets',
      'system:default/pets hasPart api:default/petstore',
    ]);
    const template = { ...entity('Template', 'react-app', { type: 'website', owner: 'web', steps: [] }), apiVersion: 'scaffolder.backstage.io/v1beta3' };
    expect(pairs(template)).toEqual(['template:default/react-app ownedBy group:default/web', 'group:default/web ownerOf template:default/react-app']);
    expect(pairs(entity('Location', 'root', { targets: ['./a.yaml'] }))).toEqual([]);
  });

  it('removes duplicates and skips refs that do not parse', () => {
    const component = entity('Component', 'x', { type: 't', lifecycle: 'l', owner: 'team-a', consumesApis: ['a', 'a', 'api:a'], dependsOn: ['no-kind', 'a:b:c'] });
    expect(relationsOf(component, registry).filter((r) => r.type === 'consumesApi' || r.type === 'dependsOn')).toEqual([
      { source: 'component:default/x', type: 'consumesApi', target: 'api:default/a' },
    ]);
  });

  it('gives nothing for a kind it does not know', () => {
    expect(relationsOf(entity('Environment', 'dev', { owner: 'team-a' }), registry)).toEqual([]);
  });

  it('is linear: a Group with 10,000 members is related in well under 100 ms', () => {
    const members = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
    const group = entity('Group', 'everyone', { type: 'org', children: [], members });
    relationsOf(entity('Group', 'warm-up', { type: 'org', children: [], members: ['a'] }), registry);
    const started = performance.now();
    const relations = relationsOf(group, registry);
    const elapsed = performance.now() - started;
    expect(relations).toHaveLength(20_000);
    expect(relations[19_999]).toEqual({ source: 'user:default/user-9999', type: 'memberOf', target: 'group:default/everyone' });
    expect(elapsed).toBeLessThan(100);
  });
});
