import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../../test/support/databases.js';
import { createTestStore, type TestStore } from '../../test/support/store.js';
import { storeMigrations } from '../store/migrations.js';
import { authMigrations } from './migrations.js';
import { createSession, resolveSession } from './sessions.js';
import { createApiToken, resolveApiToken } from './tokens.js';
import { authDb, createGroup, createUser } from './users.js';

describe.each(testDatabases)('who a credential stands for, on $name', (database) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await createTestStore(database, [...storeMigrations, ...authMigrations]);
  });
  afterEach(() => t.close());

  it("gives a user's token and session the user's groups, and the token no more than the user's role", async () => {
    const db = authDb(t.store);
    const carol = await createUser(db, { name: 'carol', role: 'member' });
    await createGroup(db, { name: 'team-b', members: ['carol'] });
    await createGroup(db, { name: 'team-a', members: ['carol'] });
    const asAdmin = await createApiToken(db, { name: 'carol-admin', role: 'admin', userId: carol.id, createdBy: 'user:carol' });
    const asViewer = await createApiToken(db, { name: 'carol-viewer', role: 'viewer', userId: carol.id, createdBy: 'user:carol' });

    expect(await resolveApiToken(db, asAdmin.token)).toEqual({
      type: 'user',
      id: carol.id,
      ref: 'user:carol',
      name: 'carol',
      displayName: undefined,
      role: 'member',
      groups: ['team-a', 'team-b'],
      tokenId: asAdmin.item.id,
    });
    expect(await resolveApiToken(db, asViewer.token)).toMatchObject({ ref: 'user:carol', role: 'viewer', tokenId: asViewer.item.id });

    const session = await createSession(db, { userId: carol.id }, 1);
    const actor = await resolveSession(db, session.id);
    expect(actor).toMatchObject({ type: 'user', ref: 'user:carol', role: 'member', groups: ['team-a', 'team-b'] });
    expect(actor).not.toHaveProperty('tokenId');
    const tokenSession = await createSession(db, { tokenId: asViewer.item.id }, 1);
    expect(await resolveSession(db, tokenSession.id)).toMatchObject({ ref: 'user:carol', role: 'viewer', tokenId: asViewer.item.id });
  });

  it("ends a disabled user's tokens and sessions at once, and knows no unknown user", async () => {
    const db = authDb(t.store);
    const dave = await createUser(db, { name: 'dave', role: 'admin' });
    const { token, item } = await createApiToken(db, { name: 'dave-cli', role: 'admin', userId: dave.id, createdBy: 'user:dave' });
    const session = await createSession(db, { userId: dave.id }, 1);
    const tokenSession = await createSession(db, { tokenId: item.id }, 1);
    expect(await resolveApiToken(db, token)).toMatchObject({ ref: 'user:dave', role: 'admin', groups: [] });

    await db.updateTable('users').set({ disabled_at: Date.now() }).where('id', '=', dave.id).execute();
    expect(await resolveApiToken(db, token)).toBeUndefined();
    expect(await resolveSession(db, session.id)).toBeUndefined();
    expect(await resolveSession(db, tokenSession.id)).toBeUndefined();

    await db.deleteFrom('users').where('id', '=', dave.id).execute();
    expect(await resolveApiToken(db, token)).toBeUndefined();
  });
});
