import { useMemo } from 'react';
import { ApiError } from '../../api/client.js';
import { getBlob, getReadme, getRepository, getTree, listBranches, listCommits, type Blob, type Branch, type Repository, type TreeEntry } from '../../api/repositories.js';
import { Link, navigate, useSearchParams } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { Breadcrumbs } from '../../components/breadcrumbs.js';
import { CopyButton } from '../../components/copy-button.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { Icon, type IconName } from '../../components/icons.js';
import { Page } from '../../components/page.js';
import { TimeText } from '../../components/time-text.js';
import { EntityRefLink } from '../catalog/entity-ref-link.js';
import { renderMarkdown } from './markdown.js';
import { formatBytes, REPOSITORIES_PATH, repositoryPath, type RepositoryLocation } from './repository-paths.js';

/** One hosted repository: branch selector, files (directory listing, file viewer, README) and commits. */
export function RepositoryPage({ location }: { location: RepositoryLocation }) {
  const { namespace, name } = location;
  const repository = useApiData((signal) => getRepository(namespace, name, signal), [namespace, name]);
  const branches = useApiData((signal) => listBranches(namespace, name, signal), [namespace, name]);
  const title = `${namespace}/${name}`;

  if (repository.error) {
    return (
      <Page title={title} before={<Crumbs />}>
        <ErrorNotice error={repository.error} onRetry={repository.reload} />
      </Page>
    );
  }
  if (!repository.data || !branches.data) return <Loading label="Loading the repository…" />;
  const repo = repository.data;
  const ref = location.ref ?? repo.defaultBranch;

  return (
    <Page
      title={title}
      before={<Crumbs />}
      description={
        <>
          {repo.description ?? 'No description.'}
          {repo.owner && (
            <>
              {' '}
              · owned by <EntityRefLink entityRef={repo.owner} />
            </>
          )}
        </>
      }
      actions={<CopyButton text={repo.cloneUrl} label="Copy clone URL" />}
    >
      {branches.data.length === 0 ? (
        <EmptyRepository repository={repo} />
      ) : (
        <>
          <div className="repo-toolbar">
            <BranchSelector repository={repo} branches={branches.data} location={location} current={ref} />
            <nav className="subnav" aria-label="Repository views">
              <ul>
                <li>
                  <Link to={repositoryPath({ namespace, name, ref: location.ref, view: 'tree' })} aria-current={location.view !== 'commits' ? 'page' : undefined}>
                    Files
                  </Link>
                </li>
                <li>
                  <Link to={repositoryPath({ namespace, name, ref, view: 'commits' })} aria-current={location.view === 'commits' ? 'page' : undefined}>
                    Commits
                  </Link>
                </li>
              </ul>
            </nav>
          </div>
          {location.view === 'commits' ? (
            <CommitList repository={repo} refName={ref} />
          ) : (
            <>
              <LatestCommit branch={branches.data.find((b) => b.name === ref)} />
              <PathCrumbs repository={repo} location={location} refName={ref} />
              {location.view === 'blob' ? <FileView repository={repo} refName={ref} path={location.path} /> : <DirectoryView repository={repo} refName={ref} path={location.path} location={location} />}
            </>
          )}
        </>
      )}
    </Page>
  );
}

function Crumbs() {
  return <Breadcrumbs items={[{ label: 'Repositories', to: REPOSITORIES_PATH }]} />;
}

