import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PlinthError } from '../../core/errors.js';
import { parseYamlDocumentsSettled } from '../../core/yaml.js';
import { parseCatalogFile, parseCatalogFileWithSubstitutions, type CatalogFileError } from './catalog-file.js';
import type { Entity } from './entity.js';
import { entityRefOf } from './entity-ref.js';
import { kindDefinitionFromEntity } from './kind-definition.js';
import { createKindRegistry, type KindRegistry } from './kind-registry.js';
import { relationsOf } from './relations.js';

/**
 * Conformance with Backstage: every YAML descriptor of the Backstage corpus (copied unmodified from
 * backstage/backstage, see corpus/backstage/SOURCES.md) is ingested; Backstage's valid entities
 * must be accepted, its invalid ones rejected with located errors, and the relations must be those
 * Backstage's processors emit.
 *
 * Left out, by design:
 * - template content: the `skeleton/` directories, and the directories templates fetch as content
 *   (`sample-templates/<t>/template/`, `azure-devops-demo/python-sample/`). They hold cookiecutter
 *   `{{ }}` or nunjucks `${{ }}` and are not valid YAML, or not valid entities, until rendered.
 * - YAML files that are not descriptors (no top-level `apiVersion:`), e.g. the OpenAPI document a
 *   `$text` placeholder points at; the same rule `plinth catalog validate` applies to directories.
 *
 * Expected rejections: historical Templates (`backstage.io/v1alpha1`, `backstage.io/v1beta2`: Plinth
 * reads scaffolder.backstage.io/v1beta3), `invalid-component.yaml` (invalid on purpose), and the
 * historical `examples/spotify-api.yaml`, whose definition comes from a
 * `backstage.io/definition-at-location` annotation that only an optional processor turns into
 * `spec.definition` (Backstage's default catalog rejects it as well).
 *
 * The corpus lives outside the repository: PLINTH_CORPUS, else ../shared/corpus from the repo root.
 */
const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const CORPUS = path.resolve(REPO_ROOT, process.env.PLINTH_CORPUS ?? '../shared/corpus');
const BACKSTAGE = path.join(CORPUS, 'backstage');
const present = existsSync(path.join(BACKSTAGE, 'SOURCES.md'));

if (!present) {
  const message = `The Backstage corpus is not at ${BACKSTAGE} (set PLINTH_CORPUS to the corpus directory)`;
  if (process.env.CI && process.env.CI !== 'false') throw new Error(`${message}: CI must run the conformance test.`);
  console.warn(`\n!!! ${message}\n!!! The Backstage conformance test is SKIPPED.\n`);
}

