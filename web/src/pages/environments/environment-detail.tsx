import { useEffect, useRef, useState } from 'react';
import { subscribeToEvents } from '../../api/events.js';
import {
  deployRelease,
  destroyEnvironment,
  diffDeployments,
  ENVIRONMENT_EVENTS,
  getEnvironment,
  listDeployments,
  listEnvironments,
  listEnvironmentTypes,
  listReleases,
  logStreamUrl,
  promoteComponent,
  rollbackComponent,
  type DeploymentView,
  type EnvironmentDetails,
  type WorkloadView,
} from '../../api/environments.js';
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

type PendingAction =
  | { kind: 'deploy'; component: string; release: string }
  | { kind: 'rollback'; workload: WorkloadView }
  | { kind: 'promote'; workload: WorkloadView; to: string }
  | { kind: 'destroy' };

/** One environment: its workloads (URLs, health, logs), resources, values, deployment history with diffs, and actions. */
export function EnvironmentDetailPage({ name }: { name: string }) {
  const actor = useActor();
  const [showSecrets, setShowSecrets] = useState(false);
  const environment = useApiData((signal) => getEnvironment(name, showSecrets, signal), [name, showSecrets]);
  const history = useApiData((signal) => listDeployments({ environment: name }, signal), [name]);
  const [pending, setPending] = useState<PendingAction>();
  const [logsOf, setLogsOf] = useState<string>();
  const reload = () => {
    environment.reload();
    history.reload();
  };
  useEffect(() => subscribeToEvents(ENVIRONMENT_EVENTS, (event) => (event.subject === `environment:${name}` || (event.payload as { environment?: string }).environment === name) && reload()), [name]);

  const mayDeploy = roleAtLeast(actor.role, 'member');
  const env = environment.data;
  const before = (
    <nav className="breadcrumbs" aria-label="Breadcrumbs">
      <Link to="/environments">Environments</Link> / <span>{name}</span>
    </nav>
  );

  if (environment.error !== undefined && !env) {
    return (
      <Page title={name} before={before}>
        <ErrorNotice error={environment.error} onRetry={environment.reload} />
      </Page>
    );
  }
  if (!env) {
    return (
      <Page title={name} before={before}>
        <Loading label="Loading the environment…" />
      </Page>
    );
  }

  return (
    <Page
      title={env.name}
      before={before}
      className="page--wide"
      description={
        <>
          {env.type} environment{env.owner && <> owned by {env.owner}</>}. {env.expiresAt ? <>Destroys itself <TimeText value={env.expiresAt} />.</> : null}
        </>
      }
      actions={
        mayDeploy && (
          <button type="button" className="button button--danger-ghost" onClick={() => setPending({ kind: 'destroy' })}>
            Destroy…
          </button>
        )
      }
    >
      <section aria-labelledby="workloads-title">
        <h2 id="workloads-title">Workloads</h2>
        {env.workloads.length === 0 ? (
          <EmptyState title="Nothing runs here yet">
            <p>Deploy a release below, or with <code>plinth deploy &lt;component&gt; --env {env.name}</code>.</p>
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Workloads" data-testid="workloads">
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col">Release</th>
                  <th scope="col">Health</th>
                  <th scope="col">URL</th>
                  <th scope="col">Deployed</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {env.workloads.map((w) => (
                  <tr key={w.component} data-workload={w.component}>
                    <th scope="row">{w.component}</th>
                    <td>
                      <code>{w.release}</code>
                    </td>
                    <td>
                      <HealthBadge health={w.health} />
                    </td>
                    <td>{w.url ? <a href={w.url} target="_blank" rel="noreferrer">{w.url}</a> : <span className="muted">—</span>}</td>
                    <td>
                      <TimeText value={w.updatedAt} />
                    </td>
                    <td className="table__actions">
                      <button type="button" className="button button--small" aria-pressed={logsOf === w.component} onClick={() => setLogsOf(logsOf === w.component ? undefined : w.component)}>
                        Logs
                      </button>
                      {mayDeploy && (
                        <>
                          <button type="button" className="button button--small" onClick={() => setPending({ kind: 'rollback', workload: w })}>
                            Roll back…
                          </button>
                          <PromoteButton environment={env} workload={w} onPromote={(to) => setPending({ kind: 'promote', workload: w, to })} />
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {logsOf && <LiveLogs environment={env.name} component={logsOf} />}
      </section>

      {mayDeploy && <DeployForm onDeploy={(component, release) => setPending({ kind: 'deploy', component, release })} />}

      <section aria-labelledby="history-title" aria-busy={history.loading}>
        <h2 id="history-title">History</h2>
        {history.error !== undefined && <ErrorNotice error={history.error} onRetry={history.reload} />}
        {history.data && history.data.length === 0 && <EmptyState title="No deployments yet" />}
        {history.data && history.data.length > 0 && <History deployments={history.data} />}
      </section>

      <section aria-labelledby="resources-title">
        <div className="section-header">
          <h2 id="resources-title">Resources</h2>
          {env.mayReadSecrets && (
            <label className="checkbox">
              <input type="checkbox" checked={showSecrets} onChange={(e) => setShowSecrets(e.target.checked)} /> Show secrets (audited)
            </label>
          )}
        </div>
        {env.resources.length === 0 ? (
          <EmptyState title="No resources">
            <p>Resources are provisioned from the <code>resources</code> of a workload's Score file when it is deployed.</p>
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table table--compact" aria-label="Resources">
              <thead>
                <tr>
                  <th scope="col">Resource</th>
                  <th scope="col">Definition</th>
                  <th scope="col">Status</th>
                  <th scope="col">Outputs</th>
                  <th scope="col">Used by</th>
                </tr>
              </thead>
              <tbody>
                {env.resources.map((r) => (
                  <tr key={r.uid}>
                    <th scope="row">
                      <code>{r.uid}</code>
                    </th>
                    <td>{r.definition}</td>
                    <td>
                      <span className={`badge badge--${r.status === 'ready' ? 'success' : r.status === 'failed' ? 'danger' : 'warning'}`}>{r.status}</span>
                      {r.error && <div className="small">{r.error}</div>}
                    </td>
                    <td>
                      <dl className="kv">
                        {Object.entries(r.outputs).map(([key, value]) => (
                          <div className="kv__row" key={key}>
                            <dt>{key}</dt>
                            <dd className="mono">{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
                          </div>
                        ))}
                      </dl>
                    </td>
                    <td>{r.usedBy.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="values-title">
        <h2 id="values-title">Configuration values</h2>
        {env.values.length === 0 ? (
          <p className="muted">
            None. Set them with <code>plinth env set {env.name} --value KEY=VALUE --secret KEY=VALUE</code>; workloads read them through a <code>type: environment</code> resource.
          </p>
        ) : (
          <dl className="facts">
            {env.values.map((v) => (
              <div className="facts__row" key={v.name}>
                <dt>{v.name}</dt>
                <dd className="mono">{v.value ?? '********'} {v.secret && <span className="badge badge--neutral">secret</span>}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>

      {pending && <PendingDialog environment={env} action={pending} onClose={() => setPending(undefined)} onDone={reload} />}
    </Page>
  );
}

function PromoteButton({ environment, workload, onPromote }: { environment: EnvironmentDetails; workload: WorkloadView; onPromote: (to: string) => void }) {
  const targets = useApiData(async (signal) => {
    const [types, environments] = await Promise.all([listEnvironmentTypes(signal), listEnvironments(signal)]);
    const next = types.find((t) => t.name === environment.type)?.promotesTo;
    return environments.filter((e) => e.type === next);
  }, [environment.type]);
  if (!targets.data?.length) return null;
  return (
    <>
      {targets.data.map((target) => (
        <button key={target.name} type="button" className="button button--small" onClick={() => onPromote(target.name)} aria-label={`Promote ${workload.component} to ${target.name}`}>
          Promote to {target.name}…
        </button>
      ))}
    </>
  );
}

function DeployForm({ onDeploy }: { onDeploy: (component: string, release: string) => void }) {
  const releases = useApiData((signal) => listReleases(undefined, signal), []);
  const [release, setRelease] = useState('');
  const chosen = releases.data?.find((r) => r.id === release);
  if (!releases.data?.length) return null;
  return (
    <section className="card" aria-labelledby="deploy-title">
      <h2 id="deploy-title">Deploy a release</h2>
      <form
        className="form-row"
        onSubmit={(event) => {
          event.preventDefault();
          if (chosen) onDeploy(chosen.component, chosen.id);
        }}
      >
        <label className="field">
          Release
          <select name="release" value={release} onChange={(e) => setRelease(e.target.value)} required>
            <option value="">Choose a release…</option>
            {releases.data.map((r) => (
              <option key={r.id} value={r.id}>
                {r.component} · {r.id}
                {r.commitSha ? ` · ${r.commitSha.slice(0, 7)}` : ''}
              </option>
            ))}
          </select>
        </label>
        <div className="form-row__submit">
          <button type="submit" className="button button--primary" disabled={!chosen}>
            Deploy…
          </button>
        </div>
      </form>
    </section>
  );
}

function History({ deployments }: { deployments: DeploymentView[] }) {
  const [diffOf, setDiffOf] = useState<string>();
  return (
    <div className="table-wrap">
      <table className="table table--compact" aria-label="Deployment history" data-testid="history">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Component</th>
            <th scope="col">Release</th>
            <th scope="col">Action</th>
            <th scope="col">Status</th>
            <th scope="col">By</th>
            <th scope="col">
              <span className="visually-hidden">Diff</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {deployments.map((d) => {
            const previous = deployments.find((p) => p.component === d.component && p.status === 'succeeded' && p.createdAt < d.createdAt);
            return (
              <tr key={d.id} data-deployment={d.id}>
                <td>
                  <TimeText value={d.createdAt} />
                </td>
                <td>{d.component}</td>
                <td>
                  <code>{d.release}</code>
                </td>
                <td>{d.action}</td>
                <td>
                  <DeploymentStatusBadge status={d.status} />
                  {d.error && <div className="small" title={d.error}>{d.error.split('\n')[0]}</div>}
                  {diffOf === d.id && previous && <DiffView from={previous.id} to={d.id} />}
                </td>
                <td>
                  {d.requestedBy}
                  {d.approvedBy && <div className="small muted">approved by {d.approvedBy}</div>}
                </td>
                <td className="table__actions">
                  {previous && (
                    <button type="button" className="button button--small button--ghost" aria-pressed={diffOf === d.id} onClick={() => setDiffOf(diffOf === d.id ? undefined : d.id)}>
                      Diff
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function DiffView({ from, to }: { from: string; to: string }) {
  const diff = useApiData((signal) => diffDeployments(from, to, signal), [from, to]);
  if (diff.error !== undefined) return <ErrorNotice error={diff.error} />;
  if (!diff.data) return <Loading label="Comparing…" />;
  const changed = diff.data.score.filter((l) => l.op !== ' ');
  return (
    <div className="stack" data-testid="diff">
      {diff.data.variables.length > 0 && (
        <ul className="plain-list small">
          {diff.data.variables.map((v) => (
            <li key={`${v.container}.${v.name}`}>
              <code>
                {v.container}.{v.name}
              </code>
              : {v.from ?? '(unset)'} → {v.to ?? '(unset)'}
            </li>
          ))}
        </ul>
      )}
      {changed.length === 0 ? (
        <p className="small muted">The Score spec is the same.</p>
      ) : (
        <pre className="code-block">
          {changed.map((l, i) => (
            <div key={i}>
              {l.op} {l.line}
            </div>
          ))}
        </pre>
      )}
    </div>
  );
}

/** The workload's log, followed live over Server-Sent Events. */
function LiveLogs({ environment, component }: { environment: string; component: string }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string>();
  const end = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setText('');
    setProblem(undefined);
    const source = new EventSource(logStreamUrl(environment, component));
    source.addEventListener('log', (message) => {
      const { text: chunk } = JSON.parse((message as MessageEvent<string>).data) as { text: string };
      setText((current) => (current + chunk).slice(-200_000));
    });
    source.onerror = () => setProblem('The log stream was interrupted; reconnecting…');
    source.onopen = () => setProblem(undefined);
    return () => source.close();
  }, [environment, component]);
  useEffect(() => {
    if (end.current) end.current.scrollTop = end.current.scrollHeight;
  }, [text]);
  return (
    <section aria-label={`Logs of ${component}`} className="card">
      <h3>Logs of {component}</h3>
      {problem && <p className="small muted">{problem}</p>}
      <pre ref={end} className="code-block code-block--tall" aria-live="off" data-testid="logs">
        {text || 'Waiting for output…'}
      </pre>
    </section>
  );
}

function PendingDialog({ environment, action, onClose, onDone }: { environment: EnvironmentDetails; action: PendingAction; onClose: () => void; onDone: () => void }) {
  const [typed, setTyped] = useState('');
  if (action.kind === 'destroy') {
    const needsName = environment.productionLike;
    return (
      <ConfirmDialog
        title={`Destroy ${environment.name}?`}
        confirmLabel="Destroy environment"
        danger
        onClose={onClose}
        onConfirm={async () => {
          await destroyEnvironment(environment.name, needsName ? typed : undefined);
          navigate('/environments');
        }}
      >
        <p>Its workloads stop and its resources are deprovisioned: databases, users and volumes are dropped with their data.</p>
        {needsName && (
          <label className="field">
            Type <strong>{environment.name}</strong> to confirm (a production-like environment)
            <input value={typed} onChange={(e) => setTyped(e.target.value)} aria-label="Environment name to confirm" />
          </label>
        )}
      </ConfirmDialog>
    );
  }
  const { title, label, run, body } =
    action.kind === 'deploy'
      ? { title: `Deploy ${action.component} to ${environment.name}?`, label: 'Deploy', run: () => deployRelease({ environment: environment.name, component: action.component, release: action.release }), body: <>Release <code>{action.release}</code> replaces what runs now, without downtime: the new revision takes traffic once it is ready.</> }
      : action.kind === 'rollback'
        ? { title: `Roll back ${action.workload.component}?`, label: 'Roll back', run: () => rollbackComponent({ component: action.workload.component, environment: environment.name }), body: <>The release that ran before <code>{action.workload.release}</code> is deployed again.</> }
        : { title: `Promote ${action.workload.component} to ${action.to}?`, label: 'Promote', run: () => promoteComponent({ component: action.workload.component, from: environment.name, to: action.to }), body: <>Release <code>{action.workload.release}</code> goes to {action.to}; if {action.to} needs an approval, the deployment waits for it.</> };
  return (
    <ConfirmDialog
      title={title}
      confirmLabel={label}
      onClose={onClose}
      onConfirm={async () => {
        await run();
        onDone();
      }}
    >
      <p>{body}</p>
    </ConfirmDialog>
  );
}
