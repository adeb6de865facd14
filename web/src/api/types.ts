/**
 * The shapes of the HTTP API the portal uses, as the server sends them (JSON).
 * TODO: import these from src/auth/contract.ts once the server exports one, so the two cannot drift.
 */

export type Role = 'admin' | 'member' | 'viewer';
export const ROLES: readonly Role[] = ['viewer', 'member', 'admin'];

export interface Actor {
  type: 'user' | 'token' | 'guest';
  name: string;
  displayName?: string;
  role: Role;
  groups: string[];
}

export interface AuthProviders {
  token: boolean;
  oidc: boolean;
  guest: boolean;
}

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  /** The first characters of the secret, enough to recognise it (`plinth_ab12`). */
  prefix: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiToken {
  /** The secret; the API returns it in this response only. */
  token: string;
  item: ApiToken;
}

export interface CreateApiTokenInput {
  name: string;
  role: Role;
  expiresInDays?: number;
}

export type AuditOutcome = 'success' | 'denied' | 'failure';
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['success', 'denied', 'failure'];

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  actorType: string;
  action: string;
  target: string;
  outcome: AuditOutcome;
  sourceIp: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  outcome?: AuditOutcome;
  limit?: number;
  before?: number;
}

export interface AuditPage {
  items: AuditRecord[];
  /** Pass as `before` to get the next (older) page; null on the last page. */
  nextBefore: number | null;
}

export interface DomainEvent {
  seq: number;
  type: string;
  subject: string;
  actor: string;
  payload: unknown;
  createdAt: string;
}
