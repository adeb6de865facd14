import { api } from './client.js';

/** Hosted git repositories: /api/repositories. */

export interface CommitSummary {
  sha: string;
  author: string;
  email: string;
  date: string;
  subject: string;
}

export interface Repository {
  namespace: string;
  name: string;
  owner: string | null;
  description: string | null;
  defaultBranch: string;
  cloneUrl: string;
  createdBy: string;
  createdAt: string;
  lastPushAt: string | null;
}

export interface Branch {
  name: string;
  sha: string;
  lastCommit: CommitSummary;
}

export interface CommitPage {
  items: CommitSummary[];
  nextCursor?: string;
}

export interface TreeEntry {
  name: string;
  path: string;
  type: 'blob' | 'tree' | 'symlink' | 'submodule';
  size?: number;
  lastCommit?: CommitSummary;
}

export interface Tree {
  ref: string;
  commit: string;
  path: string;
  entries: TreeEntry[];
}

export interface Blob {
  ref: string;
  commit: string;
  path: string;
  type: 'blob' | 'symlink';
  size: number;
  binary: boolean;
  truncated: boolean;
  content: string;
}

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

export async function listRepositories(signal?: AbortSignal): Promise<Repository[]> {
  return (await api.get<{ items: Repository[] }>(BASE, { signal })).items;
}

export const getRepository = (namespace: string, name: string, signal?: AbortSignal) => api.get<Repository>(repo(namespace, name), { signal });

export const createRepository = (input: CreateRepositoryInput) => api.post<Repository>(BASE, input);

export async function listBranches(namespace: string, name: string, signal?: AbortSignal): Promise<Branch[]> {
  return (await api.get<{ items: Branch[] }>(`${repo(namespace, name)}/branches`, { signal })).items;
}

export const listCommits = (namespace: string, name: string, query: { ref?: string; path?: string; limit?: number; cursor?: string }, signal?: AbortSignal) =>
  api.get<CommitPage>(`${repo(namespace, name)}/commits`, { query, signal });

export const getTree = (namespace: string, name: string, ref: string, path: string, signal?: AbortSignal) => api.get<Tree>(`${repo(namespace, name)}/tree/${atRef(ref, path)}`, { signal });

export const getBlob = (namespace: string, name: string, ref: string, path: string, signal?: AbortSignal) => api.get<Blob>(`${repo(namespace, name)}/blob/${atRef(ref, path)}`, { signal });

export const getReadme = (namespace: string, name: string, ref: string, path: string, signal?: AbortSignal) =>
  api.get<Blob>(`${repo(namespace, name)}/readme`, { query: { ref, path }, signal });
