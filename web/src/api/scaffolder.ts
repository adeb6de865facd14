import { api, buildUrl } from './client.js';
import type { Entity } from './types.js';

/** The Backstage-compatible scaffolder API: /api/scaffolder/v2. */

/** A JSON Schema as templates write it, with Backstage's `ui:*` hints beside the keywords. */
export interface FieldSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  enumNames?: string[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  format?: string;
  items?: FieldSchema;
  properties?: Record<string, FieldSchema>;
  required?: string[];
  'ui:widget'?: string;
  'ui:field'?: string;
  'ui:help'?: string;
  'ui:autofocus'?: boolean;
  'ui:placeholder'?: string;
  'ui:options'?: Record<string, unknown>;
  'ui:order'?: string[];
  [key: string]: unknown;
}

export interface ParameterSchema {
  title: string;
  description?: string;
  steps: Array<{ title: string; description?: string; schema: FieldSchema }>;
}

export type TaskStatus = 'open' | 'processing' | 'completed' | 'failed' | 'cancelled';
export type StepStatus = 'open' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'skipped';

export interface TaskStep {
  id: string;
  name: string;
  action: string;
  status: StepStatus;
  startedAt?: string | null;
  endedAt?: string | null;
  durationMs?: number | null;
}

export interface TaskOutput {
  links?: Array<{ title?: string; url?: string; entityRef?: string; icon?: string }>;
  text?: Array<{ title?: string; content: string }>;
  [key: string]: unknown;
}

export interface Task {
  id: string;
  status: TaskStatus;
  spec?: { templateInfo?: { entityRef?: string; entity?: { metadata?: { title?: string; name?: string } } } };
  templateRef?: string;
  createdBy?: string;
  createdAt?: string;
  steps: TaskStep[];
  output?: TaskOutput;
  error?: { message: string; stepId?: string } | string | null;
}

export interface TaskEvent {
  id: number | string;
  taskId: string;
  type: 'log' | 'completion' | 'cancelled' | 'recovered';
  body: { message: string; stepId?: string; status?: string };
  createdAt: string;
}

export interface DryRunResult {
  log: Array<{ body: { message: string; stepId?: string; status?: string } }>;
  steps: Array<{ id: string; name: string; action: string; status?: string }>;
  output: TaskOutput;
  directoryContents: Array<{ path: string; base64Content: string; executable?: boolean }>;
}

const BASE = '/scaffolder/v2';
const segment = encodeURIComponent;

export const isFinished = (status: TaskStatus) => status === 'completed' || status === 'failed' || status === 'cancelled';

export async function listTemplates(signal?: AbortSignal): Promise<Entity[]> {
  return (await api.get<{ items: Entity[] }>('/catalog/entities/by-query', { query: { filter: 'kind=template', limit: 500, orderField: 'metadata.name,asc' }, signal })).items;
}

export const getParameterSchema = (namespace: string, name: string, signal?: AbortSignal) =>
  api.get<ParameterSchema>(`${BASE}/templates/${segment(namespace)}/template/${segment(name)}/parameter-schema`, { signal });

export const createTask = (templateRef: string, values: Record<string, unknown>) => api.post<{ id: string }>(`${BASE}/tasks`, { templateRef, values });

export const getTask = (id: string, signal?: AbortSignal) => api.get<Task>(`${BASE}/tasks/${segment(id)}`, { signal });

export const cancelTask = (id: string) => api.post<unknown>(`${BASE}/tasks/${segment(id)}/cancel`, {});

export const retryTask = (id: string) => api.post<unknown>(`${BASE}/tasks/${segment(id)}/retry`, {});

export const dryRunTemplate = (template: unknown, values: Record<string, unknown>, signal?: AbortSignal) => api.post<DryRunResult>(`${BASE}/dry-run`, { template, values, directoryContents: [] }, { signal });

/** Streams a task's events (SSE); the server replays what happened before, so a late subscriber misses nothing. */
export function subscribeToTask(id: string, onEvent: (event: TaskEvent) => void, onError: () => void): () => void {
  const source = new EventSource(buildUrl(`${BASE}/tasks/${segment(id)}/eventstream`));
  const listener = (message: MessageEvent<string>) => {
    try {
      onEvent(JSON.parse(message.data) as TaskEvent);
    } catch {}
  };
  for (const type of ['log', 'completion', 'cancelled', 'recovered', 'message']) source.addEventListener(type, listener as EventListener);
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) onError();
  };
  return () => source.close();
}
