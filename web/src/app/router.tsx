import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/**
 * A tiny History-API router: the location is external state (window.location), pages subscribe
 * to it with useLocation(), and navigate() pushes a path. Enough for a handful of flat routes.
 */

const NAVIGATE_EVENT = 'plinth:navigate';

export interface AppLocation {
  pathname: string;
  search: string;
}

let navigated = false;
/** True once the user moved between pages in this tab (not on the first page load). */
export function hasNavigated(): boolean {
  return navigated;
}
if (typeof window !== 'undefined') window.addEventListener('popstate', () => (navigated = true));

function subscribe(callback: () => void): () => void {
  window.addEventListener('popstate', callback);
  window.addEventListener(NAVIGATE_EVENT, callback);
  return () => {
    window.removeEventListener('popstate', callback);
    window.removeEventListener(NAVIGATE_EVENT, callback);
  };
}

// useSyncExternalStore needs a stable snapshot: re-use the object while the URL is unchanged.
let snapshot: AppLocation = { pathname: '/', search: '' };
function getSnapshot(): AppLocation {
  const { pathname, search } = window.location;
  if (snapshot.pathname !== pathname || snapshot.search !== search) snapshot = { pathname, search };
  return snapshot;
}

export function useLocation(): AppLocation {
  return useSyncExternalStore(subscribe, getSnapshot);
}

export function useSearchParams(): URLSearchParams {
  return new URLSearchParams(useLocation().search);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search + window.location.hash;
  if (to === current) return;
  navigated = true;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/** Only same-site paths are followed after login (`/admin`, not `//evil.example` or `https://…`). */
export function safeLocalPath(value: string | null | undefined, fallback = '/'): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.startsWith('/api/')) return fallback;
  return value;
}

export interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  to: string;
  replace?: boolean;
  children: ReactNode;
}

/** An <a> that navigates in-app on a plain left click and behaves natively otherwise (new tab, copy link). */
export function Link({ to, replace, onClick, children, ...rest }: LinkProps) {
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || rest.target === '_blank') return;
    event.preventDefault();
    navigate(to, { replace });
  };
  return (
    <a href={to} onClick={handleClick} {...rest}>
      {children}
    </a>
  );
}
