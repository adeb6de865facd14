import { useEffect, type ReactNode } from 'react';
import { ErrorBoundary } from '../components/error-boundary.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Loading } from '../components/loading.js';
import { AdminPage } from '../pages/admin/admin-page.js';
import { CatalogPage } from '../pages/catalog/catalog-page.js';
import { CreatePage } from '../pages/create/create-page.js';
import { EnvironmentsPage } from '../pages/environments/environments-page.js';
import { InsightsPage } from '../pages/insights/insights-page.js';
import { LoginPage } from '../pages/login/login-page.js';
import { NotFoundPage } from '../pages/not-found/not-found-page.js';
import { PipelinesPage } from '../pages/pipelines/pipelines-page.js';
import { RepositoriesPage } from '../pages/repositories/repositories-page.js';
import { ScorecardsPage } from '../pages/scorecards/scorecards-page.js';
import { AppShell } from './app-shell.js';
import { AuthProvider, useAuth } from './auth-context.js';
import { HOME_PATH, isActivePath } from './navigation.js';
import { navigate, safeLocalPath, useLocation, useSearchParams } from './router.js';
import { useTheme, type Theme } from './theme.js';
import { ThemeToggle } from './theme-toggle.js';

const PAGES: Array<[path: string, render: (pathname: string) => ReactNode]> = [
  ['/catalog', (pathname) => <CatalogPage pathname={pathname} />],
  ['/repositories', (pathname) => <RepositoriesPage pathname={pathname} />],
  ['/create', (pathname) => <CreatePage pathname={pathname} />],
  ['/pipelines', (pathname) => <PipelinesPage pathname={pathname} />],
  ['/environments', (pathname) => <EnvironmentsPage pathname={pathname} />],
  ['/scorecards', () => <ScorecardsPage />],
  ['/insights', () => <InsightsPage />],
  ['/admin', (pathname) => <AdminPage pathname={pathname} />],
];

function renderPage(pathname: string): ReactNode {
  const match = PAGES.find(([path]) => isActivePath(path, pathname));
  return match ? match[1](pathname) : <NotFoundPage />;
}

/** Replaces the URL after render (never during it). */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function Routes({ theme, onToggleTheme }: { theme: Theme; onToggleTheme: () => void }) {
  const { state, reload } = useAuth();
  const { pathname, search } = useLocation();
  const params = useSearchParams();

  if (state.status === 'loading') return <Loading label="Loading Plinth…" fullPage delayMs={300} />;
  if (state.status === 'error') {
    return (
      <div className="centered">
        <ErrorNotice title="The Plinth server did not answer" error={state.error} onRetry={reload} />
      </div>
    );
  }

  const next = safeLocalPath(params.get('next'), HOME_PATH);
  const signedInForReal = state.status === 'signed-in' && state.actor.type !== 'guest';
  if (pathname === '/login') {
    // A guest may log in; a signed-in user goes where they were headed.
    if (signedInForReal) return <Redirect to={next} />;
    return (
      <LoginPage providers={state.providers} next={next} themeToggle={<ThemeToggle theme={theme} onToggle={onToggleTheme} />} />
    );
  }
  if (state.status === 'anonymous') {
    const here = pathname + search;
    return <Redirect to={pathname === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`} />;
  }
  if (pathname === '/' || pathname === '/index.html') return <Redirect to={HOME_PATH} />;

  return (
    <AppShell actor={state.actor} theme={theme} onToggleTheme={onToggleTheme}>
      <ErrorBoundary resetKey={pathname}>{renderPage(pathname)}</ErrorBoundary>
    </AppShell>
  );
}

export function App() {
  const { theme, toggleTheme } = useTheme();
  return (
    <AuthProvider>
      <Routes theme={theme} onToggleTheme={toggleTheme} />
    </AuthProvider>
  );
}
