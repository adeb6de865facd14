import { lazy, Suspense } from 'react';
import { Loading } from '../../components/loading.js';
import { NotFoundPage } from '../not-found/not-found-page.js';
import { parseCreatePath } from './create-paths.js';
import { TemplateGallery } from './template-gallery.js';

// The wizard, task page and editor load on first use; the editor brings a YAML parser.
const TemplateWizard = lazy(() => import('./template-wizard.js').then((m) => ({ default: m.TemplateWizard })));
const TaskPage = lazy(() => import('./task-page.js').then((m) => ({ default: m.TaskPage })));
const TemplateEditor = lazy(() => import('./template-editor.js').then((m) => ({ default: m.TemplateEditor })));

/** Create: the template gallery at /create, a template's wizard, a task's progress, the template editor. */
export function CreatePage({ pathname }: { pathname: string }) {
  const route = parseCreatePath(pathname);
  if (route.page === 'gallery') return <TemplateGallery />;
  if (route.page === 'unknown') return <NotFoundPage />;
  return (
    <Suspense fallback={<Loading label="Loading…" />}>
      {route.page === 'wizard' && <TemplateWizard key={pathname} namespace={route.namespace} name={route.name} />}
      {route.page === 'task' && <TaskPage key={pathname} id={route.id} />}
      {route.page === 'editor' && <TemplateEditor />}
    </Suspense>
  );
}
