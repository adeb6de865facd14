import { useEffect, useRef, type ReactNode } from 'react';
import { hasNavigated } from '../app/router.js';

/**
 * A page: sets the document title and moves focus to the heading when the page opens, so
 * keyboard and screen-reader users land on the new content after navigating.
 */
export function Page({
  title,
  description,
  actions,
  before,
  className,
  children,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  /** Above the heading, e.g. breadcrumbs. */
  before?: ReactNode;
  className?: string;
  children?: ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Plinth`;
    // Not on the first page load: there the skip link should stay the first Tab stop.
    if (hasNavigated()) heading.current?.focus();
  }, [title]);
  return (
    <div className={className ? `page ${className}` : 'page'}>
      {before}
      <div className="page__header">
        <div>
          <h1 ref={heading} tabIndex={-1}>
            {title}
          </h1>
          {description && <p className="page__description">{description}</p>}
        </div>
        {actions && <div className="page__actions">{actions}</div>}
      </div>
      {children}
    </div>
  );
}
