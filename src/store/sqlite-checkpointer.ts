import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies an SQLite file's write-ahead log back into the database from a worker thread with its
 * own connection, so the process's writer never does it inside a commit. Measured on
 * 100,000 catalog entities: checkpoints (page copies and the fsync) were about a third of the
 * time spent committing. A PASSIVE checkpoint never blocks the writer or readers; the main
 * connection keeps a large `wal_autocheckpoint` as the fallback should this thread fall behind.
 */
export interface Checkpointer {
  /** Asks for a checkpoint soon (after a commit); cheap to call often. */
  request(): void;
  close(): Promise<void>;
}

// CommonJS: an eval'd worker has `require`, and needs no file of its own in src/ and dist/ alike.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const database = new Database(workerData.file);
database.pragma('busy_timeout = 0');
let wanted = false;
const checkpoint = () => {
  wanted = false;
  try {
    database.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another checkpoint runs) or closing: the next request tries again.
  }
};
const timer = setInterval(() => wanted && checkpoint(), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'checkpoint') {
    wanted = true;
    return;
  }
  clearInterval(timer);
  checkpoint();
  database.close();
  parentPort.close();
});
`;

export function startCheckpointer(file: string, intervalMs = 100): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs } });
  worker.unref();
  // A failing checkpointer costs speed, never data: the main connection's autocheckpoint remains.
  worker.on('error', () => {});
  let closed = false;
  return {
    request() {
      if (!closed) worker.postMessage('checkpoint');
    },
    async close() {
      if (closed) return;
      closed = true;
      // Held open until its last checkpoint is done (an unref'd worker would not keep the process waiting).
      worker.ref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('close');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
