import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, onUnauthorized } from '../api/client.js';
import { getAuthProviders, getCurrentActor, logIn as logInRequest, logOut as logOutRequest } from '../api/auth.js';
import type { Actor, AuthProviders, Role } from '../api/types.js';

export type AuthState =
  | { status: 'loading' }
  /** The server could not be asked (down, or answered something other than 401). */
  | { status: 'error'; error: ApiError }
  | { status: 'anonymous'; providers: AuthProviders }
  | { status: 'signed-in'; actor: Actor; providers: AuthProviders };

export interface AuthContextValue {
  state: AuthState;
  logIn(token: string): Promise<Actor>;
  logOut(): Promise<void>;
  reload(): void;
}

const AuthContext = createContext<AuthContextValue | undefined>(undefined);

const FALLBACK_PROVIDERS: AuthProviders = { token: true, oidc: false, guest: false };
const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum];
}

/** Who is using the portal: asks /api/auth/me on start, and drops to anonymous on any 401 later (an expired session). */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const providersRequest = getAuthProviders(controller.signal).catch(() => FALLBACK_PROVIDERS);
    getCurrentActor(controller.signal)
      .then(async (actor) => setState({ status: 'signed-in', actor, providers: await providersRequest }))
      .catch(async (error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.isUnauthenticated) setState({ status: 'anonymous', providers: await providersRequest });
        else setState({ status: 'error', error: error instanceof ApiError ? error : new ApiError(0, { detail: String(error) }) });
      });
    return () => controller.abort();
  }, [attempt]);

  useEffect(
    () =>
      onUnauthorized(() =>
        setState((current) => (current.status === 'signed-in' ? { status: 'anonymous', providers: current.providers } : current)),
      ),
    [],
  );

  const logIn = useCallback(async (token: string) => {
    const actor = await logInRequest(token);
    setState((current) => ({ status: 'signed-in', actor, providers: 'providers' in current ? current.providers : FALLBACK_PROVIDERS }));
    return actor;
  }, []);

  const logOut = useCallback(async () => {
    await logOutRequest();
    // With guest mode on, logging out leaves one a guest: ask the server who we are now.
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  const value = useMemo(() => ({ state, logIn, logOut, reload }), [state, logIn, logOut, reload]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}

/** The signed-in actor; only for components rendered inside the signed-in shell. */
export function useActor(): Actor {
  const { state } = useAuth();
  if (state.status !== 'signed-in') throw new Error('useActor needs a signed-in actor');
  return state.actor;
}
