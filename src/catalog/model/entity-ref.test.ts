import { describe, expect, it } from 'vitest';
import { PlinthError } from '../../core/errors.js';
import { entityRefOf, parseEntityRef, stringifyEntityRef } from './entity-ref.js';

describe('parseEntityRef', () => {
  it('reads all three parts of kind:namespace/name', () => {
    expect(parseEntityRef('component:payments/billing')).toEqual({ kind: 'component', namespace: 'payments', name: 'billing' });
  });

  it('takes the namespace from the context, else default', () => {
    expect(parseEntityRef('group:team-a')).toEqual({ kind: 'group', namespace: 'default', name: 'team-a' });
    expect(parseEntityRef('group:team-a', { defaultNamespace: 'ops' })).toEqual({ kind: 'group', namespace: 'ops', name: 'team-a' });
  });

  it('takes the kind from the context', () => {
    expect(parseEntityRef('team-a', { defaultKind: 'Group' })).toEqual({ kind: 'Group', namespace: 'default', name: 'team-a' });
    expect(parseEntityRef('default/team-a', { defaultKind: 'Group', defaultNamespace: 'alternative' })).toEqual({ kind: 'Group', namespace: 'default', name: 'team-a' });
    expect(parseEntityRef('a:b/c', { defaultKind: 'x', defaultNamespace: 'y' })).toEqual({ kind: 'a', namespace: 'b', name: 'c' });
  });

  it('keeps the case parts were written in', () => {
    expect(parseEntityRef('Component:Default/ArtistWeb')).toEqual({ kind: 'Component', namespace: 'Default', name: 'ArtistWeb' });
  });

  it('accepts the compound form, with defaults for what it leaves out', () => {
    expect(parseEntityRef({ name: 'c' }, { defaultKind: 'x', defaultNamespace: 'y' })).toEqual({ kind: 'x', namespace: 'y', name: 'c' });
    expect(parseEntityRef({ kind: 'a', name: 'c' })).toEqual({ kind: 'a', namespace: 'default', name: 'c' });
  });

  it('rejects a ref without a kind when none can be assumed, saying how to write it', () => {
    expect(() => parseEntityRef('artist-db')).toThrow(/has no kind.*kind:\[namespace\/\]name \(e\.g\. component:artist-db\)/);
    expect(() => parseEntityRef('b/c')).toThrow(PlinthError);
  });

  // Backstage's ref.test.ts: malformed strings and empty parts are errors, not defaults.
  it.each(['a:b:c', 'a/b/c', 'a/b:c', 'a:b/c/d', 'a:b/c:d', ':b/c', 'a:/c', 'a:b/', 'a:/', ':b/', ':/c', ':/', '/c', 'b/', ':c', 'a:', ''])(
    'rejects the malformed ref %j with CATALOG_REF_INVALID',
    (ref) => {
      const error = catchError(() => parseEntityRef(ref, { defaultKind: 'x' }));
      expect(error).toBeInstanceOf(PlinthError);
      expect((error as PlinthError).code).toBe('CATALOG_REF_INVALID');
      expect((error as PlinthError).message).toContain('[kind:][namespace/]name');
    },
  );

  it.each([
    [{ kind: '', namespace: 'b', name: 'c' }, /kind must not be empty/],
    [{ kind: 'a', namespace: '', name: 'c' }, /namespace must not be empty/],
    [{ kind: 'a', namespace: 'b', name: '' }, /must have a name/],
  ])('rejects the compound ref %j', (ref, message) => {
    expect(() => parseEntityRef(ref, { defaultKind: 'x', defaultNamespace: 'y' })).toThrow(message);
  });

  it('rejects what is neither a string nor an object', () => {
    expect(() => parseEntityRef(7 as unknown as string)).toThrow(/got number/);
    expect(() => parseEntityRef(null as unknown as string)).toThrow(/got null/);
  });
});

describe('stringifyEntityRef', () => {
  it('lower-cases kind and namespace and keeps the name as written', () => {
    expect(stringifyEntityRef({ kind: 'Component', namespace: 'Payments', name: 'ArtistWeb' })).toBe('component:payments/ArtistWeb');
  });

  it('writes the default namespace for an entity without one', () => {
    const entity = { apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: 'team-a' } };
    expect(stringifyEntityRef(entity)).toBe('group:default/team-a');
    expect(entityRefOf({ ...entity, metadata: { name: 'team-a', namespace: 'ops' } })).toBe('group:ops/team-a');
  });

  it('round-trips through parseEntityRef', () => {
    const ref = 'api:default/petstore';
    expect(stringifyEntityRef(parseEntityRef(ref))).toBe(ref);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
