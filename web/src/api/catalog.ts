import { api } from './client.js';
import type { CatalogLocation, Entity, EntityPage, EntityStatus, FacetCount, RegisterLocationInput, RegisterLocationResult, RelationGraph } from './types.js';

const BASE = '/catalog';
const segment = (value: string) => encodeURIComponent(value);

export interface EntityQuery {
  /** Each string is one `filter` parameter: `kind=component,spec.owner=team-a` (AND); several are OR'd. */
  filter?: string[];
  fields?: string[];
  /** `metadata.name,asc` */
  orderField?: string;
  limit?: number;
  fullTextFilterTerm?: string;
  /** A cursor from a previous page replaces every other parameter but `limit`. */
  cursor?: string;
}

export function queryEntities(query: EntityQuery, signal?: AbortSignal): Promise<EntityPage> {
  const params = query.cursor
    ? { cursor: query.cursor, limit: query.limit }
    : {
        filter: query.filter,
        fields: query.fields?.length ? query.fields.join(',') : undefined,
        orderField: query.orderField,
        limit: query.limit,
        fullTextFilterTerm: query.fullTextFilterTerm?.trim() || undefined,
      };
  return api.get<EntityPage>(`${BASE}/entities/by-query`, { query: params, signal });
}

export async function getEntityFacets(facets: string[], filter: string[], signal?: AbortSignal): Promise<Record<string, FacetCount[]>> {
  return (await api.get<{ facets: Record<string, FacetCount[]> }>(`${BASE}/entity-facets`, { query: { facet: facets, filter }, signal })).facets;
}

export const getEntityByName = (kind: string, namespace: string, name: string, signal?: AbortSignal) =>
  api.get<Entity>(`${BASE}/entities/by-name/${segment(kind)}/${segment(namespace)}/${segment(name)}`, { signal });

export const getEntityStatus = (kind: string, namespace: string, name: string, signal?: AbortSignal) =>
  api.get<EntityStatus>(`${BASE}/entities/by-name/${segment(kind)}/${segment(namespace)}/${segment(name)}/status`, { signal });

export const getRelationGraph = (ref: string, depth: number, maxNodes: number, signal?: AbortSignal) =>
  api.get<RelationGraph>(`${BASE}/graph`, { query: { ref, depth, maxNodes }, signal });

export async function getEntitiesByRefs(entityRefs: string[], fields?: string[], signal?: AbortSignal): Promise<Array<Entity | null>> {
  if (entityRefs.length === 0) return [];
  return (await api.post<{ items: Array<Entity | null> }>(`${BASE}/entities/by-refs`, { entityRefs, ...(fields ? { fields } : {}) }, { signal })).items;
}

export async function listLocations(signal?: AbortSignal): Promise<CatalogLocation[]> {
  return (await api.get<Array<{ data: CatalogLocation }>>(`${BASE}/locations`, { signal })).map((l) => l.data);
}

/** Registers a location and ingests it; `dryRun` reads it and answers what it would add, storing nothing. */
export const registerLocation = (input: RegisterLocationInput, options: { dryRun?: boolean } = {}) =>
  api.post<RegisterLocationResult>(`${BASE}/locations`, input, { query: { dryRun: options.dryRun ? true : undefined } });

/** Schedules a refresh of the location the entity comes from. */
export const refreshEntity = (entityRef: string) => api.post<Record<string, never>>(`${BASE}/refresh`, { entityRef });

export const deleteEntity = (uid: string) => api.delete(`${BASE}/entities/by-uid/${segment(uid)}`);
