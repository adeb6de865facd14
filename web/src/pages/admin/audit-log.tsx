import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { listAuditRecords } from '../../api/audit.js';
import { AUDIT_OUTCOMES, type AuditFilter, type AuditOutcome, type AuditRecord } from '../../api/types.js';
import { navigate, useLocation } from '../../app/router.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { TimeText } from '../../components/time-text.js';

const PAGE_SIZE = 50;
const AUDIT_PATH = '/admin/audit';
const KNOWN_ACTIONS = ['session.create', 'token.create', 'token.revoke', 'user.create', 'group.create'];

interface Filters {
  actor: string;
  action: string;
  outcome: AuditOutcome | '';
}

function filtersFrom(search: string): Filters {
  const params = new URLSearchParams(search);
  const outcome = params.get('outcome') ?? '';
  return {
    actor: params.get('actor') ?? '',
    action: params.get('action') ?? '',
    outcome: (AUDIT_OUTCOMES as readonly string[]).includes(outcome) ? (outcome as AuditOutcome) : '',
  };
}

function searchFor(filters: Filters): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value.trim()) params.set(key, value.trim());
  const search = params.toString();
  return search ? `?${search}` : '';
}

function toQuery(filters: Filters): AuditFilter {
  return { actor: filters.actor || undefined, action: filters.action || undefined, outcome: filters.outcome || undefined, limit: PAGE_SIZE };
}

interface Listing {
  items: AuditRecord[];
  nextBefore: number | null;
}

/** The audit log, newest first; filters live in the URL (shareable), "Older entries" pages back. */
export function AuditLog() {
  const { search } = useLocation();
  const filterKey = searchFor(filtersFrom(search));
  const filters = filtersFrom(filterKey);
  const [listing, setListing] = useState<Listing>();
  const [loading, setLoading] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    listAuditRecords(toQuery(filtersFrom(filterKey)), controller.signal)
      .then((page) => setListing(page))
      .catch((caught: unknown) => !controller.signal.aborted && setError(caught))
      .finally(() => !controller.signal.aborted && setLoading(false));
    return () => controller.abort();
  }, [filterKey, attempt]);

  const refresh = useCallback(() => setAttempt((n) => n + 1), []);

  const loadOlder = async () => {
    if (!listing?.nextBefore) return;
    setLoadingOlder(true);
    setError(undefined);
    try {
      const page = await listAuditRecords({ ...toQuery(filters), before: listing.nextBefore });
      setListing({ items: [...listing.items, ...page.items], nextBefore: page.nextBefore });
    } catch (caught) {
      setError(caught);
    } finally {
      setLoadingOlder(false);
    }
  };

  const filtered = filterKey !== '';
  const actions = [...new Set([...KNOWN_ACTIONS, ...(listing?.items.map((i) => i.action) ?? [])])].sort();

  return (
    <section aria-labelledby="audit-title" aria-busy={loading}>
      <div className="section-header">
        <h2 id="audit-title">Audit log</h2>
        <button type="button" className="button button--small" onClick={refresh} disabled={loading}>
          Refresh
        </button>
      </div>
      <p className="muted">Every sign-in and change, with who did it and whether it was allowed. Newest first; nothing can edit it.</p>

      <AuditFilters key={filterKey} initial={filters} actions={actions} filtered={filtered} />

      {error !== undefined && <ErrorNotice error={error} onRetry={refresh} />}
      {loading && !listing && <Loading label="Loading the audit log…" />}
      {listing && listing.items.length === 0 && !loading && (
        <EmptyState
          title={filtered ? 'No entries match these filters' : 'The audit log is empty'}
          action={
            filtered ? (
              <button type="button" className="button" onClick={() => navigate(AUDIT_PATH)}>
                Clear filters
              </button>
            ) : undefined
          }
        >
          <p>{filtered ? 'Try another actor, action or outcome.' : 'Sign-ins and changes (tokens created, users added…) will be recorded here.'}</p>
        </EmptyState>
      )}
      {listing && listing.items.length > 0 && (
        <>
          <div className={loading ? 'table-wrap table-wrap--stale' : 'table-wrap'}>
            <table className="table" aria-label="Audit log entries">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {listing.items.map((record) => (
                  <AuditRow key={record.id} record={record} />
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            <span className="muted">
              {listing.items.length} {listing.items.length === 1 ? 'entry' : 'entries'} shown
            </span>
            {listing.nextBefore !== null ? (
              <button type="button" className="button" onClick={loadOlder} disabled={loadingOlder}>
                {loadingOlder ? 'Loading…' : 'Older entries'}
              </button>
            ) : (
              <span className="muted">That is the oldest entry.</span>
            )}
          </div>
        </>
      )}
    </section>
  );
}

function AuditFilters({ initial, actions, filtered }: { initial: Filters; actions: string[]; filtered: boolean }) {
  const [filters, setFilters] = useState(initial);
  const set = (key: keyof Filters) => (event: { target: { value: string } }) => setFilters({ ...filters, [key]: event.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(AUDIT_PATH + searchFor(filters));
  };
  return (
    <form className="form-row filters" onSubmit={submit} role="search" aria-label="Filter the audit log">
      <div className="field">
        <label htmlFor="audit-actor">Actor</label>
        <input id="audit-actor" value={filters.actor} onChange={set('actor')} placeholder="token:ci-deploy" spellCheck={false} autoComplete="off" />
      </div>
      <div className="field">
        <label htmlFor="audit-action">Action</label>
        <input id="audit-action" value={filters.action} onChange={set('action')} placeholder="token.create" list="audit-actions" spellCheck={false} autoComplete="off" />
        <datalist id="audit-actions">
          {actions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor="audit-outcome">Outcome</label>
        <select id="audit-outcome" value={filters.outcome} onChange={set('outcome')}>
          <option value="">Any</option>
          {AUDIT_OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </div>
      <div className="form-row__submit">
        <button type="submit" className="button button--primary">
          Apply filters
        </button>
        {filtered && (
          <button type="button" className="button button--ghost" onClick={() => navigate(AUDIT_PATH)}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}

const OUTCOME_BADGE: Record<AuditOutcome, string> = { success: 'success', denied: 'warning', failure: 'danger' };

function AuditRow({ record }: { record: AuditRecord }) {
  const hasDetails = Object.keys(record.details ?? {}).length > 0;
  return (
    <tr>
      <td className="nowrap">
        <TimeText value={record.at} mode="absolute" />
      </td>
      <td>
        <span className="mono">{record.actor}</span>
        {record.sourceIp && <div className="muted small">from {record.sourceIp}</div>}
      </td>
      <td>
        <code>{record.action}</code>
      </td>
      <td className="mono break">{record.target}</td>
      <td>
        <span className={`badge badge--${OUTCOME_BADGE[record.outcome] ?? 'neutral'}`}>{record.outcome}</span>
      </td>
      <td>
        {hasDetails || record.requestId ? (
          <details>
            <summary>Show</summary>
            {hasDetails && <pre className="details-json">{JSON.stringify(record.details, null, 2)}</pre>}
            {record.requestId && <div className="muted small">request {record.requestId}</div>}
          </details>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}
