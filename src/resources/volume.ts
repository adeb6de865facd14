import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ResourceDriver, ResourceDriversConfig } from './driver.js';
import { serverName, settingsSchema } from './support.js';

/**
 * `volume`: a directory under `<dataDir>/volumes`, outputs `source` (and `path`, the same
 * directory) — what `${resources.<name>}` in a container's `volumes.source` resolves to.
 * The Kubernetes runtime renders a PersistentVolumeClaim instead and ignores the directory.
 */
export function volumeDriver(config: ResourceDriversConfig): ResourceDriver {
  const directoryOf = (resourceId: string) => path.join(config.dataDir, 'volumes', serverName(resourceId, { maxLength: 120, separator: '-', allowed: /[^a-z0-9.]+/g }));
  return {
    type: 'volume',
    dataBearing: true,
    settingsSchema: settingsSchema({}),
    async provision(request) {
      const directory = directoryOf(request.resourceId);
      await mkdir(directory, { recursive: true });
      return { outputs: { source: directory, path: directory }, secretOutputKeys: [], state: { directory } };
    },
    async deprovision(request) {
      const directory = typeof request.state.directory === 'string' ? request.state.directory : directoryOf(request.resourceId);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
