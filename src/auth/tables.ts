import type { Generated } from 'kysely';

/** Tables owned by auth/. */
export type AuthTables = {
  users: DbUserRow;
  groups: DbGroupRow;
  group_members: DbGroupMemberRow;
  api_tokens: DbApiTokenRow;
  sessions: DbSessionRow;
  audit_log: DbAuditRow;
};

export interface DbUserRow {
  id: string;
  name: string;
  display_name: string | null;
  email: string | null;
  role: string;
  /** Subject at the OIDC provider, when the user logs in through it. */
  oidc_subject: string | null;
  created_at: number;
  disabled_at: number | null;
}

export interface DbGroupRow {
  id: string;
  name: string;
  display_name: string | null;
  created_at: number;
}

export interface DbGroupMemberRow {
  group_id: string;
  user_id: string;
}

export interface DbApiTokenRow {
  id: string;
  name: string;
  /** sha256 of the token; the token itself is never stored. */
  hash: string;
  /** First characters of the token, to recognise it in lists. */
  prefix: string;
  role: string;
  /** The user the token acts as; null for service tokens (`token:<name>`). */
  user_id: string | null;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface DbSessionRow {
  /** sha256 of the cookie value. */
  id_hash: string;
  token_id: string | null;
  user_id: string | null;
  created_at: number;
  expires_at: number;
}

export interface DbAuditRow {
  id: Generated<number>;
  at: number;
  actor: string;
  actor_type: string;
  action: string;
  target: string;
  outcome: 'success' | 'denied' | 'failure';
  source_ip: string | null;
  request_id: string | null;
  details: string;
}
