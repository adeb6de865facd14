import type { Conclusion, JobStatus, RunStatus } from '../../api/pipelines.js';

const LABELS: Record<string, string> = {
  success: 'Success',
  failure: 'Failed',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
  queued: 'Queued',
  pending: 'Waiting',
  waiting: 'Waiting for a slot',
  in_progress: 'Running',
  completed: 'Completed',
};

const TONES: Record<string, string> = {
  success: 'badge--success',
  failure: 'badge--danger',
  cancelled: 'badge--neutral',
  skipped: 'badge--neutral',
  queued: 'badge--neutral',
  pending: 'badge--neutral',
  waiting: 'badge--neutral',
  in_progress: 'badge--warning',
};

/** What a run or job is doing: its conclusion once completed, else its status. */
export function statusOf(item: { status: RunStatus | JobStatus; conclusion: Conclusion | null }): string {
  return item.status === 'completed' ? (item.conclusion ?? 'completed') : item.status === 'in_progress' && item.conclusion === 'cancelled' ? 'cancelled' : item.status;
}

/** A glyph per state, so a status reads at a glance in lists; the label next to it carries the meaning. */
const GLYPHS: Record<string, string> = {
  success: '✓',
  failure: '✗',
  cancelled: '⊘',
  skipped: '⤼',
  queued: '○',
  pending: '○',
  waiting: '○',
  in_progress: '●',
};

export function RunStatusBadge({ item }: { item: { status: RunStatus | JobStatus; conclusion: Conclusion | null } }) {
  const status = statusOf(item);
  return (
    <span className={`badge ${TONES[status] ?? 'badge--neutral'} run-status run-status--${status}`} data-status={status}>
      {GLYPHS[status] && (
        <span className="run-status__icon" aria-hidden="true">
          {GLYPHS[status]}
        </span>
      )}
      {LABELS[status] ?? status}
    </span>
  );
}

/** `1m 05s` from two timestamps (or until now while running). */
export function formatDuration(start: string | null, end: string | null, now = Date.now()): string {
  if (!start) return '—';
  const ms = (end ? new Date(end).getTime() : now) - new Date(start).getTime();
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
