import type { Kysely } from 'kysely';
import type { Store } from '../store/store.js';
import { describeError } from '../core/errors.js';
import type { AccessContext } from './actor.js';
import type { AuthTables, DbAuditRow } from './tables.js';

export interface AuditEntry {
  action: string;
  target: string;
  outcome: DbAuditRow['outcome'];
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  actorType: string;
  action: string;
  target: string;
  outcome: DbAuditRow['outcome'];
  sourceIp: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

/** Appends to the audit log. Nothing in Plinth updates or deletes audit rows. */
export async function recordAudit(db: Kysely<AuthTables>, context: AccessContext, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: Date.now(),
      actor: context.actor.ref,
      actor_type: context.actor.type,
      action: entry.action,
      target: entry.target,
      outcome: entry.outcome,
      source_ip: context.sourceIp ?? null,
      request_id: context.requestId ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

/**
 * Runs a mutation in one transaction together with its audit record. If fn throws, nothing it
 * wrote is kept and the failure is audited instead.
 */
export async function runAuditedMutation<T>(
  store: Store,
  context: AccessContext,
  audit: { action: string; target: string; details?: Record<string, unknown> },
  fn: (trx: Kysely<AuthTables>) => Promise<T>,
): Promise<T> {
  try {
    return await store.transaction(async (trx) => {
      const db = trx.withTables<AuthTables>();
      const result = await fn(db);
      await recordAudit(db, context, { ...audit, outcome: 'success' });
      return result;
    });
  } catch (error) {
    await recordAudit(store.db.withTables<AuthTables>(), context, {
      ...audit,
      outcome: 'failure',
      details: { ...audit.details, error: describeError(error).split('\n')[0] },
    });
    throw error;
  }
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: DbAuditRow['outcome'];
  /** Records with an id below this (pages go from newest to oldest). */
  before?: number;
  limit?: number;
}

export async function listAudit(store: Store, filter: AuditFilter): Promise<{ items: AuditRecord[]; nextBefore: number | null }> {
  const limit = Math.min(filter.limit ?? 50, 500);
  let query = store.db.withTables<AuthTables>().selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit + 1);
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.target) query = query.where('target', '=', filter.target);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => ({
      id: row.id,
      at: new Date(row.at).toISOString(),
      actor: row.actor,
      actorType: row.actor_type,
      action: row.action,
      target: row.target,
      outcome: row.outcome,
      sourceIp: row.source_ip,
      requestId: row.request_id,
      details: JSON.parse(row.details) as Record<string, unknown>,
    })),
    nextBefore: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}
