import { listTemplates } from '../../api/scaffolder.js';
import type { Entity } from '../../api/types.js';
import { roleAtLeast, useActor } from '../../app/auth-context.js';
import { Link, navigate, useSearchParams } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { Page } from '../../components/page.js';
import { SearchField } from '../../components/search-field.js';
import { EntityRefLink } from '../catalog/entity-ref-link.js';
import { CREATE_PATH, EDITOR_PATH, templatePath } from './create-paths.js';

export function matchesTemplate(template: Entity, text: string, tag: string | null): boolean {
  const tags = template.metadata.tags ?? [];
  if (tag && !tags.includes(tag)) return false;
  const needle = text.trim().toLowerCase();
  if (!needle) return true;
  return [template.metadata.name, template.metadata.title ?? '', template.metadata.description ?? '', String(template.spec?.type ?? ''), ...tags].some((v) => v.toLowerCase().includes(needle));
}

const gallerySearch = (q: string, tag: string | null) => {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (tag) params.set('tag', tag);
  const search = params.toString();
  return `${CREATE_PATH}${search ? `?${search}` : ''}`;
};

/** The templates in the catalog as cards: search and a tag filter, both kept in the URL. */
export function TemplateGallery() {
  const actor = useActor();
  const params = useSearchParams();
  const q = params.get('q') ?? '';
  const tag = params.get('tag');
  const templates = useApiData((signal) => listTemplates(signal), []);
  const allTags = [...new Set((templates.data ?? []).flatMap((t) => t.metadata.tags ?? []))].sort();
  const shown = templates.data?.filter((t) => matchesTemplate(t, q, tag));

  return (
    <Page
      title="Create"
      description="Start something new from one of your platform team's templates."
      actions={
        roleAtLeast(actor.role, 'member') && (
          <Link className="button" to={EDITOR_PATH}>
            Template editor
          </Link>
        )
      }
    >
      <div className="catalog__toolbar gallery-toolbar">
        <SearchField id="template-search" label="Search templates" placeholder="Search templates" value={q} onChange={(text) => navigate(gallerySearch(text, tag), { replace: true })} />
        {allTags.length > 0 && (
          <div className="chips" role="group" aria-label="Filter by tag">
            {allTags.map((t) => (
              <button key={t} type="button" className="chip" aria-pressed={tag === t} onClick={() => navigate(gallerySearch(q, tag === t ? null : t), { replace: true })}>
                {t}
              </button>
            ))}
          </div>
        )}
      </div>
      {templates.error ? (
        <ErrorNotice error={templates.error} onRetry={templates.reload} />
      ) : !templates.data ? (
        <Loading label="Loading templates…" />
      ) : templates.data.length === 0 ? (
        <EmptyState title="No templates yet">
          Templates are catalog entities of kind <code>Template</code> (<code>scaffolder.backstage.io/v1beta3</code>). Register a <code>template.yaml</code> in the catalog to see it here.
        </EmptyState>
      ) : shown!.length === 0 ? (
        <EmptyState title="No template matches" action={<Link to={CREATE_PATH}>Clear the search and filter</Link>} />
      ) : (
        <ul className="template-grid" aria-label="Templates">
          {shown!.map((template) => (
            <TemplateCard key={`${template.metadata.namespace ?? 'default'}/${template.metadata.name}`} template={template} />
          ))}
        </ul>
      )}
    </Page>
  );
}

function TemplateCard({ template }: { template: Entity }) {
  const namespace = template.metadata.namespace ?? 'default';
  const title = template.metadata.title ?? template.metadata.name;
  const owner = typeof template.spec?.owner === 'string' ? template.spec.owner : undefined;
  const type = typeof template.spec?.type === 'string' ? template.spec.type : undefined;
  return (
    <li className="card template-card">
      <div className="template-card__head">
        {type && <span className="badge badge--accent">{type}</span>}
        <h2 className="template-card__title">{title}</h2>
      </div>
      <p className="template-card__description">{template.metadata.description ?? <span className="muted">No description.</span>}</p>
      {template.metadata.tags?.length ? (
        <ul className="tags" aria-label="Tags">
          {template.metadata.tags.map((t) => (
            <li key={t} className="tag">
              {t}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="template-card__foot">
        <span className="small muted">{owner ? <>Owner: <EntityRefLink entityRef={owner} defaultKind="group" /></> : 'No owner'}</span>
        <Link className="button button--primary" to={templatePath(namespace, template.metadata.name)} aria-label={`Choose ${title}`}>
          Choose
        </Link>
      </div>
    </li>
  );
}
