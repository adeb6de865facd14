import { useState } from 'react';
import { listRepositories, type Repository } from '../../api/repositories.js';
import { roleAtLeast, useActor } from '../../app/auth-context.js';
import { Link, navigate, useSearchParams } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { CopyButton } from '../../components/copy-button.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { Page } from '../../components/page.js';
import { SearchField } from '../../components/search-field.js';
import { TimeText } from '../../components/time-text.js';
import { EntityRefLink } from '../catalog/entity-ref-link.js';
import { CreateRepositoryDialog } from './create-repository-dialog.js';
import { REPOSITORIES_PATH, repositoryPath } from './repository-paths.js';

export function matchesRepository(repository: Repository, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (!needle) return true;
  return [repository.namespace, repository.name, `${repository.namespace}/${repository.name}`, repository.owner ?? '', repository.description ?? ''].some((v) => v.toLowerCase().includes(needle));
}

/** Every hosted repository, searchable (the search is kept in the URL), with its clone URL to copy. */
export function RepositoryList() {
  const actor = useActor();
  const params = useSearchParams();
  const q = params.get('q') ?? '';
  const [creating, setCreating] = useState(false);
  const repositories = useApiData((signal) => listRepositories(signal), []);
  const shown = repositories.data?.filter((r) => matchesRepository(r, q));
  const canCreate = roleAtLeast(actor.role, 'member');

  return (
    <Page
      title="Repositories"
      description="Git repositories hosted by Plinth. Clone and push them with a Plinth token as the password."
      actions={
        canCreate && (
          <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
            New repository
          </button>
        )
      }
    >
      <div className="catalog__toolbar">
        <SearchField
          id="repository-search"
          label="Search repositories"
          placeholder="Search by name, owner or description"
          value={q}
          onChange={(text) => navigate(`${REPOSITORIES_PATH}${text ? `?q=${encodeURIComponent(text)}` : ''}`, { replace: true })}
        />
      </div>
      {repositories.error ? (
        <ErrorNotice error={repositories.error} onRetry={repositories.reload} />
      ) : !repositories.data ? (
        <Loading label="Loading repositories…" />
      ) : repositories.data.length === 0 ? (
        <EmptyState
          title="No repositories yet"
          action={
            canCreate && (
              <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
                Create the first repository
              </button>
            )
          }
        >
          Plinth hosts git repositories: create one here, or let a template create it for you.
        </EmptyState>
      ) : shown!.length === 0 ? (
        <EmptyState title={`No repository matches “${q}”`} action={<Link to={REPOSITORIES_PATH}>Clear the search</Link>} />
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">Owner</th>
                <th scope="col">Default branch</th>
                <th scope="col">Last push</th>
                <th scope="col">
                  <span className="visually-hidden">Clone URL</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown!.map((repository) => (
                <tr key={`${repository.namespace}/${repository.name}`}>
                  <td>
                    <Link to={repositoryPath(repository)} className="catalog-row__name">
                      {repository.namespace}/{repository.name}
                    </Link>
                    {repository.description && <div className="cell-description muted">{repository.description}</div>}
                  </td>
                  <td>{repository.owner ? <EntityRefLink entityRef={repository.owner} /> : <span className="muted">—</span>}</td>
                  <td>
                    <code>{repository.defaultBranch}</code>
                  </td>
                  <td>
                    <TimeText value={repository.lastPushAt} empty="never" />
                  </td>
                  <td className="table__actions">
                    <CopyButton text={repository.cloneUrl} label="Copy clone URL" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <CreateRepositoryDialog
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            navigate(repositoryPath(created));
          }}
        />
      )}
    </Page>
  );
}
