import type { ReactNode } from 'react';
import type { Entity, EntityStatus } from '../../api/types.js';
import { TimeText } from '../../components/time-text.js';
import { EntityRefLink, KindBadge, LifecycleBadge } from './entity-ref-link.js';
import { sourceLinkOf } from './entity-source.js';

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value : undefined);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : []);

/** Spec fields that point at other entities, with the kind a bare name means. */
const REF_FIELDS: Array<{ field: string; label: string; defaultKind: string }> = [
  { field: 'owner', label: 'Owner', defaultKind: 'Group' },
  { field: 'system', label: 'System', defaultKind: 'System' },
  { field: 'domain', label: 'Domain', defaultKind: 'Domain' },
  { field: 'subcomponentOf', label: 'Part of', defaultKind: 'Component' },
  { field: 'subdomainOf', label: 'Part of', defaultKind: 'Domain' },
  { field: 'parent', label: 'Parent', defaultKind: 'Group' },
];

/** The About card: kind, type, owner, system, lifecycle, tags, links, labels and annotations. */
export function EntityOverview({ entity, status }: { entity: Entity; status: EntityStatus | undefined }) {
  const spec = entity.spec ?? {};
  const namespace = entity.metadata.namespace ?? 'default';
  const kind = entity.kind.toLowerCase();
  const rows: Array<[string, ReactNode]> = [['Kind', <KindBadge key="k" kind={entity.kind} />]];
  if (str(spec.type)) rows.push(['Type', spec.type as string]);
  for (const f of REF_FIELDS) {
    const value = str(spec[f.field]);
    // A group's parent has its own section on group pages.
    if (value && !(kind === 'group' && f.field === 'parent')) rows.push([f.label, <EntityRefLink key={f.field} entityRef={value} defaultKind={f.defaultKind} defaultNamespace={namespace} showKind={f.field === 'owner' && value.includes(':')} />]);
  }
  if (!str(spec.owner) && ['component', 'api', 'system', 'domain', 'resource'].includes(kind)) rows.push(['Owner', <span key="o" className="muted">No owner</span>]);
  if (str(spec.lifecycle)) rows.push(['Lifecycle', <LifecycleBadge key="l" value={spec.lifecycle as string} />]);
  // A group's contact (a user's profile has its own card).
  const profile = kind === 'group' && spec.profile && typeof spec.profile === 'object' ? (spec.profile as Record<string, unknown>) : undefined;
  const email = str(profile?.email);
  if (email) rows.push(['Email', <a key="e" href={`mailto:${email}`}>{email}</a>]);
  rows.push(['Namespace', <code key="n">{namespace}</code>]);
  const tags = entity.metadata.tags ?? [];
  if (tags.length)
    rows.push([
      'Tags',
      <ul key="t" className="tags">
        {tags.map((t) => (
          <li key={t} className="tag">
            {t}
          </li>
        ))}
      </ul>,
    ]);
  if (kind === 'location') {
    const targets = [...strings(spec.target), ...strings(spec.targets)];
    if (targets.length)
      rows.push([
        'Targets',
        <ul key="targets" className="plain-list">
          {targets.map((t) => (
            <li key={t}>
              <code>{t}</code>
            </li>
          ))}
        </ul>,
      ]);
  }
  if (status?.location) rows.push(['Refreshed', <TimeText key="r" value={status.location.refreshedAt} empty="Not yet" />]);

  const links = entity.metadata.links ?? [];
  const labels = Object.entries(entity.metadata.labels ?? {});
  const annotations = Object.entries(entity.metadata.annotations ?? {});
  const source = sourceLinkOf(entity, status);

  return (
    <section className="card" aria-labelledby="about-title">
      <h2 id="about-title">About</h2>
      <dl className="facts" data-testid="entity-facts">
        {rows.map(([label, value]) => (
          <div key={label} className="facts__row">
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
        {source && (
          <div className="facts__row">
            <dt>Source</dt>
            <dd className="break">
              {source.href ? (
                <a href={source.href} target="_blank" rel="noreferrer noopener">
                  Edit source
                </a>
              ) : (
                <code title="A file on the Plinth server">{source.text}</code>
              )}
            </dd>
          </div>
        )}
      </dl>
      {links.length > 0 && (
        <>
          <h3 className="subheading">Links</h3>
          <ul className="links">
            {links.map((link) => (
              <li key={link.url}>
                <a href={link.url} target="_blank" rel="noreferrer noopener">
                  {link.title || link.url}
                </a>
                {link.type && <span className="muted small"> · {link.type}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      {labels.length > 0 && <KeyValues title="Labels" entries={labels} />}
      {annotations.length > 0 && <KeyValues title="Annotations" entries={annotations} collapsed={annotations.length > 4} />}
    </section>
  );
}

function KeyValues({ title, entries, collapsed = false }: { title: string; entries: Array<[string, string]>; collapsed?: boolean }) {
  const list = (
    <dl className="kv">
      {entries.map(([key, value]) => (
        <div key={key} className="kv__row">
          <dt>{key}</dt>
          <dd>{/^https?:\/\//.test(value) ? <a href={value} target="_blank" rel="noreferrer noopener">{value}</a> : value}</dd>
        </div>
      ))}
    </dl>
  );
  if (collapsed) {
    return (
      <details className="kv-details">
        <summary>
          {title} <span className="count">{entries.length}</span>
        </summary>
        {list}
      </details>
    );
  }
  return (
    <>
      <h3 className="subheading">{title}</h3>
      {list}
    </>
  );
}

function where(problem: { file: string | null; line: number | null; column: number | null }): string | undefined {
  if (!problem.file) return undefined;
  return `${problem.file}${problem.line ? `:${problem.line}${problem.column ? `:${problem.column}` : ''}` : ''}`;
}

/** Orphan, conflict and error banners from the entity's status. */
export function StatusBanners({ status, entity }: { status: EntityStatus; entity: Entity }) {
  const conflicts = status.problems.filter((p) => p.kind === 'conflict');
  const errors = status.problems.filter((p) => p.kind === 'error');
  return (
    <>
      {status.orphan && (
        <div className="notice notice--warning" role="status" data-testid="orphan-banner">
          <p className="notice__title">This entity is an orphan</p>
          <p>
            The location that brought <code>{entity.metadata.name}</code> into the catalog no longer lists it: it was removed from its descriptor file, the file was deleted, or the location was
            unregistered. Plinth keeps orphans instead of deleting them silently, so nothing that others depend on disappears by accident. Put it back in a descriptor file, or delete it here if it is
            gone for good.
          </p>
        </div>
      )}
      {conflicts.length > 0 && (
        <div className="notice notice--warning" role="status" data-testid="conflict-banner">
          <p className="notice__title">
            {conflicts.length === 1 ? 'Another location also defines this entity' : `${conflicts.length} other locations also define this entity`}
          </p>
          <p>The catalog keeps the version it read first; the other definitions are ignored until they are renamed or removed.</p>
          <ul>
            {conflicts.map((p, i) => (
              <li key={i}>
                {p.message}
                {where(p) && (
                  <>
                    {' '}
                    — <code>{where(p)}</code>
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {errors.length > 0 && (
        <div className="notice notice--error" role="alert" data-testid="error-banner">
          <p className="notice__title">{errors.length === 1 ? 'Its descriptor file has an error' : `Its descriptor file has ${errors.length} errors`}</p>
          <p>What the catalog shows may be out of date until the file is fixed.</p>
          <ul>
            {errors.map((p, i) => (
              <li key={i}>
                {where(p) && <code>{where(p)}</code>} {p.message} <span className="muted small">({p.rule})</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
