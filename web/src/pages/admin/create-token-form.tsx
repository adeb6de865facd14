import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { createApiToken } from '../../api/tokens.js';
import { ROLES, type CreatedApiToken, type Role } from '../../api/types.js';
import { roleAtLeast } from '../../app/auth-context.js';
import { ErrorNotice } from '../../components/error-notice.js';

const EXPIRY_CHOICES = [
  { days: 7, label: '7 days' },
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 365, label: '1 year' },
  { days: 0, label: 'Never' },
];
// Mirrors the server's NAME_PATTERN, to say what is wrong before the round trip.
const NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

const FIELDS = ['name', 'role', 'expiresInDays'] as const;
type Field = (typeof FIELDS)[number];

/** Name, role (no stronger than one's own) and expiry; field errors from the server are shown next to their field. */
export function CreateTokenForm({ maxRole, onCreated }: { maxRole: Role; onCreated: (created: CreatedApiToken) => void }) {
  const roles = ROLES.filter((r) => roleAtLeast(maxRole, r));
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(roles.includes('member') ? 'member' : 'viewer');
  const [expiresInDays, setExpiresInDays] = useState(90);
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<unknown>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!NAME_PATTERN.test(trimmed)) {
      setFieldErrors({ name: trimmed ? 'Use letters, digits, “.”, “_” or “-” (up to 63), starting and ending with a letter or digit.' : 'Give the token a name, e.g. ci-deploy.' });
      document.getElementById('token-name')?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    setFieldErrors({});
    try {
      const created = await createApiToken({ name: trimmed, role, ...(expiresInDays ? { expiresInDays } : {}) });
      setName('');
      onCreated(created);
    } catch (caught) {
      const byField: Partial<Record<Field, string>> = {};
      if (caught instanceof ApiError) for (const field of FIELDS) byField[field] = caught.fieldError(field);
      const firstField = FIELDS.find((f) => byField[f]);
      if (firstField) {
        setFieldErrors(byField);
        document.getElementById(`token-${firstField}`)?.focus();
      } else setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-row" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor="token-name">Name</label>
        <input
          id="token-name"
          name="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="ci-deploy"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={fieldErrors.name ? true : undefined}
          aria-describedby={fieldErrors.name ? 'token-name-error' : undefined}
        />
        {fieldErrors.name && (
          <p className="field__error" id="token-name-error">
            {fieldErrors.name}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor="token-role">Role</label>
        <select id="token-role" name="role" value={role} onChange={(e) => setRole(e.target.value as Role)} aria-invalid={fieldErrors.role ? true : undefined} aria-describedby={fieldErrors.role ? 'token-role-error' : undefined}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        {fieldErrors.role && (
          <p className="field__error" id="token-role-error">
            {fieldErrors.role}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor="token-expiresInDays">Expires after</label>
        <select id="token-expiresInDays" name="expiresInDays" value={expiresInDays} onChange={(e) => setExpiresInDays(Number(e.target.value))} aria-invalid={fieldErrors.expiresInDays ? true : undefined}>
          {EXPIRY_CHOICES.map((c) => (
            <option key={c.days} value={c.days}>
              {c.label}
            </option>
          ))}
        </select>
        {fieldErrors.expiresInDays && <p className="field__error">{fieldErrors.expiresInDays}</p>}
      </div>
      <div className="form-row__submit">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
      {error !== undefined && (
        <div className="form-row__error">
          <ErrorNotice error={error} />
        </div>
      )}
    </form>
  );
}
