import { useEffect, useState, type FormEvent } from 'react';
import { subscribeToEvents } from '../../api/events.js';
import { approveDeployment, createEnvironment, ENVIRONMENT_EVENTS, getMatrix, listDeployments, listEnvironments, listEnvironmentTypes, type DeploymentView } from '../../api/environments.js';
import { roleAtLeast, useActor } from '../../app/auth-context.js';
import { Link, navigate } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { Page } from '../../components/page.js';
import { TimeText } from '../../components/time-text.js';
import { DeploymentStatusBadge, HealthBadge } from './status-badges.js';

/** Components × environments, the environments themselves, deployments waiting for approval, and creating one. */
export function EnvironmentsOverview() {
  const actor = useActor();
  const matrix = useApiData((signal) => getMatrix(signal), []);
  const environments = useApiData((signal) => listEnvironments(signal), []);
  const waiting = useApiData(async (signal) => (await listDeployments({}, signal)).filter((d) => d.status === 'awaiting-approval'), []);
  const [approving, setApproving] = useState<DeploymentView>();
  const reloadAll = () => {
    matrix.reload();
    environments.reload();
    waiting.reload();
  };
  useEffect(() => subscribeToEvents(ENVIRONMENT_EVENTS, () => reloadAll()), []);

  const cell = (environment: string, component: string) => matrix.data?.cells.find((c) => c.environment === environment && c.component === component);

  return (
    <Page title="Environments" description="Where each component runs, which release, and whether it is healthy. Deploy, promote and roll back from an environment's page." className="page--wide">
      {roleAtLeast(actor.role, 'member') && <CreateEnvironmentForm onCreated={(name) => navigate(`/environments/${encodeURIComponent(name)}`)} />}

      {waiting.data && waiting.data.length > 0 && (
        <section className="card" aria-labelledby="approvals-title">
          <h2 id="approvals-title">Waiting for approval</h2>
          <ul className="plain-list">
            {waiting.data.map((d) => (
              <li key={d.id}>
                <strong>{d.component}</strong> release <code>{d.release}</code> to <Link to={`/environments/${d.environment}`}>{d.environment}</Link>, asked by {d.requestedBy} <TimeText value={d.createdAt} />{' '}
                <button type="button" className="button button--small button--primary" onClick={() => setApproving(d)}>
                  Approve…
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="matrix-title" aria-busy={matrix.loading}>
        <h2 id="matrix-title">Deployments</h2>
        {matrix.error !== undefined && <ErrorNotice error={matrix.error} onRetry={matrix.reload} />}
        {matrix.data === undefined && matrix.loading && <Loading label="Loading deployments…" />}
        {matrix.data && matrix.data.components.length === 0 && (
          <EmptyState title="Nothing deployed yet">
            <p>
              Deploy a component with <code>plinth deploy &lt;component&gt; --env &lt;environment&gt;</code> (it reads <code>score.yaml</code>), or from a pipeline with the <code>plinth/deploy</code> action.
            </p>
          </EmptyState>
        )}
        {matrix.data && matrix.data.components.length > 0 && (
          <div className="table-wrap">
            <table className="table" aria-label="Components by environment" data-testid="deployment-matrix">
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  {matrix.data.environments.map((e) => (
                    <th scope="col" key={e.name}>
                      <Link to={`/environments/${e.name}`}>{e.name}</Link> <span className="muted small">{e.type}</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {matrix.data.components.map((component) => (
                  <tr key={component}>
                    <th scope="row">{component}</th>
                    {matrix.data!.environments.map((e) => {
                      const c = cell(e.name, component);
                      return (
                        <td key={e.name} data-cell={`${e.name}/${component}`}>
                          {c ? (
                            <div className="stack">
                              <span>
                                <code>{c.release ?? '—'}</code> {c.commitSha && <span className="muted small mono">{c.commitSha.slice(0, 7)}</span>}
                              </span>
                              <span>
                                <DeploymentStatusBadge status={c.status} /> {c.release && <HealthBadge health={c.health} />}
                              </span>
                              <span className="muted small">
                                <TimeText value={c.deployedAt} />
                              </span>
                            </div>
                          ) : (
                            <span className="muted">—</span>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="environments-title" aria-busy={environments.loading}>
        <h2 id="environments-title">
          All environments {environments.data && <span className="count">{environments.data.length}</span>}
        </h2>
        {environments.error !== undefined && <ErrorNotice error={environments.error} onRetry={environments.reload} />}
        {environments.data && environments.data.length === 0 && <EmptyState title="No environments yet">{roleAtLeast(actor.role, 'member') ? <p>Create one above.</p> : <p>Ask a member to create one.</p>}</EmptyState>}
        {environments.data && environments.data.length > 0 && (
          <div className="table-wrap">
            <table className="table" aria-label="Environments">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {environments.data.map((e) => (
                  <tr key={e.name}>
                    <th scope="row">
                      <Link to={`/environments/${e.name}`}>{e.name}</Link> {e.status === 'destroying' && <span className="badge badge--warning">destroying</span>}
                    </th>
                    <td>
                      {e.type} {e.productionLike && <span className="badge badge--danger">production-like</span>}
                    </td>
                    <td>{e.owner ?? <span className="muted">—</span>}</td>
                    <td>
                      <TimeText value={e.expiresAt} empty="Never" />
                    </td>
                    <td>
                      <TimeText value={e.createdAt} /> <span className="muted">by {e.createdBy}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {approving && (
        <ConfirmDialog title={`Approve ${approving.component} to ${approving.environment}?`} confirmLabel="Approve and deploy" onClose={() => setApproving(undefined)} onConfirm={async () => {
          await approveDeployment(approving.id);
          reloadAll();
        }}>
          <p>
            Release <code>{approving.release}</code> {approving.commitSha && <>(commit <code>{approving.commitSha.slice(0, 12)}</code>)</>} goes to {approving.environment} at once. Your approval is recorded in the audit log.
          </p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

function CreateEnvironmentForm({ onCreated }: { onCreated: (name: string) => void }) {
  const types = useApiData((signal) => listEnvironmentTypes(signal), []);
  const [name, setName] = useState('');
  const [type, setType] = useState('preview');
  const [owner, setOwner] = useState('');
  const [cloneFrom, setCloneFrom] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const selected = types.data?.find((t) => t.name === type);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await createEnvironment({ name, type, owner: owner || undefined, cloneFrom: cloneFrom || undefined });
      onCreated(created.name);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="create-environment-title">
      <h2 id="create-environment-title">Create an environment</h2>
      <form className="form-row" onSubmit={submit}>
        <label className="field">
          Name
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} required pattern="[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?" placeholder="pr-42" />
        </label>
        <label className="field">
          Type
          <select name="type" value={type} onChange={(e) => setType(e.target.value)}>
            {(types.data ?? [{ name: 'preview' }]).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Owner <span className="muted small">(optional)</span>
          <input name="owner" value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="group:default/web-team" />
        </label>
        <label className="field">
          Clone from <span className="muted small">(optional)</span>
          <input name="cloneFrom" value={cloneFrom} onChange={(e) => setCloneFrom(e.target.value)} placeholder="staging" />
        </label>
        <div className="form-row__submit">
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create environment'}
          </button>
        </div>
      </form>
      {selected && (
        <p className="field__hint">
          {selected.description}. {selected.ttlHours ? `Destroys itself after ${selected.ttlHours} hours.` : 'Lives until destroyed.'} {selected.approval.required ? 'Deployments need an approval.' : ''}
        </p>
      )}
      {error !== undefined && <ErrorNotice error={error} />}
    </section>
  );
}
