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

// ---------- catalog (/api/catalog, Backstage-compatible) ----------

// Shared with the server: one definition of the descriptor shapes (type-only, erased in the bundle).
export type { EntityLink, EntityMetadata, EntityRelation } from '../../../src/catalog/model/entity.js';
import type { EntityMetadata, EntityRelation } from '../../../src/catalog/model/entity.js';

/** An entity. Responses asked with `fields` carry only those fields, so everything but the name may be missing. */
export interface Entity {
  apiVersion?: string;
  kind: string;
  metadata: EntityMetadata;
  spec?: Record<string, unknown>;
  relations?: EntityRelation[];
}

export interface EntityPage {
  items: Entity[];
  totalItems: number;
  /** Each cursor carries the whole query: pass it alone (and optionally `limit`) for that page. */
  pageInfo: { nextCursor?: string; prevCursor?: string };
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface CatalogLocation {
  id: string;
  type: string;
  target: string;
  parentId?: string | null;
  origin?: string;
  status: 'pending' | 'ok' | 'error' | string;
  lastError: string | null;
  refreshedAt: string | null;
  createdBy?: string;
  createdAt?: string;
}

export type { ProblemView as CatalogProblem } from '../../../src/catalog/service.js';
import type { ProblemView as CatalogProblem } from '../../../src/catalog/service.js';

export interface EntityStatus {
  orphan: boolean;
  /** `location:<id>` or `provider:<name>`. */
  source: string;
  location: CatalogLocation | null;
  /** The descriptor file: a path, or a URL (git files are `<repo>.git/blob/<branch>/<path>`). */
  file: string | null;
  line: number | null;
  problems: CatalogProblem[];
}

export interface GraphNode {
  ref: string;
  entity: { kind: string; metadata: { name: string; namespace?: string; title?: string }; spec?: { type?: string } } | null;
}

export interface GraphEdge {
  source: string;
  type: string;
  target: string;
}

export interface RelationGraph {
  root: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

export interface RegisterLocationInput {
  type: 'url' | 'file';
  target: string;
}

export interface RegisterLocationResult {
  location: CatalogLocation;
  entities: Entity[];
  /** True when this location was registered already (dry runs only; registering it again is refused). */
  exists?: boolean;
}
