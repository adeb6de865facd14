import type { IconName } from '../components/icons.js';

export interface NavItem {
  path: string;
  label: string;
  /** The second key of its `g <key>` shortcut. */
  key: string;
  icon: IconName;
}

/** The portal's areas, in navigation order. */
export const NAV_ITEMS: readonly NavItem[] = [
  { path: '/catalog', label: 'Catalog', key: 'c', icon: 'catalog' },
  { path: '/repositories', label: 'Repositories', key: 'r', icon: 'repositories' },
  { path: '/create', label: 'Create', key: 'n', icon: 'create' },
  { path: '/pipelines', label: 'Pipelines', key: 'p', icon: 'pipelines' },
  { path: '/environments', label: 'Environments', key: 'e', icon: 'environments' },
  { path: '/scorecards', label: 'Scorecards', key: 's', icon: 'scorecards' },
  { path: '/insights', label: 'Insights', key: 'i', icon: 'insights' },
  { path: '/admin', label: 'Admin', key: 'a', icon: 'admin' },
];

export const HOME_PATH = '/catalog';

export function isActivePath(itemPath: string, pathname: string): boolean {
  return pathname === itemPath || pathname.startsWith(`${itemPath}/`);
}
