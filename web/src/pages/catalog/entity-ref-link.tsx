import { Link } from '../../app/router.js';
import { displayKind, entityPath, humanizeRef, kindClass, parseEntityRef } from './refs.js';

/** A link to an entity's page from a ref or a spec value (`team-a` with defaultKind Group). */
export function EntityRefLink({
  entityRef,
  defaultKind,
  defaultNamespace,
  label,
  showKind = true,
}: {
  entityRef: string;
  defaultKind?: string;
  defaultNamespace?: string;
  label?: string;
  showKind?: boolean;
}) {
  const name = parseEntityRef(entityRef, { kind: defaultKind, namespace: defaultNamespace });
  if (!name) return <span className="mono">{entityRef}</span>;
  const text = label ?? humanizeRef(entityRef, { defaultKind: showKind ? undefined : name.kind, defaultNamespace });
  return (
    <Link to={entityPath(name)} className="entity-ref" title={`${displayKind(name.kind)} ${name.namespace}/${name.name}`}>
      <span className={`kind-dot kind-dot--${kindClass(name.kind)}`} aria-hidden="true" />
      <span>{text}</span>
    </Link>
  );
}

export function KindBadge({ kind }: { kind: string }) {
  return <span className={`kind-badge kind-badge--${kindClass(kind)}`}>{displayKind(kind)}</span>;
}

export function LifecycleBadge({ value }: { value: string }) {
  const tone = value === 'production' ? 'success' : value === 'deprecated' ? 'warning' : value === 'experimental' ? 'accent' : 'neutral';
  return <span className={`badge badge--${tone} badge--plain`}>{value}</span>;
}
