import { useCallback, useEffect, useRef, useState, type FormEvent, type MouseEvent } from 'react';
import { getEntityFacets, queryEntities } from '../../api/catalog.js';
import { subscribeToEventsDebounced } from '../../api/events.js';
import type { Entity, FacetCount } from '../../api/types.js';
import { roleAtLeast, useActor } from '../../app/auth-context.js';
import { Link, navigate, useLocation } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Page } from '../../components/page.js';
import { COLUMNS, fieldsFor, useCatalogColumns, type ColumnId } from './catalog-columns.js';
import {
  catalogSearch,
  clearFilters,
  FACETS,
  filterFor,
  firstPage,
  isFiltered,
  PAGE_SIZES,
  parseCatalogQuery,
  toggleFacetValue,
  type CatalogQuery,
  type FacetParam,
} from './catalog-query.js';
import { EntityRefLink, KindBadge, LifecycleBadge } from './entity-ref-link.js';
import { RegisterLocationDialog } from './register-location-dialog.js';
import { displayKind, entityDisplayName, entityNameOf, entityPath, entityRefOf } from './refs.js';

const CATALOG_PATH = '/catalog';
const SEARCH_DEBOUNCE_MS = 300;
const FACET_VALUES_SHOWN = 8;
const SKELETON_ROWS = 8;

const go = (query: CatalogQuery, options: { replace?: boolean } = {}) => navigate(CATALOG_PATH + catalogSearch(query), options);

