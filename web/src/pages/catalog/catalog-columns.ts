import { useCallback, useState } from 'react';

/** The optional columns of the catalog table; Name is always shown. `fields` are what the API is asked for. */
export const COLUMNS = [
  { id: 'kind', label: 'Kind', fields: ['kind'], sort: 'kind' },
  { id: 'type', label: 'Type', fields: ['spec.type'], sort: 'spec.type' },
  { id: 'owner', label: 'Owner', fields: ['spec.owner'], sort: 'spec.owner' },
  { id: 'system', label: 'System', fields: ['spec.system'], sort: 'spec.system' },
  { id: 'lifecycle', label: 'Lifecycle', fields: ['spec.lifecycle'], sort: 'spec.lifecycle' },
  { id: 'namespace', label: 'Namespace', fields: ['metadata.namespace'], sort: 'metadata.namespace' },
  { id: 'description', label: 'Description', fields: ['metadata.description'], sort: undefined },
  { id: 'tags', label: 'Tags', fields: ['metadata.tags'], sort: undefined },
] as const;

export type ColumnId = (typeof COLUMNS)[number]['id'];

export const DEFAULT_COLUMNS: readonly ColumnId[] = ['kind', 'type', 'owner', 'lifecycle', 'description'];
export const COLUMNS_STORAGE_KEY = 'plinth-catalog-columns';

/** What the Name column needs: its link and title. */
const NAME_FIELDS = ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title'];

export function fieldsFor(columns: readonly ColumnId[]): string[] {
  const fields = new Set(NAME_FIELDS);
  for (const column of COLUMNS) if (columns.includes(column.id)) for (const field of column.fields) fields.add(field);
  return [...fields];
}

function storedColumns(): ColumnId[] {
  try {
    const raw = window.localStorage.getItem(COLUMNS_STORAGE_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : undefined;
    if (Array.isArray(parsed)) return COLUMNS.map((c) => c.id).filter((id) => parsed.includes(id));
  } catch {}
  return [...DEFAULT_COLUMNS];
}

/** The chosen columns, in table order, remembered in localStorage. */
export function useCatalogColumns(): { columns: ColumnId[]; toggle: (id: ColumnId) => void; reset: () => void } {
  const [columns, setColumns] = useState<ColumnId[]>(storedColumns);
  const save = useCallback((next: ColumnId[]) => {
    setColumns(next);
    try {
      window.localStorage.setItem(COLUMNS_STORAGE_KEY, JSON.stringify(next));
    } catch {}
  }, []);
  const toggle = useCallback(
    (id: ColumnId) => save(COLUMNS.map((c) => c.id).filter((c) => (c === id ? !columns.includes(c) : columns.includes(c)))),
    [columns, save],
  );
  const reset = useCallback(() => save([...DEFAULT_COLUMNS]), [save]);
  return { columns, toggle, reset };
}
