import { ApiError } from '../api/client.js';

/** An error from the API (or anything else) in words, with its request id for support and an optional retry. */
export function ErrorNotice({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const apiError = error instanceof ApiError ? error : undefined;
  const detail = apiError?.detail ?? (error instanceof Error ? error.message : String(error));
  return (
    <div className="notice notice--error" role="alert">
      <p className="notice__title">{title ?? apiError?.title ?? 'Something went wrong'}</p>
      <p>{detail}</p>
      {apiError?.errors.length ? (
        <ul>
          {apiError.errors.map((e) => (
            <li key={e.path + e.message}>
              <code>{e.path}</code> {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {(apiError?.requestId || onRetry) && (
        <p className="notice__meta">
          {apiError?.requestId && (
            <span>
              Request id <code>{apiError.requestId}</code>
              {apiError.code && (
                <>
                  {' '}
                  · <code>{apiError.code}</code>
                </>
              )}
            </span>
          )}
          {onRetry && (
            <button type="button" className="button button--small" onClick={onRetry}>
              Try again
            </button>
          )}
        </p>
      )}
    </div>
  );
}
