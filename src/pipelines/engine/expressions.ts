import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  coerceToString,
  evaluateExpression,
  expressionData,
  ExpressionSyntaxError,
  fromExpressionData,
  isTruthy,
  type ExtraFunction,
  type PlainValue,
} from './actions-parser.js';

/** The contexts of one evaluation (github, env, matrix, …), as plain JSON-like values. */
export type ContextData = Record<string, unknown>;

/** Facts the status functions read: the job (or composite) status so far. */
export interface StatusFacts {
  /**
   * 'success' until a step (or a needed job) failed; 'cancelled' once the run was cancelled;
   * 'skipped' when a needed job was skipped (success() and failure() are both false).
   */
  status: 'success' | 'failure' | 'cancelled' | 'skipped';
  /** Workspace for hashFiles(). */
  workspace?: string;
}

/** An expression could not be parsed or evaluated; `expression` is the text that failed. */
export class ExpressionFailure extends Error {
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(message);
  }
}

const STATUS_FUNCTIONS = /\b(success|failure|always|cancelled)\s*\(/i;

function statusFunctions(facts: StatusFacts | undefined): ExtraFunction[] {
  const bool = (value: boolean) => new expressionData.BooleanData(value);
  const status = facts?.status ?? 'success';
  const functions: ExtraFunction[] = [
    { name: 'success', minArgs: 0, maxArgs: 0, call: () => bool(status === 'success') },
    { name: 'failure', minArgs: 0, maxArgs: 0, call: () => bool(status === 'failure') },
    { name: 'always', minArgs: 0, maxArgs: 0, call: () => bool(true) },
    { name: 'cancelled', minArgs: 0, maxArgs: 0, call: () => bool(status === 'cancelled') },
    {
      name: 'hashFiles',
      minArgs: 1,
      maxArgs: 255,
      call: (...patterns) => new expressionData.StringData(hashFiles(facts?.workspace ?? process.cwd(), patterns.map(coerceToString))),
    },
  ];
  return functions;
}

function evaluate(expression: string, contexts: ContextData, facts?: StatusFacts) {
  // hashFiles() reads the workspace of the github context when the caller did not name one.
  const workspace = facts?.workspace ?? ((contexts.github as { workspace?: string } | undefined)?.workspace || undefined);
  try {
    return evaluateExpression(expression, contexts, statusFunctions({ status: facts?.status ?? 'success', workspace }));
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) throw new ExpressionFailure(`invalid expression \`${expression}\`: ${error.message}`, expression);
    throw new ExpressionFailure(`expression \`${expression}\` failed: ${(error as Error).message}`, expression);
  }
}

/** Evaluates a bare expression (no `${{ }}`) to a plain value. */
export function evaluateExpressionText(expression: string, contexts: ContextData, facts?: StatusFacts): PlainValue {
  return fromExpressionData(evaluate(expression, contexts, facts));
}

/** Splits `a ${{ x }} b` into literal and expression parts; `${{` inside quoted strings is kept. */
function splitTemplate(text: string): Array<{ literal: string } | { expression: string }> {
  const parts: Array<{ literal: string } | { expression: string }> = [];
  let index = 0;
  while (index < text.length) {
    const start = text.indexOf('${{', index);
    if (start < 0) break;
    let cursor = start + 3;
    let inString = false;
    let end = -1;
    while (cursor < text.length) {
      const ch = text[cursor];
      if (ch === "'") inString = !inString;
      else if (!inString && ch === '}' && text[cursor + 1] === '}') {
        end = cursor;
        break;
      }
      cursor++;
    }
    if (end < 0) throw new ExpressionFailure(`unclosed expression in \`${text}\`: expected \`}}\``, text);
    if (start > index) parts.push({ literal: text.slice(index, start) });
    parts.push({ expression: text.slice(start + 3, end).trim() });
    index = end + 2;
  }
  if (index < text.length) parts.push({ literal: text.slice(index) });
  return parts;
}

/**
 * Evaluates a workflow value: strings with `${{ }}` are evaluated (a string that is exactly one
 * expression keeps the expression's type, e.g. an array from fromJSON); mappings and sequences
 * are evaluated item by item. Other values are returned as they are.
 */
export function evaluateTemplate(value: unknown, contexts: ContextData, facts?: StatusFacts): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return value;
    const parts = splitTemplate(value);
    if (parts.length === 1 && 'expression' in parts[0]!) return evaluateExpressionText(parts[0].expression, contexts, facts);
    return parts.map((part) => ('literal' in part ? part.literal : coerceToString(evaluate(part.expression, contexts, facts)))).join('');
  }
  if (Array.isArray(value)) return value.map((item) => evaluateTemplate(item, contexts, facts));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[String(evaluateTemplate(key, contexts, facts))] = evaluateTemplate(item, contexts, facts);
    return result;
  }
  return value;
}

/** Evaluates to a string the way GitHub coerces (null → '', booleans → 'true'/'false'). */
export function evaluateString(value: unknown, contexts: ContextData, facts?: StatusFacts): string {
  return toText(evaluateTemplate(value, contexts, facts));
}

export function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value, null, 2);
}

/**
 * Evaluates an `if:` condition. It may be wrapped in `${{ }}` or not; without a status function
 * it is `success() && (<condition>)`, as on GitHub.
 */
export function evaluateCondition(condition: unknown, contexts: ContextData, facts: StatusFacts): boolean {
  if (condition === undefined || condition === null || condition === '') return facts.status === 'success';
  if (typeof condition === 'boolean') return facts.status === 'success' && condition;
  if (typeof condition === 'number') return facts.status === 'success' && condition !== 0;
  let text = String(condition).trim();
  const parts = text.includes('${{') ? splitTemplate(text) : [];
  if (parts.length === 1 && 'expression' in parts[0]!) text = parts[0].expression;
  else if (parts.length > 1) {
    // A mix of literals and expressions is a non-empty string: truthy.
    return facts.status === 'success' && evaluateString(text, contexts, facts) !== '';
  }
  const expression = STATUS_FUNCTIONS.test(text) ? text : `success() && (${text})`;
  return isTruthy(evaluate(expression, contexts, facts));
}

/** The files under `workspace` matching the glob patterns (`!` excludes), hashed as GitHub does. */
export function hashFiles(workspace: string, patterns: string[]): string {
  const includes = patterns.filter((p) => !p.startsWith('!')).map((p) => globToRegExp(p));
  const excludes = patterns.filter((p) => p.startsWith('!')).map((p) => globToRegExp(p.slice(1)));
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === '.git') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const relative = path.relative(workspace, full).split(path.sep).join('/');
        if (includes.some((re) => re.test(relative)) && !excludes.some((re) => re.test(relative))) files.push(full);
      }
    }
  };
  walk(workspace);
  if (files.length === 0) return '';
  const total = createHash('sha256');
  for (const file of files) {
    if (!statSync(file).isFile()) continue;
    total.update(createHash('sha256').update(readFileSync(file)).digest());
  }
  return total.digest('hex');
}

/** Glob to RegExp over `/`-separated relative paths: `**` crosses directories, `*` and `?` do not. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  const text = glob.replace(/^\.\//, '');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '*') {
      if (text[i + 1] === '*') {
        const slashAfter = text[i + 2] === '/';
        source += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else source += '[^/]*';
    } else if (ch === '?') source += '[^/]';
    else if (ch === '[') {
      const close = text.indexOf(']', i);
      if (close > i) {
        source += text.slice(i, close + 1);
        i = close;
      } else source += '\\[';
    } else source += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
