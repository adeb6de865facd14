import type { Store } from '../store/store.js';
import { PlinthError } from '../core/errors.js';
import { roleAtLeast, type AccessContext, type Actor, type Role } from './actor.js';
import { recordAudit } from './audit.js';
import type { AuthTables } from './tables.js';

/**
 * An action is `<area>.<verb>` (`token.create`, `audit.read`, later `component.deploy`).
 * Each declares the least role that may perform it; rules added by capabilities can allow
 * more (owners of a component may deploy it) or deny.
 */
export interface ActionDefinition {
  action: string;
  minimumRole: Role;
  description: string;
}

export interface PermissionResource {
  /** The ref of what is acted on, for audit: `token:abc`, `component:default/web`. */
  ref: string;
  /** Owner refs of the resource (`group:default/team-a`, `user:default/alice`), for ownership rules. */
  owners?: string[];
  [key: string]: unknown;
}

export type RuleDecision = 'allow' | 'deny' | undefined;

/** A capability's hook into authorization: return allow or deny to decide, undefined to pass. */
export interface PermissionRule {
  name: string;
  /** Actions this rule is asked about. */
  actions: string[];
  decide(actor: Actor, action: string, resource: PermissionResource | undefined): RuleDecision | Promise<RuleDecision>;
}

export interface Authorizer {
  defineActions(actions: ActionDefinition[]): void;
  addRule(rule: PermissionRule): void;
  /** Throws AUTH_NOT_ALLOWED (and audits the denial) unless the actor may perform the action. */
  authorize(context: AccessContext, action: string, resource?: PermissionResource): Promise<void>;
  /** Like authorize, without audit or throw: for hiding what a user may not do in lists and UIs. */
  isAllowed(actor: Actor, action: string, resource?: PermissionResource): Promise<boolean>;
  actions(): ActionDefinition[];
}

/** Ownership rule: an actor who owns the resource (directly or through a group) is allowed. */
export function ownsResource(actor: Actor, resource: PermissionResource | undefined): boolean {
  if (!resource?.owners?.length) return false;
  const refs = new Set([actor.ref, `user:default/${actor.name}`, ...actor.groups.flatMap((g) => [`group:default/${g}`, `group:${g}`])]);
  return resource.owners.some((owner) => refs.has(owner));
}

export function createAuthorizer(store: Store): Authorizer {
  const definitions = new Map<string, ActionDefinition>();
  const rules: PermissionRule[] = [];

  async function decide(actor: Actor, action: string, resource?: PermissionResource): Promise<{ allowed: boolean; reason: string }> {
    const definition = definitions.get(action);
    if (!definition) return { allowed: false, reason: `unknown action '${action}'` };
    let allowedByRule: string | undefined;
    for (const rule of rules) {
      if (!rule.actions.includes(action)) continue;
      const decision = await rule.decide(actor, action, resource);
      if (decision === 'deny') return { allowed: false, reason: `denied by rule '${rule.name}'` };
      if (decision === 'allow') allowedByRule ??= rule.name;
    }
    if (allowedByRule) return { allowed: true, reason: `allowed by rule '${allowedByRule}'` };
    if (roleAtLeast(actor.role, definition.minimumRole)) return { allowed: true, reason: `role ${actor.role}` };
    return { allowed: false, reason: `'${action}' needs the ${definition.minimumRole} role; ${actor.ref} has ${actor.role}` };
  }

  return {
    defineActions(actions) {
      for (const action of actions) definitions.set(action.action, action);
    },
    addRule(rule) {
      rules.push(rule);
    },
    async authorize(context, action, resource) {
      const { allowed, reason } = await decide(context.actor, action, resource);
      if (allowed) return;
      await recordAudit(store.db.withTables<AuthTables>(), context, { action, target: resource?.ref ?? '-', outcome: 'denied', details: { reason } });
      throw new PlinthError('AUTH_NOT_ALLOWED', `not allowed: ${reason}`);
    },
    async isAllowed(actor, action, resource) {
      return (await decide(actor, action, resource)).allowed;
    },
    actions: () => [...definitions.values()],
  };
}
