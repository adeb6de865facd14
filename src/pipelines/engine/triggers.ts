import { CronExpressionParser } from 'cron-parser';
import { PlinthError, type ErrorDetail } from '../../core/errors.js';
import { globToRegExp } from './expressions.js';
import type { DispatchInput, ParsedWorkflow, PushFilter, WorkflowTriggers } from './workflow.js';

export function workflowTriggers(workflow: ParsedWorkflow): WorkflowTriggers {
  return workflow.triggers;
}

/** What the engine needs to know about a push: the full ref and the changed paths (if known). */
export interface PushEventFacts {
  /** `refs/heads/main` or `refs/tags/v1`. */
  ref: string;
  /** Repository-relative paths the push changed; undefined when unknown (paths filters then match). */
  changedPaths?: string[];
}

/**
 * GitHub's filter rule: patterns are checked in order, a `!pattern` un-matches, the last
 * matching pattern decides.
 */
function matchesPatterns(value: string, patterns: string[]): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (globToRegExp(negated ? pattern.slice(1) : pattern).test(value)) matched = !negated;
  }
  return matched;
}

/** Whether a push of `facts.ref` (changing `facts.changedPaths`) starts this workflow. */
export function matchesPushEvent(workflow: ParsedWorkflow, facts: PushEventFacts): boolean {
  const filter: PushFilter | undefined = workflow.triggers.push;
  if (!filter) return false;
  const branch = facts.ref.startsWith('refs/heads/') ? facts.ref.slice('refs/heads/'.length) : undefined;
  const tag = facts.ref.startsWith('refs/tags/') ? facts.ref.slice('refs/tags/'.length) : undefined;
  const hasBranchFilter = filter.branches !== undefined || filter.branchesIgnore !== undefined;
  const hasTagFilter = filter.tags !== undefined || filter.tagsIgnore !== undefined;
  if (branch !== undefined) {
    if (!hasBranchFilter && hasTagFilter) return false;
    if (filter.branches && !matchesPatterns(branch, filter.branches)) return false;
    if (filter.branchesIgnore && matchesPatterns(branch, filter.branchesIgnore)) return false;
  } else if (tag !== undefined) {
    if (!hasTagFilter && hasBranchFilter) return false;
    if (filter.tags && !matchesPatterns(tag, filter.tags)) return false;
    if (filter.tagsIgnore && matchesPatterns(tag, filter.tagsIgnore)) return false;
    // GitHub ignores paths filters for tag pushes.
    return true;
  }
  const changed = facts.changedPaths;
  if (changed === undefined) return true;
  if (filter.paths && !changed.some((file) => matchesPatterns(file, filter.paths!))) return false;
  if (filter.pathsIgnore && changed.length > 0 && changed.every((file) => matchesPatterns(file, filter.pathsIgnore!))) return false;
  return true;
}

/** The next `count` times (UTC) a schedule cron fires after `after`. Throws on a bad cron. */
export function nextScheduleTimes(cron: string, after: Date, count = 1): Date[] {
  let expression;
  try {
    expression = CronExpressionParser.parse(cron, { currentDate: after, tz: 'UTC' });
  } catch (error) {
    throw new PlinthError('PIPELINE_WORKFLOW_INVALID', `invalid schedule cron '${cron}': ${(error as Error).message}`);
  }
  const times: Date[] = [];
  for (let i = 0; i < count; i++) times.push(expression.next().toDate());
  return times;
}

/**
 * Checks and types workflow_dispatch (or workflow_call) inputs: unknown names, required inputs,
 * booleans ('true'/'false'), numbers and choices. Defaults fill the missing ones.
 * Errors are PIPELINE_DISPATCH_INVALID with the field path `inputs.<name>`.
 */
export function resolveDispatchInputs(
  specs: Record<string, DispatchInput>,
  given: Record<string, unknown>,
  evaluateDefault: (value: unknown) => unknown = (value) => value,
): Record<string, string | number | boolean> {
  const problems: ErrorDetail[] = [];
  const result: Record<string, string | number | boolean> = {};
  for (const name of Object.keys(given)) {
    if (!(name in specs)) problems.push({ message: `unknown input '${name}'; the workflow accepts: ${Object.keys(specs).join(', ') || 'none'}`, location: { field: `inputs.${name}` } });
  }
  for (const [name, spec] of Object.entries(specs)) {
    const field = `inputs.${name}`;
    let value = given[name];
    if (value === undefined || value === null) {
      if (spec.default !== undefined) value = evaluateDefault(spec.default);
      else if (spec.required) {
        problems.push({ message: `input '${name}' is required`, location: { field } });
        continue;
      } else value = spec.type === 'boolean' ? false : spec.type === 'number' ? undefined : '';
    }
    if (value === undefined) continue;
    switch (spec.type) {
      case 'boolean':
        if (value === true || value === false) result[name] = value;
        else if (String(value) === 'true' || String(value) === 'false') result[name] = String(value) === 'true';
        else problems.push({ message: `input '${name}' must be true or false, got '${String(value)}'`, location: { field } });
        break;
      case 'number': {
        const number = typeof value === 'number' ? value : Number(String(value));
        if (String(value).trim() === '' || Number.isNaN(number)) problems.push({ message: `input '${name}' must be a number, got '${String(value)}'`, location: { field } });
        else result[name] = number;
        break;
      }
      case 'choice':
        if (spec.options && !spec.options.includes(String(value))) {
          problems.push({ message: `input '${name}' must be one of ${spec.options.join(', ')}; got '${String(value)}'`, location: { field } });
        } else result[name] = String(value);
        break;
      default:
        result[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  if (problems.length > 0) {
    throw new PlinthError('PIPELINE_DISPATCH_INVALID', problems.map((p) => `${p.location?.field}: ${p.message}`).join('; '), {
      location: problems[0]!.location,
      details: problems,
    });
  }
  return result;
}
