import { useEffect } from 'react';
import { ApiError } from '../../api/client.js';
import { subscribeToEventsDebounced } from '../../api/events.js';
import { PIPELINE_RUN_EVENTS, getCommitStatus } from '../../api/pipelines.js';
import { getRepository } from '../../api/repositories.js';
import type { Entity, EntityStatus } from '../../api/types.js';
import { Link } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { TimeText } from '../../components/time-text.js';
import { RunStatusBadge } from '../pipelines/run-status.js';

/** The annotation naming the Plinth-hosted repository of a component: `<namespace>/<name>`. */
export const REPOSITORY_ANNOTATION = 'plinth.dev/repository';

export interface RepositoryCandidate {
  namespace: string;
  name: string;
  /** The git URL it was read from: it is this Plinth's only if it starts with the repository's clone URL. */
  url?: string;
}

/**
 * The Plinth-hosted repository an entity says it lives in: the `plinth.dev/repository`
 * annotation, else a Plinth git URL (`…/git/<namespace>/<name>.git…`) in Backstage's
 * `source-location` or `managed-by-location` annotation, or as the descriptor file the catalog
 * read — which is where `catalog:register` points after `publish:plinth`.
 */
export function repositoryCandidateOf(entity: Entity, status: EntityStatus | undefined): RepositoryCandidate | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const named = /^([A-Za-z0-9._-]+)\/([A-Za-z0-9._-]+)$/.exec(annotations[REPOSITORY_ANNOTATION]?.trim() ?? '');
  if (named) return { namespace: named[1]!, name: named[2]! };
  const urls = [annotations['backstage.io/source-location'], annotations['backstage.io/managed-by-location'], status?.file ?? undefined];
  for (const url of urls.map((value) => value?.replace(/^url:/, ''))) {
    const hosted = url === undefined ? null : /^https?:\/\/[^/]+(?:\/[^?#]*)?\/git\/([A-Za-z0-9._-]+)\/([A-Za-z0-9._-]+)\.git(?:[/?#]|$)/.exec(url);
    if (hosted) return { namespace: hosted[1]!, name: hosted[2]!, url };
  }
  return undefined;
}

/**
 * The Pipelines card of an entity whose repository Plinth hosts: the latest run of each workflow
 * on the default branch, live. Nothing when the entity names no such repository.
 */
export function EntityPipelines({ entity, status }: { entity: Entity; status: EntityStatus | undefined }) {
  const candidate = repositoryCandidateOf(entity, status);
  const repository = candidate ? `${candidate.namespace}/${candidate.name}` : undefined;
  const pipelines = useApiData(async (signal) => {
    if (!candidate) return undefined;
    let hosted;
    try {
      hosted = await getRepository(candidate.namespace, candidate.name, signal);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return { hosted: undefined };
      throw error;
    }
    // A URL of another host that happens to have the same path is not this repository.
    if (candidate.url && candidate.url !== hosted.cloneUrl && !candidate.url.startsWith(`${hosted.cloneUrl}/`)) return { hosted: undefined };
    return { hosted, status: await getCommitStatus(`${hosted.namespace}/${hosted.name}`, hosted.defaultBranch, signal) };
  }, [repository, candidate?.url]);

  const { reload } = pipelines;
  // A run of this repository started or ended: show it (debounced).
  useEffect(() => {
    if (!repository) return;
    return subscribeToEventsDebounced(PIPELINE_RUN_EVENTS, 300, reload, (event) => {
      const of = (event.payload as { repository?: string } | null)?.repository;
      return of === undefined || of === repository;
    });
  }, [repository, reload]);

  if (!candidate || (pipelines.data && !pipelines.data.hosted && candidate.url)) return null;
  const data = pipelines.data;
  return (
    <section className="card entity-pipelines" aria-labelledby="pipelines-title">
      <div className="card__header">
        <h2 id="pipelines-title">Pipelines</h2>
        {data?.hosted && (
          <div className="card__actions">
            <Link className="button" to={`/pipelines?repository=${encodeURIComponent(repository!)}`}>
              All runs
            </Link>
          </div>
        )}
      </div>
      {pipelines.error !== undefined ? (
        <ErrorNotice error={pipelines.error} title="The pipeline runs could not be loaded" onRetry={reload} />
      ) : !data ? (
        <Loading label="Loading pipeline runs…" />
      ) : !data.hosted ? (
        <p className="notice notice--warning small" role="status">
          The annotation <code>{REPOSITORY_ANNOTATION}</code> names <code>{repository}</code>, a repository Plinth does not host.
        </p>
      ) : data.status!.runs.length === 0 ? (
        <div className="entity-pipelines__empty">
          <p>No pipeline runs yet</p>
          <p className="muted small">
            Runs of the workflows in <code>.github/workflows/</code> of <Link to={`/repositories/${repository}`}>{repository}</Link> on <code>{data.hosted.defaultBranch}</code> show up here.
          </p>
        </div>
      ) : (
        <div className="table-wrap table-wrap--flat" aria-busy={pipelines.loading}>
          <table className="table table--compact" aria-label={`Latest pipeline runs of ${repository} on ${data.hosted.defaultBranch}`}>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Workflow</th>
                <th scope="col">Branch</th>
                <th scope="col">Commit</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {data.status!.runs.map((run) => (
                <tr key={run.id} data-run-id={run.id}>
                  <td>
                    <RunStatusBadge item={run} />
                  </td>
                  <th scope="row">
                    <Link to={`/pipelines/runs/${run.id}`}>
                      {run.workflowName} #{run.runNumber}
                    </Link>
                  </th>
                  <td className="mono">{run.refName}</td>
                  <td className="mono" title={run.sha}>
                    {run.sha.slice(0, 7)}
                  </td>
                  <td className="nowrap">
                    <TimeText value={run.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
