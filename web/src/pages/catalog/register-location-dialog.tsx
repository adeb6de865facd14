import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { registerLocation } from '../../api/catalog.js';
import type { RegisterLocationInput, RegisterLocationResult } from '../../api/types.js';
import { Link } from '../../app/router.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { KindBadge } from './entity-ref-link.js';
import { entityDisplayName, entityNameOf, entityPath, entityRefOf } from './refs.js';

/** `https://…`, `git@…`-less URLs are `url` locations; anything else is a path on the server. */
export function locationInput(target: string): RegisterLocationInput {
  const trimmed = target.trim();
  return { type: /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) && !trimmed.toLowerCase().startsWith('file://') ? 'url' : 'file', target: trimmed };
}

/**
 * Registers a location: type its URL or path, preview what it holds (a dry run that stores
 * nothing), then register it. On the native <dialog>: focus is trapped, Escape closes.
 */
export function RegisterLocationDialog({ onClose, onRegistered }: { onClose: () => void; onRegistered: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [target, setTarget] = useState('');
  const [preview, setPreview] = useState<{ target: string; result: RegisterLocationResult }>();
  const [registered, setRegistered] = useState<RegisterLocationResult>();
  const [busy, setBusy] = useState<'preview' | 'register'>();
  const [fieldError, setFieldError] = useState<string>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const input = locationInput(target);
  const previewed = preview && preview.target === input.target ? preview.result : undefined;

  const fail = (caught: unknown) => {
    if (caught instanceof ApiError) {
      const message = caught.fieldError('target') ?? caught.fieldError('type') ?? (['CATALOG_LOCATION_UNREADABLE', 'REQUEST_INVALID'].includes(caught.code) ? caught.detail : undefined);
      if (message) {
        setFieldError(message);
        document.getElementById('location-target')?.focus();
        return;
      }
    }
    setError(caught);
  };

  const run = async (mode: 'preview' | 'register') => {
    if (!input.target) {
      setFieldError('Enter the URL or path of a catalog-info.yaml file.');
      document.getElementById('location-target')?.focus();
      return;
    }
    setBusy(mode);
    setError(undefined);
    setFieldError(undefined);
    try {
      if (mode === 'preview') setPreview({ target: input.target, result: await registerLocation(input, { dryRun: true }) });
      else {
        setRegistered(await registerLocation(input));
        onRegistered();
      }
    } catch (caught) {
      fail(caught);
    } finally {
      setBusy(undefined);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(previewed ? 'register' : 'preview');
  };

  return (
    <dialog
      ref={ref}
      className="dialog dialog--wide"
      aria-labelledby="register-title"
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      <h2 id="register-title">Register a location</h2>
      {registered ? (
        <div role="status">
          <div className="notice notice--success">
            <p className="notice__title">{registered.exists ? 'This location was registered already' : 'Location registered'}</p>
            <p>
              <code className="break">{registered.location.target}</code> is read now and again on every refresh.{' '}
              {registered.entities.length === 1 ? 'One entity' : `${registered.entities.length} entities`} found.
            </p>
          </div>
          <EntityPreview result={registered} linked />
          <div className="dialog__actions">
            <button type="button" className="button button--primary" onClick={onClose} autoFocus>
              Done
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={submit} noValidate>
          <div className="dialog__body">
            <p>
              Point Plinth at a <code>catalog-info.yaml</code> (Backstage format): a URL, a file in a git repository (<code>https://host/org/repo.git/blob/main/catalog-info.yaml</code>), or a path on
              the Plinth server. Globs such as <code>**/catalog-info.yaml</code> work for paths and git.
            </p>
          </div>
          <div className="field">
            <label htmlFor="location-target">URL or path</label>
            <input
              id="location-target"
              name="target"
              value={target}
              onChange={(e) => {
                setTarget(e.target.value);
                setFieldError(undefined);
              }}
              placeholder="https://github.com/acme/payments/blob/main/catalog-info.yaml"
              autoComplete="off"
              spellCheck={false}
              autoFocus
              aria-invalid={fieldError ? true : undefined}
              aria-describedby={fieldError ? 'location-target-error' : 'location-target-hint'}
            />
            {fieldError ? (
              <p className="field__error" id="location-target-error">
                {fieldError}
              </p>
            ) : (
              <p className="field__hint" id="location-target-hint">
                {input.target ? (input.type === 'url' ? 'Read as a URL location.' : 'Read as a file location on the Plinth server.') : 'Preview first: nothing is stored until you register.'}
              </p>
            )}
          </div>
          {error !== undefined && <ErrorNotice error={error} />}
          {previewed && (
            <div className="register-preview" aria-live="polite">
              <p className="register-preview__title">
                {previewed.entities.length === 0
                  ? 'This location holds no entities.'
                  : `Registering adds ${previewed.entities.length === 1 ? 'this entity' : `these ${previewed.entities.length} entities`}:`}
              </p>
              <EntityPreview result={previewed} />
              {previewed.exists && <p className="field__error">This location is registered already: its entities are in the catalog, and it is refreshed on its own.</p>}
            </div>
          )}
          <div className="dialog__actions">
            <button type="button" className="button" onClick={onClose} disabled={Boolean(busy)}>
              Cancel
            </button>
            {previewed ? (
              <>
                <button type="button" className="button" onClick={() => void run('preview')} disabled={Boolean(busy)}>
                  {busy === 'preview' ? 'Reading…' : 'Preview again'}
                </button>
                <button type="submit" className="button button--primary" disabled={Boolean(busy) || previewed.exists}>
                  {busy === 'register' ? 'Registering…' : 'Register'}
                </button>
              </>
            ) : (
              <button type="submit" className="button button--primary" disabled={Boolean(busy)}>
                {busy === 'preview' ? 'Reading…' : 'Preview'}
              </button>
            )}
          </div>
        </form>
      )}
    </dialog>
  );
}

function EntityPreview({ result, linked = false }: { result: RegisterLocationResult; linked?: boolean }) {
  if (result.entities.length === 0) return null;
  return (
    <div className="table-wrap table-wrap--flat register-preview__table">
      <table className="table table--compact" aria-label="Entities in this location">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">Owner</th>
          </tr>
        </thead>
        <tbody>
          {result.entities.map((entity) => (
            <tr key={entityRefOf(entity)}>
              <td>
                <KindBadge kind={entity.kind} />
              </td>
              <td>
                {linked ? <Link to={entityPath(entityNameOf(entity))}>{entityDisplayName(entity)}</Link> : entityDisplayName(entity)}
                {entity.metadata.namespace && entity.metadata.namespace !== 'default' && <span className="muted small"> in {entity.metadata.namespace}</span>}
              </td>
              <td>{typeof entity.spec?.owner === 'string' ? entity.spec.owner : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
