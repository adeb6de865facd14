import { api } from './client.js';
import type { Actor, AuthProviders } from './types.js';

export const getAuthProviders = (signal?: AbortSignal) => api.get<AuthProviders>('/auth/providers', { signal });

export const getCurrentActor = async (signal?: AbortSignal) => (await api.get<{ actor: Actor }>('/auth/me', { signal })).actor;

/** Exchanges an API token for an httpOnly session cookie. */
export const logIn = async (token: string) => (await api.post<{ actor: Actor }>('/auth/login', { token })).actor;

export const logOut = () => api.post<void>('/auth/logout');

/** Where the browser goes (a full navigation) to sign in with the OpenID Connect provider. */
export const OIDC_LOGIN_URL = '/api/auth/oidc/login';
