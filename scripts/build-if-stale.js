// Builds an output with an npm script when it is missing or older than any of its sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** `output` and `sources` are relative to the repository; exits the process when the build fails. */
export function buildIfStale(output, sources, script) {
  const outputFile = path.join(root, output);
  const stale = !existsSync(outputFile) || sources.some((s) => newestMtime(path.join(root, s)) > statSync(outputFile).mtimeMs);
  if (!stale) return;
  console.error(`Building (${script})…`);
  const result = spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
