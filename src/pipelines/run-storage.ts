import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PlinthError } from '../core/errors.js';
import type * as engine from './engine/index.js';
import type { PipelineService } from './service.js';

/**
 * Artifacts (per run) and caches (per repository) of running jobs, as the engine's
 * upload/download-artifact and cache steps use them: gzipped tar archives stored under
 * `<dataDir>/pipelines/`, indexed in the database.
 */
export function createRunStorage(service: PipelineService, scope: { runId: number; jobId: number; repository: string }): { artifacts: engine.ArtifactStore; cache: engine.CacheStore } {
  const { db } = service;
  const base = path.join(service.deps.dataDir, 'pipelines');
  const { artifactRetentionDays } = service.deps.config;
  return {
    artifacts: {
      async upload(name, archive, options) {
        const file = path.join(base, 'artifacts', String(scope.runId), `${encodeURIComponent(name)}.tar.gz`);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, archive);
        const now = Date.now();
        // An upload may keep its artifact for less time than configured, never longer.
        const expiresAt = now + Math.min(options.retentionDays ?? artifactRetentionDays, artifactRetentionDays) * 86_400_000;
        await db
          .insertInto('pipeline_artifacts')
          .values({ run_id: scope.runId, job_id: scope.jobId, name, file, size: archive.length, created_at: now, expires_at: expiresAt })
          .onConflict((oc) => oc.columns(['run_id', 'name']).doUpdateSet({ job_id: scope.jobId, file, size: archive.length, created_at: now, expires_at: expiresAt }))
          .execute();
      },
      async download(name) {
        const artifact = await findArtifact(service, scope.runId, name).catch(() => undefined);
        return artifact ? readFile(artifact.file) : undefined;
      },
      async list() {
        return (await listArtifacts(service, scope.runId)).filter((a) => !a.expired).map((a) => a.name);
      },
    },
    cache: {
      async restore(keys) {
        const entries = await db.selectFrom('pipeline_caches').selectAll().where('repository', '=', scope.repository).orderBy('created_at', 'desc').execute();
        const match = keys.map((key) => entries.find((e) => e.key === key)).find(Boolean) ?? keys.map((prefix) => entries.find((e) => e.key.startsWith(prefix))).find(Boolean);
        if (!match) return undefined;
        await db.updateTable('pipeline_caches').set({ last_used_at: Date.now() }).where('id', '=', match.id).execute();
        return { key: match.key, archive: await readFile(match.file) };
      },
      async save(key, archive) {
        // Cache entries are immutable: the first save of a key wins.
        const existing = await db.selectFrom('pipeline_caches').select('id').where('repository', '=', scope.repository).where('key', '=', key).executeTakeFirst();
        if (existing) return;
        const file = path.join(base, 'caches', encodeURIComponent(scope.repository), `${encodeURIComponent(key)}.tar.gz`);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, archive);
        const now = Date.now();
        await db.insertInto('pipeline_caches').values({ repository: scope.repository, key, file, size: archive.length, created_at: now, last_used_at: now }).onConflict((oc) => oc.columns(['repository', 'key']).doNothing()).execute();
      },
    },
  };
}

export async function findArtifact(service: PipelineService, runId: number, name: string) {
  const artifact = await service.db.selectFrom('pipeline_artifacts').selectAll().where('run_id', '=', runId).where('name', '=', name).where('expires_at', '>', Date.now()).executeTakeFirst();
  if (!artifact) throw new PlinthError('PIPELINE_ARTIFACT_NOT_FOUND', `run ${runId} has no artifact '${name}' (or it expired)`);
  return artifact;
}

export async function listArtifacts(service: PipelineService, runId: number) {
  const rows = await service.db.selectFrom('pipeline_artifacts').selectAll().where('run_id', '=', runId).orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, size: Number(r.size), jobId: Number(r.job_id), createdAt: new Date(Number(r.created_at)).toISOString(), expiresAt: new Date(Number(r.expires_at)).toISOString(), expired: Number(r.expires_at) <= Date.now() }));
}

/** Deletes expired artifacts' files and rows (run by the schedule tick). */
export async function deleteExpiredArtifacts(service: PipelineService): Promise<number> {
  const expired = await service.db.selectFrom('pipeline_artifacts').select(['id', 'file']).where('expires_at', '<=', Date.now()).execute();
  for (const artifact of expired) await rm(artifact.file, { force: true });
  if (expired.length) await service.db.deleteFrom('pipeline_artifacts').where('id', 'in', expired.map((a) => a.id)).execute();
  return expired.length;
}
