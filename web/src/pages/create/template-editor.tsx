import { useEffect, useMemo, useState } from 'react';
import { parseDocument } from 'yaml';
import { dryRunTemplate, type DryRunResult } from '../../api/scaffolder.js';
import { Breadcrumbs } from '../../components/breadcrumbs.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Page } from '../../components/page.js';
import { CREATE_PATH } from './create-paths.js';

const DRY_RUN_DELAY_MS = 600;

const SAMPLE_TEMPLATE = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: hello-service
  title: Hello service
spec:
  owner: group:default/platform
  type: service
  parameters:
    - title: About the service
      required: [name]
      properties:
        name:
          title: Name
          type: string
          ui:field: EntityNamePicker
  steps:
    - id: log
      name: Say hello
      action: debug:log
      input:
        message: Creating \${{ parameters.name }}
    - id: write
      name: Describe it
      action: catalog:write
      input:
        entity:
          apiVersion: backstage.io/v1alpha1
          kind: Component
          metadata:
            name: \${{ parameters.name }}
          spec:
            type: service
            lifecycle: experimental
            owner: group:default/platform
  output:
    text:
      - title: Name
        content: \${{ parameters.name }}
`;

const SAMPLE_VALUES = 'name: hello\n';

/** Parses one YAML document; a syntax error comes back with its line and column. */
export function parseYamlInput(text: string, what: string): { value?: unknown; error?: string } {
  const document = parseDocument(text);
  const first = document.errors[0];
  if (first) {
    const at = first.linePos?.[0];
    return { error: `${what}${at ? ` line ${at.line}, column ${at.col}` : ''}: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` };
  }
  return { value: document.toJS() };
}

export function decodeBase64(base64: string): { text?: string; binary: boolean } {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  if (bytes.subarray(0, 8000).includes(0)) return { binary: true };
  return { text: new TextDecoder().decode(bytes), binary: false };
}

/**
 * Write a template and try it at once: every pause in typing dry-runs it on the server
 * (nothing is published or registered) and shows the log, the errors and the files it would write.
 */
export function TemplateEditor() {
  const [templateText, setTemplateText] = useState(SAMPLE_TEMPLATE);
  const [valuesText, setValuesText] = useState(SAMPLE_VALUES);
  const [result, setResult] = useState<DryRunResult>();
  const [error, setError] = useState<unknown>();
  const [running, setRunning] = useState(false);
  const [selected, setSelected] = useState<string>();

  const template = useMemo(() => parseYamlInput(templateText, 'template.yaml'), [templateText]);
  const values = useMemo(() => parseYamlInput(valuesText || '{}', 'values.yaml'), [valuesText]);
  const parseError = template.error ?? values.error ?? (values.value !== null && typeof values.value !== 'object' ? 'values.yaml: must be a mapping of parameter names to values' : undefined);

  useEffect(() => {
    if (parseError) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      setRunning(true);
      dryRunTemplate(template.value, (values.value as Record<string, unknown> | null) ?? {}, controller.signal)
        .then((answer) => {
          setResult(answer);
          setError(undefined);
        })
        .catch((caught: unknown) => {
          if (!controller.signal.aborted) setError(caught);
        })
        .finally(() => {
          if (!controller.signal.aborted) setRunning(false);
        });
    }, DRY_RUN_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [templateText, valuesText, parseError]);

  const files = [...(result?.directoryContents ?? [])].sort((a, b) => a.path.localeCompare(b.path));
  const file = files.find((f) => f.path === selected) ?? files[0];
  const decoded = file ? decodeBase64(file.base64Content) : undefined;

  return (
    <Page
      title="Template editor"
      className="page--wide"
      before={<Breadcrumbs items={[{ label: 'Create', to: CREATE_PATH }]} />}
      description="Edit a template and its parameter values; it is dry-run as you type: nothing is published or registered."
    >
      <div className="editor-grid">
        <div className="field">
          <label htmlFor="template-yaml">template.yaml</label>
          <textarea id="template-yaml" className="editor-text" rows={26} spellCheck={false} value={templateText} onChange={(e) => setTemplateText(e.target.value)} />
        </div>
        <div>
          <div className="field">
            <label htmlFor="values-yaml">Parameter values (YAML)</label>
            <textarea id="values-yaml" className="editor-text" rows={8} spellCheck={false} value={valuesText} onChange={(e) => setValuesText(e.target.value)} />
          </div>
          <p className="small muted" role="status" aria-live="polite">
            {parseError ? 'Waiting for valid YAML…' : running ? 'Dry-running…' : result ? 'Up to date.' : ''}
          </p>
          {parseError && (
            <div className="notice notice--error" role="alert">
              <p>{parseError}</p>
            </div>
          )}
          {!parseError && error !== undefined && <ErrorNotice error={error} title="The dry run failed" />}
          {result && (
            <>
              <h2 className="subheading">Log</h2>
              <pre className="code-block" aria-label="Dry-run log" tabIndex={0}>
                {result.log.map((l) => `${l.body.stepId ? `[${l.body.stepId}] ` : ''}${l.body.message}`).join('\n') || 'No output.'}
              </pre>
            </>
          )}
        </div>
      </div>
      {result && (
        <section className="card" aria-labelledby="files-title">
          <h2 id="files-title">Files ({files.length})</h2>
          {files.length === 0 ? (
            <EmptyState title="No files">The template's steps wrote no files to the workspace.</EmptyState>
          ) : (
            <div className="editor-files">
              <ul className="plain-list editor-files__tree" aria-label="Rendered files">
                {files.map((f) => {
                  const slash = f.path.lastIndexOf('/') + 1;
                  return (
                    <li key={f.path}>
                      <button type="button" className="link-button mono" aria-current={f === file ? 'true' : undefined} onClick={() => setSelected(f.path)}>
                        <span className="muted">{f.path.slice(0, slash)}</span>
                        {f.path.slice(slash)}
                        {f.executable ? ' (executable)' : ''}
                      </button>
                    </li>
                  );
                })}
              </ul>
              <div>
                {decoded?.binary ? (
                  <p className="muted">Binary file.</p>
                ) : (
                  <pre className="code-block code-block--tall" aria-label={`Contents of ${file?.path}`} tabIndex={0}>
                    {decoded?.text}
                  </pre>
                )}
              </div>
            </div>
          )}
        </section>
      )}
    </Page>
  );
}
