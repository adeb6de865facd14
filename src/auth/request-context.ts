import { PlinthError } from '../core/errors.js';
import type { AccessContext } from './actor.js';

// Set once per request by the server's authentication hook; read by routes of every capability.
// A WeakMap instead of a Fastify decorator keeps the dependency explicit and typed.
const contexts = new WeakMap<object, AccessContext>();

export function setAccessContext(request: object, context: AccessContext): void {
  contexts.set(request, context);
}

/** The caller of a request; throws AUTH_REQUIRED when the request carries no identity. */
export function accessContext(request: object): AccessContext {
  const context = contexts.get(request);
  if (!context) throw new PlinthError('AUTH_REQUIRED', 'authentication required: send "Authorization: Bearer <token>" or log in');
  return context;
}

export function maybeAccessContext(request: object): AccessContext | undefined {
  return contexts.get(request);
}
