import { lazy, Suspense } from 'react';
import { Loading } from '../../components/loading.js';
import { NotFoundPage } from '../not-found/not-found-page.js';
import { RunsList } from './runs-list.js';
import { DispatchPage } from './dispatch-page.js';

// The run page (log viewer, markdown) loads on first use, keeping the list light.
const RunPage = lazy(() => import('./run-page.js').then((m) => ({ default: m.RunPage })));

/** The pipelines area: runs at /pipelines, a run at /pipelines/runs/<id>, the dispatch form at /pipelines/dispatch. */
export function PipelinesPage({ pathname }: { pathname: string }) {
  if (pathname === '/pipelines' || pathname === '/pipelines/') return <RunsList />;
  if (pathname === '/pipelines/dispatch') return <DispatchPage />;
  const match = /^\/pipelines\/runs\/(\d+)\/?$/.exec(pathname);
  if (!match) return <NotFoundPage />;
  return (
    <Suspense fallback={<Loading label="Loading the run…" />}>
      <RunPage key={pathname} id={Number(match[1])} />
    </Suspense>
  );
}
