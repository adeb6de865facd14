import { api, apiRequest } from './client.js';
import type { DeploymentView, EnvironmentDetails, EnvironmentView, ReleaseView } from '../../../src/environments/model.js';
import type { EnvironmentTypeConfig } from '../../../src/core/config.js';

export type { DeploymentView, EnvironmentDetails, EnvironmentView, ReleaseView, ResourceView, WorkloadView } from '../../../src/environments/model.js';

export type EnvironmentType = { name: string } & EnvironmentTypeConfig;

export interface MatrixCell {
  environment: string;
  component: string;
  release: string | null;
  commitSha: string | null;
  status: DeploymentView['status'];
  health: string;
  deployedAt: string | null;
  deployment: string;
  url: string | null;
}

export interface DeploymentMatrix {
  environments: Array<{ name: string; type: string }>;
  components: string[];
  cells: MatrixCell[];
}

export interface DeploymentDiff {
  from: string;
  to: string;
  score: Array<{ op: ' ' | '-' | '+'; line: string }>;
  variables: Array<{ container: string; name: string; from: string | null; to: string | null }>;
}

const environmentPath = (name: string) => `/environments/${encodeURIComponent(name)}`;

export const listEnvironmentTypes = async (signal?: AbortSignal) => (await api.get<{ items: EnvironmentType[] }>('/environments/types', { signal })).items;
export const listEnvironments = async (signal?: AbortSignal) => (await api.get<{ items: EnvironmentView[] }>('/environments', { signal })).items;
export const getEnvironment = (name: string, showSecrets: boolean, signal?: AbortSignal) =>
  api.get<EnvironmentDetails & { mayReadSecrets: boolean }>(environmentPath(name), { signal, query: { showSecrets: showSecrets || undefined } });
export const createEnvironment = (input: { name: string; type: string; owner?: string; ttlHours?: number | null; cloneFrom?: string }) =>
  api.post<EnvironmentView & { deployments: DeploymentView[] }>('/environments', input);
export const destroyEnvironment = (name: string, confirm?: string) => api.delete<{ deprovisioned: string[] }>(environmentPath(name), { query: { confirm } });
export const setEnvironmentValues = (name: string, changes: { values?: Record<string, string | null>; secrets?: Record<string, string | null> }) =>
  apiRequest<unknown>('PATCH', `${environmentPath(name)}/values`, { body: changes });
export const logStreamUrl = (environment: string, component: string) => `/api${environmentPath(environment)}/workloads/${encodeURIComponent(component)}/logs?follow=true`;

export const getMatrix = (signal?: AbortSignal) => api.get<DeploymentMatrix>('/deployments/matrix', { signal });
export const listDeployments = async (filter: { environment?: string; component?: string }, signal?: AbortSignal) => (await api.get<{ items: DeploymentView[] }>('/deployments', { signal, query: filter })).items;
export const listReleases = async (component: string | undefined, signal?: AbortSignal) => (await api.get<{ items: ReleaseView[] }>('/releases', { signal, query: { component } })).items;
export const deployRelease = (input: { environment: string; component: string; release: string }) => api.post<DeploymentView>('/deployments', input);
export const promoteComponent = (input: { component: string; from: string; to: string }) => api.post<DeploymentView>('/deployments/promote', input);
export const rollbackComponent = (input: { component: string; environment: string; to?: string }) => api.post<DeploymentView>('/deployments/rollback', input);
export const approveDeployment = (id: string) => api.post<DeploymentView>(`/deployments/${encodeURIComponent(id)}/approve`);
export const diffDeployments = (from: string, to: string, signal?: AbortSignal) => api.get<DeploymentDiff>('/deployments/diff', { signal, query: { from, to } });

/** Events that change what the environment pages show. */
export const ENVIRONMENT_EVENTS = [
  'environment:created',
  'environment:destroyed',
  'environment:values-changed',
  'deployment:requested',
  'deployment:approved',
  'deployment:started',
  'deployment:succeeded',
  'deployment:failed',
  'deployment:rolled-back',
];
