import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import { ApiError } from '../../api/client.js';
import { createTask, getParameterSchema, type FieldSchema } from '../../api/scaffolder.js';
import { navigate } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { Breadcrumbs } from '../../components/breadcrumbs.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { Page } from '../../components/page.js';
import { CREATE_PATH, taskPath } from './create-paths.js';
import { displayValue, labelOf, orderedProperties, typeOf, validateStep, withDefaults, type FieldErrors, type FormValues } from './form-values.js';
import { fieldId, SchemaForm } from './schema-form.js';

/**
 * A template's form: one page per parameter step, each checked before moving on, then a
 * review page; creating starts a task and opens its page.
 */
export function TemplateWizard({ namespace, name }: { namespace: string; name: string }) {
  const schema = useApiData((signal) => getParameterSchema(namespace, name, signal), [namespace, name]);
  const [stepIndex, setStepIndex] = useState(0);
  const [values, setValues] = useState<FormValues>({});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<unknown>();

  // `ui:autofocus` on a page's field: after the page's heading took focus (Page does that on mount).
  const loaded = schema.data !== undefined;
  useEffect(() => {
    if (!loaded) return;
    const timer = window.setTimeout(() => document.querySelector<HTMLElement>('.wizard-form [data-autofocus]')?.focus());
    return () => window.clearTimeout(timer);
  }, [stepIndex, loaded]);

  const crumbs = <Breadcrumbs items={[{ label: 'Create', to: CREATE_PATH }]} />;
  if (schema.error) {
    return (
      <Page title={name} before={crumbs}>
        <ErrorNotice error={schema.error} title="This template cannot be loaded" onRetry={schema.reload} />
      </Page>
    );
  }
  if (!schema.data) return <Loading label="Loading the template…" />;
  const steps = schema.data.steps;
  const reviewing = stepIndex >= steps.length;
  const step = steps[stepIndex];
  // Defaults of every step are filled in as values, so the review shows them and they are sent.
  const current = steps.reduce((acc, s) => withDefaults(s.schema, acc), values);

  const next = (event: FormEvent) => {
    event.preventDefault();
    if (!step) return;
    const problems = validateStep(step.schema, current);
    setErrors(problems);
    const first = Object.keys(problems)[0];
    if (first) {
      document.getElementById(fieldId(first))?.focus();
      return;
    }
    setStepIndex(stepIndex + 1);
  };

  const submit = async () => {
    // Every step again: values of an earlier step may have been cleared since.
    for (const [i, s] of steps.entries()) {
      const problems = validateStep(s.schema, current);
      if (Object.keys(problems).length) {
        setErrors(problems);
        setStepIndex(i);
        return;
      }
    }
    setSubmitting(true);
    setSubmitError(undefined);
    try {
      const { id } = await createTask(`template:${namespace}/${name}`, current);
      navigate(taskPath(id));
    } catch (error) {
      setSubmitError(error);
      setSubmitting(false);
    }
  };

  return (
    <Page title={schema.data.title || name} before={crumbs} description={schema.data.description}>
      <ol className="wizard-steps" aria-label="Steps">
        {[...steps.map((s) => s.title), 'Review'].map((title, i) => (
          <li key={i} aria-current={i === stepIndex ? 'step' : undefined} className={i < stepIndex ? 'wizard-steps__done' : undefined}>
            {i < stepIndex ? (
              <button type="button" className="link-button" onClick={() => setStepIndex(i)}>
                {i + 1}. {title}
              </button>
            ) : (
              <span>
                {i + 1}. {title}
              </span>
            )}
          </li>
        ))}
      </ol>
      {reviewing ? (
        <section className="card" aria-labelledby="review-title">
          <h2 id="review-title">Review</h2>
          {steps.map((s, i) => (
            <div key={i} className="review-step">
              <h3 className="subheading">
                {s.title}{' '}
                <button type="button" className="button button--small button--ghost" onClick={() => setStepIndex(i)}>
                  Edit
                </button>
              </h3>
              <dl className="kv">{reviewRows(s.schema, current)}</dl>
            </div>
          ))}
          {submitError !== undefined && <ErrorNotice error={submitError} title={submitError instanceof ApiError && submitError.status === 400 ? 'The template refused these values' : undefined} />}
          <div className="wizard-actions">
            <button type="button" className="button" onClick={() => setStepIndex(stepIndex - 1)} disabled={submitting}>
              Back
            </button>
            <button type="button" className="button button--primary" onClick={() => void submit()} disabled={submitting} autoFocus>
              {submitting ? 'Creating…' : 'Create'}
            </button>
          </div>
        </section>
      ) : (
        <form className="card wizard-form" onSubmit={next} noValidate aria-labelledby="step-title">
          <h2 id="step-title">{step!.title}</h2>
          {step!.description && <p className="muted">{step!.description}</p>}
          <SchemaForm
            schema={step!.schema}
            values={current}
            errors={errors}
            onChange={(changed) => {
              setValues(changed);
              // A corrected field loses its message as soon as it is valid.
              if (Object.keys(errors).length) setErrors((old) => Object.fromEntries(Object.entries(old).filter(([path]) => path in validateStep(step!.schema, changed))));
            }}
          />
          <div className="wizard-actions">
            {stepIndex > 0 && (
              <button type="button" className="button" onClick={() => setStepIndex(stepIndex - 1)}>
                Back
              </button>
            )}
            <button type="submit" className="button button--primary">
              {stepIndex === steps.length - 1 ? 'Review' : 'Next'}
            </button>
          </div>
        </form>
      )}
    </Page>
  );
}

function reviewRows(schema: FieldSchema, values: FormValues, prefix = ''): ReactElement[] {
  return orderedProperties(schema).flatMap(([key, field]) => {
    if (field['ui:widget'] === 'hidden') return [];
    const label = prefix ? `${prefix} › ${labelOf(key, field)}` : labelOf(key, field);
    if (typeOf(field) === 'object' && field.properties && !field['ui:field']) return reviewRows(field, (values[key] as FormValues | undefined) ?? {}, label);
    return [
      <div className="kv__row" key={label}>
        <dt>{label}</dt>
        <dd>{displayValue(field, values[key])}</dd>
      </div>,
    ];
  });
}
