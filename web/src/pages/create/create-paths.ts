/** Portal URLs of the Create area. */
export const CREATE_PATH = '/create';
export const EDITOR_PATH = '/create/edit';
export const templatePath = (namespace: string, name: string) => `${CREATE_PATH}/templates/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
export const taskPath = (id: string) => `${CREATE_PATH}/tasks/${encodeURIComponent(id)}`;

export type CreateRoute = { page: 'gallery' } | { page: 'editor' } | { page: 'wizard'; namespace: string; name: string } | { page: 'task'; id: string } | { page: 'unknown' };

export function parseCreatePath(pathname: string): CreateRoute {
  const path = pathname.replace(/\/+$/, '');
  if (path === CREATE_PATH) return { page: 'gallery' };
  if (path === EDITOR_PATH) return { page: 'editor' };
  try {
    const wizard = /^\/create\/templates\/([^/]+)\/([^/]+)$/.exec(path);
    if (wizard) return { page: 'wizard', namespace: decodeURIComponent(wizard[1]!), name: decodeURIComponent(wizard[2]!) };
    const task = /^\/create\/tasks\/([^/]+)$/.exec(path);
    if (task) return { page: 'task', id: decodeURIComponent(task[1]!) };
  } catch {}
  return { page: 'unknown' };
}
