import type { DeploymentView } from '../../api/environments.js';

const STATUS_TONE: Record<DeploymentView['status'], string> = {
  'awaiting-approval': 'warning',
  queued: 'neutral',
  running: 'accent',
  succeeded: 'success',
  failed: 'danger',
  'rolling-back': 'warning',
  'rolled-back': 'danger',
  superseded: 'neutral',
};

export function DeploymentStatusBadge({ status }: { status: DeploymentView['status'] }) {
  return <span className={`badge badge--${STATUS_TONE[status] ?? 'neutral'}`} data-status={status}>{status}</span>;
}

export function HealthBadge({ health }: { health: string }) {
  const tone = health === 'running' ? 'success' : health === 'restarting' ? 'warning' : 'neutral';
  return <span className={`badge badge--${tone}`} data-health={health}>{health === 'running' ? 'healthy' : health}</span>;
}
