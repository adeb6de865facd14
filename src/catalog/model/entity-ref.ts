import { PlinthError } from '../../core/errors.js';
import { DEFAULT_NAMESPACE, type Entity } from './entity.js';

/** All three parts of an entity's identity. */
export interface CompoundEntityRef {
  kind: string;
  namespace: string;
  name: string;
}

/** Defaults for the parts a ref leaves out, e.g. `owner: team-a` means `group:<own namespace>/team-a`. */
export interface EntityRefContext {
  defaultKind?: string;
  defaultNamespace?: string;
}

// [kind:][namespace/]name, each part non-empty and free of the separators (Backstage's ADR009 form).
const REF_PATTERN = /^(?:([^:/]+):)?(?:([^:/]+)\/)?([^:/]+)$/;

/**
 * The parts of a string ref as written (undefined when left out), or undefined when it is not of the
 * form `[kind:][namespace/]name`. No defaults, no exceptions: for hot loops over many refs.
 */
export function splitEntityRef(ref: string): { kind: string | undefined; namespace: string | undefined; name: string } | undefined {
  const match = REF_PATTERN.exec(ref);
  return match ? { kind: match[1], namespace: match[2], name: match[3]! } : undefined;
}

/**
 * Parses `[kind:][namespace/]name` (or the compound `{ kind?, namespace?, name }`) into all three
 * parts, taking missing ones from the context. The namespace falls back to `default`; a missing kind
 * without a `defaultKind` is an error, as it is in Backstage. Parts keep the case they were written in.
 */
export function parseEntityRef(ref: string | { kind?: string; namespace?: string; name: string }, context: EntityRefContext = {}): CompoundEntityRef {
  let kind: string | undefined;
  let namespace: string | undefined;
  let name: string;
  if (typeof ref === 'string') {
    const parts = splitEntityRef(ref);
    if (!parts) {
      throw invalid(`entity ref "${ref}" must be [kind:][namespace/]name, each part non-empty and without ':' or '/' (e.g. component:default/artist-web)`);
    }
    ({ kind, namespace, name } = parts);
  } else if (typeof ref === 'object' && ref !== null) {
    ({ kind, namespace, name } = ref);
    if (kind === '') throw invalid('entity ref kind must not be empty');
    if (namespace === '') throw invalid('entity ref namespace must not be empty');
    if (typeof name !== 'string' || name === '') throw invalid('entity ref must have a name');
  } else {
    throw invalid(`entity ref must be a string [kind:][namespace/]name or an object with a name, got ${describeValue(ref)}`);
  }
  kind ??= context.defaultKind;
  namespace ??= context.defaultNamespace || DEFAULT_NAMESPACE;
  if (!kind) {
    const written = typeof ref === 'string' ? ref : JSON.stringify(ref);
    throw invalid(`entity ref "${written}" has no kind, and none can be assumed here; write it as kind:[namespace/]name (e.g. component:${name})`);
  }
  return { kind, namespace, name };
}

/**
 * The canonical string form `kind:namespace/name`: kind and namespace lower-cased, the namespace
 * `default` when none is given, the name as written.
 */
export function stringifyEntityRef(ref: CompoundEntityRef | Entity): string {
  if ('metadata' in ref && typeof ref.metadata === 'object' && ref.metadata !== null) {
    const entity = ref as Entity;
    return formatRef(entity.kind, entity.metadata.namespace || DEFAULT_NAMESPACE, entity.metadata.name);
  }
  const compound = ref as CompoundEntityRef;
  return formatRef(compound.kind, compound.namespace || DEFAULT_NAMESPACE, compound.name);
}

/** The stringified ref of an entity (`component:default/artist-web`). */
export function entityRefOf(entity: Entity): string {
  return stringifyEntityRef(entity);
}

function formatRef(kind: string, namespace: string, name: string): string {
  return `${kind.toLocaleLowerCase('en-US')}:${namespace.toLocaleLowerCase('en-US')}/${name}`;
}

function invalid(message: string): PlinthError {
  return new PlinthError('CATALOG_REF_INVALID', message);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value;
}
