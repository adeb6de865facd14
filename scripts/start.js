#!/usr/bin/env node
// `npm start`: builds what is missing or older than its sources, then runs `plinth serve --demo`.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function buildIfStale(output, sources, script) {
  const outputFile = path.join(root, output);
  const stale = !existsSync(outputFile) || sources.some((s) => newestMtime(path.join(root, s)) > statSync(outputFile).mtimeMs);
  if (!stale) return;
  console.error(`Building (${script})…`);
  const result = spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

buildIfStale('dist/cli/run.js', ['src'], 'build:server');
buildIfStale('web/dist/index.html', ['web/src'], 'build:web');

const child = spawn(process.execPath, [path.join(root, 'bin', 'plinth.js'), 'serve', '--demo', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
