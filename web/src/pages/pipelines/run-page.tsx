import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../../api/client.js';
import { artifactUrl, cancelRun, getRun, rerunRun, subscribeToRun, type Annotation, type LogLine, type PipelineJob, type RunDetails } from '../../api/pipelines.js';
import { roleAtLeast, useActor } from '../../app/auth-context.js';
import { Link } from '../../app/router.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { Page } from '../../components/page.js';
import { TimeText } from '../../components/time-text.js';
import { JobGraph } from './job-graph.js';
import { LogView } from './log-view.js';
import { renderSummary } from './markdown.js';
import { RunStatusBadge, formatDuration, statusOf } from './run-status.js';

/** Where an annotation's file:line is shown: the repository file browser at the run's commit. */
export function annotationHref(repository: string, sha: string, annotation: Annotation): string | undefined {
  if (!annotation.file) return undefined;
  const path = annotation.file.split('/').map(encodeURIComponent).join('/');
  return `/repositories/${repository}/blob/${sha}/${path}${annotation.line ? `#L${annotation.line}` : ''}`;
}

function mergeLines(existing: LogLine[] = [], added: LogLine[]): LogLine[] {
  const last = existing.at(-1)?.line ?? 0;
  const fresh = added.filter((line) => line.line > last);
  return fresh.length ? [...existing, ...fresh] : existing;
}

