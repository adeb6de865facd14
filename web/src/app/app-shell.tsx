import { useCallback, useState, type MouseEvent, type ReactNode } from 'react';
import type { Actor } from '../api/types.js';
import { Icon } from '../components/icons.js';
import { useAuth } from './auth-context.js';
import { isActivePath, NAV_ITEMS } from './navigation.js';
import { Link, navigate, useLocation } from './router.js';
import { useKeyboardShortcuts } from './shortcuts.js';
import { ShortcutsDialog } from './shortcuts-dialog.js';
import { ThemeToggle } from './theme-toggle.js';
import type { Theme } from './theme.js';

export interface AppShellProps {
  actor: Actor;
  theme: Theme;
  onToggleTheme: () => void;
  children: ReactNode;
}

function focusMain(event: MouseEvent<HTMLAnchorElement>) {
  // Move focus without touching the URL (a #main fragment would confuse the router and history).
  event.preventDefault();
  const main = document.getElementById('main');
  main?.focus();
  main?.scrollIntoView();
}

/** The frame around every signed-in page: skip link, header (who, theme, log out), navigation, main. */
export function AppShell({ actor, theme, onToggleTheme, children }: AppShellProps) {
  const { pathname, search } = useLocation();
  const { logOut } = useAuth();
  const [showShortcuts, setShowShortcuts] = useState(false);
  const [loggingOut, setLoggingOut] = useState(false);
  const openShortcuts = useCallback(() => setShowShortcuts(true), []);
  useKeyboardShortcuts(openShortcuts);

  const isGuest = actor.type === 'guest';
  const name = actor.displayName || actor.name;

  const handleLogOut = async () => {
    setLoggingOut(true);
    try {
      await logOut();
      navigate('/login', { replace: true });
    } finally {
      setLoggingOut(false);
    }
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={focusMain}>
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Plinth home">
          <img src="/favicon.svg" alt="" width="22" height="22" />
          <span>Plinth</span>
        </Link>
        <div className="topbar__end">
          <ThemeToggle theme={theme} onToggle={onToggleTheme} />
          {isGuest ? (
            <>
              <span className="user" data-testid="current-user">
                Guest <span className="role-badge">({actor.role})</span>
              </span>
              <Link className="button button--primary button--small" to={`/login?next=${encodeURIComponent(pathname + search)}`}>
                Log in
              </Link>
            </>
          ) : (
            <>
              <span className="user" data-testid="current-user" title={actor.type === 'token' ? `Signed in with the API token ${actor.name}` : `Signed in as ${actor.name}`}>
                <span className="user__name">{name}</span> <span className="role-badge">({actor.role})</span>
              </span>
              <button type="button" className="button button--small" onClick={handleLogOut} disabled={loggingOut}>
                {loggingOut ? 'Logging out…' : 'Log out'}
              </button>
            </>
          )}
        </div>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {NAV_ITEMS.map((item) => {
            const active = isActivePath(item.path, pathname);
            return (
              <li key={item.path}>
                <Link to={item.path} className="sidenav__link" aria-current={active ? 'page' : undefined} title={`${item.label} (g ${item.key})`}>
                  <Icon name={item.icon} />
                  <span>{item.label}</span>
                </Link>
              </li>
            );
          })}
        </ul>
        <button type="button" className="sidenav__shortcuts button button--ghost button--small" onClick={openShortcuts}>
          <Icon name="keyboard" size={16} /> Shortcuts <kbd>?</kbd>
        </button>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
      {showShortcuts && <ShortcutsDialog onClose={() => setShowShortcuts(false)} />}
    </div>
  );
}
