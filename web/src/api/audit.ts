import { api } from './client.js';
import type { AuditFilter, AuditPage } from './types.js';

export const listAuditRecords = (filter: AuditFilter, signal?: AbortSignal) => api.get<AuditPage>('/audit', { query: { ...filter }, signal });
