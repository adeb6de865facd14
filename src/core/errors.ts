/**
 * One error family for all of Plinth. Every error a user can cause is a PlinthError with a
 * stable code (prefixed by capability, never reused), a kind that decides the HTTP status and
 * the CLI exit code, and where it applies a location: file:line:column for files, a field
 * path for API bodies.
 */

export type ErrorKind = 'input' | 'unauthenticated' | 'not-allowed' | 'not-found' | 'conflict' | 'unavailable' | 'internal';

/** HTTP status and CLI exit code per kind: the one table both the server and the CLI read. */
export const ERROR_KINDS: Record<ErrorKind, { status: number; exitCode: number; title: string }> = {
  input: { status: 400, exitCode: 2, title: 'Bad input' },
  unauthenticated: { status: 401, exitCode: 4, title: 'Not authenticated' },
  'not-allowed': { status: 403, exitCode: 5, title: 'Not allowed' },
  'not-found': { status: 404, exitCode: 3, title: 'Not found' },
  conflict: { status: 409, exitCode: 6, title: 'Conflict' },
  unavailable: { status: 503, exitCode: 7, title: 'Unavailable' },
  internal: { status: 500, exitCode: 1, title: 'Internal error' },
};

/** Every error code Plinth emits. docs/errors.md lists each one (a test checks). */
export const ERROR_CODES = {
  CONFIG_INVALID: 'input',
  CONFIG_FILE_UNREADABLE: 'input',
  REQUEST_INVALID: 'input',
  ROUTE_NOT_FOUND: 'not-found',
  AUTH_REQUIRED: 'unauthenticated',
  AUTH_TOKEN_INVALID: 'unauthenticated',
  AUTH_NOT_ALLOWED: 'not-allowed',
  AUTH_TOKEN_NOT_FOUND: 'not-found',
  AUTH_USER_NOT_FOUND: 'not-found',
  AUTH_USER_EXISTS: 'conflict',
  AUTH_GROUP_NOT_FOUND: 'not-found',
  AUTH_GROUP_EXISTS: 'conflict',
  AUTH_OIDC_NOT_CONFIGURED: 'not-found',
  AUTH_OIDC_FAILED: 'unauthenticated',
  SECRETS_KEY_INVALID: 'input',
  SECRETS_DECRYPT_FAILED: 'internal',
  STORE_UNREACHABLE: 'unavailable',
  STORE_MIGRATION_FAILED: 'internal',
  QUEUE_JOB_NOT_FOUND: 'not-found',
  QUEUE_JOB_NOT_CANCELLABLE: 'conflict',
  QUEUE_JOB_NOT_RETRYABLE: 'conflict',
  QUEUE_HANDLER_MISSING: 'internal',
  CATALOG_ENTITY_INVALID: 'input',
  CATALOG_REF_INVALID: 'input',
  CATALOG_FILE_INVALID: 'input',
  CATALOG_KIND_INVALID: 'input',
  CATALOG_FILTER_INVALID: 'input',
  CATALOG_ENTITY_NOT_FOUND: 'not-found',
  CATALOG_LOCATION_NOT_FOUND: 'not-found',
  CATALOG_LOCATION_EXISTS: 'conflict',
  CATALOG_LOCATION_UNREADABLE: 'unavailable',
  CATALOG_WEBHOOK_SIGNATURE_INVALID: 'unauthenticated',
  REPOSITORY_NOT_FOUND: 'not-found',
  REPOSITORY_EXISTS: 'conflict',
  REPOSITORY_REF_INVALID: 'input',
  REPOSITORY_PATH_INVALID: 'input',
  REPOSITORY_REF_NOT_FOUND: 'not-found',
  REPOSITORY_PATH_NOT_FOUND: 'not-found',
  TEMPLATE_NOT_FOUND: 'not-found',
  TEMPLATE_INVALID: 'input',
  TEMPLATE_VALUES_INVALID: 'input',
  TEMPLATE_RENDER_FAILED: 'input',
  TEMPLATE_UNSAFE: 'input',
  TEMPLATE_PATH_UNSAFE: 'input',
  TEMPLATE_INPUT_INVALID: 'input',
  TEMPLATE_ACTION_UNKNOWN: 'input',
  TEMPLATE_ACTION_FAILED: 'unavailable',
  TEMPLATE_SOURCE_UNREADABLE: 'unavailable',
  TEMPLATE_PUBLISH_CONFLICT: 'conflict',
  TEMPLATE_TASK_NOT_FOUND: 'not-found',
  TEMPLATE_TASK_NOT_CANCELLABLE: 'conflict',
  TEMPLATE_TASK_NOT_RETRYABLE: 'conflict',
  ENVIRONMENT_INVALID: 'input',
  ENVIRONMENT_NOT_FOUND: 'not-found',
  ENVIRONMENT_EXISTS: 'conflict',
  ENVIRONMENT_TYPE_UNKNOWN: 'input',
  ENVIRONMENT_CONFIRMATION_REQUIRED: 'conflict',
  ENVIRONMENT_BUSY: 'conflict',
  RELEASE_INVALID: 'input',
  RELEASE_NOT_FOUND: 'not-found',
  DEPLOYMENT_NOT_FOUND: 'not-found',
  DEPLOYMENT_NOT_AWAITING_APPROVAL: 'conflict',
  DEPLOYMENT_PROMOTION_INVALID: 'input',
  DEPLOYMENT_FAILED: 'unavailable',
  LOCAL_RUNTIME_COMMAND_INVALID: 'input',
  LOCAL_RUNTIME_PORT_IN_USE: 'conflict',
  LOCAL_RUNTIME_WORKLOAD_NOT_READY: 'unavailable',
  LOCAL_RUNTIME_WORKLOAD_NOT_RUNNING: 'not-found',
  SCORE_INVALID: 'input',
  SCORE_PLACEHOLDER_UNKNOWN: 'input',
  RESOURCE_DEFINITION_INVALID: 'input',
  RESOURCE_TYPE_UNKNOWN: 'input',
  RESOURCE_SERVER_UNREACHABLE: 'unavailable',
  RESOURCE_PROVISION_FAILED: 'unavailable',
  RESOURCE_COMMAND_FAILED: 'unavailable',
  KUBERNETES_APPLY_FAILED: 'unavailable',
  KUBERNETES_ROLLOUT_FAILED: 'unavailable',
  PIPELINE_RUN_NOT_FOUND: 'not-found',
  PIPELINE_JOB_NOT_FOUND: 'not-found',
  PIPELINE_ARTIFACT_NOT_FOUND: 'not-found',
  PIPELINE_WORKFLOW_NOT_FOUND: 'not-found',
  PIPELINE_REF_NOT_FOUND: 'not-found',
  PIPELINE_REMOTE_NOT_FOUND: 'not-found',
  PIPELINE_DISPATCH_INVALID: 'input',
  PIPELINE_RUN_NOT_CANCELLABLE: 'conflict',
  PIPELINE_RUN_NOT_RERUNNABLE: 'conflict',
  PIPELINE_WEBHOOK_SIGNATURE_INVALID: 'unauthenticated',
  PIPELINE_WORKFLOW_INVALID: 'input',
  PIPELINE_ACTION_INVALID: 'input',
  CLI_SERVER_REQUIRED: 'input',
  CLI_REQUEST_FAILED: 'unavailable',
  INTERNAL: 'internal',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where an error applies: a place in a file, or a field in a request body (JSON pointer style). */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  field?: string;
}

