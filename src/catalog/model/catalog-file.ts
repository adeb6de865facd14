import { PlinthError, type ErrorLocation } from '../../core/errors.js';
import { parseYamlDocumentsQuickly, parseYamlDocumentsSettled, type LocatedDocument } from '../../core/yaml.js';
import type { Entity } from './entity.js';
import type { KindRegistry } from './kind-registry.js';
import { findPlaceholders, substitute, type SubstitutionReader } from './substitutions.js';
import { KEY_RULES, inspectEntity, type EntityFinding } from './validate-entity.js';

/** A finding in a catalog file, at file:line:column. */
export interface CatalogFileError {
  rule: string;
  message: string;
  location: ErrorLocation;
}

export interface ParsedCatalogFile {
  /** The valid entities, each located at the start of its document. */
  entities: Array<{ entity: Entity; location: ErrorLocation }>;
  errors: CatalogFileError[];
}

/**
 * Parses a (multi-document) catalog file and validates each document. Empty and comment-only
 * documents are ignored; a YAML syntax error or a broken rule spoils only its own document. Each
 * error is located at the offending value, or at the parent key when a field is missing.
 *
 * `$text`/`$json`/`$yaml` placeholders are not read here: they are left in the returned entities and
 * the values they stand for are not checked (parseCatalogFileWithSubstitutions reads and checks them).
 */
export function parseCatalogFile(text: string, file: string, registry: KindRegistry): ParsedCatalogFile {
  return parseValidFileQuickly(text, file, registry) ?? parseCatalogFileCarefully(text, file, registry);
}

/** The common case, a file of valid entities, without a position-keeping parse; undefined at the first problem. */
function parseValidFileQuickly(text: string, file: string, registry: KindRegistry): ParsedCatalogFile | undefined {
  const documents = parseYamlDocumentsQuickly(text);
  if (!documents) return undefined;
  const entities: ParsedCatalogFile['entities'] = [];
  for (const document of documents) {
    const ignore = findPlaceholders(document.value).map((site) => site.path);
    const { entity } = inspectEntity(document.value, registry, ignore);
    if (!entity) return undefined;
    entities.push({ entity, location: { file, line: document.line, column: document.column } });
  }
  return { entities, errors: [] };
}

function parseCatalogFileCarefully(text: string, file: string, registry: KindRegistry): ParsedCatalogFile {
  const result: ParsedCatalogFile = { entities: [], errors: [] };
  for (const document of parseYamlDocumentsSettled(text, file, 'CATALOG_FILE_INVALID')) {
    if (document instanceof PlinthError) {
      result.errors.push(syntaxError(document, file));
      continue;
    }
    // An empty document between two `---` (or an explicit null) is no entity, as in Backstage.
    if (document.value === null) continue;
    const ignore = findPlaceholders(document.value).map((site) => site.path);
    collect(result, document, document.value, registry, ignore);
  }
  return result;
}

/**
 * parseCatalogFile, reading the placeholders first (through `read`, which gets each target as written):
 * their content is validated like the rest, and a failed read or parse is an error located at the
 * placeholder. Placeholders the reader leaves unresolved (it resolved to `undefined`) stay unchecked.
 */
export async function parseCatalogFileWithSubstitutions(text: string, file: string, registry: KindRegistry, read: SubstitutionReader): Promise<ParsedCatalogFile> {
  const result: ParsedCatalogFile = { entities: [], errors: [] };
  for (const document of parseYamlDocumentsSettled(text, file, 'CATALOG_FILE_INVALID')) {
    if (document instanceof PlinthError) {
      result.errors.push(syntaxError(document, file));
      continue;
    }
    if (document.value === null) continue;
    const { value, unresolved, problems } = await substitute(document.value, read);
    if (problems.length > 0) {
      for (const problem of problems) result.errors.push({ rule: 'substitution', message: problem.message, location: document.locate(problem.path) });
      continue;
    }
    collect(
      result,
      document,
      value,
      registry,
      unresolved.map((site) => site.path),
    );
  }
  return result;
}

function collect(result: ParsedCatalogFile, document: LocatedDocument, value: unknown, registry: KindRegistry, ignore: Array<Array<string | number>>): void {
  const { findings, entity } = inspectEntity(value, registry, ignore);
  if (entity) {
    result.entities.push({ entity, location: document.locate([]) });
    return;
  }
  for (const finding of findings) {
    result.errors.push({ rule: finding.rule, message: finding.message, location: locateFinding(document, finding) });
  }
}

/** The offending value; a key for key rules; the parent key when the field is missing. */
export function locateFinding(document: LocatedDocument, finding: EntityFinding): ErrorLocation {
  if (KEY_RULES.has(finding.rule)) return document.locate(finding.path, 'key');
  return document.locate(finding.path, hasPath(document.value, finding.path) ? 'value' : 'key');
}

function hasPath(value: unknown, path: ReadonlyArray<string | number>): boolean {
  let node = value;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return false;
    if (!Object.prototype.hasOwnProperty.call(node, segment)) return false;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return true;
}

function syntaxError(error: PlinthError, file: string): CatalogFileError {
  return { rule: 'yaml.syntax', message: error.message, location: error.location ?? { file } };
}
