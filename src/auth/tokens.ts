import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { PlinthError } from '../core/errors.js';
import { roleAtLeast, type Actor, type Role } from './actor.js';
import { generateSecretValue, hashCredential, TOKEN_PREFIX } from './credentials.js';
import type { AuthTables, DbApiTokenRow } from './tables.js';
import { actorOfUser } from './users.js';

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  user: string | null;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreateTokenInput {
  name: string;
  role: Role;
  expiresInDays?: number;
  /** The user the token acts as; omitted for a service token. */
  userId?: string;
  createdBy: string;
}

/** Creates a token. The returned `token` is the only time its value exists outside the caller. */
export async function createApiToken(db: Kysely<AuthTables>, input: CreateTokenInput): Promise<{ token: string; item: TokenView }> {
  const token = generateSecretValue(TOKEN_PREFIX);
  const now = Date.now();
  const row: DbApiTokenRow = {
    id: randomUUID(),
    name: input.name,
    hash: hashCredential(token),
    prefix: token.slice(0, TOKEN_PREFIX.length + 6),
    role: input.role,
    user_id: input.userId ?? null,
    created_by: input.createdBy,
    created_at: now,
    expires_at: input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null,
    last_used_at: null,
    revoked_at: null,
  };
  await db.insertInto('api_tokens').values(row).execute();
  return { token, item: await toTokenView(db, row) };
}

/** A creator may not mint a token stronger than they are. */
export function assertMayGrantRole(actor: Actor, role: Role): void {
  if (!roleAtLeast(actor.role, role)) {
    throw new PlinthError('AUTH_NOT_ALLOWED', `a ${actor.role} cannot create a token with the ${role} role`, { location: { field: '/role' } });
  }
}

async function toTokenView(db: Kysely<AuthTables>, row: DbApiTokenRow): Promise<TokenView> {
  const user = row.user_id ? await db.selectFrom('users').select('name').where('id', '=', row.user_id).executeTakeFirst() : undefined;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    prefix: row.prefix,
    user: user?.name ?? null,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
  };
}

/** Tokens visible to the actor: all for admins, otherwise those they created or that act as them. */
export async function listApiTokens(db: Kysely<AuthTables>, actor: Actor | undefined): Promise<TokenView[]> {
  let query = db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc');
  if (actor && actor.role !== 'admin') {
    query = query.where((eb) => eb.or([eb('created_by', '=', actor.ref), eb('user_id', '=', actor.type === 'user' ? actor.id : '-')]));
  }
  const rows = await query.execute();
  return Promise.all(rows.map((row) => toTokenView(db, row)));
}

export async function findApiToken(db: Kysely<AuthTables>, idOrName: string): Promise<DbApiTokenRow> {
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!row) throw new PlinthError('AUTH_TOKEN_NOT_FOUND', `no token with id or name '${idOrName}'`);
  return row;
}

export async function revokeApiToken(db: Kysely<AuthTables>, id: string): Promise<TokenView> {
  const now = Date.now();
  await db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  await db.deleteFrom('sessions').where('token_id', '=', id).execute();
  return toTokenView(db, await findApiToken(db, id));
}

const LAST_USED_PRECISION_MS = 60_000;

/** The actor a token stands for, or undefined when it is unknown, revoked or expired. */
export async function resolveApiToken(db: Kysely<AuthTables>, token: string): Promise<Actor | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('hash', '=', hashCredential(token)).executeTakeFirst();
  return row ? actorOfTokenRow(db, row) : undefined;
}

export async function actorOfTokenRow(db: Kysely<AuthTables>, row: DbApiTokenRow): Promise<Actor | undefined> {
  const now = Date.now();
  if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return undefined;
  // Recording every use would put a write on every request; minute precision is enough.
  if (row.last_used_at === null || now - row.last_used_at > LAST_USED_PRECISION_MS) {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  if (row.user_id) return actorOfUser(db, row.user_id, { id: row.id, role: row.role as Role });
  return { type: 'token', id: row.id, ref: `token:${row.name}`, name: row.name, role: row.role as Role, groups: [], tokenId: row.id };
}
