import { useEffect, useState, type FormEvent } from 'react';
import { subscribeToEventsDebounced } from '../../api/events.js';
import { PIPELINE_RUN_EVENTS, listRuns, type PipelineRun, type RunFilter, type RunStatus } from '../../api/pipelines.js';
import { roleAtLeast, useActor } from '../../app/auth-context.js';
import { Link, navigate, useLocation } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Page } from '../../components/page.js';
import { TimeText } from '../../components/time-text.js';
import { RunStatusBadge, formatDuration } from './run-status.js';

const RUNS_PATH = '/pipelines';
const FILTERS = ['repository', 'branch', 'status', 'actor'] as const;

function filterOf(search: string): RunFilter {
  const params = new URLSearchParams(search);
  const filter: RunFilter = {};
  for (const key of FILTERS) {
    const value = params.get(key);
    if (value) (filter as Record<string, string>)[key] = value;
  }
  return filter;
}

function searchOf(filter: RunFilter): string {
  const params = new URLSearchParams();
  for (const key of FILTERS) if (filter[key]) params.set(key, String(filter[key]));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Every pipeline run, newest first, filtered by repository, branch, status and actor (kept in the URL); updates live. */
export function RunsList() {
  const actor = useActor();
  const { search } = useLocation();
  const filter = filterOf(search);
  const key = searchOf(filter);
  const [older, setOlder] = useState<PipelineRun[]>([]);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const runs = useApiData(async (signal) => {
    const page = await listRuns({ ...filter, limit: 50 }, signal);
    setOlder([]);
    setNextBefore(page.nextBefore);
    return page.items;
  }, [key]);

  const { reload } = runs;
  // Runs start and end all the time: refresh what is on screen (debounced).
  useEffect(() => subscribeToEventsDebounced(PIPELINE_RUN_EVENTS, 300, reload), [reload]);

  const loadOlder = async () => {
    if (nextBefore === null) return;
    const page = await listRuns({ ...filter, limit: 50, before: nextBefore });
    setOlder((items) => [...items, ...page.items]);
    setNextBefore(page.nextBefore);
  };

  const items = [...(runs.data ?? []), ...older];
  const filtered = key !== '';
  return (
    <Page
      title="Pipelines"
      description="Runs of your repositories' workflows (GitHub Actions syntax), on Plinth's own runners."
      className="page--wide"
      actions={
        roleAtLeast(actor.role, 'member') ? (
          <Link to="/pipelines/dispatch" className="button button--primary">
            Run workflow
          </Link>
        ) : undefined
      }
    >
      <RunFilters filter={filter} />
      {runs.error !== undefined && <ErrorNotice error={runs.error} onRetry={reload} />}
      {runs.data && items.length === 0 ? (
        <EmptyState title={filtered ? 'No runs match' : 'No runs yet'}>
          {filtered ? (
            <p>Nothing matches these filters.</p>
          ) : (
            <p>
              Push a repository with a workflow in <code>.github/workflows/</code> (or <code>.plinth/workflows/</code>), or run one by hand.
            </p>
          )}
        </EmptyState>
      ) : (
        <div className="table-wrap" aria-busy={runs.loading}>
          <table className="table runs-table" aria-label="Pipeline runs">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Run</th>
                <th scope="col">Repository</th>
                <th scope="col">Branch</th>
                <th scope="col">Event</th>
                <th scope="col">Actor</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {items.map((run) => (
                <tr key={run.id} data-run-id={run.id}>
                  <td>
                    <RunStatusBadge item={run} />
                  </td>
                  <th scope="row">
                    <Link to={`/pipelines/runs/${run.id}`}>
                      {run.workflowName} #{run.runNumber}
                      {run.attempt > 1 ? ` (attempt ${run.attempt})` : ''}
                    </Link>
                    <div className="muted small mono">{run.sha.slice(0, 10)}</div>
                  </th>
                  <td>
                    <Link to={RUNS_PATH + searchOf({ ...filter, repository: run.repository })}>{run.repository}</Link>
                  </td>
                  <td className="mono">{run.refName}</td>
                  <td>{run.event}</td>
                  <td className="mono">{run.actor}</td>
                  <td className="nowrap">
                    <TimeText value={run.createdAt} />
                  </td>
                  <td className="nowrap">{formatDuration(run.startedAt, run.completedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextBefore !== null && (
        <div className="pager">
          <button type="button" className="button" onClick={() => void loadOlder()}>
            Older runs
          </button>
        </div>
      )}
    </Page>
  );
}

function RunFilters({ filter }: { filter: RunFilter }) {
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const next: RunFilter = {};
    for (const key of FILTERS) {
      const value = String(data.get(key) ?? '').trim();
      if (value) (next as Record<string, string>)[key] = value;
    }
    navigate(RUNS_PATH + searchOf(next));
  };
  return (
    <form className="form-row filters" onSubmit={submit} role="search" aria-label="Filter runs" key={searchOf(filter)}>
      <div className="field">
        <label htmlFor="runs-repository">Repository</label>
        <input id="runs-repository" name="repository" defaultValue={filter.repository ?? ''} placeholder="namespace/name" />
      </div>
      <div className="field">
        <label htmlFor="runs-branch">Branch</label>
        <input id="runs-branch" name="branch" defaultValue={filter.branch ?? ''} placeholder="main" />
      </div>
      <div className="field">
        <label htmlFor="runs-status">Status</label>
        <select id="runs-status" name="status" defaultValue={filter.status ?? ''}>
          <option value="">Any</option>
          {(['queued', 'in_progress', 'completed'] as RunStatus[]).map((status) => (
            <option key={status} value={status}>
              {status.replace('_', ' ')}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="runs-actor">Actor</label>
        <input id="runs-actor" name="actor" defaultValue={filter.actor ?? ''} placeholder="user:alice" />
      </div>
      <div className="form-row__submit">
        <button type="submit" className="button button--primary">
          Filter
        </button>
        {searchOf(filter) && (
          <button type="button" className="button button--ghost" onClick={() => navigate(RUNS_PATH)}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}
