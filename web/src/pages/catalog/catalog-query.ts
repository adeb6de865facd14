/**
 * The catalog list's state, kept in the URL so links can be shared and Back works:
 * `/catalog?kind=Component&owner=team-a&q=pay&sort=spec.owner&order=desc&limit=25&page=2&cursor=…`.
 */

export const FACETS = [
  { param: 'kind', field: 'kind', label: 'Kind' },
  { param: 'type', field: 'spec.type', label: 'Type' },
  { param: 'owner', field: 'spec.owner', label: 'Owner' },
  { param: 'lifecycle', field: 'spec.lifecycle', label: 'Lifecycle' },
  { param: 'tag', field: 'metadata.tags', label: 'Tags' },
  { param: 'namespace', field: 'metadata.namespace', label: 'Namespace' },
] as const;

export type FacetParam = (typeof FACETS)[number]['param'];
export type FacetSelection = Record<FacetParam, string[]>;

export const PAGE_SIZES = [10, 25, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 25;
export const DEFAULT_SORT = 'metadata.name';
export const SORTABLE_FIELDS = ['metadata.name', 'kind', 'spec.type', 'spec.owner', 'spec.system', 'spec.lifecycle', 'metadata.namespace'] as const;

export interface CatalogQuery {
  selected: FacetSelection;
  /** Full-text search. */
  q: string;
  sort: string;
  order: 'asc' | 'desc';
  limit: number;
  /** 1-based, for "26–50 of 120" only: the cursor decides which rows come. */
  page: number;
  cursor?: string;
}

function emptySelection(): FacetSelection {
  return Object.fromEntries(FACETS.map((f) => [f.param, []])) as unknown as FacetSelection;
}

export function parseCatalogQuery(search: string): CatalogQuery {
  const params = new URLSearchParams(search);
  const selected = emptySelection();
  for (const facet of FACETS) {
    const seen = new Set<string>();
    for (const value of params.getAll(facet.param).map((v) => v.trim())) {
      // Filter values match case-insensitively and a comma would split the filter: keep one of each.
      if (!value || value.includes(',') || seen.has(value.toLowerCase())) continue;
      seen.add(value.toLowerCase());
      selected[facet.param].push(value);
    }
  }
  const limit = Number(params.get('limit'));
  const page = Number(params.get('page'));
  const sort = params.get('sort') ?? DEFAULT_SORT;
  const cursor = params.get('cursor') || undefined;
  return {
    selected,
    q: params.get('q')?.trim() ?? '',
    sort: (SORTABLE_FIELDS as readonly string[]).includes(sort) ? sort : DEFAULT_SORT,
    order: params.get('order') === 'desc' ? 'desc' : 'asc',
    limit: (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_PAGE_SIZE,
    page: cursor && Number.isInteger(page) && page > 1 ? page : 1,
    cursor,
  };
}

/** The canonical query string (same state → same string), `?…` or ''. */
export function catalogSearch(query: CatalogQuery): string {
  const params = new URLSearchParams();
  for (const facet of FACETS) for (const value of query.selected[facet.param]) params.append(facet.param, value);
  if (query.q) params.set('q', query.q);
  if (query.sort !== DEFAULT_SORT) params.set('sort', query.sort);
  if (query.order !== 'asc') params.set('order', query.order);
  if (query.limit !== DEFAULT_PAGE_SIZE) params.set('limit', String(query.limit));
  if (query.cursor && query.page > 1) {
    params.set('page', String(query.page));
    params.set('cursor', query.cursor);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The same filters, back on the first page (any change of filter, search, sort or size starts over). */
export function firstPage(query: CatalogQuery): CatalogQuery {
  return { ...query, page: 1, cursor: undefined };
}

export function isFiltered(query: CatalogQuery): boolean {
  return query.q !== '' || FACETS.some((f) => query.selected[f.param].length > 0);
}

export function clearFilters(query: CatalogQuery): CatalogQuery {
  return { ...firstPage(query), selected: emptySelection(), q: '' };
}

export function toggleFacetValue(query: CatalogQuery, param: FacetParam, value: string): CatalogQuery {
  const current = query.selected[param];
  const has = current.some((v) => v.toLowerCase() === value.toLowerCase());
  const next = has ? current.filter((v) => v.toLowerCase() !== value.toLowerCase()) : [...current, value];
  return { ...firstPage(query), selected: { ...query.selected, [param]: next } };
}

/**
 * The API filter for a selection: one `filter` parameter whose pairs are AND'd across facets,
 * while several values of one facet match any of them (Backstage's `key=a,key=b`). `except`
 * leaves one facet out — its own counts are taken without it, so one can add more of its values.
 */
export function filterFor(selected: FacetSelection, except?: FacetParam): string[] {
  const pairs: string[] = [];
  for (const facet of FACETS) {
    if (facet.param === except) continue;
    for (const value of selected[facet.param]) pairs.push(`${facet.field}=${value}`);
  }
  return pairs.length ? [pairs.join(',')] : [];
}
