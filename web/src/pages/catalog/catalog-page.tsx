import { ComingSoon } from '../../components/coming-soon.js';

export function CatalogPage() {
  return (
    <ComingSoon
      title="Catalog"
      coming="The catalog will list every component, API, system and team Plinth knows — who owns it, what it depends on, and where its code lives — read from catalog-info.yaml files in git."
      today={[
        <>
          Describe a service in a <code>catalog-info.yaml</code> (Backstage format, <code>backstage.io/v1alpha1</code>) at the root of its repository.
        </>,
        <>
          Register it with <code>POST /api/catalog/locations</code> and query entities through the API — see the{' '}
          <a href="/api/openapi.json">API reference</a>.
        </>,
      ]}
    />
  );
}
