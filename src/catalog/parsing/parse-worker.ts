/**
 * Worker thread entry: parses and validates catalog files off the main thread (see catalog-parser.ts).
 * Messages in: { id, files: [{ path, content }], customKinds }; out: { id, parsed } or { id, error }.
 */
import { parentPort } from 'node:worker_threads';
import { createKindRegistry, parseCatalogFile, type KindDefinition, type KindRegistry, type ParsedCatalogFile } from '../model/index.js';

interface ParseRequest {
  id: number;
  files: Array<{ path: string; content: string }>;
  customKinds: KindDefinition[];
}

let registry: { key: string; kinds: KindRegistry } | undefined;

function registryFor(customKinds: KindDefinition[]): KindRegistry {
  const key = JSON.stringify(customKinds);
  if (registry?.key !== key) registry = { key, kinds: createKindRegistry(customKinds) };
  return registry.kinds;
}

parentPort!.on('message', (request: ParseRequest) => {
  try {
    const kinds = registryFor(request.customKinds);
    const parsed: ParsedCatalogFile[] = request.files.map((file) => parseCatalogFile(file.content, file.path, kinds));
    parentPort!.postMessage({ id: request.id, parsed });
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
