import { useEffect, useRef, useState } from 'react';
import { getEntityByName } from '../../api/catalog.js';
import { cancelTask, getTask, isFinished, retryTask, subscribeToTask, type Task, type TaskEvent, type TaskStep } from '../../api/scaffolder.js';
import { Link } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { Breadcrumbs } from '../../components/breadcrumbs.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { Page } from '../../components/page.js';
import { TimeText } from '../../components/time-text.js';
import { entityPathOfRef, humanizeRef, parseEntityRef } from '../catalog/refs.js';
import { CREATE_PATH } from './create-paths.js';

const POLL_MS = 1000;
const STATUS_BADGE: Record<string, string> = { completed: 'badge--success', failed: 'badge--danger', cancelled: 'badge--warning', processing: 'badge--accent', open: 'badge--neutral', skipped: 'badge--neutral' };

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function taskErrorMessage(task: Task): { message: string; stepId?: string } | undefined {
  if (!task.error) return undefined;
  return typeof task.error === 'string' ? { message: task.error } : task.error;
}

/** A task as it runs: steps with status and duration, each step's live log, the output links, cancel and retry. */
export function TaskPage({ id }: { id: string }) {
  const [attempt, setAttempt] = useState(0);
  const task = useApiData((signal) => getTask(id, signal), [id, attempt]);
  const [events, setEvents] = useState<TaskEvent[]>([]);
  const [streamFailed, setStreamFailed] = useState(false);
  const [busy, setBusy] = useState<'cancel' | 'retry'>();
  const [actionError, setActionError] = useState<unknown>();
  const [opened, setOpened] = useState<Record<string, boolean>>({});
  const status = task.data?.status;
  // The template's title, from the catalog when the task names only its ref.
  const templateRef = task.data?.spec?.templateInfo?.entityRef ?? task.data?.templateRef;
  const template = useApiData(async (signal) => {
    const name = templateRef ? parseEntityRef(templateRef, { kind: 'template' }) : undefined;
    return name ? getEntityByName(name.kind, name.namespace, name.name, signal).catch(() => undefined) : undefined;
  }, [templateRef]);

  // The live log; the server replays earlier events, so a reload shows the whole log.
  useEffect(() => {
    setEvents([]);
    setStreamFailed(false);
    const seen = new Set<string>();
    const unsubscribe = subscribeToTask(
      id,
      (event) => {
        if (seen.has(String(event.id))) return;
        seen.add(String(event.id));
        setEvents((old) => [...old, event]);
        if (event.type !== 'log') {
          unsubscribe();
          task.reload();
        }
      },
      () => setStreamFailed(true),
    );
    return unsubscribe;
  }, [id, attempt]);

  // Step statuses and durations change without a log line: poll the task until it ends.
  const { reload } = task;
  useEffect(() => {
    if (!status || isFinished(status)) return;
    const timer = window.setInterval(reload, POLL_MS);
    return () => window.clearInterval(timer);
  }, [status, reload]);

  const act = async (action: 'cancel' | 'retry') => {
    setBusy(action);
    setActionError(undefined);
    try {
      if (action === 'cancel') {
        await cancelTask(id);
        task.reload();
      } else {
        await retryTask(id);
        setAttempt((n) => n + 1);
      }
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(undefined);
    }
  };

  const crumbs = <Breadcrumbs items={[{ label: 'Create', to: CREATE_PATH }]} />;
  if (task.error && !task.data) {
    return (
      <Page title="Task" before={crumbs}>
        <ErrorNotice error={task.error} onRetry={task.reload} />
      </Page>
    );
  }
  if (!task.data) return <Loading label="Loading the task…" />;
  const data = task.data;
  const error = taskErrorMessage(data);
  // The error belongs to the step it names, else to the step that failed; only a task-level one stands alone.
  const errorStepId = error ? (error.stepId ?? data.steps.find((s) => s.status === 'failed')?.id) : undefined;
  const templateTitle = data.spec?.templateInfo?.entity?.metadata?.title ?? template.data?.metadata.title ?? template.data?.metadata.name ?? (templateRef && humanizeRef(templateRef));
  const logOf = (stepId: string | undefined) => events.filter((e) => e.type === 'log' && e.body.stepId === stepId);
  const taskLog = logOf(undefined);
  const isOpen = (step: TaskStep) => opened[step.id] ?? (step.status === 'processing' || step.status === 'failed');

  return (
    <Page
      title={templateTitle ? `Creating from ${templateTitle}` : 'Task'}
      before={crumbs}
      description={
        <>
          <span className={`badge ${STATUS_BADGE[data.status] ?? 'badge--neutral'}`} role="status" aria-live="polite" data-testid="task-status">
            {data.status}
          </span>
          {data.createdAt && (
            <>
              {' '}
              · started <TimeText value={data.createdAt} />
            </>
          )}
          {data.createdBy && <> by {humanizeRef(data.createdBy)}</>}
        </>
      }
      actions={
        <>
          {(data.status === 'open' || data.status === 'processing') && (
            <button type="button" className="button button--danger" onClick={() => void act('cancel')} disabled={Boolean(busy)}>
              {busy === 'cancel' ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
          {(data.status === 'failed' || data.status === 'cancelled') && (
            <button type="button" className="button button--primary" onClick={() => void act('retry')} disabled={Boolean(busy)}>
              {busy === 'retry' ? 'Retrying…' : 'Retry'}
            </button>
          )}
        </>
      }
    >
      {actionError !== undefined && <ErrorNotice error={actionError} />}
      {streamFailed && !isFinished(data.status) && <div className="notice notice--warning">The live log disconnected; the steps still update.</div>}
      {error && !errorStepId && (
        <div className="notice notice--error" role="alert">
          <p className="notice__title">The task failed</p>
          <p>{error.message}</p>
        </div>
      )}
      {data.status === 'completed' && <TaskOutput task={data} />}
      <TaskProgress steps={data.steps} />
      <ol className="task-steps" aria-label="Steps">
        {data.steps.map((step, i) => {
          const log = logOf(step.id);
          const open = isOpen(step);
          return (
            <li key={step.id} className={`task-step task-step--${step.status}`}>
              <div className="task-step__head">
                <span className={`badge ${STATUS_BADGE[step.status] ?? 'badge--neutral'}`}>{step.status === 'processing' ? 'running' : step.status}</span>
                <button type="button" className="link-button task-step__name" aria-expanded={open} aria-controls={`step-log-${i}`} onClick={() => setOpened({ ...opened, [step.id]: !open })}>
                  {step.name}
                </button>
                <code className="small muted">{step.action}</code>
                <span className="small muted task-step__duration">{step.status === 'processing' ? 'running…' : formatDuration(step.durationMs)}</span>
              </div>
              {error && errorStepId === step.id && (
                <div className="notice notice--error" role="alert">
                  <p>{error.message}</p>
                </div>
              )}
              {open && <LogView id={`step-log-${i}`} lines={log} label={`Log of ${step.name}`} />}
            </li>
          );
        })}
      </ol>
      {taskLog.length > 0 && (
        <details className="task-log">
          <summary>Task log</summary>
          <LogView id="task-log" lines={taskLog} label="Task log" />
        </details>
      )}
      {data.status !== 'completed' && data.output && (data.output.links?.length || data.output.text?.length) ? <TaskOutput task={data} /> : null}
    </Page>
  );
}

function TaskProgress({ steps }: { steps: TaskStep[] }) {
  const done = steps.filter((s) => s.status === 'completed' || s.status === 'skipped').length;
  return (
    <div className="task-progress">
      <progress id="task-progress" max={Math.max(steps.length, 1)} value={done} aria-label="Steps done" />
      <span className="small muted">
        {done} of {steps.length} steps done
      </span>
    </div>
  );
}

/** A log that follows new lines while scrolled to its end. */
function LogView({ id, lines, label }: { id: string; lines: TaskEvent[]; label: string }) {
  const ref = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  useEffect(() => {
    if (atEnd.current && ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [lines.length]);
  return (
    <pre
      id={id}
      ref={ref}
      className="code-block task-log__lines"
      tabIndex={0}
      aria-label={label}
      onScroll={(e) => {
        const el = e.currentTarget;
        atEnd.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
      }}
    >
      {lines.length === 0 ? <span className="muted">No output yet.</span> : lines.map((line) => `${line.body.message}\n`).join('')}
    </pre>
  );
}

function TaskOutput({ task }: { task: Task }) {
  const links = task.output?.links ?? [];
  const texts = task.output?.text ?? [];
  if (links.length === 0 && texts.length === 0) return null;
  return (
    <section className="card task-output" aria-labelledby="task-output-title">
      <h2 id="task-output-title">{task.status === 'completed' ? 'Done' : 'Output'}</h2>
      {links.length > 0 && (
        <ul className="links task-output__links">
          {links.map((link, i) => {
            const local = link.entityRef ? entityPathOfRef(link.entityRef) : undefined;
            const title = link.title ?? (link.entityRef ? humanizeRef(link.entityRef) : link.url);
            return (
              <li key={i}>
                {local ? (
                  <Link className="button" to={local}>
                    {title}
                  </Link>
                ) : link.url ? (
                  <a className="button" href={link.url} target="_blank" rel="noopener noreferrer">
                    {title}
                  </a>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
      {texts.map((text, i) => (
        <div key={i}>
          {text.title && <h3 className="subheading">{text.title}</h3>}
          <pre className="code-block">{text.content}</pre>
        </div>
      ))}
    </section>
  );
}
