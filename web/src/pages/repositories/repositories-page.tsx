import { lazy, Suspense } from 'react';
import { Loading } from '../../components/loading.js';
import { NotFoundPage } from '../not-found/not-found-page.js';
import { RepositoryList } from './repository-list.js';
import { parseRepositoryPath, REPOSITORIES_PATH } from './repository-paths.js';

// The repository page (markdown renderer) loads on first use.
const RepositoryPage = lazy(() => import('./repository-page.js').then((m) => ({ default: m.RepositoryPage })));

/** Hosted repositories: the list at /repositories, a repository's browser below it. */
export function RepositoriesPage({ pathname }: { pathname: string }) {
  if (pathname === REPOSITORIES_PATH || pathname === `${REPOSITORIES_PATH}/`) return <RepositoryList />;
  const location = parseRepositoryPath(pathname);
  if (!location) return <NotFoundPage />;
  return (
    <Suspense fallback={<Loading label="Loading…" />}>
      <RepositoryPage key={`${location.namespace}/${location.name}`} location={location} />
    </Suspense>
  );
}
