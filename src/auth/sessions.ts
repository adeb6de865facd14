import type { Kysely } from 'kysely';
import type { Actor } from './actor.js';
import { generateSecretValue, hashCredential } from './credentials.js';
import type { AuthTables } from './tables.js';
import { actorOfTokenRow } from './tokens.js';
import { actorOfUser } from './users.js';

export const SESSION_COOKIE = 'plinth_session';

/** Starts a portal session for a token's or a user's identity; returns the cookie value. */
export async function createSession(db: Kysely<AuthTables>, owner: { tokenId?: string; userId?: string }, ttlHours: number): Promise<{ id: string; expiresAt: number }> {
  const id = generateSecretValue();
  const now = Date.now();
  const expiresAt = now + ttlHours * 3_600_000;
  await db
    .insertInto('sessions')
    .values({ id_hash: hashCredential(id), token_id: owner.tokenId ?? null, user_id: owner.userId ?? null, created_at: now, expires_at: expiresAt })
    .execute();
  return { id, expiresAt };
}

export async function deleteSession(db: Kysely<AuthTables>, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', hashCredential(id)).execute();
}

/** The actor of a live session; a revoked token or disabled user ends its sessions at once. */
export async function resolveSession(db: Kysely<AuthTables>, id: string): Promise<Actor | undefined> {
  const session = await db.selectFrom('sessions').selectAll().where('id_hash', '=', hashCredential(id)).executeTakeFirst();
  if (!session || session.expires_at <= Date.now()) return undefined;
  if (session.token_id) {
    const token = await db.selectFrom('api_tokens').selectAll().where('id', '=', session.token_id).executeTakeFirst();
    return token ? actorOfTokenRow(db, token) : undefined;
  }
  if (session.user_id) return actorOfUser(db, session.user_id);
  return undefined;
}
