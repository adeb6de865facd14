import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseYamlDocuments } from '../core/yaml.js';
import { systemActor, type Role } from '../auth/actor.js';
import { runAuditedMutation } from '../auth/audit.js';
import { createApiToken } from '../auth/tokens.js';
import { createGroup, createUser, findUserByName } from '../auth/users.js';
import type { Platform } from './platform.js';

export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

/** The demo organisation's catalog, registered like a location from plinth.yaml. */
export function demoLocations(): Array<{ type: 'file'; target: string }> {
  return [{ type: 'file', target: path.join(EXAMPLES_DIR, 'catalog', 'all.yaml') }];
}

interface DemoIdentities {
  users: Array<{ name: string; displayName?: string; email?: string; role: Role }>;
  groups: Array<{ name: string; displayName?: string; members?: string[] }>;
}

/**
 * Loads the demo organisation from examples/ (idempotent: what exists is kept). On the first
 * start it also creates an admin token for the person trying Plinth and returns it once.
 */
export async function loadDemoData(platform: Platform): Promise<{ adminToken?: string }> {
  const file = path.join(EXAMPLES_DIR, 'identities.yaml');
  const [document] = parseYamlDocuments(readFileSync(file, 'utf8'), file, 'CONFIG_INVALID');
  const identities = document?.value as DemoIdentities;
  const context = { actor: systemActor('demo') };
  return runAuditedMutation(platform.store, context, { action: 'demo.load', target: 'examples/identities.yaml' }, async (trx) => {
    for (const user of identities.users) if (!(await findUserByName(trx, user.name))) await createUser(trx, user);
    const existingGroups = new Set((await trx.selectFrom('groups').select('name').execute()).map((g) => g.name));
    for (const group of identities.groups) if (!existingGroups.has(group.name)) await createGroup(trx, group);
    const anyToken = await trx.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst();
    if (anyToken) return {};
    const { token } = await createApiToken(trx, { name: 'demo-admin', role: 'admin', createdBy: context.actor.ref });
    return { adminToken: token };
  });
}
