import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { PlinthError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { roleAtLeast, type Actor, type Role } from './actor.js';
import type { AuthTables, DbUserRow } from './tables.js';

export interface UserView {
  id: string;
  name: string;
  displayName: string | null;
  email: string | null;
  role: Role;
  groups: string[];
  createdAt: string;
  disabled: boolean;
}

export interface GroupView {
  id: string;
  name: string;
  displayName: string | null;
  members: string[];
  createdAt: string;
}

/** User and group names follow Backstage's entity name rules, so they link to catalog User/Group entities. */
export const NAME_PATTERN = '^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$';

export function authDb(store: Store): Kysely<AuthTables> {
  return store.db.withTables<AuthTables>();
}

export async function groupsOfUser(db: Kysely<AuthTables>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('group_members')
    .innerJoin('groups', 'groups.id', 'group_members.group_id')
    .select('groups.name')
    .where('group_members.user_id', '=', userId)
    .orderBy('groups.name')
    .execute();
  return rows.map((r) => r.name);
}

/**
 * The actor of an enabled user, or undefined when the user is unknown or disabled. The user and
 * their groups are read at once (one round trip instead of two on PostgreSQL; every request of a
 * portal session or a user's token comes through here). A token's role caps the user's own.
 */
export async function actorOfUser(db: Kysely<AuthTables>, userId: string, token?: { id: string; role: Role }): Promise<Actor | undefined> {
  const [user, groups] = await Promise.all([db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst(), groupsOfUser(db, userId)]);
  if (!user || user.disabled_at !== null) return undefined;
  const ownRole = user.role as Role;
  const role = token && roleAtLeast(ownRole, token.role) ? token.role : ownRole;
  return { type: 'user', id: user.id, ref: `user:${user.name}`, name: user.name, displayName: user.display_name ?? undefined, role, groups, ...(token ? { tokenId: token.id } : {}) };
}

async function toUserView(db: Kysely<AuthTables>, row: DbUserRow): Promise<UserView> {
  return {
    id: row.id,
    name: row.name,
    displayName: row.display_name,
    email: row.email,
    role: row.role as Role,
    groups: await groupsOfUser(db, row.id),
    createdAt: new Date(row.created_at).toISOString(),
    disabled: row.disabled_at !== null,
  };
}

export async function findUserByName(db: Kysely<AuthTables>, name: string): Promise<DbUserRow | undefined> {
  return db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function getUser(db: Kysely<AuthTables>, name: string): Promise<UserView> {
  const row = await findUserByName(db, name);
  if (!row) throw new PlinthError('AUTH_USER_NOT_FOUND', `user '${name}' does not exist`);
  return toUserView(db, row);
}

export async function listUsers(db: Kysely<AuthTables>): Promise<UserView[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('name').execute();
  return Promise.all(rows.map((row) => toUserView(db, row)));
}

export interface CreateUserInput {
  name: string;
  displayName?: string;
  email?: string;
  role: Role;
  oidcSubject?: string;
}

export async function createUser(db: Kysely<AuthTables>, input: CreateUserInput): Promise<UserView> {
  if (await findUserByName(db, input.name)) throw new PlinthError('AUTH_USER_EXISTS', `user '${input.name}' already exists`, { location: { field: '/name' } });
  const row: DbUserRow = {
    id: randomUUID(),
    name: input.name,
    display_name: input.displayName ?? null,
    email: input.email ?? null,
    role: input.role,
    oidc_subject: input.oidcSubject ?? null,
    created_at: Date.now(),
    disabled_at: null,
  };
  await db.insertInto('users').values(row).execute();
  return toUserView(db, row);
}

export async function listGroups(db: Kysely<AuthTables>): Promise<GroupView[]> {
  const groups = await db.selectFrom('groups').selectAll().orderBy('name').execute();
  const members = await db
    .selectFrom('group_members')
    .innerJoin('users', 'users.id', 'group_members.user_id')
    .select(['group_members.group_id', 'users.name'])
    .orderBy('users.name')
    .execute();
  return groups.map((g) => ({
    id: g.id,
    name: g.name,
    displayName: g.display_name,
    members: members.filter((m) => m.group_id === g.id).map((m) => m.name),
    createdAt: new Date(g.created_at).toISOString(),
  }));
}

export async function createGroup(db: Kysely<AuthTables>, input: { name: string; displayName?: string; members?: string[] }): Promise<GroupView> {
  const existing = await db.selectFrom('groups').select('id').where('name', '=', input.name).executeTakeFirst();
  if (existing) throw new PlinthError('AUTH_GROUP_EXISTS', `group '${input.name}' already exists`, { location: { field: '/name' } });
  const id = randomUUID();
  await db.insertInto('groups').values({ id, name: input.name, display_name: input.displayName ?? null, created_at: Date.now() }).execute();
  for (const [index, member] of (input.members ?? []).entries()) {
    const user = await findUserByName(db, member);
    if (!user) throw new PlinthError('AUTH_USER_NOT_FOUND', `user '${member}' does not exist`, { location: { field: `/members/${index}` } });
    await db.insertInto('group_members').values({ group_id: id, user_id: user.id }).execute();
  }
  return (await listGroups(db)).find((g) => g.id === id)!;
}
