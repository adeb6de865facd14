import type { FastifyContextConfig } from 'fastify';

/**
 * How a route is protected, in its Fastify `config`. Every /api route either is public, names
 * the action the server authorizes before the handler runs, or authorizes in its handler (when
 * the decision needs the resource). A test checks that no route leaves this out.
 */
export interface RouteAccess {
  public?: boolean;
  action?: string;
  authorizeInHandler?: boolean;
}

/** Declares a route's protection as its Fastify `config`: `config: routeAccess({ action: 'token.create' })`. */
export function routeAccess(access: RouteAccess): FastifyContextConfig {
  return access as FastifyContextConfig;
}
