import { EnvironmentDetailPage } from './environment-detail.js';
import { EnvironmentsOverview } from './environments-overview.js';

/** /environments (matrix, environments, approvals) and /environments/<name>. */
export function EnvironmentsPage({ pathname }: { pathname: string }) {
  const name = decodeURIComponent(pathname.slice('/environments/'.length).split('/')[0] ?? '');
  return name ? <EnvironmentDetailPage name={name} /> : <EnvironmentsOverview />;
}
