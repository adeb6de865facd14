import { useEffect, useState } from 'react';
import { ApiError } from '../../api/client.js';
import { deleteEntity, getEntityByName, getEntityStatus, refreshEntity } from '../../api/catalog.js';
import { subscribeToEventsDebounced } from '../../api/events.js';
import type { Actor, Entity, EntityStatus } from '../../api/types.js';
import { roleAtLeast, useActor } from '../../app/auth-context.js';
import { Link, navigate } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { Page } from '../../components/page.js';
import { ApiDefinition } from './api-definition.js';
import { EntityOverview, StatusBanners } from './entity-overview.js';
import { GroupSections, UserSections } from './entity-people.js';
import { EntityPipelines } from './entity-pipelines.js';
import { RelationsList } from './entity-relations.js';
import { EntitySource } from './entity-source.js';
import { RelationsGraph } from './relations-graph.js';
import { displayKind, entityDisplayName, entityRefOf, stringifyEntityRef, type EntityName } from './refs.js';

/** Owners may delete their entities (the server's rule, mirrored to show or hide the button); admins may delete any. */
export function mayDelete(actor: Actor, entity: Entity): boolean {
  if (roleAtLeast(actor.role, 'admin')) return true;
  if (actor.role === 'viewer' || actor.type === 'guest') return false;
  const mine = new Set([`user:default/${actor.name}`.toLowerCase(), ...actor.groups.flatMap((g) => [`group:default/${g}`.toLowerCase(), `group:${g}`.toLowerCase()])]);
  return (entity.relations ?? []).some((r) => r.type === 'ownedBy' && mine.has(r.targetRef.toLowerCase()));
}

/** One entity: what it is, who owns it, its relations (listed and drawn), its API, its source. */
export function EntityPage({ name }: { name: EntityName }) {
  const actor = useActor();
  const entity = useApiData((signal) => getEntityByName(name.kind, name.namespace, name.name, signal), []);
  const status = useApiData((signal) => getEntityStatus(name.kind, name.namespace, name.name, signal), []);
  const { reload: reloadEntity } = entity;
  const { reload: reloadStatus } = status;

  // Ingestion changed something (this entity, or what relates to it): show the new state.
  useEffect(
    () =>
      subscribeToEventsDebounced(['catalog:entities-changed', 'catalog:entity-deleted'], 300, () => {
        reloadEntity();
        reloadStatus();
      }),
    [reloadEntity, reloadStatus],
  );

  const ref = stringifyEntityRef(name);
  if (entity.error !== undefined && !entity.data) {
    const notFound = entity.error instanceof ApiError && entity.error.status === 404;
    return (
      <Page title={notFound ? 'Entity not found' : name.name} before={<Breadcrumbs name={name} />}>
        {notFound ? (
          <EmptyState
            title={`There is no ${displayKind(name.kind)} “${name.name}” in namespace ${name.namespace}`}
            action={
              <Link className="button button--primary" to="/catalog">
                Back to the catalog
              </Link>
            }
          >
            <p>It may have been removed from its descriptor file, or the link is mistyped.</p>
          </EmptyState>
        ) : (
          <ErrorNotice error={entity.error} onRetry={reloadEntity} />
        )}
      </Page>
    );
  }
  if (!entity.data) {
    return (
      <Page title={name.name} before={<Breadcrumbs name={name} />}>
        <Loading label={`Loading ${ref}…`} />
      </Page>
    );
  }
  return <EntityView entity={entity.data} status={status.data} statusError={status.error} name={name} actor={actor} reload={() => (reloadEntity(), reloadStatus())} />;
}

function Breadcrumbs({ name }: { name: EntityName }) {
  return (
    <nav className="breadcrumbs" aria-label="Breadcrumbs">
      <ol>
        <li>
          <Link to="/catalog">Catalog</Link>
        </li>
        <li>
          <Link to={`/catalog?kind=${encodeURIComponent(displayKind(name.kind))}`}>{displayKind(name.kind)}</Link>
        </li>
        <li aria-current="page">{name.name}</li>
      </ol>
    </nav>
  );
}