export interface ErrorDetail {
  message: string;
  location?: ErrorLocation;
}

export class PlinthError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly location?: ErrorLocation;
  /** Further findings when one error stands for several (e.g. every invalid field of a body). */
  readonly details: ErrorDetail[];

  constructor(code: ErrorCode, message: string, options: { location?: ErrorLocation; details?: ErrorDetail[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlinthError';
    this.code = code;
    this.kind = ERROR_CODES[code];
    this.location = options.location;
    this.details = options.details ?? [];
  }

  get status(): number {
    return ERROR_KINDS[this.kind].status;
  }

  /** `file:line:column: message` or `field: message`, the form printed by the CLI. */
  override toString(): string {
    return `${formatLocation(this.location)}${this.message}`;
  }
}

export function formatLocation(location: ErrorLocation | undefined): string {
  if (!location) return '';
  if (location.file) {
    const parts = [location.file, location.line, location.column].filter((p) => p !== undefined);
    return `${parts.join(':')}: `;
  }
  return location.field ? `${location.field}: ` : '';
}

export function isPlinthError(error: unknown): error is PlinthError {
  return error instanceof PlinthError;
}

/** The message of anything thrown, for logs and stored job errors. */
export function describeError(error: unknown): string {
  if (error instanceof PlinthError) return error.toString();
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
