import type { Entity } from '../../api/types.js';

/** What identifies an entity: kind, namespace and name. */
export interface EntityName {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Parses `kind:namespace/name`, `kind:name`, `namespace/name` or `name` (as written in specs, e.g.
 * `spec.owner: team-a`), filling in the kind and namespace the field implies.
 */
export function parseEntityRef(ref: string, defaults: { kind?: string; namespace?: string } = {}): EntityName | undefined {
  const text = ref.trim();
  if (!text) return undefined;
  const colon = text.indexOf(':');
  const kind = colon > 0 ? text.slice(0, colon) : defaults.kind;
  const rest = colon > 0 ? text.slice(colon + 1) : text;
  const slash = rest.indexOf('/');
  const namespace = slash > 0 ? rest.slice(0, slash) : (defaults.namespace ?? 'default');
  const name = slash > 0 ? rest.slice(slash + 1) : rest;
  if (!kind || !name) return undefined;
  return { kind, namespace, name };
}

/** The server's form: `component:default/web`, lower case. */
export function stringifyEntityRef(name: EntityName): string {
  return `${name.kind}:${name.namespace}/${name.name}`.toLowerCase();
}

export function entityNameOf(entity: Pick<Entity, 'kind' | 'metadata'>): EntityName {
  return { kind: entity.kind, namespace: entity.metadata.namespace ?? 'default', name: entity.metadata.name };
}

export const entityRefOf = (entity: Pick<Entity, 'kind' | 'metadata'>) => stringifyEntityRef(entityNameOf(entity));

/** The portal page of an entity: `/catalog/<namespace>/<kind>/<name>`. */
export function entityPath(name: EntityName): string {
  return `/catalog/${encodeURIComponent(name.namespace.toLowerCase())}/${encodeURIComponent(name.kind.toLowerCase())}/${encodeURIComponent(name.name)}`;
}

export function entityPathOfRef(ref: string): string | undefined {
  const name = parseEntityRef(ref);
  return name ? entityPath(name) : undefined;
}

/** Short, readable form: the default namespace is left out (`group:team-a`), so is a kind the context implies. */
export function humanizeRef(ref: string, options: { defaultKind?: string; defaultNamespace?: string } = {}): string {
  const name = parseEntityRef(ref, { kind: options.defaultKind, namespace: options.defaultNamespace });
  if (!name) return ref;
  const namespace = name.namespace.toLowerCase() === (options.defaultNamespace ?? 'default').toLowerCase() ? '' : `${name.namespace}/`;
  const kind = options.defaultKind && name.kind.toLowerCase() === options.defaultKind.toLowerCase() ? '' : `${name.kind.toLowerCase()}:`;
  return `${kind}${namespace}${name.name}`;
}

/** The kind written as people do: `Component`, `API`; from a lower-case ref kind too. */
export function displayKind(kind: string): string {
  const known = KNOWN_KINDS.find((k) => k.toLowerCase() === kind.toLowerCase());
  return known ?? (kind ? kind[0]!.toUpperCase() + kind.slice(1) : kind);
}

export const KNOWN_KINDS = ['Component', 'API', 'System', 'Domain', 'Resource', 'Group', 'User', 'Location', 'Template'] as const;

/** A CSS-safe class suffix for a kind (`component`, `api`, `other`). */
export function kindClass(kind: string | undefined): string {
  const lower = (kind ?? '').toLowerCase();
  return KNOWN_KINDS.some((k) => k.toLowerCase() === lower) ? lower : 'other';
}

export function entityDisplayName(entity: Pick<Entity, 'metadata' | 'spec'>): string {
  const profile = entity.spec?.profile as { displayName?: unknown } | undefined;
  const title = entity.metadata.title ?? (typeof profile?.displayName === 'string' ? profile.displayName : undefined);
  return title?.trim() || entity.metadata.name;
}
