/*
 * Resource drivers and Score benchmark, against the real local servers:
 *
 *   resources.<type>.provision.p50     ms   first provision of a new resource (create user/database/…)
 *   resources.<type>.reprovision.p50   ms   provisioning it again (converge: nothing to create)
 *   resources.<type>.deprovision.p50   ms   dropping it
 *   score.parse_resolve_render         /s   parse + validate a Score file, resolve its placeholders and
 *                                           render its Kubernetes manifests (one workload, 2 containers,
 *                                           files, a volume, a route)
 *
 * Tunables (env): BENCH_RESOURCES_ROUNDS (10; amqp runs a third of them: rabbitmqctl starts an
 * Erlang VM per call), BENCH_RESOURCES_TYPES (postgres,mysql,redis,nats,amqp).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../src/core/logger.js';
import { parseScoreFile, resolvePlaceholders } from '../src/environments/score/index.js';
import { createResourceDrivers, DEFAULT_RESOURCE_DRIVERS_CONFIG } from '../src/resources/index.js';
import { renderKubernetesManifests } from '../src/runtimes/kubernetes/manifests.js';
import type { Benchmark, Report } from './run.js';

const ROUNDS = Number(process.env.BENCH_RESOURCES_ROUNDS ?? 10);
const TYPES = (process.env.BENCH_RESOURCES_TYPES ?? 'postgres,mysql,redis,nats,amqp').split(',');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const SCORE = `apiVersion: score.dev/v1b1
metadata:
  name: orders
containers:
  api:
    image: ghcr.io/example/orders
    variables:
      DATABASE_URL: postgres://\${resources.db.username}:\${resources.db.password}@\${resources.db.host}:\${resources.db.port}/\${resources.db.database}
      NAME: \${metadata.name}
    files:
      /etc/orders/app.conf:
        content: "host=\${resources.db.host}\\nname=\${metadata.name}\\n"
    volumes:
      /data:
        source: \${resources.data}
    readinessProbe:
      httpGet: { path: /ready, port: 8080 }
  worker:
    image: ghcr.io/example/orders-worker
    args: ["--queue", "\${resources.db.host}"]
service:
  ports:
    web: { port: 80, targetPort: 8080 }
resources:
  db: { type: postgres }
  data: { type: volume }
  dns: { type: dns }
  route: { type: route, params: { host: "\${resources.dns.host}", path: /, port: web } }
`;

const benchmark: Benchmark = {
  async run(report: Report) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-bench-resources-'));
    const drivers = createResourceDrivers({ ...DEFAULT_RESOURCE_DRIVERS_CONFIG, dataDir, passwordSeed: randomBytes(16).toString('hex') });
    const ctx = { logger: createLogger({ level: 'silent' }) };
    const run = randomBytes(3).toString('hex');
    try {
      for (const type of TYPES) {
        const driver = drivers.get(type);
        if (!driver) throw new Error(`no driver ${type}`);
        const rounds = type === 'amqp' ? Math.max(1, Math.round(ROUNDS / 3)) : ROUNDS;
        const samples = { provision: [] as number[], reprovision: [] as number[], deprovision: [] as number[] };
        for (let round = 0; round < rounds; round += 1) {
          const request = { resourceId: `bench-${run}.api.${type}-${round}`, type, class: 'default', settings: {}, params: {}, metadata: { environment: `bench-${run}`, workload: 'api' } };
          let state: Record<string, unknown> = {};
          samples.provision.push(await timed(async () => (state = (await driver.provision(request, ctx)).state)));
          samples.reprovision.push(await timed(() => driver.provision({ ...request, previousState: state }, ctx)));
          samples.deprovision.push(await timed(() => driver.deprovision({ ...request, state }, ctx)));
        }
        process.stderr.write(`${type}: ${rounds} rounds\n`);
        for (const [phase, values] of Object.entries(samples)) report(`resources.${type}.${phase}.p50`, median(values), 'ms');
      }
      const outputs = {
        db: { outputs: { host: '127.0.0.1', port: 5432, username: 'u', password: 'p', database: 'orders' }, secretOutputKeys: ['password'] },
        data: { outputs: { source: '/tmp/data' }, secretOutputKeys: [] },
        dns: { outputs: { host: 'orders.dev.localhost' }, secretOutputKeys: [] },
        route: { outputs: {}, secretOutputKeys: [] },
      };
      const iterations = 2000;
      const elapsed = await timed(async () => {
        for (let i = 0; i < iterations; i += 1) {
          const resolved = resolvePlaceholders(parseScoreFile(SCORE, 'score.yaml'), { resources: outputs });
          renderKubernetesManifests(resolved, { namespace: 'dev', environment: 'dev', release: `r${i}` });
        }
      });
      report('score.parse_resolve_render', (iterations / elapsed) * 1000, '/s');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