/** The catalog: a server-paginated table with facets, search and a column chooser; its state lives in the URL. */
export function CatalogList() {
  const actor = useActor();
  const { search } = useLocation();
  const query = parseCatalogQuery(search);
  const queryKey = catalogSearch(query);
  const { columns, toggle, reset } = useCatalogColumns();
  const fields = fieldsFor(columns);
  const [registering, setRegistering] = useState(false);

  const fieldsKey = fields.join(',');
  const entities = useApiData(
    async (signal) => ({
      queryKey,
      fieldsKey,
      page: await queryEntities(
        { filter: filterFor(query.selected), fields, orderField: `${query.sort},${query.order}`, limit: query.limit, fullTextFilterTerm: query.q, cursor: query.cursor },
        signal,
      ),
    }),
    [queryKey, fieldsKey],
  );
  // The rows on screen answer this URL's query (not the one before it, still shown while loading).
  const current = entities.data?.queryKey === queryKey && entities.data.fieldsKey === fieldsKey;

  // Facet counts under the current filter; a facet with a selection is counted without its own
  // selection, so its other values stay visible and can be added (OR).
  const selectionKey = JSON.stringify(query.selected);
  const facets = useApiData(async (signal) => {
    const selected = query.selected;
    const unselected = FACETS.filter((f) => selected[f.param].length === 0).map((f) => f.field);
    const requests = [
      ...(unselected.length ? [getEntityFacets(unselected, filterFor(selected), signal)] : []),
      ...FACETS.filter((f) => selected[f.param].length > 0).map((f) => getEntityFacets([f.field], filterFor(selected, f.param), signal)),
    ];
    return Object.assign({}, ...(await Promise.all(requests))) as Record<string, FacetCount[]>;
  }, [selectionKey]);

  // A cursor carries its query's fields: after changing columns, start again from the first page.
  const previousColumns = useRef(columns);
  useEffect(() => {
    if (previousColumns.current !== columns && query.cursor) go(firstPage(query), { replace: true });
    previousColumns.current = columns;
  });

  const { reload: reloadEntities } = entities;
  const { reload: reloadFacets } = facets;
  const reloadAll = useCallback(() => {
    reloadEntities();
    reloadFacets();
  }, [reloadEntities, reloadFacets]);

  // Ingestion added, changed or removed entities: refresh what is on screen.
  useEffect(() => subscribeToEventsDebounced(['catalog:entities-changed', 'catalog:entity-deleted'], 400, reloadAll), [reloadAll]);

  const mayRegister = roleAtLeast(actor.role, 'member');
  const page = entities.data?.page;
  const busy = entities.loading || !current;
  const filtered = isFiltered(query);
  const start = (query.page - 1) * query.limit + 1;

  return (
    <Page
      title="Catalog"
      description="Every component, API, system, team and person Plinth knows — who owns it and how it fits together."
      className="page--wide"
      actions={
        mayRegister ? (
          <button type="button" className="button button--primary" onClick={() => setRegistering(true)}>
            Register
          </button>
        ) : undefined
      }
    >
      <div className="catalog">
        <aside className="catalog__facets" aria-label="Filters">
          <div className="catalog__facets-header">
            <h2 className="facets-title">Filters</h2>
            {filtered && (
              <button type="button" className="button button--ghost button--small" onClick={() => go(clearFilters(query))}>
                Clear all
              </button>
            )}
          </div>
          {facets.error !== undefined && <ErrorNotice error={facets.error} onRetry={reloadFacets} title="Filters could not be loaded" />}
          {FACETS.map((facet) => (
            <FacetGroup
              key={facet.param}
              param={facet.param}
              label={facet.label}
              counts={facets.data?.[facet.field]}
              selected={query.selected[facet.param]}
              loading={!facets.data && facets.loading}
              onToggle={(value) => go(toggleFacetValue(query, facet.param, value))}
            />
          ))}
          {query.q && facets.data && <p className="muted small">Counts are for the filters; the search narrows the list further.</p>}
        </aside>

        <section className="catalog__results" aria-labelledby="results-title" aria-busy={busy} data-query={page ? entities.data?.queryKey : undefined}>
          <h2 id="results-title" className="visually-hidden">
            Entities
          </h2>
          <div className="catalog__toolbar">
            <SearchBox value={query.q} onSearch={(q) => go({ ...firstPage(query), q }, { replace: query.q !== '' && q !== '' })} />
            <p className="catalog__total muted" aria-live="polite" aria-atomic="true">
              {page ? (
                <>
                  <strong>{page.totalItems}</strong> {page.totalItems === 1 ? 'entity' : 'entities'}
                  {filtered ? ' match' : ''}
                </>
              ) : (
                ' '
              )}
            </p>
            <ColumnChooser columns={columns} onToggle={toggle} onReset={reset} />
          </div>

          {entities.error !== undefined && <ErrorNotice error={entities.error} onRetry={reloadEntities} />}

          {page && page.items.length === 0 && !busy ? (
            filtered ? (
              <EmptyState
                title="No entities match"
                action={
                  <button type="button" className="button button--primary" onClick={() => go(clearFilters(query))}>
                    Clear filters
                  </button>
                }
              >
                <p>
                  Nothing in the catalog matches {query.q ? `“${query.q}”` : 'these filters'}
                  {query.q && FACETS.some((f) => query.selected[f.param].length > 0) ? ' with these filters' : ''}.
                </p>
              </EmptyState>
            ) : (
              <EmptyState
                title="The catalog is empty"
                action={
                  mayRegister ? (
                    <button type="button" className="button button--primary" onClick={() => setRegistering(true)}>
                      Register a location
                    </button>
                  ) : undefined
                }
              >
                <p>
                  Describe a service in a <code>catalog-info.yaml</code> (Backstage format) and register it{mayRegister ? '' : ' — ask a member to do it'}.
                </p>
              </EmptyState>
            )
          ) : (
            (page || busy) && (
              <EntityTable
                entities={page?.items}
                columns={columns}
                query={query}
                stale={busy && Boolean(page)}
                skeletonRows={Math.min(query.limit, SKELETON_ROWS)}
              />
            )
          )}

          {page && page.items.length > 0 && (
            <div className="pager">
              <span className="muted">
                {start}–{start + page.items.length - 1} of {page.totalItems}
              </span>
              <div className="pager__controls">
                <label className="pager__size">
                  Rows per page
                  <select value={query.limit} onChange={(e) => go({ ...firstPage(query), limit: Number(e.target.value) })}>
                    {PAGE_SIZES.map((size) => (
                      <option key={size} value={size}>
                        {size}
                      </option>
                    ))}
                  </select>
                </label>
                <button
                  type="button"
                  className="button button--small"
                  disabled={query.page <= 1 || busy}
                  onClick={() => go(query.page <= 2 || !page.pageInfo.prevCursor ? firstPage(query) : { ...query, page: query.page - 1, cursor: page.pageInfo.prevCursor })}
                >
                  ← Previous
                </button>
                <button
                  type="button"
                  className="button button--small"
                  disabled={!page.pageInfo.nextCursor || busy}
                  onClick={() => page.pageInfo.nextCursor && go({ ...query, page: query.page + 1, cursor: page.pageInfo.nextCursor })}
                >
                  Next →
                </button>
              </div>
            </div>
          )}
        </section>
      </div>

      {registering && <RegisterLocationDialog onClose={() => setRegistering(false)} onRegistered={reloadAll} />}
    </Page>
  );
}

