/**
 * The shape of a catalog entity, as Backstage defines it (descriptor format `backstage.io/v1alpha1`):
 * an envelope of apiVersion, kind, metadata and spec, plus the relations the catalog computes.
 */

/** The namespace of an entity that names none, and of refs that name none. */
export const DEFAULT_NAMESPACE = 'default';

export interface EntityLink {
  url: string;
  title?: string;
  icon?: string;
  type?: string;
}

export interface EntityMetadata {
  /** 1-63 characters of [a-zA-Z0-9] separated by [-_.]; unique per kind and namespace (case-insensitively). */
  name: string;
  /** A DNS label; `default` when not given (validateEntity fills it in). */
  namespace?: string;
  /** Set by the store, never by a descriptor. */
  uid?: string;
  /** Set by the store, never by a descriptor. */
  etag?: string;
  title?: string;
  description?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  tags?: string[];
  links?: EntityLink[];
  [key: string]: unknown;
}

/** A relation as stored on an entity: from this entity to `targetRef` (a stringified ref). */
export interface EntityRelation {
  type: string;
  targetRef: string;
}

export interface Entity {
  apiVersion: string;
  kind: string;
  metadata: EntityMetadata;
  spec?: Record<string, unknown>;
  relations?: EntityRelation[];
  [key: string]: unknown;
}
