import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PlinthError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { builtInResourceTypes, createResourceDrivers, DEFAULT_RESOURCE_DRIVERS_CONFIG, type ProvisionResult } from '../../resources/index.js';
import { renderKubernetesManifests } from '../../runtimes/kubernetes/manifests.js';
import { validateManifest } from '../../runtimes/kubernetes/test/validate-manifest.js';
import { POSTGRES_ADMIN_URL } from '../../../test/support/postgres-url.js';
import { matchResourceDefinition } from '../resource-definitions.js';
import { parseScoreFile, resolvePlaceholders, resolveResourceParams, scoreResourceRequests, type ProvisionedOutputs } from './index.js';

/**
 * Score conformance against $PLINTH_CORPUS/score (EXPECTED.md): every Score file validates
 * against the official schema; the examples whose resource types we provision are provisioned
 * on the real servers with the outputs EXPECTED.md lists, resolved, and rendered as Kubernetes
 * manifests that pass the API schema; unsupported types fail with a clear error. Prints a table.
 */
const repoRoot = path.resolve(import.meta.dirname, '../../..');
const corpus = path.resolve(repoRoot, process.env.PLINTH_CORPUS ?? '../shared/corpus', 'score');
const present = existsSync(corpus);
if (!present) {
  const message = `Score conformance skipped: no corpus at ${corpus} (set PLINTH_CORPUS)`;
  if (process.env.CI === 'true') throw new Error(message);
  console.info(message);
}

/** Output keys EXPECTED.md's default output contract lists per type (extra outputs are allowed). */
const EXPECTED_OUTPUTS: Record<string, string[]> = {
  postgres: ['host', 'port', 'name', 'database', 'username', 'password'],
  mysql: ['host', 'port', 'name', 'database', 'username', 'password'],
  redis: ['host', 'port', 'username', 'password'],
  amqp: ['host', 'port', 'vhost', 'username', 'password'],
  dns: ['host'],
  volume: ['source'],
  route: [],
  service: ['name'],
  'service-port': ['hostname', 'port'],
};
const EXPECTED_PORTS: Record<string, number> = { postgres: 5432, amqp: 5672, redis: 6379, mysql: 3306 };

/**
 * The examples EXPECTED.md marks as invalid (its check column says invalid or rejected), as
 * path prefixes relative to score-spec/ with score-compose's `examples/` folded away
 * (`score-compose/09-dns-and-route`, `examples/resources/postgres`, `spec/samples/x.yaml`).
 */
function expectedInvalid(): string[] {
  const expected = path.join(corpus, 'EXPECTED.md');
  if (!existsSync(expected)) return [];
  return readFileSync(expected, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('|') && !line.startsWith('|---'))
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .filter((cells) => /\binvalid\b|\brejected\b/i.test(cells[4] ?? ''))
    .map((cells) => (cells[1] ?? '').split(/\s/)[0]!)
    .filter(Boolean);
}

function exampleKey(file: string): string {
  return path.relative(path.join(corpus, 'score-spec'), file).split(path.sep).join('/').replace(/^score-compose\/examples\//, 'score-compose/');
}

function scoreFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return scoreFiles(full);
    return /^score.*\.ya?ml$/.test(name) ? [full] : [];
  });
}

interface Row {
  example: string;
  workload: string;
  valid: string;
  resources: string;
  provisioned: string;
  manifests: string;
}

