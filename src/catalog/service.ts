import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Kysely, Selectable } from 'kysely';
import { createHash } from 'node:crypto';
import type { CatalogConfig, GitCredentialConfig } from '../core/config.js';
import { PlinthError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/store.js';
import type { StoreTables } from '../store/tables.js';
import { appendEvent } from '../store/events.js';
import { enqueueJob } from '../store/queue/jobs.js';
import type { JobHandler } from '../store/queue/worker.js';
import {
  createKindRegistry,
  kindDefinitionFromConfig,
  kindDefinitionFromEntity,
  parseCatalogFileWithSubstitutions,
  validateEntity,
  type Entity,
  type KindDefinition,
  type KindRegistry,
} from './model/index.js';
import { createCatalogParser, type CatalogParser } from './parsing/catalog-parser.js';
import { readLocation, type LocationContents } from './read-location.js';
import { applyEntities, deleteEntityRows, type ApplyEntitiesResult, type IncomingEntity } from './write-entities.js';
import type { CatalogTables, DbLocationRow, DbProblemRow } from './tables.js';
import { Semaphore } from '../core/semaphore.js';
import { CATALOG_FULL_TEXT_TABLE } from './full-text.js';

export const REFRESH_LOCATION_JOB = 'catalog.refresh-location';
export const REFRESH_STATISTICS_JOB = 'catalog.refresh-statistics';

/**
 * The catalog's planner statistics are refreshed (DialectAdapter.refreshStatistics) once the
 * entities written since the last refresh reach a fifth of the catalog, at least 1,000: on
 * PostgreSQL, 100,000 entities just ingested and no statistics, a filtered page took 146 ms at p99
 * and a full-text page 189 ms; with them 14 and 26 ms. The job waits a few seconds, so the batches
 * of one bulk load share a refresh.
 */
const STATISTICS_MIN_WRITES = 1000;
const STATISTICS_SHARE = 0.2;
const STATISTICS_DELAY_MS = 5000;
const STATISTICS_TABLES = ['catalog_entities', 'catalog_search', 'catalog_relations', CATALOG_FULL_TEXT_TABLE];

/**
 * New child locations refreshed per job, in one transaction. With 64 KiB pages a refresh's commit
 * writes about every page of the search and relation indexes, so fewer commits is less writing:
 * 100,000 entities in 111 location files ingested in 18–21 s in batches of 4, 20.5 s one by one,
 * 18 s in batches of 8 — but a batch holds SQLite's writer for its whole write (3.5 s in batches
 * of 4, 6.5 s in batches of 8), and other writes wait for it. (Measured again with reads on their
 * own connection: batches of 8 no faster than the run-to-run noise of ±5 s in 30 s.)
 */
const REFRESH_BATCH = 4;
/**
 * First refreshes of new locations a process runs at once (everything in them is new: parsed
 * entities held in memory until written). Jobs overlap: one reads and parses while another
 * writes. Ingesting 100,000 entities on PostgreSQL: peak RSS 587 MiB with 4 at once, 470 MiB
 * with 2. Refreshes of known locations, mostly unchanged files skipped by hash, are not held back
 * (re-ingesting the unchanged set: 1.3 s with 4 jobs at once, up to 3.7 s with 2).
 */
const FIRST_REFRESHES_AT_ONCE = 2;

interface PreparedRefresh {
  location: DbLocationRow;
  hashes: Map<string, string>;
  changed: LocationContents['files'];
  removed: string[];
  touchedFiles: string[];
  incoming: IncomingEntity[];
  errors: Array<Omit<ProblemView, 'kind' | 'locationId'>>;
  childTargets: Array<{ type: string; target: string; file: string }>;
}

const SUBSTITUTION_PATTERN = /\$(text|json|yaml)\b/;

export interface LocationView {
  id: string;
  type: string;
  target: string;
  parentId: string | null;
  origin: string;
  onConflict: string;
  status: DbLocationRow['status'];
  lastError: string | null;
  refreshedAt: string | null;
  createdBy: string;
  createdAt: string;
}

export interface ProblemView {
  kind: DbProblemRow['kind'];
  locationId: string | null;
  entityRef: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  rule: string;
  message: string;
}

export interface CatalogServiceDeps {
  store: Store;
  config: CatalogConfig;
  dataDir: string;
  /** Config `git.credentials`, for locations in remote git repositories. */
  gitCredentials: readonly GitCredentialConfig[];
  logger?: Logger;
  /** The local bare repository behind a git URL, when this Plinth hosts it. */
  localRepository?: (url: string) => string | undefined;
}

export function toLocationView(row: DbLocationRow): LocationView {
  return {
    id: row.id,
    type: row.type,
    target: row.target,
    parentId: row.parent_id,
    origin: row.origin,
    onConflict: row.on_conflict,
    status: row.status,
    lastError: row.last_error,
    refreshedAt: row.refreshed_at === null ? null : new Date(row.refreshed_at).toISOString(),
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function toProblemView(row: Selectable<DbProblemRow>): ProblemView {
  return { kind: row.kind, locationId: row.location_id, entityRef: row.entity_ref, file: row.file, line: row.line, column: row.column, rule: row.rule, message: row.message };
}

/** The catalog: locations and their ingestion, entity providers, custom kinds. */
export class CatalogService {
  readonly db: Kysely<CatalogTables>;
  private registry: KindRegistry;
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly firstRefreshes = new Semaphore(FIRST_REFRESHES_AT_ONCE);
  /** Entities this process added, updated or deleted since it last asked for a statistics refresh. */
  private writtenSinceStatistics = 0;
  private readonly configKinds: KindDefinition[];
  private readonly parser: CatalogParser;

  constructor(private readonly deps: CatalogServiceDeps) {
    this.parser = createCatalogParser(deps.logger);
    this.db = deps.store.db.withTables<CatalogTables>();
    this.configKinds = deps.config.kinds.map((raw, index) => kindDefinitionFromConfig(raw, { field: `catalog.kinds.${index}` }));
    this.registry = createKindRegistry(this.configKinds);
  }

  /** Stops the parsing thread. */
  async close(): Promise<void> {
    await this.parser.close();
  }

  kinds(): KindRegistry {
    return this.registry;
  }

  /** Custom kinds come from config and from KindDefinition entities in the catalog. */
  async reloadKinds(): Promise<void> {
    const rows = await this.db.selectFrom('catalog_entities').select('body').where('kind', '=', 'kinddefinition').where('orphan', '=', 0).execute();
    const fromCatalog: KindDefinition[] = [];
    for (const row of rows) {
      try {
        fromCatalog.push(kindDefinitionFromEntity(JSON.parse(row.body) as Entity));
      } catch (error) {
        this.deps.logger?.warn({ err: error }, 'ignoring an invalid KindDefinition entity');
      }
    }
    this.registry = createKindRegistry([...this.configKinds, ...fromCatalog]);
  }

  validateEntity(raw: unknown) {
    return validateEntity(raw, this.registry);
  }

  async listLocations(): Promise<LocationView[]> {
    return (await this.db.selectFrom('catalog_locations').selectAll().orderBy('created_at').execute()).map(toLocationView);
  }

  async getLocation(id: string): Promise<LocationView> {
    const row = await this.db.selectFrom('catalog_locations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlinthError('CATALOG_LOCATION_NOT_FOUND', `no location with id '${id}'`);
    return toLocationView(row);
  }

  /** Normalises a target so the same place registered twice is recognised as one location. */
  normalizeTarget(type: string, target: string): string {
    if (type === 'file' && !target.includes('://')) return path.resolve(target);
    return target;
  }

  /**
   * Registers a location and ingests it at once (so `POST /locations` answers with its
   * entities). With dryRun nothing is stored: the entities it would add are returned.
   */
  async addLocation(
    input: { type: string; target: string; onConflict?: 'keep' | 'refresh'; dryRun?: boolean },
    actorRef: string,
    trxHook?: (trx: Kysely<CatalogTables>) => Promise<void>,
  ): Promise<{ location: LocationView; entities: Entity[]; exists: boolean }> {
    const target = this.normalizeTarget(input.type, input.target);
    const key = `${input.type}:${target}`;
    if (input.dryRun) {
      const contents = await readLocation(input.type, target, this.readOptions());
      const { incoming } = await this.parseFiles(contents, contents.files);
      const now = Date.now();
      const row: DbLocationRow = { id: 'dry-run', type: input.type, target, key, parent_id: null, parent_file: null, origin: 'api', on_conflict: input.onConflict ?? 'keep', created_by: actorRef, created_at: now, refreshed_at: null, status: 'pending', last_error: null };
      return { location: toLocationView(row), entities: incoming.map((i) => i.entity), exists: Boolean(await this.findLocationByKey(key)) };
    }
    const existing = await this.findLocationByKey(key);
    if (existing) throw new PlinthError('CATALOG_LOCATION_EXISTS', `location ${key} is registered already (id ${existing.id})`, { location: { field: '/body/target' } });
    // Read before storing anything: an unreadable target is refused and changes nothing.
    await readLocation(input.type, target, this.readOptions());
    const id = randomUUID();
    await this.deps.store.transaction(async (trx) => {
      const db = trx.withTables<CatalogTables>();
      await db
        .insertInto('catalog_locations')
        .values({ id, type: input.type, target, key, parent_id: null, parent_file: null, origin: 'api', on_conflict: input.onConflict ?? 'keep', created_by: actorRef, created_at: Date.now(), refreshed_at: null, status: 'pending', last_error: null })
        .execute();
      await appendEvent(this.deps.store, { type: 'catalog:location-added', subject: `location:${id}`, actor: actorRef, payload: { type: input.type, target } }, trx as unknown as Kysely<StoreTables>);
      await trxHook?.(db);
    });
    await this.refreshLocation(id);
    const entities = await this.db.selectFrom('catalog_entities').select('body').where('source_key', '=', `location:${id}`).execute();
    return { location: await this.getLocation(id), entities: entities.map((e) => JSON.parse(e.body) as Entity), exists: false };
  }

  /**
   * Registers a location, or refreshes it when it is registered already (a task re-run
   * registering what its first attempt did); the entities it holds.
   */
  async registerOrRefreshLocation(input: { type: string; target: string }, actorRef: string): Promise<Entity[]> {
    const existing = await this.findLocationByKey(`${input.type}:${this.normalizeTarget(input.type, input.target)}`);
    if (!existing) return (await this.addLocation(input, actorRef)).entities;
    await this.refreshLocation(existing.id);
    const rows = await this.db.selectFrom('catalog_entities').select('body').where('source_key', '=', `location:${existing.id}`).execute();
    return rows.map((row) => JSON.parse(row.body) as Entity);
  }

  /** Registers the locations of plinth.yaml (idempotent) and schedules their refresh. */
  async registerConfigLocations(): Promise<void> {
    for (const location of this.deps.config.locations) {
      const target = this.normalizeTarget(location.type, location.target);
      const key = `${location.type}:${target}`;
      let row = await this.findLocationByKey(key);
      if (!row) {
        const id = randomUUID();
        await this.db
          .insertInto('catalog_locations')
          .values({ id, type: location.type, target, key, parent_id: null, parent_file: null, origin: 'config', on_conflict: 'keep', created_by: 'system:config', created_at: Date.now(), refreshed_at: null, status: 'pending', last_error: null })
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
        row = await this.findLocationByKey(key);
      }
      if (row) await this.scheduleRefresh(row.id, 0);
    }
  }

  private findLocationByKey(key: string) {
    return this.db.selectFrom('catalog_locations').selectAll().where('key', '=', key).executeTakeFirst();
  }

  /** Removes a location, its child locations, and (per the orphan strategy) their entities. */
  async deleteLocation(id: string, actorRef: string): Promise<void> {
    await this.getLocation(id);
    await this.deps.store.transaction(async (trx) => {
      const db = trx.withTables<CatalogTables>();
      const ids = await this.locationTree(db, id);
      for (const locationId of ids) {
        await applyEntities(db, this.deps.store.adapter, this.registry, { sourceKey: `location:${locationId}`, locationId, files: 'all', incoming: [], takeOver: false, orphanStrategy: this.deps.config.orphanStrategy });
      }
      await db.deleteFrom('catalog_locations').where('id', '=', id).execute();
      await appendEvent(this.deps.store, { type: 'catalog:location-removed', subject: `location:${id}`, actor: actorRef }, trx as unknown as Kysely<StoreTables>);
    });
  }

  private async locationTree(db: Kysely<CatalogTables>, id: string): Promise<string[]> {
    const ids = [id];
    for (let i = 0; i < ids.length; i++) {
      const children = await db.selectFrom('catalog_locations').select('id').where('parent_id', '=', ids[i]!).execute();
      ids.push(...children.map((c) => c.id));
    }
    return ids;
  }

  /** Queues a refresh of a location, at once or after a delay; a waiting refresh is moved earlier. */
  async scheduleRefresh(locationId: string, delayMs: number): Promise<void> {
    await enqueueJob(this.deps.store, { type: REFRESH_LOCATION_JOB, payload: { locationId }, uniqueKey: `catalog-refresh:${locationId}`, runAt: Date.now() + delayMs, priority: delayMs === 0 ? 10 : 0, maxAttempts: 3 });
  }

  /** Refreshes the locations whose git repository (or file tree) a push changed. */
  async refreshLocationsOfRepository(repositoryUrl: string): Promise<string[]> {
    const normalized = repositoryUrl.replace(/\/$/, '').replace(/\.git$/, '');
    const rows = await this.db.selectFrom('catalog_locations').select(['id', 'target']).execute();
    const matching = rows.filter((row) => {
      const target = row.target.replace(/\.git(?=\/|$)/, '');
      return target === normalized || target.startsWith(`${normalized}/`);
    });
    for (const row of matching) await this.scheduleRefresh(row.id, 0);
    return matching.map((r) => r.id);
  }

  private readOptions() {
    return { cacheDir: path.join(this.deps.dataDir, 'catalog-git'), gitCredentials: this.deps.gitCredentials, localRepository: this.deps.localRepository };
  }

  /** Parses files: entities (with substitutions resolved) and located errors. */
  private async parseFiles(contents: LocationContents, files: LocationContents['files']) {
    const incoming: IncomingEntity[] = [];
    const errors: Array<Omit<ProblemView, 'kind' | 'locationId'>> = [];
    // Placeholders are resolved before validation, so what they bring in is checked too: those
    // files are parsed here, where their relative files can be read; the others on the parser's thread.
    const plain = files.filter((file) => !SUBSTITUTION_PATTERN.test(file.content));
    const parsedPlain = new Map(plain.length ? (await this.parser.parse(plain, this.registry)).map((parsed, index) => [plain[index]!.path, parsed]) : []);
    for (const file of files) {
      const parsed = parsedPlain.get(file.path) ?? (await parseCatalogFileWithSubstitutions(file.content, file.path, this.registry, (relative) => contents.readRelative(file.path, relative)));
      for (const error of parsed.errors) {
        errors.push({ entityRef: null, file: file.path, line: error.location.line ?? null, column: error.location.column ?? null, rule: error.rule, message: error.message });
      }
      for (const { entity, location } of parsed.entities) incoming.push({ entity, file: file.path, line: location.line ?? null });
    }
    return { incoming, errors };
  }

  /**
   * Reads a location and makes the catalog match it: unchanged files (by content hash) are
   * skipped, Location entities become child locations, conflicts and errors are stored.
   */
  async refreshLocation(locationId: string): Promise<ApplyEntitiesResult | undefined> {
    return (await this.refreshLocations([locationId]))[0];
  }

  /**
   * Refreshes locations together: each read and parsed on its own, all written in one transaction.
   * One refresh of a location at a time in this process: a registration and the refresh a push
   * triggers would otherwise both insert the same new entities. (Refresh jobs of one location never
   * overlap across processes: they share a unique key; the row lock below covers the rest.)
   */
  private async refreshLocations(locationIds: string[]): Promise<Array<ApplyEntitiesResult | undefined>> {
    const previous = Promise.all(locationIds.map((id) => this.refreshing.get(id)));
    const run = previous.then(() => this.refreshLocationsNow(locationIds));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    for (const id of locationIds) this.refreshing.set(id, settled);
    void settled.then(() => {
      for (const id of locationIds) if (this.refreshing.get(id) === settled) this.refreshing.delete(id);
    });
    return run;
  }

  private async refreshLocationsNow(locationIds: string[]): Promise<Array<ApplyEntitiesResult | undefined>> {
    const prepared = await Promise.all(locationIds.map((id) => this.prepareRefresh(id)));
    const ready = prepared.filter((p): p is PreparedRefresh => p !== undefined);
    const newChildren: string[] = [];
    const applied = ready.length ? await this.deps.store.transaction(async (trx) => {
      const results = new Map<string, ApplyEntitiesResult>();
      for (const refresh of ready) results.set(refresh.location.id, await this.applyRefresh(trx, refresh, newChildren));
      return results;
    }) : new Map<string, ApplyEntitiesResult>();
    await this.countWrites([...applied.values()]);
    // New child locations are refreshed in batches, each batch one transaction: a commit costs about
    // the same however many entities it writes (see REFRESH_BATCH).
    for (let i = 0; i < newChildren.length; i += REFRESH_BATCH) await this.scheduleNewLocations(newChildren.slice(i, i + REFRESH_BATCH));
    const results = locationIds.map((id) => applied.get(id));
    if (results.some((result) => result && [...result.added, ...result.updated].some((ref) => ref.startsWith('kinddefinition:')))) await this.reloadKinds();
    return results;
  }

  /** Queues the first refresh of locations just created (no other refresh of them can be waiting). */
  private async scheduleNewLocations(locationIds: string[]): Promise<void> {
    if (locationIds.length === 1) return this.scheduleRefresh(locationIds[0]!, 0);
    await enqueueJob(this.deps.store, { type: REFRESH_LOCATION_JOB, payload: { locationIds }, priority: 10, maxAttempts: 3 });
  }

  /** Reads and parses a location (outside any transaction); undefined when it is gone or unreadable (recorded). */
  private async prepareRefresh(locationId: string): Promise<PreparedRefresh | undefined> {
    const location = await this.db.selectFrom('catalog_locations').selectAll().where('id', '=', locationId).executeTakeFirst();
    if (!location) return undefined;
    const { store } = this.deps;
    let contents: LocationContents;
    try {
      contents = await readLocation(location.type, location.target, this.readOptions());
    } catch (error) {
      // A location that cannot be read keeps its entities: a network blip must not orphan them.
      const message = describeError(error).split('\n')[0]!;
      await store.transaction(async (trx) => {
        const db = trx.withTables<CatalogTables>();
        await db.updateTable('catalog_locations').set({ status: 'error', last_error: message, refreshed_at: Date.now() }).where('id', '=', locationId).execute();
        await db.deleteFrom('catalog_problems').where('location_id', '=', locationId).where('rule', '=', 'location.unreadable').execute();
        await db.insertInto('catalog_problems').values({ kind: 'error', location_id: locationId, entity_ref: null, file: location.target, line: null, column: null, rule: 'location.unreadable', message, created_at: Date.now() }).execute();
      });
      return undefined;
    }

    const known = new Map((await this.db.selectFrom('catalog_files').select(['path', 'hash']).where('location_id', '=', locationId).execute()).map((f) => [f.path, f.hash]));
    const hashes = new Map(contents.files.map((f) => [f.path, createHash('sha1').update(f.content).digest('hex')]));
    // Files with $text/$json/$yaml depend on other files: always re-read them.
    const changed = contents.files.filter((f) => known.get(f.path) !== hashes.get(f.path) || SUBSTITUTION_PATTERN.test(f.content));
    const removed = [...known.keys()].filter((p) => !hashes.has(p));
    const { incoming, errors } = await this.parseFiles(contents, changed);
    const touchedFiles = [...changed.map((f) => f.path), ...removed];

    const locationEntities = incoming.filter((i) => i.entity.kind.toLowerCase() === 'location');
    const childTargets: Array<{ type: string; target: string; file: string }> = [];
    for (const item of locationEntities) {
      const spec = (item.entity.spec ?? {}) as { type?: string; target?: string; targets?: string[] };
      const type = spec.type ?? location.type;
      for (const target of [...(spec.target ? [spec.target] : []), ...(spec.targets ?? [])]) {
        childTargets.push({ type, target: this.normalizeTarget(type, contents.resolveTarget(item.file!, target)), file: item.file! });
      }
    }

    return { location, hashes, changed, removed, touchedFiles, incoming, errors, childTargets };
  }

  /** Makes the catalog match a prepared refresh, inside trx; the ids of child locations it creates go to newChildren. */
  private async applyRefresh(trx: Kysely<StoreTables>, refresh: PreparedRefresh, newChildren: string[]): Promise<ApplyEntitiesResult> {
    const { store } = this.deps;
    const { location, hashes, changed, removed, touchedFiles, incoming, errors, childTargets } = refresh;
    const locationId = location.id;
    const db = trx.withTables<CatalogTables>();
    await db.selectFrom('catalog_locations').select('id').where('id', '=', locationId).$if(store.adapter.supportsSkipLocked, (q) => q.forUpdate()).execute();
    const now = Date.now();
    // Child locations declared by the touched files: keep those still declared, add new ones, drop the rest.
    const previousChildren = touchedFiles.length
      ? await db.selectFrom('catalog_locations').select(['id', 'key']).where('parent_id', '=', locationId).where('parent_file', 'in', touchedFiles).execute()
      : [];
    const wantedKeys = new Set(childTargets.map((c) => `${c.type}:${c.target}`));
    const ofDroppedChildren = { orphaned: [] as string[], deleted: [] as string[] };
    for (const child of previousChildren.filter((c) => !wantedKeys.has(c.key))) {
      for (const id of await this.locationTree(db, child.id)) {
        const dropped = await applyEntities(db, store.adapter, this.registry, { sourceKey: `location:${id}`, locationId: id, files: 'all', incoming: [], takeOver: false, orphanStrategy: this.deps.config.orphanStrategy });
        ofDroppedChildren.orphaned.push(...dropped.orphaned);
        ofDroppedChildren.deleted.push(...dropped.deleted);
      }
      await db.deleteFrom('catalog_locations').where('id', '=', child.id).execute();
    }
    for (const child of childTargets) {
      const key = `${child.type}:${child.target}`;
      // Cycles and locations declared twice: the first declaration keeps it.
      if (key === location.key || (await db.selectFrom('catalog_locations').select('id').where('key', '=', key).executeTakeFirst())) continue;
      const id = randomUUID();
      await db
        .insertInto('catalog_locations')
        .values({ id, type: child.type, target: child.target, key, parent_id: locationId, parent_file: child.file, origin: 'entity', on_conflict: location.on_conflict, created_by: location.created_by, created_at: now, refreshed_at: null, status: 'pending', last_error: null })
        .execute();
      newChildren.push(id);
    }

    const applied = await applyEntities(db, store.adapter, this.registry, {
      sourceKey: `location:${locationId}`,
      locationId,
      files: touchedFiles,
      incoming,
      takeOver: location.on_conflict === 'refresh',
      orphanStrategy: this.deps.config.orphanStrategy,
    });
    // What the child locations no longer declared left behind is this refresh's change too.
    applied.orphaned.push(...ofDroppedChildren.orphaned);
    applied.deleted.push(...ofDroppedChildren.deleted);

    for (const file of changed) {
      await db
        .insertInto('catalog_files')
        .values({ location_id: locationId, path: file.path, hash: hashes.get(file.path)!, refreshed_at: now })
        .onConflict((oc) => oc.columns(['location_id', 'path']).doUpdateSet({ hash: hashes.get(file.path)!, refreshed_at: now }))
        .execute();
    }
    if (removed.length) await db.deleteFrom('catalog_files').where('location_id', '=', locationId).where('path', 'in', removed).execute();

    // Problems of the touched files are replaced by this run's findings.
    await db
      .deleteFrom('catalog_problems')
      .where('location_id', '=', locationId)
      .where((eb) => eb.or([eb('rule', '=', 'location.unreadable'), ...(touchedFiles.length ? [eb('file', 'in', touchedFiles)] : [])]))
      .execute();
    const problems = [
      ...errors.map((e) => ({ kind: 'error' as const, location_id: locationId, entity_ref: e.entityRef, file: e.file, line: e.line, column: e.column, rule: e.rule, message: e.message, created_at: now })),
      ...applied.conflicts.map((c) => ({
        kind: 'conflict' as const,
        location_id: locationId,
        entity_ref: c.ref,
        file: c.file,
        line: c.line,
        column: null,
        rule: 'entity.conflict',
        message: `${c.ref} is already provided by ${c.heldBy}; register this location with onConflict=refresh to take it over`,
        created_at: now,
      })),
    ];
    for (let i = 0; i < problems.length; i += 200) await db.insertInto('catalog_problems').values(problems.slice(i, i + 200)).execute();
    const hasErrors = (await db.selectFrom('catalog_problems').select('id').where('location_id', '=', locationId).where('kind', '=', 'error').limit(1).executeTakeFirst()) !== undefined;
    await db
      .updateTable('catalog_locations')
      .set({ status: hasErrors ? 'error' : 'ok', last_error: hasErrors ? (errors[0]?.message ?? 'see the location\'s problems') : null, refreshed_at: now })
      .where('id', '=', locationId)
      .execute();
    if (applied.added.length || applied.updated.length || applied.orphaned.length || applied.deleted.length || applied.conflicts.length) {
      await appendEvent(
        store,
        {
          type: 'catalog:entities-changed',
          subject: `location:${locationId}`,
          actor: 'system:catalog',
          payload: { added: applied.added.slice(0, 100), updated: applied.updated.slice(0, 100), orphaned: applied.orphaned.slice(0, 100), deleted: applied.deleted.slice(0, 100), conflicts: applied.conflicts.length, counts: { added: applied.added.length, updated: applied.updated.length, orphaned: applied.orphaned.length, deleted: applied.deleted.length } },
        },
        trx as unknown as Kysely<StoreTables>,
      );
    }
    return applied;
  }

  /** Entity providers: a full set replaces everything the provider emitted; a delta adds and removes. */
  async applyProviderEntities(provider: string, mutation: { type: 'full' | 'delta'; entities: unknown[]; removed?: string[] }, actorRef: string): Promise<ApplyEntitiesResult> {
    const findings: Array<{ index: number; message: string; path: string }> = [];
    const valid: IncomingEntity[] = [];
    mutation.entities.forEach((raw, index) => {
      const result = validateEntity(raw, this.registry);
      if (result.ok) valid.push({ entity: result.entity, file: null, line: null });
      else for (const e of result.errors) findings.push({ index, message: `${e.message} [${e.rule}]`, path: `/body/entities/${index}/${e.path.join('/')}` });
    });
    if (findings.length) {
      throw new PlinthError('CATALOG_ENTITY_INVALID', `entity ${findings[0]!.index}: ${findings[0]!.message}`, {
        location: { field: findings[0]!.path },
        details: findings.map((f) => ({ message: f.message, location: { field: f.path } })),
      });
    }
    const sourceKey = `provider:${provider}`;
    const result = await this.deps.store.transaction(async (trx) => {
      const db = trx.withTables<CatalogTables>();
      const applied = await applyEntities(db, this.deps.store.adapter, this.registry, {
        sourceKey,
        locationId: null,
        files: mutation.type === 'full' ? 'all' : [],
        incoming: valid,
        takeOver: false,
        orphanStrategy: this.deps.config.orphanStrategy,
      });
      if (mutation.type === 'delta' && mutation.removed?.length) {
        const removed = await db.selectFrom('catalog_entities').select(['id', 'ref']).where('source_key', '=', sourceKey).where('ref', 'in', mutation.removed.map((r) => r.toLowerCase())).execute();
        await deleteEntityRows(db, this.deps.store.adapter, removed.map((r) => r.id));
        applied.deleted.push(...removed.map((r) => r.ref));
      }
      await appendEvent(this.deps.store, { type: 'catalog:entities-changed', subject: sourceKey, actor: actorRef, payload: { added: applied.added.slice(0, 100), updated: applied.updated.slice(0, 100), deleted: applied.deleted.slice(0, 100), conflicts: applied.conflicts.length } }, trx as unknown as Kysely<StoreTables>);
      return applied;
    });
    await this.countWrites([result]);
    return result;
  }

  /** Adds committed writes to the count that decides when the planner statistics are refreshed. */
  private async countWrites(results: ApplyEntitiesResult[]): Promise<void> {
    const { store } = this.deps;
    if (!store.adapter.keepsPlannerStatistics) return;
    for (const r of results) this.writtenSinceStatistics += r.added.length + r.updated.length + r.deleted.length;
    if (this.writtenSinceStatistics < STATISTICS_MIN_WRITES) return;
    const { n } = await this.db.selectFrom('catalog_entities').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (this.writtenSinceStatistics < Number(n) * STATISTICS_SHARE) return;
    this.writtenSinceStatistics = 0;
    await enqueueJob(store, { type: REFRESH_STATISTICS_JOB, uniqueKey: REFRESH_STATISTICS_JOB, runAt: Date.now() + STATISTICS_DELAY_MS, maxAttempts: 1 });
  }

  /** DELETE /entities/by-uid: removes the entity (its location may bring it back on the next refresh). */
  async deleteEntityByUid(uid: string, actorRef: string): Promise<void> {
    const row = await this.db.selectFrom('catalog_entities').select(['id', 'ref']).where('uid', '=', uid).executeTakeFirst();
    if (!row) throw new PlinthError('CATALOG_ENTITY_NOT_FOUND', `no entity with uid '${uid}'`);
    await this.deps.store.transaction(async (trx) => {
      await deleteEntityRows(trx.withTables<CatalogTables>(), this.deps.store.adapter, [row.id]);
      await appendEvent(this.deps.store, { type: 'catalog:entity-deleted', subject: row.ref, actor: actorRef }, trx as unknown as Kysely<StoreTables>);
    });
  }

  /** Problems (errors, conflicts) of a location, or concerning an entity. */
  async problems(filter: { locationId?: string; entityRef?: string }): Promise<ProblemView[]> {
    let query = this.db.selectFrom('catalog_problems').selectAll().orderBy('id').limit(1000);
    if (filter.locationId) query = query.where('location_id', '=', filter.locationId);
    if (filter.entityRef) query = query.where('entity_ref', '=', filter.entityRef.toLowerCase());
    return (await query.execute()).map(toProblemView);
  }

  /** The location and source position an entity came from, its orphan state and its problems. */
  async entityStatus(ref: string) {
    const row = await this.db.selectFrom('catalog_entities').select(['id', 'location_id', 'source_key', 'source_file', 'source_line', 'orphan']).where('ref', '=', ref.toLowerCase()).executeTakeFirst();
    if (!row) return undefined;
    const location = row.location_id ? await this.db.selectFrom('catalog_locations').selectAll().where('id', '=', row.location_id).executeTakeFirst() : undefined;
    return {
      orphan: row.orphan === 1,
      source: row.source_key,
      location: location ? toLocationView(location) : null,
      file: row.source_file,
      line: row.source_line,
      problems: [...(await this.problems({ entityRef: ref })), ...(row.location_id ? (await this.problems({ locationId: row.location_id })).filter((p) => p.file === row.source_file && p.kind === 'error') : [])],
    };
  }

  /** Job handlers for the worker: refresh a location, then schedule the next safety-net refresh; refresh planner statistics. */
  jobHandlers(): JobHandler[] {
    return [
      { type: REFRESH_STATISTICS_JOB, run: () => this.deps.store.adapter.refreshStatistics(this.deps.store.db, STATISTICS_TABLES) },
      {
        type: REFRESH_LOCATION_JOB,
        backoffMs: (attempt) => 5000 * attempt,
        run: async (job) => {
          const payload = job.payload as { locationId: string } | { locationIds: string[] };
          if ('locationIds' in payload) {
            // Locations just created: their first refresh, together (their trees follow as new children).
            const release = await this.firstRefreshes.acquire();
            try {
              await this.refreshLocations(payload.locationIds);
            } finally {
              release();
            }
            return;
          }
          const { locationId } = payload;
          await this.refreshLocation(locationId);
          const location = await this.db.selectFrom('catalog_locations').select(['id', 'parent_id']).where('id', '=', locationId).executeTakeFirst();
          // Only root locations are scheduled: children refresh with their parent's tree.
          if (location && !location.parent_id) {
            const interval = this.deps.config.refreshIntervalSeconds * 1000;
            await this.scheduleRefresh(locationId, Math.round(interval * (0.9 + Math.random() * 0.2)));
          }
          if (location) {
            for (const child of await this.db.selectFrom('catalog_locations').select('id').where('parent_id', '=', locationId).where('status', '!=', 'pending').execute()) {
              await this.scheduleRefresh(child.id, 0);
            }
          }
        },
      },
    ];
  }
}