function BranchSelector({ repository, branches, location, current }: { repository: Repository; branches: Branch[]; location: RepositoryLocation; current: string }) {
  const known = branches.some((b) => b.name === current);
  return (
    <div className="field field--inline">
      <label htmlFor="branch-selector">Branch</label>
      <select
        id="branch-selector"
        value={current}
        onChange={(e) => {
          const ref = e.target.value === repository.defaultBranch && location.view === 'tree' && !location.path ? undefined : e.target.value;
          // A file may not exist on the other branch: keep the view, and let the answer say so.
          navigate(repositoryPath({ namespace: repository.namespace, name: repository.name, view: location.view, ref, path: location.path }));
        }}
      >
        {!known && <option value={current}>{current.length === 40 ? current.slice(0, 12) : current}</option>}
        {branches.map((b) => (
          <option key={b.name} value={b.name}>
            {b.name}
            {b.name === repository.defaultBranch ? ' (default)' : ''}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The newest commit of the branch on show (nothing for a tag or commit id). */
function LatestCommit({ branch }: { branch: Branch | undefined }) {
  if (!branch) return null;
  const commit = branch.lastCommit;
  return (
    <p className="latest-commit small">
      <span className="latest-commit__subject">{commit.subject}</span>
      <span className="muted">
        {commit.author} · <TimeText value={commit.date} /> · <code>{commit.sha.slice(0, 10)}</code>
      </span>
    </p>
  );
}

function PathCrumbs({ repository, location, refName }: { repository: Repository; location: RepositoryLocation; refName: string }) {
  const segments = location.path ? location.path.split('/') : [];
  const to = (count: number) => repositoryPath({ namespace: repository.namespace, name: repository.name, view: 'tree', ref: location.ref ?? (count === 0 ? undefined : refName), path: segments.slice(0, count).join('/') });
  return (
    <nav className="breadcrumbs repo-path" aria-label="Path">
      <ol>
        <li>{segments.length === 0 ? <span aria-current="page">{repository.name}</span> : <Link to={to(0)}>{repository.name}</Link>}</li>
        {segments.map((segment, i) => (
          <li key={i}>{i === segments.length - 1 ? <span aria-current="page">{segment}</span> : <Link to={to(i + 1)}>{segment}</Link>}</li>
        ))}
      </ol>
    </nav>
  );
}

function entryIcon(entry: TreeEntry): IconName {
  return entry.type === 'tree' || entry.type === 'submodule' ? 'folder' : entry.type === 'symlink' ? 'link' : 'file';
}

function DirectoryView({ repository, refName, path, location }: { repository: Repository; refName: string; path: string; location: RepositoryLocation }) {
  const { namespace, name } = repository;
  const tree = useApiData((signal) => getTree(namespace, name, refName, path, signal), [namespace, name, refName, path]);
  const readme = useApiData(
    async (signal) => {
      try {
        return await getReadme(namespace, name, refName, path, signal);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    [namespace, name, refName, path],
  );
  if (tree.error) return <ErrorNotice error={tree.error} onRetry={tree.reload} />;
  if (!tree.data) return <Loading label="Loading files…" />;
  const link = (entry: TreeEntry) =>
    repositoryPath({ namespace, name, view: entry.type === 'tree' ? 'tree' : 'blob', ref: location.ref ?? refName, path: entry.path });
  return (
    <>
      <div className="table-wrap">
        <table className="table table--compact repo-files" aria-label={`Files in ${path || 'the repository root'}`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Last commit</th>
              <th scope="col" className="nowrap">
                Updated
              </th>
              <th scope="col">Size</th>
            </tr>
          </thead>
          <tbody>
            {tree.data.entries.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  This directory is empty.
                </td>
              </tr>
            )}
            {tree.data.entries.map((entry) => (
              <tr key={entry.name}>
                <td>
                  <span className="repo-files__icon">
                    <Icon name={entryIcon(entry)} size={16} />
                  </span>
                  {entry.type === 'submodule' ? (
                    <span>{entry.name} (submodule)</span>
                  ) : (
                    <Link to={link(entry)}>
                      {entry.name}
                      {entry.type === 'tree' ? '/' : ''}
                    </Link>
                  )}
                </td>
                <td className="muted cell-description">{entry.lastCommit?.subject ?? ''}</td>
                <td className="nowrap">
                  <TimeText value={entry.lastCommit?.date} empty="" />
                </td>
                <td className="nowrap muted">{entry.size === undefined ? '' : formatBytes(entry.size)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {readme.data && <Readme blob={readme.data} />}
    </>
  );
}

function Readme({ blob }: { blob: Blob }) {
  const isMarkdown = /\.(md|markdown)$/i.test(blob.path);
  const html = useMemo(() => (isMarkdown ? renderMarkdown(blob.content) : ''), [blob.content, isMarkdown]);
  return (
    <section className="card readme" aria-labelledby="readme-title">
      <h2 id="readme-title" className="subheading">
        {blob.path.split('/').pop()}
      </h2>
      {/* renderMarkdown escapes raw HTML and unsafe URLs: the README cannot run script here. */}
      {isMarkdown ? <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} /> : <pre className="code-block">{blob.content}</pre>}
    </section>
  );
}

// A row per line: beyond a few thousand the page gets slow, and nobody reads that far in a browser.
const MAX_SHOWN_LINES = 5000;

function FileView({ repository, refName, path }: { repository: Repository; refName: string; path: string }) {
  const { namespace, name } = repository;
  const blob = useApiData((signal) => getBlob(namespace, name, refName, path, signal), [namespace, name, refName, path]);
  const params = useSearchParams();
  const rendered = params.get('view') !== 'source';
  if (blob.error) return <ErrorNotice error={blob.error} onRetry={blob.reload} />;
  if (!blob.data) return <Loading label="Loading the file…" />;
  const file = blob.data;
  const lines = file.content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const isMarkdown = /\.(md|markdown)$/i.test(file.path) && !file.binary;
  return (
    <section className="card file-view" aria-label={file.path}>
      <div className="card__header">
        <span className="muted small">
          {file.type === 'symlink' ? 'Symbolic link · ' : ''}
          {formatBytes(file.size)}
          {!file.binary && ` · ${lines.length.toLocaleString()}${file.truncated ? '+' : ''} ${lines.length === 1 ? 'line' : 'lines'}`}
        </span>
        {isMarkdown && (
          <div className="view-switch" role="group" aria-label="Show as">
            <Link to={`${window.location.pathname}`} aria-current={rendered ? 'true' : undefined}>
              Rendered
            </Link>
            <Link to={`${window.location.pathname}?view=source`} aria-current={!rendered ? 'true' : undefined}>
              Source
            </Link>
          </div>
        )}
      </div>
      {file.binary ? (
        <EmptyState title="Binary file">This file is not text ({formatBytes(file.size)}); clone the repository to use it.</EmptyState>
      ) : isMarkdown && rendered ? (
        <Readme blob={file} />
      ) : (
        <>
          {(file.truncated || lines.length > MAX_SHOWN_LINES) && (
            <div className="notice notice--warning" role="status">
              <p>
                This file is large ({formatBytes(file.size)}
                {file.truncated ? '' : `, ${lines.length.toLocaleString()} lines`}): only the first{' '}
                {lines.length > MAX_SHOWN_LINES ? `${MAX_SHOWN_LINES.toLocaleString()} lines` : formatBytes(new TextEncoder().encode(file.content).length)} are shown. Clone the repository for the rest.
              </p>
            </div>
          )}
          <div className="code-view" tabIndex={0} role="region" aria-label={`Contents of ${file.path}`}>
            <table>
              <tbody>
                {lines.slice(0, MAX_SHOWN_LINES).map((line, i) => (
                  <tr key={i} id={`L${i + 1}`}>
                    <td className="code-view__number" data-line={i + 1} aria-hidden="true" />
                    <td className="code-view__line">{line || ' '}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function CommitList({ repository, refName }: { repository: Repository; refName: string }) {
  const { namespace, name } = repository;
  const params = useSearchParams();
  const cursor = params.get('cursor') ?? undefined;
  const commits = useApiData((signal) => listCommits(namespace, name, { ref: refName, limit: 30, cursor }, signal), [namespace, name, refName, cursor]);
  if (commits.error) return <ErrorNotice error={commits.error} onRetry={commits.reload} />;
  if (!commits.data) return <Loading label="Loading commits…" />;
  const here = window.location.pathname;
  return (
    <>
      <ol className="commit-list" aria-label={`Commits on ${refName}`}>
        {commits.data.items.map((commit) => (
          <li key={commit.sha} className="commit-list__item">
            <div>
              <span className="commit-list__subject">{commit.subject}</span>
              <div className="muted small">
                {commit.author} · <TimeText value={commit.date} />
              </div>
            </div>
            <Link to={repositoryPath({ namespace, name, view: 'tree', ref: commit.sha })} className="mono small" title="Browse the files at this commit">
              {commit.sha.slice(0, 10)}
            </Link>
          </li>
        ))}
      </ol>
      <div className="pager">
        {cursor && (
          <button type="button" className="button" onClick={() => window.history.back()}>
            Newer
          </button>
        )}
        {commits.data.nextCursor && (
          <Link className="button" to={`${here}?cursor=${commits.data.nextCursor}`}>
            Older
          </Link>
        )}
      </div>
    </>
  );
}

function EmptyRepository({ repository }: { repository: Repository }) {
  const commands = [
    `git clone ${repository.cloneUrl}`,
    `cd ${repository.name}`,
    'git add . && git commit -m "First commit"',
    `git push origin HEAD:${repository.defaultBranch}`,
  ].join('\n');
  const existing = [`git remote add plinth ${repository.cloneUrl}`, `git push plinth HEAD:${repository.defaultBranch}`].join('\n');
  return (
    <EmptyState title="This repository is empty">
      <div className="push-instructions">
      <p>Push a first commit. Git asks for a user name (anything) and a password: use a Plinth API token (Admin → API tokens).</p>
      <h2 className="subheading">Start from scratch</h2>
      <pre className="code-block">{commands}</pre>
      <CopyButton text={commands} label="Copy commands" />
      <h2 className="subheading">Push an existing repository</h2>
      <pre className="code-block">{existing}</pre>
      <CopyButton text={existing} label="Copy commands" />
      </div>
    </EmptyState>
  );
}