/** Full-text search, sent to the URL after a pause in typing (or at once on Enter). */
function SearchBox({ value, onSearch }: { value: string; onSearch: (q: string) => void }) {
  const [text, setText] = useState(value);
  const sent = useRef(value);
  const onSearchRef = useRef(onSearch);
  onSearchRef.current = onSearch;

  // The URL changed elsewhere (Back, Clear filters): show its search.
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setText(value);
    }
  }, [value]);

  const send = useCallback((q: string) => {
    if (q === sent.current) return;
    sent.current = q;
    onSearchRef.current(q);
  }, []);

  useEffect(() => {
    const timer = window.setTimeout(() => send(text.trim()), SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text, send]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    send(text.trim());
  };

  return (
    <form className="catalog__search" role="search" onSubmit={submit}>
      <label htmlFor="catalog-search" className="visually-hidden">
        Search the catalog
      </label>
      <svg className="catalog__search-icon" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true" focusable="false">
        <circle cx="11" cy="11" r="7" />
        <path d="M20 20l-3.5-3.5" />
      </svg>
      <input
        id="catalog-search"
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && text) {
            e.preventDefault();
            setText('');
            send('');
          }
        }}
        placeholder="Search names, titles, descriptions, tags…"
        autoComplete="off"
        spellCheck={false}
      />
    </form>
  );
}

function FacetGroup({
  param,
  label,
  counts,
  selected,
  loading,
  onToggle,
}: {
  param: FacetParam;
  label: string;
  counts: FacetCount[] | undefined;
  selected: string[];
  loading: boolean;
  onToggle: (value: string) => void;
}) {
  const [expanded, setExpanded] = useState(false);
  const isSelected = (value: string) => selected.some((s) => s.toLowerCase() === value.toLowerCase());
  // Selected values stay listed (with 0) even when nothing has them any more, so they can be unticked.
  const values = [...(counts ?? []), ...selected.filter((s) => !(counts ?? []).some((c) => c.value.toLowerCase() === s.toLowerCase())).map((value) => ({ value, count: 0 }))];
  if (!loading && values.length === 0) return null;
  const shown = expanded ? values : values.filter((v, i) => i < FACET_VALUES_SHOWN || isSelected(v.value));
  const legendId = `facet-${param}`;
  return (
    <fieldset className="facet" aria-labelledby={legendId}>
      <legend id={legendId} className="facet__legend">
        {label}
      </legend>
      {loading ? (
        <div className="facet__skeleton" aria-hidden="true">
          <span className="skeleton" />
          <span className="skeleton" />
          <span className="skeleton" />
        </div>
      ) : (
        <>
          <ul className="facet__values">
            {shown.map((v) => {
              const text = param === 'kind' ? displayKind(v.value) : v.value;
              return (
                <li key={v.value}>
                  <label className="facet__option">
                    <input type="checkbox" checked={isSelected(v.value)} onChange={() => onToggle(v.value)} aria-label={`${text}, ${v.count}`} />
                    <span className="facet__value" title={text}>
                      {text}
                    </span>
                    <span className="facet__count" aria-hidden="true">
                      {v.count}
                    </span>
                  </label>
                </li>
              );
            })}
          </ul>
          {values.length > FACET_VALUES_SHOWN && (
            <button type="button" className="button button--ghost button--small facet__more" onClick={() => setExpanded(!expanded)} aria-expanded={expanded}>
              {expanded ? 'Show fewer' : `Show all ${values.length}`}
            </button>
          )}
        </>
      )}
    </fieldset>
  );
}

/** A disclosure with a checkbox per optional column; closes on Escape and on a click outside. */
function ColumnChooser({ columns, onToggle, onReset }: { columns: ColumnId[]; onToggle: (id: ColumnId) => void; onReset: () => void }) {
  const ref = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    const onPointer = (event: PointerEvent) => {
      if (ref.current?.open && !ref.current.contains(event.target as Node)) ref.current.open = false;
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, []);
  return (
    <details
      ref={ref}
      className="menu"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && ref.current?.open) {
          event.preventDefault();
          ref.current.open = false;
          ref.current.querySelector('summary')?.focus();
        }
      }}
    >
      <summary className="button button--small">Columns</summary>
      <div className="menu__panel">
        <fieldset>
          <legend className="menu__title">Show columns</legend>
          {COLUMNS.map((c) => (
            <label key={c.id} className="checkbox menu__item">
              <input type="checkbox" checked={columns.includes(c.id)} onChange={() => onToggle(c.id)} />
              {c.label}
            </label>
          ))}
        </fieldset>
        <button type="button" className="button button--ghost button--small" onClick={onReset}>
          Reset to default
        </button>
      </div>
    </details>
  );
}

