import { useEffect, useState } from 'react';
import { listApiTokens, revokeApiToken } from '../../api/tokens.js';
import { subscribeToEvents } from '../../api/events.js';
import type { ApiToken, CreatedApiToken } from '../../api/types.js';
import { roleAtLeast, useActor } from '../../app/auth-context.js';
import { Link, useLocation } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { CopyButton } from '../../components/copy-button.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { TimeText } from '../../components/time-text.js';
import { CreateTokenForm } from './create-token-form.js';

type TokenStatus = 'active' | 'revoked' | 'expired';

function statusOf(token: ApiToken, now = Date.now()): TokenStatus {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= now) return 'expired';
  return 'active';
}

/** The API tokens one may see (admins: all), creating one (shown once), and revoking. */
export function ApiTokens() {
  const actor = useActor();
  const { pathname, search } = useLocation();
  const tokens = useApiData((signal) => listApiTokens(signal), []);
  const [created, setCreated] = useState<CreatedApiToken>();
  const [revoking, setRevoking] = useState<ApiToken>();
  const [showInactive, setShowInactive] = useState(false);
  const { reload } = tokens;

  // Tokens created or revoked elsewhere (another tab, the CLI) show up without a reload.
  useEffect(() => subscribeToEvents(['token:created', 'token:revoked'], () => reload()), [reload]);

  if (actor.type === 'guest') {
    return (
      <section aria-labelledby="tokens-title">
        <h2 id="tokens-title">API tokens</h2>
        <EmptyState title="Guests have no API tokens" action={<Link className="button button--primary" to={`/login?next=${encodeURIComponent(pathname + search)}`}>Log in</Link>}>
          <p>Log in to create tokens for scripts, CI jobs and the <code>plinth</code> CLI.</p>
        </EmptyState>
      </section>
    );
  }

  const mayCreate = roleAtLeast(actor.role, 'member');
  const all = tokens.data ?? [];
  const inactiveCount = all.filter((t) => statusOf(t) !== 'active').length;
  const shown = showInactive ? all : all.filter((t) => statusOf(t) === 'active');

  return (
    <>
      {mayCreate && (
        <section className="card" aria-labelledby="create-token-title">
          <h2 id="create-token-title">Create a token</h2>
          {created ? (
            <CreatedTokenPanel created={created} onDone={() => setCreated(undefined)} />
          ) : (
            <CreateTokenForm
              maxRole={actor.role}
              onCreated={(result) => {
                setCreated(result);
                reload();
              }}
            />
          )}
        </section>
      )}

      <section aria-labelledby="tokens-title" aria-busy={tokens.loading}>
        <div className="section-header">
          <h2 id="tokens-title">
            API tokens {tokens.data && <span className="count">{shown.length}</span>}
          </h2>
          {inactiveCount > 0 && (
            <label className="checkbox">
              <input type="checkbox" checked={showInactive} onChange={(e) => setShowInactive(e.target.checked)} />
              Show revoked and expired ({inactiveCount})
            </label>
          )}
        </div>
        {tokens.error !== undefined && <ErrorNotice error={tokens.error} onRetry={reload} />}
        {tokens.data === undefined && tokens.loading && <Loading label="Loading tokens…" />}
        {tokens.data && shown.length === 0 && (
          <EmptyState title={all.length ? 'No active tokens' : 'No API tokens yet'}>
            <p>{mayCreate ? 'Create one above for a script, a CI job or the plinth CLI.' : 'Ask a member or an admin to create one for you.'}</p>
          </EmptyState>
        )}
        {shown.length > 0 && (
          <div className="table-wrap">
            <table className="table" aria-label="API tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Token</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((token) => {
                  const status = statusOf(token);
                  return (
                    <tr key={token.id} data-token-id={token.id}>
                      <th scope="row">{token.name}</th>
                      <td>{token.role}</td>
                      <td>
                        <code>{token.prefix}…</code>
                      </td>
                      <td>
                        <TimeText value={token.createdAt} /> <span className="muted">by {token.createdBy}</span>
                      </td>
                      <td>
                        <TimeText value={token.expiresAt} empty="Never" />
                      </td>
                      <td>
                        <TimeText value={token.lastUsedAt} empty="Never" />
                      </td>
                      <td>
                        <span className={`badge badge--${status === 'active' ? 'success' : 'neutral'}`}>{status}</span>
                      </td>
                      <td className="table__actions">
                        {status !== 'revoked' && (
                          <button type="button" className="button button--small button--danger-ghost" onClick={() => setRevoking(token)} aria-label={`Revoke ${token.name}`}>
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {revoking && (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke token"
          danger
          onClose={() => setRevoking(undefined)}
          onConfirm={async () => {
            await revokeApiToken(revoking.id);
            reload();
          }}
        >
          <p>
            Anything using <code>{revoking.prefix}…</code> stops working at once, including portal sessions started with it. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

function CreatedTokenPanel({ created, onDone }: { created: CreatedApiToken; onDone: () => void }) {
  return (
    <div className="created-token" role="status">
      <p className="created-token__title">Token “{created.item.name}” created</p>
      <p>Copy it now: this is the only time Plinth shows it. Store it in your secret manager or CI settings.</p>
      <div className="input-with-button">
        <input className="mono" readOnly value={created.token} aria-label="New API token" onFocus={(e) => e.currentTarget.select()} data-testid="created-token" />
        <CopyButton text={created.token} />
      </div>
      <p className="field__hint">
        Use it as <code>Authorization: Bearer …</code>, or run <code>plinth login</code> with it.
      </p>
      <button type="button" className="button" onClick={onDone}>
        Done — I have copied it
      </button>
    </div>
  );
}
