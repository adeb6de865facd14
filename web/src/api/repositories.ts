import type { BlobContent, BranchSummary, CommitPage, TreeEntry } from '../../../src/git/browse.js';
import type { RepositoryView } from '../../../src/repositories/service.js';
import { api } from './client.js';

/** Hosted git repositories: /api/repositories. */

// The server's own types: the portal and the API cannot drift apart.
export type { BranchSummary as Branch, CommitPage, CommitSummary, TreeEntry } from '../../../src/git/browse.js';
export type { RepositoryView as Repository } from '../../../src/repositories/service.js';

export interface Tree {
  ref: string;
  commit: string;
  path: string;
  entries: TreeEntry[];
}

/** A file as `/blob` and `/readme` answer it. */
export type Blob = BlobContent & { ref: string; commit: string };

export interface CreateRepositoryInput {
  namespace?: string;
  name: string;
  owner?: string;
  description?: string;
}

const BASE = '/repositories';
const repo = (namespace: string, name: string) => `${BASE}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
/** A ref is one URL segment (feature/x → feature%2Fx); the path after it keeps its slashes. */
const atRef = (ref: string, path: string) => `${encodeURIComponent(ref)}${path ? `/${path.split('/').map(encodeURIComponent).join('/')}` : ''}`;

export async function listRepositories(signal?: AbortSignal): Promise<RepositoryView[]> {
  return (await api.get<{ items: RepositoryView[] }>(BASE, { signal })).items;
}

export const getRepository = (namespace: string, name: string, signal?: AbortSignal) => api.get<RepositoryView>(repo(namespace, name), { signal });

export const createRepository = (input: CreateRepositoryInput) => api.post<RepositoryView>(BASE, input);

export async function listBranches(namespace: string, name: string, signal?: AbortSignal): Promise<BranchSummary[]> {
  return (await api.get<{ items: BranchSummary[] }>(`${repo(namespace, name)}/branches`, { signal })).items;
}

export const listCommits = (namespace: string, name: string, query: { ref?: string; path?: string; limit?: number; cursor?: string }, signal?: AbortSignal) =>
  api.get<CommitPage>(`${repo(namespace, name)}/commits`, { query, signal });

export const getTree = (namespace: string, name: string, ref: string, path: string, signal?: AbortSignal) => api.get<Tree>(`${repo(namespace, name)}/tree/${atRef(ref, path)}`, { signal });

export const getBlob = (namespace: string, name: string, ref: string, path: string, signal?: AbortSignal) => api.get<Blob>(`${repo(namespace, name)}/blob/${atRef(ref, path)}`, { signal });

export const getReadme = (namespace: string, name: string, ref: string, path: string, signal?: AbortSignal) =>
  api.get<Blob>(`${repo(namespace, name)}/readme`, { query: { ref, path }, signal });