function EntityView({ entity, status, statusError, name, actor, reload }: { entity: Entity; status: EntityStatus | undefined; statusError: unknown; name: EntityName; actor: Actor; reload: () => void }) {
  const [deleting, setDeleting] = useState(false);
  const [refresh, setRefresh] = useState<{ state: 'idle' | 'busy' | 'done' } | { state: 'error'; error: unknown }>({ state: 'idle' });
  const ref = entityRefOf(entity);
  const kind = entity.kind.toLowerCase();
  const canRefresh = roleAtLeast(actor.role, 'member') && Boolean(status?.source.startsWith('location:'));
  const canDelete = Boolean(entity.metadata.uid) && mayDelete(actor, entity);
  const relationsKey = (entity.relations ?? []).map((r) => `${r.type} ${r.targetRef}`).join('\n');

  const doRefresh = async () => {
    setRefresh({ state: 'busy' });
    try {
      await refreshEntity(ref);
      setRefresh({ state: 'done' });
      window.setTimeout(reload, 1500);
    } catch (error) {
      setRefresh({ state: 'error', error });
    }
  };

  const actions =
    canRefresh || canDelete ? (
      <>
        {canRefresh && (
          <button type="button" className="button" onClick={doRefresh} disabled={refresh.state === 'busy'} title="Read the descriptor file again now">
            {refresh.state === 'busy' ? 'Refreshing…' : 'Refresh'}
          </button>
        )}
        {canDelete && (
          <button type="button" className="button button--danger-ghost" onClick={() => setDeleting(true)}>
            Delete
          </button>
        )}
      </>
    ) : undefined;

  return (
    <Page title={entityDisplayName(entity)} description={entity.metadata.description} actions={actions} before={<Breadcrumbs name={name} />}>
      <p className="entity-subtitle">
        <span className={`kind-badge kind-badge--${kind}`}>{displayKind(entity.kind)}</span>
        {typeof entity.spec?.type === 'string' && <span className="badge badge--neutral badge--plain">{entity.spec.type}</span>}
        <code className="entity-subtitle__ref">{ref}</code>
      </p>
      <div aria-live="polite" className="live-region">
        {refresh.state === 'done' && (
          <p className="notice notice--success small">Refresh scheduled: the descriptor file is read again now, and the page updates when it changes.</p>
        )}
      </div>
      {refresh.state === 'error' && <ErrorNotice error={refresh.error} title="The refresh could not be scheduled" />}
      {statusError !== undefined && <ErrorNotice error={statusError} title="Where this entity comes from could not be loaded" />}
      {status && <StatusBanners status={status} entity={entity} />}

      {kind === 'group' ? (
        <GroupSections entity={entity} about={<EntityOverview entity={entity} status={status} />} />
      ) : kind === 'user' ? (
        <UserSections entity={entity} />
      ) : (
        <div className="entity-grid">
          <EntityOverview entity={entity} status={status} />
          <RelationsList entity={entity} />
        </div>
      )}

      {kind === 'component' && <EntityPipelines entity={entity} status={status} />}

      <RelationsGraph entityRef={ref} relationsKey={relationsKey} />

      {kind === 'group' && <RelationsList entity={entity} />}
      {kind === 'user' && (
        <div className="entity-grid">
          <EntityOverview entity={entity} status={status} />
          <RelationsList entity={entity} />
        </div>
      )}

      {kind === 'api' && <ApiDefinition entity={entity} />}

      <EntitySource entity={entity} status={status} />

      {deleting && (
        <ConfirmDialog
          title={`Delete “${entity.metadata.name}”?`}
          confirmLabel="Delete entity"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await deleteEntity(entity.metadata.uid!);
            navigate('/catalog', { replace: true });
          }}
        >
          <p>
            <code>{ref}</code> leaves the catalog now. If its descriptor file still lists it, the next refresh of its location brings it back: remove it from the file to delete it for good.
          </p>
        </ConfirmDialog>
      )}
    </Page>
  );
}
