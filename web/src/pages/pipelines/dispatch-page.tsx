import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { dispatchWorkflow, listRepositories, listWorkflows, type DispatchInput } from '../../api/pipelines.js';
import { Link, navigate, useSearchParams } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { Page } from '../../components/page.js';

/** One form field per `workflow_dispatch` input: text, number, a checkbox for booleans, a select for choices. */
function InputField({ name, spec, error }: { name: string; spec: DispatchInput; error?: string }) {
  const id = `input-${name}`;
  const hint = spec.description ? <span className="field__hint">{spec.description}</span> : null;
  const described = { 'aria-invalid': error ? true : undefined, 'aria-describedby': error ? `${id}-error` : undefined };
  const errorText = error ? (
    <span className="field__error" id={`${id}-error`}>
      {error}
    </span>
  ) : null;
  if (spec.type === 'boolean') {
    return (
      <div className="field field--checkbox">
        <label htmlFor={id}>
          <input id={id} name={name} type="checkbox" defaultChecked={spec.default === true || spec.default === 'true'} {...described} /> {name}
        </label>
        {hint}
        {errorText}
      </div>
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        {name}
        {spec.required ? ' (required)' : ''}
      </label>
      {spec.type === 'choice' ? (
        <select id={id} name={name} defaultValue={spec.default === undefined ? spec.options?.[0] : String(spec.default)} required={spec.required} {...described}>
          {spec.options?.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      ) : (
        <input id={id} name={name} type={spec.type === 'number' ? 'number' : 'text'} step="any" defaultValue={spec.default === undefined ? '' : String(spec.default)} required={spec.required} {...described} />
      )}
      {hint}
      {errorText}
    </div>
  );
}

/** Run a workflow by hand: pick a repository and a workflow with `workflow_dispatch`; its inputs make the form. */
export function DispatchPage() {
  const params = useSearchParams();
  const [repository, setRepository] = useState(params.get('repository') ?? '');
  const [ref, setRef] = useState(params.get('ref') ?? '');
  const [workflowPath, setWorkflowPath] = useState(params.get('workflow') ?? '');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>();
  const repositories = useApiData((signal) => listRepositories(signal), []);
  const workflows = useApiData(async (signal) => (repository ? (await listWorkflows(repository, ref || undefined, signal)).items : []), [repository, ref]);
  const dispatchable = (workflows.data ?? []).filter((w) => w.dispatchInputs !== null);
  const workflow = dispatchable.find((w) => w.path === workflowPath) ?? dispatchable[0];

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!workflow) return;
    const data = new FormData(event.currentTarget);
    const inputs: Record<string, string | number | boolean> = {};
    for (const [name, spec] of Object.entries(workflow.dispatchInputs ?? {})) {
      if (spec.type === 'boolean') inputs[name] = data.get(name) === 'on';
      else {
        const value = String(data.get(name) ?? '');
        if (value !== '') inputs[name] = spec.type === 'number' ? Number(value) : value;
      }
    }
    setSubmitting(true);
    setError(undefined);
    try {
      const run = await dispatchWorkflow({ repository, workflow: workflow.path, ref: ref || undefined, inputs });
      navigate(`/pipelines/runs/${run.id}`);
    } catch (caught) {
      setError(caught);
      setSubmitting(false);
    }
  };
  const fieldError = (name: string) => (error instanceof ApiError ? error.fieldError(`inputs/${name}`) : undefined);

  return (
    <Page title="Run workflow" description="Start a workflow that has a workflow_dispatch trigger, with its inputs." before={<nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/pipelines">Pipelines</Link></nav>}>
      <form className="form dispatch-form" onSubmit={(event) => void submit(event)} aria-label="Run workflow">
        <div className="form-row">
          <div className="field">
            <label htmlFor="dispatch-repository">Repository</label>
            {repositories.error !== undefined ? (
              <ErrorNotice error={repositories.error} onRetry={repositories.reload} />
            ) : (
              <select id="dispatch-repository" value={repository} onChange={(event) => setRepository(event.target.value)} required>
                <option value="">Choose a repository</option>
                {repositories.data?.items.map((r) => (
                  <option key={`${r.namespace}/${r.name}`} value={`${r.namespace}/${r.name}`}>
                    {r.namespace}/{r.name}
                  </option>
                ))}
              </select>
            )}
          </div>
          <div className="field">
            <label htmlFor="dispatch-ref">Branch, tag or commit</label>
            <input id="dispatch-ref" value={ref} onChange={(event) => setRef(event.target.value)} placeholder="default branch" />
          </div>
        </div>
        {repository && workflows.loading && !workflows.data && <Loading label="Reading workflows…" />}
        {workflows.error !== undefined && <ErrorNotice error={workflows.error} onRetry={workflows.reload} title="The workflows could not be read" />}
        {repository && workflows.data && dispatchable.length === 0 && (
          <EmptyState title="No workflow can be run by hand">
            <p>
              Add <code>on: workflow_dispatch</code> to a workflow in <code>.github/workflows/</code> of {repository}.
            </p>
          </EmptyState>
        )}
        {workflow && (
          <>
            <div className="field">
              <label htmlFor="dispatch-workflow">Workflow</label>
              <select id="dispatch-workflow" value={workflow.path} onChange={(event) => setWorkflowPath(event.target.value)}>
                {dispatchable.map((w) => (
                  <option key={w.path} value={w.path}>
                    {w.name} ({w.path})
                  </option>
                ))}
              </select>
            </div>
            <fieldset className="dispatch-inputs" key={workflow.path}>
              <legend>Inputs</legend>
              {Object.keys(workflow.dispatchInputs ?? {}).length === 0 && <p className="muted">This workflow takes no inputs.</p>}
              {Object.entries(workflow.dispatchInputs ?? {}).map(([name, spec]) => (
                <InputField key={name} name={name} spec={spec} error={fieldError(name)} />
              ))}
            </fieldset>
            {error !== undefined && <ErrorNotice error={error} title="The workflow did not start" />}
            <div className="form__actions">
              <button type="submit" className="button button--primary" disabled={submitting}>
                {submitting ? 'Starting…' : 'Run workflow'}
              </button>
            </div>
          </>
        )}
      </form>
    </Page>
  );
}
