import { Link } from '../app/router.js';

/** The trail above a page's heading: each item links back up. */
export function Breadcrumbs({ items }: { items: Array<{ label: string; to: string }> }) {
  return (
    <nav className="breadcrumbs" aria-label="Breadcrumbs">
      <ol>
        {items.map((item) => (
          <li key={item.to}>
            <Link to={item.to}>{item.label}</Link>
          </li>
        ))}
      </ol>
    </nav>
  );
}
