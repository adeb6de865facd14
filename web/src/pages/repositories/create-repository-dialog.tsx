import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { createRepository, type Repository } from '../../api/repositories.js';
import { ErrorNotice } from '../../components/error-notice.js';

const FIELDS = ['namespace', 'name', 'owner', 'description'] as const;
type Field = (typeof FIELDS)[number];
const NAME_RULE = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Creates a hosted repository. The native <dialog> traps focus; Escape closes it. */
export function CreateRepositoryDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (repository: Repository) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [values, setValues] = useState<Record<Field, string>>({ namespace: 'default', name: '', owner: '', description: '' });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const errors: Partial<Record<Field, string>> = {};
    if (!NAME_RULE.test(values.name)) errors.name = 'Lower-case letters, digits, ".", "_" and "-", starting and ending with a letter or digit.';
    if (!NAME_RULE.test(values.namespace)) errors.namespace = 'Lower-case letters, digits, ".", "_" and "-".';
    if (values.owner && !/^(group|user):[a-z0-9._-]+\/[A-Za-z0-9._-]+$/.test(values.owner)) errors.owner = 'An entity ref such as group:default/team-a, or empty.';
    setFieldErrors(errors);
    const first = FIELDS.find((f) => errors[f]);
    if (first) {
      document.getElementById(`repository-${first}`)?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await createRepository({ namespace: values.namespace, name: values.name, owner: values.owner || undefined, description: values.description || undefined }));
    } catch (caught) {
      const field = caught instanceof ApiError ? FIELDS.find((f) => caught.fieldError(f)) : undefined;
      if (caught instanceof ApiError && field) {
        setFieldErrors({ [field]: caught.fieldError(field) ?? caught.detail });
        document.getElementById(`repository-${field}`)?.focus();
      } else if (caught instanceof ApiError && caught.code === 'REPOSITORY_EXISTS') {
        setFieldErrors({ name: caught.detail });
        document.getElementById('repository-name')?.focus();
      } else setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const input = (field: Field, label: string, props: { hint?: string; placeholder?: string; autoFocus?: boolean } = {}) => (
    <div className="field">
      <label htmlFor={`repository-${field}`}>{label}</label>
      <input
        id={`repository-${field}`}
        value={values[field]}
        onChange={(e) => {
          setValues({ ...values, [field]: e.target.value });
          setFieldErrors({ ...fieldErrors, [field]: undefined });
        }}
        placeholder={props.placeholder}
        autoFocus={props.autoFocus}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={fieldErrors[field] ? true : undefined}
        aria-describedby={`repository-${field}-note`}
      />
      {fieldErrors[field] ? (
        <p className="field__error" id={`repository-${field}-note`}>
          {fieldErrors[field]}
        </p>
      ) : (
        <p className="field__hint" id={`repository-${field}-note`}>
          {props.hint}
        </p>
      )}
    </div>
  );

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="create-repository-title"
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      <h2 id="create-repository-title">New repository</h2>
      <form onSubmit={submit} noValidate>
        {input('name', 'Name', { autoFocus: true, placeholder: 'payments-api' })}
        {input('namespace', 'Namespace', { hint: 'Part of the clone URL: /git/<namespace>/<name>.git' })}
        {input('owner', 'Owner (optional)', { placeholder: 'group:default/team-a', hint: 'Owners may push to and delete the repository.' })}
        {input('description', 'Description (optional)')}
        {error !== undefined && <ErrorNotice error={error} />}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create repository'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
