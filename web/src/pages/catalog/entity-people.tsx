import { useEffect, useState, type ReactNode } from 'react';
import { getEntitiesByRefs, getEntityFacets, queryEntities } from '../../api/catalog.js';
import type { Entity, EntityPage } from '../../api/types.js';
import { Link } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { EntityRefLink, KindBadge, LifecycleBadge } from './entity-ref-link.js';
import { displayKind, entityDisplayName, entityNameOf, entityPath, entityRefOf, humanizeRef, parseEntityRef } from './refs.js';

const REF_PAGE = 50;
const OWNED_PAGE = 25;
const PERSON_FIELDS = ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title', 'metadata.description', 'spec.type', 'spec.profile'];
const OWNED_FIELDS = ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title', 'metadata.description', 'spec.type', 'spec.lifecycle', 'spec.owner'];

const targetsOf = (entity: Entity, type: string) => (entity.relations ?? []).filter((r) => r.type === type).map((r) => r.targetRef);

interface Profile {
  displayName?: string;
  email?: string;
  picture?: string;
}

function profileOf(entity: Entity | null | undefined): Profile {
  const raw = entity?.spec?.profile;
  if (!raw || typeof raw !== 'object') return {};
  const p = raw as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v : undefined);
  return { displayName: str(p.displayName), email: str(p.email), picture: str(p.picture) };
}

function initials(text: string): string {
  const parts = text.split(/[\s._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]![0] ?? '') : '')).toUpperCase();
}