const TEMPLATE_CONTENT = [/(^|\/)skeleton\//, /sample-templates\/[^/]+\/template\//, /sample-templates\/azure-devops-demo\/python-sample\//];
const HISTORICAL_TEMPLATE_VERSIONS = ['backstage.io/v1alpha1', 'backstage.io/v1beta2'];

// Kinds Backstage adds only through optional model layers (AiResource, 2026) or whose provenance is
// uncertain (Environment): Plinth defines them as data, no code.
const CUSTOM_KINDS = `
apiVersion: plinth.dev/v1alpha1
kind: KindDefinition
metadata: { name: airesource }
spec:
  kind: AiResource
  apiVersions: [backstage.io/v1alpha1]
  description: Contextual information consumed by AI coding tools (skills, rules, plugins, marketplaces)
  schema:
    type: object
    required: [type, lifecycle, owner]
    properties:
      type: { type: string, minLength: 1 }
      lifecycle: { type: string, minLength: 1 }
      owner: { type: string, minLength: 1 }
      system: { type: string, minLength: 1 }
      dependsOn: { type: array, items: { type: string, minLength: 1 } }
  relations:
    - { field: spec.owner, type: ownedBy, reverse: ownerOf, defaultKind: Group, allowedKinds: [Group, User] }
    - { field: spec.system, type: partOf, reverse: hasPart, defaultKind: System }
    - { field: spec.dependsOn, type: dependsOn, reverse: dependencyOf, defaultKind: AiResource, many: true }
---
apiVersion: plinth.dev/v1alpha1
kind: KindDefinition
metadata: { name: environment }
spec:
  kind: Environment
  apiVersions: [backstage.io/v1alpha1]
  description: A static location software is deployed to
  schema: { type: object }
`;

interface DocumentOutcome {
  file: string;
  line: number;
  kind: string;
  apiVersion: unknown;
  errors: CatalogFileError[];
}

interface CorpusRun {
  descriptorFiles: string[];
  excludedFiles: string[];
  otherYamlFiles: string[];
  documents: number;
  accepted: Array<{ entity: Entity; file: string; line: number }>;
  rejected: DocumentOutcome[];
}

function listYamlFiles(directory: string): string[] {
  return readdirSync(directory)
    .sort()
    .flatMap((name) => {
      const full = path.join(directory, name);
      if (statSync(full).isDirectory()) return listYamlFiles(full);
      return /\.ya?ml$/.test(name) ? [full] : [];
    });
}

/** Which document of the file an error belongs to: the last one starting at or before its line. */
function documentStarts(text: string, file: string): Array<{ line: number; value: unknown }> {
  return parseYamlDocumentsSettled(text, file, 'CATALOG_FILE_INVALID')
    .map((document) => (document instanceof PlinthError ? { line: document.location?.line ?? 1, value: undefined } : { line: document.locate([]).line ?? 1, value: document.value }))
    .filter((document) => document.value !== null);
}

async function ingestCorpus(registry: KindRegistry): Promise<CorpusRun> {
  const run: CorpusRun = { descriptorFiles: [], excludedFiles: [], otherYamlFiles: [], documents: 0, accepted: [], rejected: [] };
  for (const absolute of listYamlFiles(BACKSTAGE)) {
    const file = path.relative(BACKSTAGE, absolute);
    if (TEMPLATE_CONTENT.some((pattern) => pattern.test(file))) {
      run.excludedFiles.push(file);
      continue;
    }
    const text = readFileSync(absolute, 'utf8');
    if (!/^apiVersion\s*:/m.test(text)) {
      run.otherYamlFiles.push(file);
      continue;
    }
    run.descriptorFiles.push(file);
    const read = async (target: string) => (/^[a-z][a-z0-9+.-]*:/i.test(target) ? undefined : readFileSync(path.resolve(path.dirname(absolute), target), 'utf8'));
    const parsed = await parseCatalogFileWithSubstitutions(text, file, registry, read);
    const starts = documentStarts(text, file);
    run.documents += starts.length;
    for (const { entity, location } of parsed.entities) run.accepted.push({ entity, file, line: location.line ?? 1 });
    const byDocument = new Map<number, CatalogFileError[]>();
    for (const error of parsed.errors) {
      const start = [...starts].reverse().find((s) => s.line <= (error.location.line ?? 1)) ?? starts[0]!;
      byDocument.set(start.line, [...(byDocument.get(start.line) ?? []), error]);
    }
    for (const [line, errors] of byDocument) {
      const value = starts.find((s) => s.line === line)?.value as Record<string, unknown> | undefined;
      run.rejected.push({ file, line, kind: String(value?.kind ?? '?'), apiVersion: value?.apiVersion, errors });
    }
  }
  return run;
}

function isExpectedRejection(outcome: DocumentOutcome): string | undefined {
  const rules = new Set(outcome.errors.map((e) => e.rule));
  if (outcome.kind === 'Template' && HISTORICAL_TEMPLATE_VERSIONS.includes(String(outcome.apiVersion)) && [...rules].every((r) => r === 'apiVersion.unsupported')) {
    return `historical Template ${String(outcome.apiVersion)}`;
  }
  if (outcome.file.endsWith('components/invalid-component.yaml')) return 'invalid on purpose';
  if (outcome.file === 'packages/catalog-model/examples/spotify-api.yaml' && [...rules].every((r) => r === 'spec.schema.required')) {
    return 'definition only through backstage.io/definition-at-location';
  }
  return undefined;
}

describe.skipIf(!present)('Backstage conformance (corpus/backstage)', () => {
  let registry: KindRegistry;
  let run: CorpusRun;
  let relations: Set<string>;

  beforeAll(async () => {
    const definitions = parseCatalogFile(CUSTOM_KINDS, 'custom-kinds.yaml', createKindRegistry());
    expect(definitions.errors).toEqual([]);
    registry = createKindRegistry(definitions.entities.map(({ entity }) => kindDefinitionFromEntity(entity)));
    run = await ingestCorpus(registry);
    relations = new Set(run.accepted.flatMap(({ entity }) => relationsOf(entity, registry).map((r) => `${r.source} ${r.type} ${r.target}`)));
    printTable(run);
  });

  it('accepts every valid entity; the only rejections are the expected ones', () => {
    const unexpected = run.rejected.filter((outcome) => !isExpectedRejection(outcome));
    expect(unexpected.map((o) => `${o.file}:${o.line} ${o.kind}: ${o.errors.map((e) => `${e.message} [${e.rule}]`).join('; ')}`)).toEqual([]);
    expect(run.accepted.length + run.rejected.length).toBe(run.documents);
    expect(run.accepted.length).toBeGreaterThan(90);
  });

  it('rejects invalid-component.yaml with a located error for each of its two problems', () => {
    const outcome = run.rejected.find((o) => o.file === 'packages/catalog-model/examples/components/invalid-component.yaml');
    expect(outcome?.errors).toEqual([
      {
        rule: 'metadata.name.format',
        message: 'metadata.name "invalid component" must be 1-63 characters of [a-zA-Z0-9] separated by [-_.]',
        location: { file: outcome!.file, line: 4, column: 9 },
      },
      {
        rule: 'metadata.tags.format',
        message: 'metadata.tags[1] "go 1.15.3" must be 1-63 characters of [a-z0-9:+#] separated by [-]',
        location: { file: outcome!.file, line: 11, column: 7 },
      },
    ]);
  });

  it('rejects historical Templates naming the supported apiVersion, and accepts every v1beta3 one', () => {
    const historical = run.rejected.filter((o) => o.kind === 'Template');
    expect(historical.length).toBe(11);
    for (const outcome of historical) {
      expect(outcome.errors).toHaveLength(1);
      expect(outcome.errors[0]!.message).toContain('Plinth reads templates in scaffolder.backstage.io/v1beta3');
      expect(outcome.errors[0]!.location.line).toBe(outcome.line);
    }
    const current = run.accepted.filter(({ entity }) => entity.kind === 'Template');
    expect(current.length).toBe(8);
    expect(current.every(({ entity }) => entity.apiVersion === 'scaffolder.backstage.io/v1beta3')).toBe(true);
  });

  it('reads the relative $text placeholder of petstore-webhook', () => {
    const petstore = run.accepted.find(({ entity }) => entity.metadata.name === 'petstore-webhook')?.entity;
    expect(typeof petstore?.spec?.definition).toBe('string');
    expect(petstore?.spec?.definition).toContain('webhooks:');
  });

  it('keeps the namespaces of the corpus: a component in "alternative" owned across namespaces, two users named guest', () => {
    const refs = run.accepted.map(({ entity }) => entityRefOf(entity));
    expect(refs).toContain('component:alternative/different-namespace');
    expect(refs).toContain('user:default/guest');
    expect(refs).toContain('user:development/guest');
  });

  it('produces the relations Backstage produces', () => {
    const expected = [
      // Ownership, both ways; the owner's kind defaults to Group.
      'component:default/artist-lookup ownedBy group:default/team-a',
      'group:default/team-a ownerOf component:default/artist-lookup',
      // A default/team-a owner written without a kind, from another namespace.
      'component:alternative/different-namespace ownedBy group:default/team-a',
      'group:default/team-a ownerOf component:alternative/different-namespace',
      // APIs provided and consumed.
      'component:default/wayback-search providesApi api:default/wayback-search',
      'api:default/wayback-search apiProvidedBy component:default/wayback-search',
      // Part/whole: component in system, subcomponent, system in domain, subdomain.
      'component:default/artist-lookup partOf system:default/artist-engagement-portal',
      'system:default/artist-engagement-portal hasPart component:default/artist-lookup',
      'component:default/wayback-archive-ingestion partOf component:default/wayback-archive',
      'component:default/wayback-archive hasPart component:default/wayback-archive-ingestion',
      'system:default/audio-playback partOf domain:default/playback',
      'domain:default/audio hasPart domain:default/artists',
      // The acme org: group tree from acme/org.yaml down, and users' memberships.
      'group:default/acme-corp parentOf group:default/infrastructure',
      'group:default/infrastructure childOf group:default/acme-corp',
      'group:default/infrastructure parentOf group:default/backstage',
      'group:default/team-a childOf group:default/backstage',
      'user:default/breanna.davison memberOf group:default/team-a',
      'group:default/team-a hasMember user:default/breanna.davison',
      'user:development/guest memberOf group:default/team-a',
      'group:default/team-a hasMember user:development/guest',
      // A custom kind's relations, like a built-in's.
      'airesource:default/frontend-design ownedBy group:default/team-a',
      'system:default/artist-engagement-portal hasPart airesource:default/frontend-design',
    ];
    expect(expected.filter((relation) => !relations.has(relation))).toEqual([]);
  });

  it('needs the KindDefinitions for AiResource and Environment: without them they are unknown kinds', async () => {
    const file = 'packages/catalog-model/examples/environments/dev.yaml';
    const parsed = parseCatalogFile(readFileSync(path.join(BACKSTAGE, file), 'utf8'), file, createKindRegistry());
    expect(parsed.errors.map((e) => e.rule)).toEqual(['kind.unknown']);
    expect(run.accepted.filter(({ entity }) => entity.kind === 'AiResource')).toHaveLength(4);
    expect(run.accepted.filter(({ entity }) => entity.kind === 'Environment')).toHaveLength(2);
  });
});

function printTable(run: CorpusRun): void {
  const byKind = new Map<string, number>();
  for (const { entity } of run.accepted) byKind.set(entity.kind, (byKind.get(entity.kind) ?? 0) + 1);
  const expected = run.rejected.filter((o) => isExpectedRejection(o));
  const reasons = new Map<string, number>();
  for (const outcome of expected) reasons.set(isExpectedRejection(outcome)!, (reasons.get(isExpectedRejection(outcome)!) ?? 0) + 1);
  const refs = run.accepted.map(({ entity }) => entityRefOf(entity).toLowerCase());
  const duplicates = refs.length - new Set(refs).size;
  const rows: Array<[string, number | string]> = [
    ['descriptor files', run.descriptorFiles.length],
    ['excluded template content files', run.excludedFiles.length],
    ['other YAML files (not descriptors)', run.otherYamlFiles.length],
    ['documents', run.documents],
    ['accepted', run.accepted.length],
    ...[...byKind.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([kind, count]): [string, number] => [`  ${kind}`, count]),
    ['rejected, expected', expected.length],
    ...[...reasons.entries()].map(([reason, count]): [string, number] => [`  ${reason}`, count]),
    ['rejected, unexpected', run.rejected.length - expected.length],
    ['refs defined in more than one file (historical copies)', duplicates],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`\nBackstage conformance (${BACKSTAGE})\n${rows.map(([label, count]) => `${label.padEnd(width)}  ${String(count).padStart(4)}`).join('\n')}\n`);
}
