import type { Role } from '../core/config.js';

export type { Role };

/** Who is acting: a user (session, OIDC or their token), a service token, a guest, or Plinth itself. */
export interface Actor {
  type: 'user' | 'token' | 'guest' | 'system';
  /** Users: user id; tokens: token id; guests and system: a fixed name. */
  id: string;
  /** The ref written to audit and events: `user:alice`, `token:ci`, `guest`, `system:cli`. */
  ref: string;
  name: string;
  displayName?: string;
  role: Role;
  /** Names of the groups the actor is a member of (for ownership rules). */
  groups: string[];
  /** The API token the request came with, if any. */
  tokenId?: string;
}

/** Everything about a request that authorization and audit need. */
export interface AccessContext {
  actor: Actor;
  sourceIp?: string;
  requestId?: string;
}

export const ROLE_RANK: Record<Role, number> = { viewer: 1, member: 2, admin: 3 };

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum];
}

export function systemActor(name = 'system'): Actor {
  return { type: 'system', id: name, ref: name === 'system' ? 'system' : `system:${name}`, name, role: 'admin', groups: [] };
}

export function guestActor(role: Role): Actor {
  return { type: 'guest', id: 'guest', ref: 'guest', name: 'guest', displayName: 'Guest', role, groups: [] };
}