function SortHeader({ label, field, query }: { label: string; field: string | undefined; query: CatalogQuery }) {
  if (!field) return <th scope="col">{label}</th>;
  const active = query.sort === field;
  const nextOrder = active && query.order === 'asc' ? 'desc' : 'asc';
  return (
    <th scope="col" aria-sort={active ? (query.order === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" className="sort-button" onClick={() => go({ ...firstPage(query), sort: field, order: nextOrder })}>
        {label}
        <span className="sort-button__arrow" aria-hidden="true">
          {active ? (query.order === 'asc' ? '↑' : '↓') : '↕'}
        </span>
      </button>
    </th>
  );
}

/** Clicking anywhere on a row opens the entity (the name is the real link, for keyboards and new tabs). */
function openRow(event: MouseEvent<HTMLTableRowElement>, path: string) {
  const target = event.target as HTMLElement;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || target.closest('a, button, input, summary')) return;
  if (window.getSelection()?.toString()) return; // selecting text, not opening
  navigate(path);
}

function EntityTable({ entities, columns, query, stale, skeletonRows }: { entities: Entity[] | undefined; columns: ColumnId[]; query: CatalogQuery; stale: boolean; skeletonRows: number }) {
  const shownColumns = COLUMNS.filter((c) => columns.includes(c.id));
  return (
    <div className={stale ? 'table-wrap table-wrap--stale' : 'table-wrap'}>
      <table className="table catalog-table" aria-label="Catalog entities">
        <thead>
          <tr>
            <SortHeader label="Name" field="metadata.name" query={query} />
            {shownColumns.map((c) => (
              <SortHeader key={c.id} label={c.label} field={c.sort} query={query} />
            ))}
          </tr>
        </thead>
        <tbody>
          {entities === undefined
            ? Array.from({ length: skeletonRows }, (_, i) => (
                <tr key={i} className="skeleton-row" aria-hidden="true">
                  <td>
                    <span className="skeleton" style={{ width: `${55 + ((i * 37) % 35)}%` }} />
                  </td>
                  {shownColumns.map((c) => (
                    <td key={c.id}>
                      <span className="skeleton" style={{ width: `${40 + ((i * 23 + c.id.length * 7) % 50)}%` }} />
                    </td>
                  ))}
                </tr>
              ))
            : entities.map((entity) => <EntityRow key={entityRefOf(entity)} entity={entity} columns={shownColumns.map((c) => c.id)} />)}
        </tbody>
      </table>
      {entities === undefined && (
        <p className="visually-hidden" role="status">
          Loading entities…
        </p>
      )}
    </div>
  );
}

function EntityRow({ entity, columns }: { entity: Entity; columns: ColumnId[] }) {
  const name = entityNameOf(entity);
  const path = entityPath(name);
  const spec = entity.spec ?? {};
  const title = entityDisplayName(entity);
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  const cell = (id: ColumnId) => {
    switch (id) {
      case 'kind':
        return <KindBadge kind={entity.kind} />;
      case 'type':
        return text(spec.type) ?? <span className="muted">—</span>;
      case 'owner':
        return text(spec.owner) ? <EntityRefLink entityRef={spec.owner as string} defaultKind="Group" defaultNamespace={name.namespace} showKind={(spec.owner as string).includes(':')} /> : <span className="muted">—</span>;
      case 'system':
        return text(spec.system) ? <EntityRefLink entityRef={spec.system as string} defaultKind="System" defaultNamespace={name.namespace} showKind={false} /> : <span className="muted">—</span>;
      case 'lifecycle':
        return text(spec.lifecycle) ? <LifecycleBadge value={spec.lifecycle as string} /> : <span className="muted">—</span>;
      case 'namespace':
        return name.namespace;
      case 'description':
        return <span className="cell-description">{entity.metadata.description ?? ''}</span>;
      case 'tags': {
        const tags = entity.metadata.tags ?? [];
        return (
          <ul className="tags">
            {tags.slice(0, 4).map((t) => (
              <li key={t} className="tag">
                {t}
              </li>
            ))}
            {tags.length > 4 && (
              <li className="tag tag--more" title={tags.slice(4).join(', ')}>
                +{tags.length - 4}
              </li>
            )}
          </ul>
        );
      }
    }
  };
  return (
    <tr className="catalog-row" onClick={(e) => openRow(e, path)}>
      <th scope="row">
        <Link to={path} className="catalog-row__name">
          {title}
        </Link>
        {title !== name.name && <div className="muted small mono">{name.name}</div>}
      </th>
      {columns.map((id) => (
        <td key={id} className={`cell-${id}`}>
          {cell(id)}
        </td>
      ))}
    </tr>
  );
}
