import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { PlinthError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { StoreTables } from '../store/tables.js';
import { appendEvent } from '../store/events.js';
import { createBareRepository, deleteBareRepository, listRefs } from '../git/bare-repository.js';
import { listBranches, listCommits, readBlob, readReadme, readTree, resolveCommit, type BlobContent, type BranchSummary, type CommitPage, type CommitSummary, type TreeEntry } from '../git/browse.js';
import type { DbRepositoryRow, RepositoryTables } from './tables.js';

export interface RepositoryView {
  namespace: string;
  name: string;
  owner: string | null;
  description: string | null;
  defaultBranch: string;
  cloneUrl: string;
  createdBy: string;
  createdAt: string;
  /** When a push last changed a ref; null before the first push. */
  lastPushAt: string | null;
}

export interface RepositoryDetails extends RepositoryView {
  branches: Array<{ name: string; sha: string }>;
  recentCommits: CommitSummary[];
}

export interface RepositoryServiceDeps {
  store: Store;
  dataDir: string;
  /** Read at each use: the URL is known only once the server listens (port 0). */
  publicUrl: () => string;
}

/** Git repositories Plinth hosts: bare repositories under `<dataDir>/git/<namespace>/<name>.git`. */
export class RepositoryService {
  readonly db: Kysely<RepositoryTables>;
  readonly projectRoot: string;

  constructor(private readonly deps: RepositoryServiceDeps) {
    this.db = deps.store.db.withTables<RepositoryTables>();
    this.projectRoot = path.join(deps.dataDir, 'git');
  }

  gitDirOf(namespace: string, name: string): string {
    return path.join(this.projectRoot, namespace, `${name}.git`);
  }

  cloneUrlOf(namespace: string, name: string): string {
    return `${this.deps.publicUrl()}/git/${namespace}/${name}.git`;
  }

  /** The bare repository behind a clone URL of this Plinth, if it is one. */
  localGitDirOf(url: string): string | undefined {
    const match = /\/git\/([^/]+)\/([^/]+)\.git$/.exec(url);
    if (!match || !url.startsWith(`${this.deps.publicUrl()}/git/`)) return undefined;
    return this.gitDirOf(match[1]!, match[2]!);
  }

  private toView(row: DbRepositoryRow, lastPushAt: number | null = null): RepositoryView {
    return {
      namespace: row.namespace,
      name: row.name,
      owner: row.owner,
      description: row.description,
      defaultBranch: row.default_branch,
      cloneUrl: this.cloneUrlOf(row.namespace, row.name),
      createdBy: row.created_by,
      createdAt: new Date(row.created_at).toISOString(),
      lastPushAt: lastPushAt === null ? null : new Date(lastPushAt).toISOString(),
    };
  }

  async find(namespace: string, name: string): Promise<RepositoryView> {
    const row = await this.db.selectFrom('repositories').selectAll().where('namespace', '=', namespace).where('name', '=', name).executeTakeFirst();
    if (!row) throw new PlinthError('REPOSITORY_NOT_FOUND', `no repository ${namespace}/${name}`);
    return this.toView(row, (await this.lastPushes(`repository:${namespace}/${name}`)).get(`repository:${namespace}/${name}`));
  }

  async list(): Promise<RepositoryView[]> {
    const pushes = await this.lastPushes();
    return (await this.db.selectFrom('repositories').selectAll().orderBy('namespace').orderBy('name').execute()).map((row) =>
      this.toView(row, pushes.get(`repository:${row.namespace}/${row.name}`)),
    );
  }

  /** When each repository (or one) was last pushed to, from its `git:pushed` events. */
  private async lastPushes(subject?: string): Promise<Map<string, number>> {
    let query = this.deps.store.db
      .selectFrom('events')
      .select((eb) => ['subject', eb.fn.max('created_at').as('at')])
      .where('type', '=', 'git:pushed')
      .groupBy('subject');
    if (subject) query = query.where('subject', '=', subject);
    return new Map((await query.execute()).map((row) => [row.subject, Number(row.at)]));
  }

  /** The commit a ref names in a hosted repository; the default branch when `ref` is unset. */
  private async locate(namespace: string, name: string, ref: string | undefined): Promise<{ gitDir: string; commit: string }> {
    const repository = await this.find(namespace, name);
    const gitDir = this.gitDirOf(namespace, name);
    return { gitDir, commit: await resolveCommit(gitDir, ref || repository.defaultBranch) };
  }

  async branches(namespace: string, name: string): Promise<BranchSummary[]> {
    await this.find(namespace, name);
    return listBranches(this.gitDirOf(namespace, name));
  }

  async commits(namespace: string, name: string, query: { ref?: string; path?: string; limit: number; cursor?: string }): Promise<CommitPage> {
    const { gitDir, commit } = await this.locate(namespace, name, query.ref);
    return listCommits(gitDir, commit, query);
  }

  async tree(namespace: string, name: string, ref: string, path: string): Promise<{ ref: string; commit: string; path: string; entries: TreeEntry[] }> {
    const { gitDir, commit } = await this.locate(namespace, name, ref);
    const entries = await readTree(gitDir, commit, path);
    return { ref, commit, path: path.replace(/\/+$/, ''), entries };
  }

  async blob(namespace: string, name: string, ref: string, path: string): Promise<BlobContent & { ref: string; commit: string }> {
    const { gitDir, commit } = await this.locate(namespace, name, ref);
    return { ref, commit, ...(await readBlob(gitDir, commit, path)) };
  }

  async readme(namespace: string, name: string, ref: string | undefined, path: string | undefined): Promise<BlobContent & { ref: string; commit: string }> {
    const { gitDir, commit } = await this.locate(namespace, name, ref);
    const readme = await readReadme(gitDir, commit, path);
    if (!readme) throw new PlinthError('REPOSITORY_PATH_NOT_FOUND', `no README in '${path || '/'}'`, { location: { field: 'path' } });
    return { ref: ref || (await this.find(namespace, name)).defaultBranch, commit, ...readme };
  }

  async details(namespace: string, name: string): Promise<RepositoryDetails> {
    const view = await this.find(namespace, name);
    const gitDir = this.gitDirOf(namespace, name);
    const refs = await listRefs(gitDir);
    const branches = [...refs].filter(([ref]) => ref.startsWith('refs/heads/')).map(([ref, sha]) => ({ name: ref.slice('refs/heads/'.length), sha }));
    const head = refs.get(`refs/heads/${view.defaultBranch}`);
    return { ...view, branches, recentCommits: head ? (await listCommits(gitDir, head, { limit: 20 })).items : [] };
  }

  /**
   * Creates the row and the bare repository; a failure leaves neither behind. `inTransaction`
   * lets the caller write (its audit record) in the same transaction.
   */
  async create(
    input: { namespace: string; name: string; owner?: string; description?: string; defaultBranch?: string },
    actorRef: string,
    inTransaction?: (trx: Kysely<StoreTables>) => Promise<void>,
  ): Promise<RepositoryView> {
    const existing = await this.db.selectFrom('repositories').select('id').where('namespace', '=', input.namespace).where('name', '=', input.name).executeTakeFirst();
    if (existing) throw new PlinthError('REPOSITORY_EXISTS', `repository ${input.namespace}/${input.name} exists already`, { location: { field: '/body/name' } });
    const row: DbRepositoryRow = {
      id: randomUUID(),
      namespace: input.namespace,
      name: input.name,
      owner: input.owner ?? null,
      description: input.description ?? null,
      default_branch: input.defaultBranch ?? 'main',
      created_by: actorRef,
      created_at: Date.now(),
    };
    const gitDir = this.gitDirOf(row.namespace, row.name);
    await this.deps.store.transaction(async (trx) => {
      await trx.withTables<RepositoryTables>().insertInto('repositories').values(row).execute();
      await appendEvent(this.deps.store, { type: 'repository:created', subject: `repository:${row.namespace}/${row.name}`, actor: actorRef, payload: { owner: row.owner } }, trx as unknown as Kysely<StoreTables>);
      await inTransaction?.(trx);
      try {
        await createBareRepository(gitDir, row.default_branch);
      } catch (error) {
        await deleteBareRepository(gitDir);
        throw error;
      }
    });
    return this.toView(row);
  }

  async delete(namespace: string, name: string, actorRef: string): Promise<void> {
    await this.find(namespace, name);
    await this.deps.store.transaction(async (trx) => {
      await trx.withTables<RepositoryTables>().deleteFrom('repositories').where('namespace', '=', namespace).where('name', '=', name).execute();
      await appendEvent(this.deps.store, { type: 'repository:deleted', subject: `repository:${namespace}/${name}`, actor: actorRef }, trx as unknown as Kysely<StoreTables>);
    });
    await deleteBareRepository(this.gitDirOf(namespace, name));
  }

  /** Emits one `git:pushed` event per ref a push changed (catalog refresh and pipeline triggers consume them). */
  async recordPush(namespace: string, name: string, before: Map<string, string>, pusher: string): Promise<void> {
    const after = await listRefs(this.gitDirOf(namespace, name));
    const zero = '0'.repeat(40);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((ref) => before.get(ref) !== after.get(ref));
    for (const ref of changed) {
      await appendEvent(this.deps.store, {
        type: 'git:pushed',
        subject: `repository:${namespace}/${name}`,
        actor: pusher,
        payload: { repository: `${namespace}/${name}`, url: this.cloneUrlOf(namespace, name), ref, before: before.get(ref) ?? zero, after: after.get(ref) ?? zero, pusher },
      });
    }
  }
}
