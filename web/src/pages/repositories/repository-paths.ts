/** Portal URLs of hosted repositories: `/repositories/<ns>/<name>[/<view>/<ref>[/<path>]]`; the ref is one encoded segment. */

export type RepositoryView = 'tree' | 'blob' | 'commits';

export interface RepositoryLocation {
  namespace: string;
  name: string;
  view: RepositoryView;
  /** Unset: the default branch. */
  ref?: string;
  path: string;
}

export const REPOSITORIES_PATH = '/repositories';

export function repositoryPath(location: { namespace: string; name: string; view?: RepositoryView; ref?: string; path?: string }): string {
  const base = `${REPOSITORIES_PATH}/${encodeURIComponent(location.namespace)}/${encodeURIComponent(location.name)}`;
  if (!location.ref && (location.view ?? 'tree') === 'tree' && !location.path) return base;
  const path = location.path ? `/${location.path.split('/').map(encodeURIComponent).join('/')}` : '';
  return `${base}/${location.view ?? 'tree'}/${encodeURIComponent(location.ref ?? '')}${path}`;
}

export function parseRepositoryPath(pathname: string): RepositoryLocation | undefined {
  const match = /^\/repositories\/([^/]+)\/([^/]+)(?:\/(tree|blob|commits)\/([^/]+)(?:\/(.*?))?)?\/?$/.exec(pathname);
  if (!match) return undefined;
  try {
    return {
      namespace: decodeURIComponent(match[1]!),
      name: decodeURIComponent(match[2]!),
      view: (match[3] as RepositoryView | undefined) ?? 'tree',
      ref: match[4] ? decodeURIComponent(match[4]) : undefined,
      path: match[5] ? match[5].split('/').map(decodeURIComponent).join('/') : '',
    };
  } catch {
    return undefined;
  }
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}
