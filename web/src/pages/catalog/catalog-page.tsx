import { lazy, Suspense } from 'react';
import { Loading } from '../../components/loading.js';
import { NotFoundPage } from '../not-found/not-found-page.js';
import { CatalogList } from './catalog-list.js';
import type { EntityName } from './refs.js';

// The entity page (YAML parser, graph) loads on first use, keeping the catalog list light.
const EntityPage = lazy(() => import('./entity-page.js').then((m) => ({ default: m.EntityPage })));

/** `/catalog/<namespace>/<kind>/<name>` → the entity's name; anything else under /catalog/ is unknown. */
export function parseEntityPath(pathname: string): EntityName | undefined {
  const match = /^\/catalog\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(pathname);
  if (!match) return undefined;
  try {
    return { namespace: decodeURIComponent(match[1]!), kind: decodeURIComponent(match[2]!), name: decodeURIComponent(match[3]!) };
  } catch {
    return undefined;
  }
}

/** The catalog area: the list at /catalog, an entity's page below it. */
export function CatalogPage({ pathname }: { pathname: string }) {
  if (pathname === '/catalog' || pathname === '/catalog/') return <CatalogList />;
  const name = parseEntityPath(pathname);
  if (!name) return <NotFoundPage />;
  return (
    <Suspense fallback={<Loading label="Loading…" />}>
      {/* Keyed by the path: another entity starts with fresh state. */}
      <EntityPage key={pathname} name={name} />
    </Suspense>
  );
}
