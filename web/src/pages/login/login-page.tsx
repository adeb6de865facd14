import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../../api/client.js';
import { OIDC_LOGIN_URL } from '../../api/auth.js';
import type { AuthProviders } from '../../api/types.js';
import { useAuth } from '../../app/auth-context.js';
import { Link, navigate } from '../../app/router.js';
import { ErrorNotice } from '../../components/error-notice.js';

export interface LoginPageProps {
  providers: AuthProviders;
  /** Where to go after logging in (a local path). */
  next: string;
  themeToggle: ReactNode;
}

/** Log in by pasting an API token (exchanged for an httpOnly session cookie), or with SSO when OIDC is configured. */
export function LoginPage({ providers, next, themeToggle }: LoginPageProps) {
  const { state, logIn } = useAuth();
  const [token, setToken] = useState('');
  const [reveal, setReveal] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const input = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const errorId = useId();

  useEffect(() => {
    document.title = 'Log in · Plinth';
    input.current?.focus();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError(new ApiError(400, { title: 'Token missing', detail: 'Paste an API token to log in.', code: 'TOKEN_MISSING' }));
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await logIn(value);
      navigate(next, { replace: true });
    } catch (caught) {
      setError(caught);
      setBusy(false);
      input.current?.select();
    }
  };

  const invalid = error instanceof ApiError && (error.code === 'AUTH_TOKEN_INVALID' || error.code === 'TOKEN_MISSING');
  const isGuest = state.status === 'signed-in' && state.actor.type === 'guest';

  return (
    <div className="login">
      <div className="login__theme">{themeToggle}</div>
      <main className="login__card card" id="main">
        <div className="login__brand">
          <img src="/favicon.svg" alt="" width="32" height="32" />
          <span>Plinth</span>
        </div>
        <h1>Log in</h1>
        {providers.oidc && (
          <>
            <a className="button button--primary button--block" href={OIDC_LOGIN_URL}>
              Sign in with SSO
            </a>
            <p className="divider">
              <span>or use an API token</span>
            </p>
          </>
        )}
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="login-token">API token</label>
            <div className="input-with-button">
              <input
                ref={input}
                id="login-token"
                name="token"
                type={reveal ? 'text' : 'password'}
                autoComplete="off"
                spellCheck={false}
                placeholder="plinth_…"
                value={token}
                onChange={(e) => setToken(e.target.value)}
                aria-invalid={invalid || undefined}
                aria-describedby={`${hintId}${error ? ` ${errorId}` : ''}`}
              />
              <button type="button" className="button button--ghost" onClick={() => setReveal((r) => !r)} aria-pressed={reveal}>
                {reveal ? 'Hide' : 'Show'}
              </button>
            </div>
            <p className="field__hint" id={hintId}>
              Create one with <code>plinth token create --name me --role member</code>, or ask an admin. Logging in keeps a session cookie in this browser; the token itself is not stored.
            </p>
          </div>
          {error !== undefined && (
            <div id={errorId}>
              {invalid ? (
                <p className="field__error" role="alert">
                  {error instanceof ApiError && error.code === 'TOKEN_MISSING' ? 'Paste an API token to log in.' : 'That token is unknown, revoked or expired. Check it and try again.'}
                </p>
              ) : (
                <ErrorNotice error={error} />
              )}
            </div>
          )}
          <button type="submit" className="button button--primary button--block" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
        {providers.guest && (
          <p className="login__guest">
            <Link to={next}>{isGuest ? 'Back to the portal as a guest' : 'Continue as a guest'}</Link>
          </p>
        )}
      </main>
    </div>
  );
}
