/*
 * Benchmark runner: `npm run bench` runs every registered benchmark, `npm run bench -- queue`
 * only the named ones. Each figure is one stdout line, `BENCH <name> <value> <unit>`; everything
 * else goes to stderr, so `npm run bench 2>/dev/null | grep ^BENCH` is the result set.
 * Record results in BENCHMARKS.md together with the machine they ran on.
 */

/** Prints one figure. */
export type Report = (name: string, value: number, unit: string) => void;

export interface Benchmark {
  /** Runs the benchmark and reports its figures; progress notes go to stderr. */
  run(report: Report): Promise<void>;
}

/** Register a benchmark here: name → module whose default export is a Benchmark. */
const benchmarks: Record<string, () => Promise<{ default: Benchmark }>> = {
  queue: () => import('./queue.js'),
  catalog: () => import('./catalog.js'),
  scaffolder: () => import('./scaffolder.js'),
  environments: () => import('./environments.js'),
  resources: () => import('./resources.js'),
  pipelines: () => import('./pipelines.js'),
};

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 100 ? String(Math.round(value)) : String(Number(value.toFixed(2)));
}

const report: Report = (name, value, unit) => {
  if (/\s/.test(name) || /\s/.test(unit)) throw new Error(`benchmark name and unit must not contain spaces: "${name}" "${unit}"`);
  process.stdout.write(`BENCH ${name} ${format(value)} ${unit}\n`);
};

const requested = process.argv.slice(2).filter((arg) => arg !== '--');
const unknown = requested.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}\n`);
  process.exit(2);
}

for (const name of requested.length > 0 ? requested : Object.keys(benchmarks)) {
  process.stderr.write(`# benchmark ${name}\n`);
  const { default: benchmark } = await benchmarks[name]!();
  await benchmark.run(report);
}
