import { useMemo } from 'react';
import { stringify } from 'yaml';
import type { Entity, EntityStatus } from '../../api/types.js';
import { CopyButton } from '../../components/copy-button.js';

/** The entity as a descriptor file: what the catalog stored, without the server's uid, etag and derived relations. */
export function entityToYaml(entity: Entity): string {
  const { uid: _uid, etag: _etag, ...metadata } = entity.metadata;
  const { relations: _relations, ...rest } = entity;
  return stringify({ ...rest, metadata }, { lineWidth: 0 });
}

export interface SourceLink {
  /** Where to edit it, when it lives at a URL. */
  href?: string;
  /** The file (and line) as text. */
  text: string;
}

/**
 * Where the entity's descriptor file is: the `backstage.io/edit-url` annotation if set, else the
 * file the catalog read it from. Git files (`<repo>.git/blob/<branch>/<path>`) link to the
 * forge's page for the file; local files are shown as a path.
 */
export function sourceLinkOf(entity: Entity, status: EntityStatus | undefined): SourceLink | undefined {
  const editUrl = entity.metadata.annotations?.['backstage.io/edit-url'];
  if (editUrl && /^https?:\/\//i.test(editUrl)) return { href: editUrl, text: editUrl };
  const file = status?.file;
  if (!file) return undefined;
  const line = status?.line ?? undefined;
  if (/^https?:\/\//i.test(file)) {
    const web = file.replace(/\.git\/(blob|tree)\//, '/$1/');
    const lineAnchor = line && /\/blob\//.test(web) ? `#L${line}` : '';
    return { href: web + lineAnchor, text: line ? `${file}:${line}` : file };
  }
  const path = file.startsWith('file://') ? decodeURIComponent(new URL(file).pathname) : file;
  return { text: line ? `${path}:${line}` : path };
}

export function EntitySource({ entity, status }: { entity: Entity; status: EntityStatus | undefined }) {
  const yaml = useMemo(() => entityToYaml(entity), [entity]);
  const source = sourceLinkOf(entity, status);
  return (
    <section className="card" aria-labelledby="source-title">
      <div className="card__header">
        <h2 id="source-title">Source YAML</h2>
        <div className="card__actions">
          <CopyButton text={yaml} label="Copy YAML" />
          {source?.href && (
            <a className="button" href={source.href} target="_blank" rel="noreferrer noopener">
              Edit source
            </a>
          )}
        </div>
      </div>
      <p className="small muted source-file" data-testid="source-file">
        {source ? (
          source.href ? (
            <>
              Descriptor file: <a href={source.href} target="_blank" rel="noreferrer noopener" className="break">{source.text}</a>
            </>
          ) : (
            <>
              Descriptor file (on the Plinth server; edit it there): <code>{source.text}</code>
            </>
          )
        ) : status?.source.startsWith('provider:') ? (
          <>
            Posted by the entity provider <code>{status.source.slice('provider:'.length)}</code>; change it where that provider reads from.
          </>
        ) : (
          'Rendered from the stored entity.'
        )}
      </p>
      <pre className="code-block code-block--tall" tabIndex={0} aria-label="Entity YAML">
        <code>{yaml}</code>
      </pre>
    </section>
  );
}
