import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.js';
import { parseCatalogFile, type KindDefinition, type KindRegistry, type ParsedCatalogFile } from '../model/index.js';

/**
 * Parses and validates catalog files on a worker thread while the main thread writes what earlier
 * files gave: on 100,000 entities, YAML parsing and validation were a fifth of the main thread's
 * time during ingestion. Falls back to parsing in this thread when no worker can run (e.g. under a
 * test runner whose workers cannot load TypeScript).
 */
export interface CatalogParser {
  parse(files: Array<{ path: string; content: string }>, registry: KindRegistry): Promise<ParsedCatalogFile[]>;
  close(): Promise<void>;
}

interface Pending {
  resolve(parsed: ParsedCatalogFile[]): void;
  reject(error: Error): void;
}

export function createCatalogParser(logger?: Logger): CatalogParser {
  let worker: Worker | undefined;
  let broken = false;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const failAll = (error: Error) => {
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };

  function start(): Worker | undefined {
    if (worker || broken) return worker;
    try {
      worker = import.meta.url.endsWith('.ts')
        ? // Run from source: tsx's loader hooks do not reach worker threads, so the worker registers them.
          new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./parse-worker.ts', import.meta.url).href)}); })`, { eval: true })
        : new Worker(new URL('./parse-worker.js', import.meta.url));
    } catch (error) {
      broken = true;
      logger?.warn({ err: error }, 'catalog parsing stays on the main thread: its worker cannot start');
      return undefined;
    }
    worker.unref();
    worker.on('message', (message: { id: number; parsed?: ParsedCatalogFile[]; error?: string }) => {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (pending.size === 0) worker?.unref();
      if (message.error !== undefined) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.parsed!);
    });
    worker.on('error', (error) => {
      broken = true;
      worker = undefined;
      logger?.warn({ err: error }, 'catalog parsing worker failed; parsing on the main thread from now on');
      failAll(error);
    });
    return worker;
  }

  const parseHere = (files: Array<{ path: string; content: string }>, registry: KindRegistry) => files.map((file) => parseCatalogFile(file.content, file.path, registry));

  return {
    async parse(files, registry) {
      const running = start();
      if (!running) return parseHere(files, registry);
      const customKinds: KindDefinition[] = registry.all().filter((kind) => !kind.builtIn);
      const id = nextId++;
      try {
        // Held open only while it has work: an idle parser never keeps the process alive.
        running.ref();
        return await new Promise<ParsedCatalogFile[]>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          running.postMessage({ id, files, customKinds });
        });
      } catch {
        // The worker died under this request: parse it here (what broke it is logged).
        return parseHere(files, registry);
      }
    },
    async close() {
      await worker?.terminate();
      worker = undefined;
    },
  };
}
