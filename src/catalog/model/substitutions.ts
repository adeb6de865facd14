import { parseAllDocuments } from 'yaml';
import { PlinthError } from '../../core/errors.js';
import { formatPath } from './spec-schema.js';

/**
 * Reads the target of a placeholder, as written (`./README.md`, `https://…/openapi.yaml`); the caller
 * resolves it relative to the catalog file. Resolving to `undefined` leaves the placeholder in place
 * (e.g. a URL that cannot be fetched offline).
 */
export type SubstitutionReader = (target: string) => Promise<string | undefined>;

const PLACEHOLDERS = ['$text', '$json', '$yaml'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/** A placeholder found in a value: where it is, which one, and its target. */
export interface PlaceholderSite {
  path: Array<string | number>;
  placeholder: Placeholder;
  target: string;
}

/**
 * Replaces Backstage's substitution placeholders anywhere in `value`: `{ $text: ./README.md }` by the
 * file's text, `{ $json: … }` and `{ $yaml: … }` by the parsed content. As in Backstage, only a mapping
 * with exactly one key, one of these three, whose value is a string, is a placeholder; anything else
 * (such as JSON Schema's `$ref`) is left alone. Failures throw CATALOG_FILE_INVALID naming the
 * placeholder's path; every failure is listed in `details`.
 */
export async function resolveSubstitutions(value: unknown, read: SubstitutionReader): Promise<unknown> {
  const { value: resolved, problems } = await substitute(value, read);
  const first = problems[0];
  if (first) {
    throw new PlinthError('CATALOG_FILE_INVALID', first.message, {
      location: { field: formatPath(first.path) },
      details: problems.map((p) => ({ message: p.message, location: { field: formatPath(p.path) } })),
    });
  }
  return resolved;
}

/** resolveSubstitutions without throwing: the resolved value, the placeholders left in place, and the failures. */
export async function substitute(
  value: unknown,
  read: SubstitutionReader,
): Promise<{ value: unknown; unresolved: PlaceholderSite[]; problems: Array<{ path: Array<string | number>; message: string }> }> {
  const unresolved: PlaceholderSite[] = [];
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const visit = async (node: unknown, path: Array<string | number>): Promise<unknown> => {
    const site = placeholderAt(node, path);
    if (site) {
      const where = formatPath(path) || 'the document';
      let content: string | undefined;
      try {
        content = await read(site.target);
      } catch (error) {
        problems.push({ path, message: `${where}: ${site.placeholder} placeholder cannot read ${JSON.stringify(site.target)}: ${(error as Error).message}` });
        return node;
      }
      if (content === undefined) {
        unresolved.push(site);
        return node;
      }
      try {
        return parseContent(site.placeholder, content);
      } catch (error) {
        problems.push({ path, message: `${where}: ${site.placeholder} placeholder ${JSON.stringify(site.target)} ${(error as Error).message}` });
        return node;
      }
    }
    if (Array.isArray(node)) {
      const items: unknown[] = [];
      for (let i = 0; i < node.length; i++) items.push(await visit(node[i], [...path, i]));
      return items;
    }
    if (typeof node === 'object' && node !== null) {
      const result: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) result[key] = await visit(child, [...path, key]);
      return result;
    }
    return node;
  };
  const resolved = await visit(value, []);
  return { value: resolved, unresolved, problems };
}

/** The placeholders in a value, without reading anything. */
export function findPlaceholders(value: unknown, path: Array<string | number> = []): PlaceholderSite[] {
  const site = placeholderAt(value, path);
  if (site) return [site];
  if (Array.isArray(value)) return value.flatMap((item, i) => findPlaceholders(item, [...path, i]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, child]) => findPlaceholders(child, [...path, key]));
  return [];
}

function placeholderAt(node: unknown, path: Array<string | number>): PlaceholderSite | undefined {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const key = keys[0] as Placeholder;
  const target = (node as Record<string, unknown>)[key];
  if (!PLACEHOLDERS.includes(key) || typeof target !== 'string') return undefined;
  return { path, placeholder: key, target };
}

function parseContent(placeholder: Placeholder, content: string): unknown {
  if (placeholder === '$text') return content;
  if (placeholder === '$json') {
    try {
      return JSON.parse(content) as unknown;
    } catch (error) {
      throw new Error(`is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  const documents = parseAllDocuments(content);
  const list = Array.isArray(documents) ? documents : [documents];
  const problem = list.flatMap((d) => d.errors)[0];
  if (problem) throw new Error(`is not valid YAML: ${problem.message.split('\n')[0]}`);
  if (list.length > 1) throw new Error(`holds ${list.length} YAML documents; a $yaml placeholder takes exactly one`);
  return list[0]?.toJS({ maxAliasCount: 100 }) ?? null;
}
