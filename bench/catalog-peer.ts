/*
 * Plinth under the Backstage peer's own measurement client, for ratios against Backstage on the
 * same data (BENCHMARKS.md, "Catalog" → "Against Backstage"). Not a registered benchmark: it
 * needs a copy of the peer folder (/work/shared/peers/backstage, see its README).
 *
 *   node --import tsx bench/catalog-peer.ts --measure /tmp/bsroot/bs/measure.mjs \
 *        --data /tmp/bsroot/data/n10000 --db sqlite|postgres [--database-url postgres://…/postgres] \
 *        [--out results.json] [-- <more measure.mjs options>]
 *
 * Starts `plinth serve` on a fresh database (a temp SQLite dir, or a new database created and
 * dropped on --database-url's server — use the peer's own cluster so both run on the same
 * PostgreSQL), creates an admin token, and runs measure.mjs against it with --pid and --token;
 * measure.mjs prints `PEER plinth <db>.n<N>.<figure> <value> <unit>` lines.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startServer, type DatabaseKind } from './catalog.js';

function options(argv: string[]): { named: Record<string, string>; rest: string[] } {
  const named: Record<string, string> = {};
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  for (let i = 0; i < own.length; i += 2) {
    if (!own[i]!.startsWith('--') || own[i + 1] === undefined) throw new Error(`expected --name value pairs, got ${own.slice(i).join(' ')}`);
    named[own[i]!.slice(2)] = own[i + 1]!;
  }
  return { named, rest: dash === -1 ? [] : argv.slice(dash + 1) };
}

const { named, rest } = options(process.argv.slice(2));
const measure = named.measure;
const data = named.data;
const db = (named.db ?? 'sqlite') as DatabaseKind;
if (!measure || !data || (db !== 'sqlite' && db !== 'postgres')) {
  process.stderr.write('usage: node --import tsx bench/catalog-peer.ts --measure <peer>/measure.mjs --data <data dir> --db sqlite|postgres [--database-url URL] [--out FILE] [-- measure options]\n');
  process.exit(2);
}

const server = await startServer(db, named['database-url']);
try {
  const args = [measure, '--base', server.url, '--data', path.resolve(data), '--label', 'plinth', '--tag', db, '--pid', String(server.pid), '--token', server.adminToken];
  if (named.out) args.push('--out', named.out);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [...args, ...rest], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    process.stderr.write(server.output().slice(-4000));
    process.exitCode = code;
  }
} finally {
  await server.close();
}