/** A run: status, the needs graph, every job with live logs, annotations, summaries and artifacts; cancel and re-run. */
export function RunPage({ id }: { id: number }) {
  const actor = useActor();
  const [run, setRun] = useState<RunDetails>();
  const [error, setError] = useState<unknown>();
  const [logs, setLogs] = useState<Record<number, LogLine[]>>({});
  const [selected, setSelected] = useState<number>();
  const [live, setLive] = useState(false);
  const [stream, setStream] = useState(0);
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();

  useEffect(() => {
    const controller = new AbortController();
    getRun(id, controller.signal).then(setRun, (caught: unknown) => !controller.signal.aborted && setError(caught));
    setLive(true);
    const unsubscribe = subscribeToRun(id, {
      onRun: (details) => setRun((current) => ({ ...details, artifacts: details.artifacts ?? current?.artifacts })),
      onLines: (jobId, lines) => setLogs((current) => ({ ...current, [jobId]: mergeLines(current[jobId], lines) })),
      onEnd: () => {
        setLive(false);
        // Artifacts are listed with the run only: fetch them once it has ended.
        getRun(id).then(setRun, () => {});
      },
    });
    return () => {
      controller.abort();
      unsubscribe();
    };
  }, [id, stream]);

  const jobs = run?.jobs ?? [];
  const current = jobs.find((j) => j.id === selected) ?? jobs.find((j) => j.status === 'in_progress') ?? jobs.find((j) => j.conclusion === 'failure') ?? jobs[0];
  const annotations = useMemo(() => jobs.flatMap((job) => job.annotations.map((annotation) => ({ job, annotation }))), [jobs]);

  if (error) return <ErrorNotice error={error} title={error instanceof ApiError && error.status === 404 ? `There is no run ${id}` : 'The run could not be loaded'} />;
  if (!run) return <Loading label="Loading the run…" />;

  const mayRun = roleAtLeast(actor.role, 'member');
  const act = async (name: string, action: () => Promise<unknown>) => {
    setBusy(name);
    setActionError(undefined);
    try {
      await action();
      if (name !== 'cancel') {
        setLogs({});
        setSelected(undefined);
        setStream((n) => n + 1);
      }
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusy(undefined);
    }
  };
  const hasFailed = jobs.some((j) => j.conclusion === 'failure' || j.conclusion === 'cancelled');

  return (
    <Page
      title={`${run.workflowName} #${run.runNumber}`}
      className="page--wide run-page"
      before={
        <nav className="breadcrumbs" aria-label="Breadcrumbs">
          <Link to="/pipelines">Pipelines</Link> / <Link to={`/pipelines?repository=${encodeURIComponent(run.repository)}`}>{run.repository}</Link>
        </nav>
      }
      description={
        <span className="run-meta">
          <RunStatusBadge item={run} /> <span className="mono">{run.refName}</span> · <span className="mono" title={run.sha}>{run.sha.slice(0, 10)}</span> · {run.event} by <span className="mono">{run.actor}</span> · <TimeText value={run.createdAt} /> · {formatDuration(run.startedAt, run.completedAt)}
          {run.attempt > 1 ? ` · attempt ${run.attempt}` : ''}
        </span>
      }
      actions={
        mayRun ? (
          run.status !== 'completed' ? (
            <button type="button" className="button button--danger" disabled={busy !== undefined || run.conclusion === 'cancelled'} onClick={() => void act('cancel', () => cancelRun(run.id))}>
              {run.conclusion === 'cancelled' ? 'Cancelling…' : 'Cancel run'}
            </button>
          ) : (
            <>
              {hasFailed && (
                <button type="button" className="button" disabled={busy !== undefined} onClick={() => void act('rerun-failed', () => rerunRun(run.id, true))}>
                  Re-run failed jobs
                </button>
              )}
              <button type="button" className="button button--primary" disabled={busy !== undefined} onClick={() => void act('rerun', () => rerunRun(run.id, false))}>
                Re-run all jobs
              </button>
            </>
          )
        ) : undefined
      }
    >
      {actionError !== undefined && <ErrorNotice error={actionError} />}
      {Object.keys(run.inputs).length > 0 && (
        <p className="muted small">
          Inputs:{' '}
          {Object.entries(run.inputs).map(([name, value]) => (
            <code key={name} className="run-input">
              {name}={String(value)}
            </code>
          ))}
        </p>
      )}
      <section className="card run-graph" aria-label="Job graph">
        <JobGraph jobs={jobs} selected={current?.id} onSelect={setSelected} />
      </section>

      {annotations.length > 0 && (
        <section className="card" aria-labelledby="annotations-title">
          <h2 id="annotations-title">Annotations</h2>
          <ul className="annotations">
            {annotations.map(({ job, annotation }, i) => {
              const href = annotationHref(run.repository, run.sha, annotation);
              return (
                <li key={i} className={`annotation annotation--${annotation.level}`}>
                  <span className={`badge ${annotation.level === 'error' ? 'badge--danger' : annotation.level === 'warning' ? 'badge--warning' : 'badge--neutral'}`}>{annotation.level}</span>{' '}
                  {href ? (
                    <Link to={href} className="mono">
                      {annotation.file}
                      {annotation.line ? `:${annotation.line}` : ''}
                    </Link>
                  ) : null}{' '}
                  {annotation.title ? <strong>{annotation.title}: </strong> : null}
                  {annotation.message} <span className="muted small">({job.name})</span>
                </li>
              );
            })}
          </ul>
        </section>
      )}

      <div className="run-jobs">
        <nav className="run-jobs__list" aria-label="Jobs">
          <ul>
            {jobs.map((job) => (
              <li key={job.id}>
                <button type="button" className={`run-job${job.id === current?.id ? ' run-job--selected' : ''}`} aria-current={job.id === current?.id} onClick={() => setSelected(job.id)} data-job-id={job.id}>
                  <RunStatusBadge item={job} /> <span>{job.name}</span>
                </button>
              </li>
            ))}
          </ul>
        </nav>
        {current && <JobPanel job={current} lines={logs[current.id] ?? []} live={live && current.status !== 'completed'} />}
      </div>

      {jobs.some((j) => j.summary) && (
        <section className="card" aria-labelledby="summary-title">
          <h2 id="summary-title">Summary</h2>
          {jobs
            .filter((j) => j.summary)
            .map((job) => (
              <article key={job.id} className="step-summary">
                <h3>{job.name}</h3>
                {/* renderSummary escapes raw HTML and unsafe links. */}
                <div className="markdown" dangerouslySetInnerHTML={{ __html: renderSummary(job.summary!) }} />
              </article>
            ))}
        </section>
      )}

      <section className="card" aria-labelledby="artifacts-title">
        <h2 id="artifacts-title">Artifacts</h2>
        {run.artifacts?.length ? (
          <ul className="artifacts">
            {run.artifacts.map((artifact) => (
              <li key={artifact.name}>
                {artifact.expired ? (
                  <span className="muted">{artifact.name} (expired)</span>
                ) : (
                  <a href={artifactUrl(run.id, artifact.name)} download>
                    {artifact.name}
                  </a>
                )}{' '}
                <span className="muted small">
                  {(artifact.size / 1024).toFixed(1)} KiB · kept until <TimeText value={artifact.expiresAt} mode="absolute" />
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">{run.status === 'completed' ? 'This run uploaded no artifacts.' : 'Artifacts appear here once jobs upload them.'}</p>
        )}
      </section>
    </Page>
  );
}

function JobPanel({ job, lines, live }: { job: PipelineJob; lines: LogLine[]; live: boolean }) {
  return (
    <section className="run-job-panel" aria-labelledby={`job-${job.id}-title`}>
      <div className="section-header">
        <h2 id={`job-${job.id}-title`}>{job.name}</h2>
        <span className="muted small">
          {statusOf(job).replace('_', ' ')}
          {job.waitingFor ? ` for ${job.waitingFor}` : ''} · {formatDuration(job.startedAt, job.completedAt)}
          {job.runner ? ` · on ${job.runner}` : ''}
          {job.runsOn.length ? ` · runs-on ${job.runsOn.join(', ')}` : ''}
        </span>
      </div>
      {job.error && <pre className="notice notice--error job-error">{job.error}</pre>}
      {job.steps.length > 0 && (
        <ol className="steps">
          {job.steps.map((step) => (
            <li key={step.number} className="step">
              <RunStatusBadge item={step} /> {step.name}{' '}
              <span className="muted small">{formatDuration(step.startedAt, step.completedAt)}</span>
            </li>
          ))}
        </ol>
      )}
      <LogView lines={lines} jobId={job.id} live={live} />
    </section>
  );
}
