import { useId, useState } from 'react';
import { queryEntities } from '../../api/catalog.js';
import { listRepositories } from '../../api/repositories.js';
import { useApiData } from '../../app/use-api-data.js';
import { entityRefOf } from '../catalog/refs.js';
import { catalogFilterOf, formatRepoUrl, parseRepoUrl } from './form-values.js';

interface ControlProps {
  id: string;
  value: string;
  onChange: (value: unknown) => void;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
  'data-autofocus'?: boolean;
}

/**
 * EntityPicker / OwnerPicker: a text field suggesting catalog entities (a native datalist, so
 * typing and arrow keys work as everywhere). The value is a full entity ref, `kind:namespace/name`.
 */
export function EntityPicker({ options, defaultKinds, placeholder, ...props }: ControlProps & { options?: Record<string, unknown>; defaultKinds: string[]; placeholder?: string }) {
  const listId = useId();
  const filter = catalogFilterOf(options, defaultKinds);
  const entities = useApiData((signal) => queryEntities({ filter, limit: 500, orderField: 'metadata.name,asc', fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title'] }, signal), [filter.join('|')]);
  return (
    <>
      <input
        {...props}
        list={listId}
        value={props.value}
        placeholder={placeholder ?? (entities.loading ? 'Loading the catalog…' : 'Start typing a name')}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => props.onChange(e.target.value === '' ? undefined : e.target.value)}
      />
      <datalist id={listId}>
        {entities.data?.items.map((entity) => {
          const ref = entityRefOf(entity);
          return (
            <option key={ref} value={ref}>
              {entity.metadata.title ?? entity.metadata.name}
            </option>
          );
        })}
      </datalist>
    </>
  );
}

/**
 * RepoUrlPicker for repositories Plinth hosts: an owner (a namespace of existing repositories,
 * or a group) and a repository name, as `<this host>?owner=<namespace>&repo=<name>`.
 */
export function RepoUrlPicker({ id, value, onChange, 'data-autofocus': autofocus, ...rest }: ControlProps) {
  const host = window.location.host;
  const parsed = parseRepoUrl(value);
  const [owner, setOwner] = useState(parsed.owner);
  const [repo, setRepo] = useState(parsed.repo);
  const namespaces = useApiData(async (signal) => {
    const [repositories, groups] = await Promise.all([listRepositories(signal), queryEntities({ filter: ['kind=group'], limit: 500, fields: ['metadata.name'] }, signal)]);
    return [...new Set(['default', ...repositories.map((r) => r.namespace), ...groups.items.map((g) => g.metadata.name)])].sort();
  }, []);
  const update = (nextOwner: string, nextRepo: string) => {
    setOwner(nextOwner);
    setRepo(nextRepo);
    onChange(nextOwner || nextRepo ? formatRepoUrl(host, nextOwner, nextRepo) : undefined);
  };
  return (
    <div className="repo-url-picker">
      <div className="field">
        <label htmlFor={id} className="small">
          Owner (namespace)
        </label>
        <select id={id} value={owner} data-autofocus={autofocus} onChange={(e) => update(e.target.value, repo)} aria-describedby={rest['aria-describedby']} aria-invalid={rest['aria-invalid']}>
          <option value="">{namespaces.loading ? 'Loading…' : 'Choose…'}</option>
          {(namespaces.data ?? (owner ? [owner] : [])).map((ns) => (
            <option key={ns} value={ns}>
              {ns}
            </option>
          ))}
        </select>
      </div>
      <span aria-hidden="true" className="repo-url-picker__slash">
        /
      </span>
      <div className="field">
        <label htmlFor={`${id}-repo`} className="small">
          Repository name
        </label>
        <input id={`${id}-repo`} value={repo} onChange={(e) => update(owner, e.target.value.trim())} autoComplete="off" spellCheck={false} {...rest} />
      </div>
      <p className="field__hint repo-url-picker__preview">
        Hosted by Plinth at <code>{`${window.location.origin}/git/${owner || '<owner>'}/${repo || '<name>'}.git`}</code>
      </p>
    </div>
  );
}
