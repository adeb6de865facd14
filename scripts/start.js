#!/usr/bin/env node
// `npm start`: builds what is missing or older than its sources, then runs `plinth serve --demo`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildIfStale, root } from './build-if-stale.js';

buildIfStale('dist/cli/run.js', ['src'], 'build:server');
buildIfStale('web/dist/index.html', ['web/src'], 'build:web');

const child = spawn(process.execPath, [path.join(root, 'bin', 'plinth.js'), 'serve', '--demo', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
