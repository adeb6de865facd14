import { api } from './client.js';
import type { ApiToken, CreateApiTokenInput, CreatedApiToken } from './types.js';

export const listApiTokens = async (signal?: AbortSignal) => (await api.get<{ items: ApiToken[] }>('/tokens', { signal })).items;

export const createApiToken = (input: CreateApiTokenInput) => api.post<CreatedApiToken>('/tokens', input);

export const revokeApiToken = (id: string) => api.delete(`/tokens/${encodeURIComponent(id)}`);