function Avatar({ name, picture }: { name: string; picture?: string }) {
  if (picture && /^https?:\/\//i.test(picture)) return <img className="avatar" src={picture} alt="" width="32" height="32" />;
  return (
    <span className="avatar" aria-hidden="true">
      {initials(name)}
    </span>
  );
}

/** A Group's page: who is in it, where it sits in the organisation and what it owns. */
export function GroupSections({ entity, about }: { entity: Entity; about: ReactNode }) {
  const ref = entityRefOf(entity);
  return (
    <>
      <div className="entity-grid">
        {about}
        <div className="stack">
          <RefSection id="parent" title="Parent group" refs={targetsOf(entity, 'childOf')} empty="A top-level group." />
          <RefSection id="subgroups" title="Sub-groups" refs={targetsOf(entity, 'parentOf')} empty="No sub-groups." />
        </div>
      </div>
      <RefSection id="members" title="Members" refs={targetsOf(entity, 'hasMember')} empty="No members. Users join a group with spec.memberOf, or the group lists them in spec.members." />
      <OwnedEntities owners={[ref]} title="Owned entities" />
    </>
  );
}

/** A User's page: their profile, their groups, and what they and their groups own. */
export function UserSections({ entity }: { entity: Entity }) {
  const ref = entityRefOf(entity);
  const groups = targetsOf(entity, 'memberOf');
  const profile = profileOf(entity);
  return (
    <>
      <div className="entity-grid">
        <section className="card profile" aria-labelledby="profile-title">
          <h2 id="profile-title">Profile</h2>
          <div className="profile__body">
            <Avatar name={profile.displayName ?? entity.metadata.name} picture={profile.picture} />
            <dl className="facts">
              <dt>Name</dt>
              <dd>{profile.displayName ?? <span className="muted">—</span>}</dd>
              <dt>User name</dt>
              <dd>
                <code>{entity.metadata.name}</code>
              </dd>
              <dt>Email</dt>
              <dd>{profile.email ? <a href={`mailto:${profile.email}`}>{profile.email}</a> : <span className="muted">—</span>}</dd>
            </dl>
          </div>
        </section>
        <RefSection id="groups" title="Groups" refs={groups} empty="Not a member of any group. Add groups in spec.memberOf." />
      </div>
      <OwnedEntities owners={[ref, ...groups]} title="Owned entities" showOwner description="Owned by this user or by one of their groups." />
    </>
  );
}

/** Entities named by refs (from relations), with their display names, fetched a page at a time. */
function RefSection({ id, title, refs, empty }: { id: string; title: string; refs: string[]; empty: string }) {
  const [shown, setShown] = useState(REF_PAGE);
  const visible = refs.slice(0, shown);
  const details = useApiData((signal) => getEntitiesByRefs(visible, PERSON_FIELDS, signal), [visible.join('\n')]);
  // Keep what is on screen while the next page loads.
  const [known, setKnown] = useState<Map<string, Entity | null>>(new Map());
  useEffect(() => {
    if (!details.data) return;
    const data = details.data;
    setKnown((current) => {
      const next = new Map(current);
      visible.forEach((ref, i) => next.set(ref, data[i] ?? null));
      return next;
    });
    // `visible` is derived from `details`' own deps.
  }, [details.data]);

  const titleId = `${id}-title`;
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>
        {title} <span className="count">{refs.length}</span>
      </h2>
      {details.error !== undefined && <ErrorNotice error={details.error} onRetry={details.reload} />}
      {refs.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="people" aria-labelledby={titleId}>
          {visible.map((ref) => {
            const entity = known.get(ref);
            const name = parseEntityRef(ref);
            const profile = profileOf(entity);
            const label = entity ? entityDisplayName(entity) : (name?.name ?? ref);
            return (
              <li key={ref} className="person">
                <Avatar name={label} picture={profile.picture} />
                <div className="person__text">
                  {name ? <Link to={entityPath(name)}>{label}</Link> : <span>{label}</span>}
                  <span className="muted small">
                    {entity === null ? (
                      'not in the catalog'
                    ) : entity === undefined ? (
                      humanizeRef(ref)
                    ) : (
                      <>
                        {profile.email ?? humanizeRef(ref)}
                        {typeof entity.spec?.type === 'string' && ` · ${entity.spec.type}`}
                      </>
                    )}
                  </span>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {refs.length > shown && (
        <button type="button" className="button button--small" onClick={() => setShown(shown + REF_PAGE)} disabled={details.loading}>
          {details.loading ? 'Loading…' : `Show more (${refs.length - shown} left)`}
        </button>
      )}
    </section>
  );
}

/** What the owners own, straight from the catalog (`relations.ownedBy`), by kind, a page at a time. */
function OwnedEntities({ owners, title, description, showOwner = false }: { owners: string[]; title: string; description?: string; showOwner?: boolean }) {
  const [kind, setKind] = useState<string>();
  const ownerFilter = owners.map((o) => `relations.ownedby=${o}`).join(',');
  const filter = [kind ? `kind=${kind},${ownerFilter}` : ownerFilter];
  const kinds = useApiData((signal) => getEntityFacets(['kind'], [ownerFilter], signal), [ownerFilter]);
  const first = useApiData((signal) => queryEntities({ filter, fields: OWNED_FIELDS, orderField: 'metadata.name,asc', limit: OWNED_PAGE }, signal), [ownerFilter, kind]);
  const [more, setMore] = useState<EntityPage[]>([]);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>();
  useEffect(() => setMore([]), [first.data]);

  const pages = first.data ? [first.data, ...more] : [];
  const items = pages.flatMap((p) => p.items);
  const nextCursor = pages[pages.length - 1]?.pageInfo.nextCursor;
  const total = first.data?.totalItems ?? 0;
  const kindCounts = kinds.data?.kind ?? [];
  const allCount = kindCounts.reduce((sum, k) => sum + k.count, 0);

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await queryEntities({ cursor: nextCursor });
      setMore((m) => [...m, page]);
    } catch (error) {
      setMoreError(error);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <section className="card" aria-labelledby="owned-title" aria-busy={first.loading}>
      <div className="card__header">
        <h2 id="owned-title">
          {title} {kinds.data && <span className="count">{allCount}</span>}
        </h2>
      </div>
      {description && <p className="muted small">{description}</p>}
      {kindCounts.length > 1 && (
        <div className="chips" role="group" aria-label="Show owned entities of kind">
          <button type="button" className="chip" aria-pressed={kind === undefined} onClick={() => setKind(undefined)}>
            All <span className="chip__count">{allCount}</span>
          </button>
          {kindCounts.map((k) => (
            <button key={k.value} type="button" className="chip" aria-pressed={kind?.toLowerCase() === k.value.toLowerCase()} onClick={() => setKind(k.value)}>
              {displayKind(k.value)} <span className="chip__count">{k.count}</span>
            </button>
          ))}
        </div>
      )}
      {first.error !== undefined && <ErrorNotice error={first.error} onRetry={first.reload} />}
      {!first.data && first.loading && <Loading label="Loading owned entities…" />}
      {first.data && items.length === 0 && (
        <EmptyState title="Owns nothing yet">
          <p>
            Entities name their owner in <code>spec.owner</code>.
          </p>
        </EmptyState>
      )}
      {items.length > 0 && (
        <div className={first.loading ? 'table-wrap table-wrap--flat table-wrap--stale' : 'table-wrap table-wrap--flat'}>
          <table className="table" aria-label={title}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Type</th>
                <th scope="col">Lifecycle</th>
                {showOwner && <th scope="col">Owner</th>}
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {items.map((entity) => {
                const name = entityNameOf(entity);
                return (
                  <tr key={entityRefOf(entity)}>
                    <th scope="row">
                      <Link to={entityPath(name)}>{entityDisplayName(entity)}</Link>
                    </th>
                    <td>
                      <KindBadge kind={entity.kind} />
                    </td>
                    <td>{typeof entity.spec?.type === 'string' ? entity.spec.type : <span className="muted">—</span>}</td>
                    <td>{typeof entity.spec?.lifecycle === 'string' ? <LifecycleBadge value={entity.spec.lifecycle} /> : <span className="muted">—</span>}</td>
                    {showOwner && <td>{typeof entity.spec?.owner === 'string' ? <EntityRefLink entityRef={entity.spec.owner} defaultKind="Group" defaultNamespace={name.namespace} showKind={false} /> : '—'}</td>}
                    <td className="cell-description">{entity.metadata.description ?? ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {moreError !== undefined && <ErrorNotice error={moreError} />}
      {items.length > 0 && (
        <div className="pager">
          <span className="muted small">
            {items.length} of {total} shown
          </span>
          {nextCursor && (
            <button type="button" className="button button--small" onClick={loadMore} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Show more'}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