describe.skipIf(!present)('Score conformance (corpus)', () => {
  const run = randomBytes(3).toString('hex');
  const environment = `conf-${run}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plinth-conformance-'));
  const drivers = createResourceDrivers({ ...DEFAULT_RESOURCE_DRIVERS_CONFIG, postgres: { adminUrl: POSTGRES_ADMIN_URL }, dataDir, passwordSeed: run });
  const supported = builtInResourceTypes(drivers);
  const ctx = { logger: createLogger({ level: 'silent' }) };
  const provisioned: Array<{ resourceId: string; type: string; result: ProvisionResult }> = [];
  const rows: Row[] = [];

  afterAll(async () => {
    for (const { resourceId, type, result } of provisioned.reverse()) {
      await drivers.get(type)!.deprovision({ resourceId, type, class: 'default', settings: {}, state: result.state }, ctx);
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (rows.length) {
      const columns: Array<keyof Row> = ['example', 'workload', 'valid', 'resources', 'provisioned', 'manifests'];
      const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
      const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
      console.info([line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => r[c])))].join('\n'));
    }
  });

  it('every Score file validates; supported examples provision, resolve and render valid Kubernetes manifests', async () => {
    // provisioners/ holds reference provisioner files, not workloads.
    const files = scoreFiles(path.join(corpus, 'score-spec')).sort();
    expect(files.length).toBeGreaterThan(0);
    const failures: string[] = [];
    const invalid = expectedInvalid();
    for (const file of files) {
      const example = path.relative(corpus, file).replace(/^score-spec\//, '');
      const row: Row = { example, workload: '-', valid: 'no', resources: '-', provisioned: '-', manifests: '-' };
      rows.push(row);
      const shouldFail = invalid.some((prefix) => exampleKey(file).startsWith(prefix));
      let workload;
      try {
        workload = parseScoreFile(readFileSync(file, 'utf8'), file);
      } catch (error) {
        const located = error instanceof PlinthError && error.code === 'SCORE_INVALID' && error.location?.line !== undefined && error.location.column !== undefined;
        row.valid = shouldFail && located ? `rejected as expected (${path.basename(file)}:${error.location!.line}:${error.location!.column})` : `no: ${String(error).split('\n')[0]}`;
        if (!(shouldFail && located)) failures.push(`${example}: ${String(error)}`);
        continue;
      }
      if (shouldFail) {
        row.valid = 'yes, but EXPECTED.md says invalid';
        failures.push(`${example}: EXPECTED.md marks it invalid, but it validated`);
        continue;
      }
      row.valid = 'yes';
      row.workload = workload.name;
      const requests = scoreResourceRequests(workload);
      row.resources = requests.map((r) => `${r.name}:${r.type}`).join(' ') || 'none';
      const unsupported = requests.filter((r) => !supported.has(r.type));
      if (unsupported.length > 0) {
        // Unsupported types must fail with an error naming the type and the known ones.
        for (const request of unsupported) {
          const error = (() => {
            try {
              matchResourceDefinition([], { type: request.type, class: request.class, id: request.id, environment, environmentType: 'development', component: workload.name }, supported);
            } catch (e) {
              return e;
            }
          })();
          if (!(error instanceof PlinthError) || error.code !== 'RESOURCE_TYPE_UNKNOWN' || !error.message.includes(`type '${request.type}'`)) failures.push(`${example}: ${request.type} did not fail with RESOURCE_TYPE_UNKNOWN`);
        }
        row.provisioned = `unsupported: ${[...new Set(unsupported.map((r) => r.type))].join(', ')} (RESOURCE_TYPE_UNKNOWN)`;
        continue;
      }
      const outputs: Record<string, ProvisionedOutputs> = {};
      try {
        for (const request of requests) {
          const resourceId = request.id ? `${environment}.${request.id}` : `${environment}.${workload.name}.${request.name}`;
          const params = resolveResourceParams(workload, request.name, outputs);
          const result = await drivers.get(request.type)!.provision({ resourceId, type: request.type, class: request.class, settings: {}, params, metadata: { environment, workload: workload.name, resourceName: request.name, uid: request.uid } }, ctx);
          provisioned.push({ resourceId, type: request.type, result });
          const missing = (EXPECTED_OUTPUTS[request.type] ?? []).filter((key) => !(key in result.outputs));
          if (missing.length) failures.push(`${example}: ${request.name} (${request.type}) lacks outputs ${missing.join(', ')}`);
          const port = EXPECTED_PORTS[request.type];
          if (port !== undefined && result.outputs.port !== port) failures.push(`${example}: ${request.name} port ${String(result.outputs.port)} is not ${port}`);
          outputs[request.name] = result;
        }
        row.provisioned = requests.length ? 'yes' : '-';
        const resolved = resolvePlaceholders(workload, { resources: outputs });
        const manifests = renderKubernetesManifests(resolved, { namespace: environment, environment, release: 'r1', image: 'registry.local/conformance:r1' });
        const problems = manifests.flatMap((m) => validateManifest(m).map((p) => `${m.kind} ${m.metadata.name}: ${p}`));
        row.manifests = problems.length ? `INVALID (${problems.length})` : `${manifests.length} valid (${[...new Set(manifests.map((m) => m.kind))].join(', ')})`;
        failures.push(...problems.map((p) => `${example}: ${p}`));
      } catch (error) {
        row.provisioned = `failed: ${String(error).split('\n')[0]}`;
        failures.push(`${example}: ${String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 240_000);

  const filesExample = path.join(corpus, 'score-spec/score-compose/examples/03-files/score.yaml');
  const cartFile = path.join(corpus, 'score-spec/examples/samples/onlineboutique/cart/score.yaml');
  it.skipIf(!existsSync(filesExample) || !existsSync(cartFile))('placeholders resolve as EXPECTED.md says for files and the redis address', () => {
    const files = parseScoreFile(readFileSync(filesExample, 'utf8'), filesExample);
    const resolved = resolvePlaceholders(files, { resources: {} });
    const contents = Object.fromEntries(resolved.containers[0]!.files.map((f) => [f.target, f.content.toString()]));
    expect(contents['/fileB.txt']!.trim()).toBe('I am hello-world');
    expect(contents['/fileC.bin']).toBe('hello world');
    expect(contents['/fileA.txt']).toBeDefined();
    const cart = resolvePlaceholders(parseScoreFile(readFileSync(cartFile, 'utf8'), cartFile), { resources: { 'redis-cart': { outputs: { host: '127.0.0.1', port: 6379, username: 'u', password: 'p' }, secretOutputKeys: ['password'] } } });
    const container = cart.containers[0]!;
    expect(container.variables.REDIS_ADDR).toBe('127.0.0.1:6379,user=u,password=p');
    expect(container.secretVariables).toEqual(['REDIS_ADDR']);
  });
});
