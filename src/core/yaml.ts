import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, isPair, type Document, type Node } from 'yaml';
import jsYaml from 'js-yaml';
import { PlinthError, type ErrorCode, type ErrorLocation } from './errors.js';

/** One parsed YAML document that can point back at the file position of any of its values. */
export interface LocatedDocument {
  value: unknown;
  file: string;
  /** Location of the value at `path` (or of its nearest existing parent); for a missing key, its parent. */
  locate(path: ReadonlyArray<string | number>, target?: 'key' | 'value'): ErrorLocation;
}

/**
 * Parses a (multi-document) YAML text. Empty and comment-only documents are dropped.
 * A syntax error throws `errorCode` located at file:line:column.
 */
export function parseYamlDocuments(text: string, file: string, errorCode: ErrorCode): LocatedDocument[] {
  const result: LocatedDocument[] = [];
  for (const item of parseYamlDocumentsSettled(text, file, errorCode)) {
    if (item instanceof PlinthError) throw item;
    result.push(item);
  }
  return result;
}

/**
 * Like parseYamlDocuments, but a syntax error spoils only its own document: each document is
 * either parsed or a located `errorCode` PlinthError, in file order (for multi-document catalog
 * files, where the valid documents still count).
 */
export function parseYamlDocumentsSettled(text: string, file: string, errorCode: ErrorCode): Array<LocatedDocument | PlinthError> {
  const lineCounter = new LineCounter();
  // logLevel 'error': yaml's warnings (e.g. a mapping used as a key) would go to process warnings.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const list = Array.isArray(documents) ? documents : [documents];
  const result: Array<LocatedDocument | PlinthError> = [];
  for (const doc of list) {
    const problem = doc.errors[0];
    if (problem) {
      const pos = lineCounter.linePos(problem.pos[0]);
      result.push(
        new PlinthError(errorCode, `invalid YAML: ${firstLine(problem.message)}`, {
          location: { file, line: pos.line, column: pos.col },
        }),
      );
      continue;
    }
    if (doc.contents === null) continue;
    result.push(createLocatedDocument(doc, file, lineCounter));
  }
  return result;
}

function createLocatedDocument(doc: Document, file: string, lineCounter: LineCounter): LocatedDocument {
  const toLocation = (offset: number): ErrorLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col };
  };
  return {
    value: doc.toJS({ maxAliasCount: 100 }),
    file,
    locate(path, target = 'value') {
      let node: Node | null = doc.contents as Node | null;
      let keyNode: Node | null = null;
      for (const segment of path) {
        const child = findChild(node, segment);
        if (!child) break;
        node = child.value;
        keyNode = child.key;
      }
      const chosen = target === 'key' && keyNode ? keyNode : (node ?? keyNode);
      return toLocation(chosen?.range?.[0] ?? 0);
    },
  };
}

function findChild(node: Node | null, segment: string | number): { key: Node | null; value: Node | null } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key as Node | null;
      const keyValue = isScalar(key) ? String(key.value) : undefined;
      if (keyValue === String(segment)) return { key, value: (pair.value as Node | null) ?? key };
    }
    return undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment] as Node | undefined;
    return item ? { key: null, value: item } : undefined;
  }
  return undefined;
}

/** A document's value and where its content starts. */
export interface QuickDocument {
  value: unknown;
  line: number;
  column: number;
}

// Anchors and aliases: js-yaml does not bound alias expansion the way `yaml` does (maxAliasCount).
const ANCHOR_OR_ALIAS = /(?:^|[\s,[{:-])[&*][^\s,[\]{}]/m;
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?=\s|$)/;

/**
 * The fast path for large, valid files: js-yaml (core schema) is about fifteen times faster than
 * `yaml`, which builds a full syntax tree to keep every position. Returns the non-empty documents
 * with the position of their first content line, or undefined when the text needs the careful
 * path: a syntax error, anchors or aliases, directives, content on a `---` line, or documents that
 * do not line up with their markers. Callers that find a problem in a value re-parse with
 * parseYamlDocumentsSettled, which locates every value.
 */
export function parseYamlDocumentsQuickly(text: string): QuickDocument[] | undefined {
  if (ANCHOR_OR_ALIAS.test(text)) return undefined;
  const starts: Array<{ line: number; column: number }> = [];
  let inDocument = false;
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (DOCUMENT_MARKER.test(line)) {
      if (line.slice(3).trim() && !line.slice(3).trim().startsWith('#')) return undefined;
      inDocument = false;
      continue;
    }
    if (line.startsWith('%')) return undefined;
    const column = line.search(/\S/);
    if (column === -1 || line[column] === '#' || inDocument) continue;
    inDocument = true;
    starts.push({ line: lineNumber, column: column + 1 });
  }
  let values: unknown[];
  try {
    values = jsYaml.loadAll(text, undefined, { schema: jsYaml.CORE_SCHEMA }).filter((value) => value !== null && value !== undefined);
  } catch {
    return undefined;
  }
  if (values.length !== starts.length) return undefined;
  return values.map((value, i) => ({ value, ...starts[i]! }));
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Splits an ajv/JSON-pointer instance path ("/a/0/b") into segments, numbers for array indexes. */
export function pointerToPath(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
