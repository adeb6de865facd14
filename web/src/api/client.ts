/** A small typed fetch client for the Plinth API: JSON in and out, problem+json errors as ApiError. */

export interface FieldError {
  /** A JSON pointer into the request: `/body/name`, `/querystring/limit`. */
  path: string;
  message: string;
}

/** An RFC 9457 problem document as the Plinth API sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
  requestId?: string;
}

/** A failed API call. `code` is the server's stable error code (AUTH_REQUIRED, REQUEST_INVALID…), or NETWORK / HTTP_<status> when the server sent no problem document. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `request failed with status ${status}`);
    this.status = status;
    this.code = problem.code ?? (status === 0 ? 'NETWORK' : `HTTP_${status}`);
    this.title = problem.title ?? (status === 0 ? 'Network error' : `HTTP ${status}`);
    this.detail = this.message;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
  }

  /** The message for one field, matched on the last segment of its path (`name` matches `/body/name`). */
  fieldError(field: string): string | undefined {
    return this.errors.find((e) => e.path === field || e.path.endsWith(`/${field}`))?.message;
  }

  /** True when the caller must (re-)authenticate. */
  get isUnauthenticated(): boolean {
    return this.status === 401;
  }
}

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestOptions {
  query?: Record<string, QueryValue | QueryValue[]>;
  body?: unknown;
  signal?: AbortSignal;
}

type UnauthorizedListener = (error: ApiError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called whenever an API call answers 401, e.g. when the session expired; returns an unsubscribe function. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined && one !== null && one !== '') params.append(key, String(one));
    }
  }
  const search = params.toString();
  return `/api${path}${search ? `?${search}` : ''}`;
}

/**
 * Calls the API with the session cookie. Mutations carry `x-plinth-csrf`, which the server
 * requires of cookie-authenticated changes (no other site can set a custom header).
 */
export async function apiRequest<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (method !== 'GET') headers['x-plinth-csrf'] = '1';
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, { detail: 'Could not reach the Plinth server. Check your connection and that the server is running.' });
  }
  if (response.ok) {
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
  const error = new ApiError(response.status, await readProblem(response));
  if (error.isUnauthenticated) for (const listener of unauthorizedListeners) listener(error);
  throw error;
}

async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text) as Problem;
    } catch {}
  }
  return { status: response.status, title: response.statusText || `HTTP ${response.status}`, detail: text.trim().slice(0, 300) || `The server answered ${response.status} ${response.statusText}.` };
}

export const api = {
  get: <T>(path: string, options?: Omit<RequestOptions, 'body'>) => apiRequest<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>) => apiRequest<T>('POST', path, { ...options, body }),
  delete: <T = void>(path: string, options?: Omit<RequestOptions, 'body'>) => apiRequest<T>('DELETE', path, options),
};
