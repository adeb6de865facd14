import { Link } from '../../app/router.js';
import { HOME_PATH } from '../../app/navigation.js';
import { Page } from '../../components/page.js';

export function NotFoundPage() {
  return (
    <Page title="Page not found" description="There is no page at this address. It may have moved, or the link is mistyped.">
      <p>
        <Link to={HOME_PATH} className="button button--primary">
          Go to the catalog
        </Link>
      </p>
    </Page>
  );
}
