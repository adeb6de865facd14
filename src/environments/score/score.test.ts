import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { plinthErrorOf } from '../../../test/support/errors.js';
import { parseScoreFile, resolvePlaceholders, resolveResourceParams, scoreFilePathOf, scoreResourceRequests } from './index.js';


const WORKLOAD = `apiVersion: score.dev/v1b1
metadata:
  name: orders
  annotations:
    example.com/team: payments
containers:
  main:
    image: ghcr.io/example/orders
    command: ["/bin/orders"]
    args: ["--db", "\${resources.db.host}:\${resources.db.port}"]
    variables:
      NAME: \${metadata.name}
      TEAM: \${metadata.annotations.example\\.com/team}
      DATABASE_URL: postgres://\${resources.db.username}:\${resources.db.password}@\${resources.db.host}/\${resources.db.database}
      LITERAL: "$\${NOT_A_PLACEHOLDER} costs $$5"
      PORTS: \${resources.db.ports}
    files:
      /etc/orders/app.conf:
        content: "name=\${metadata.name}"
        mode: "0644"
      /etc/orders/raw.conf:
        content: "name=\${metadata.name}"
        noExpand: true
      /etc/orders/blob.bin:
        binaryContent: aGVsbG8gd29ybGQ=
      /etc/orders/from-source.txt:
        source: ./template.txt
    volumes:
      /data:
        source: \${resources.data}
        readOnly: true
    livenessProbe:
      httpGet:
        path: /alive
        port: 8080
    resources:
      limits:
        memory: 128Mi
service:
  ports:
    web:
      port: 80
      targetPort: 8080
resources:
  route:
    type: route
    params:
      host: \${resources.dns.host}
      path: /
      port: web
  db:
    type: postgres
  dns:
    type: dns
  data:
    type: volume
    id: shared-data
`;

describe('parseScoreFile', () => {
  it('parses a valid workload; class defaults to default; resource uids follow Score', () => {
    const workload = parseScoreFile(WORKLOAD, 'score.yaml');
    expect(workload.name).toBe('orders');
    expect(Object.keys(workload.containers.main!.files)).toHaveLength(4);
    // A route comes after the dns it names.
    expect(scoreResourceRequests(workload).map((r) => [r.name, r.uid])).toEqual([
      ['dns', 'dns.default#orders.dns'],
      ['route', 'route.default#orders.route'],
      ['db', 'postgres.default#orders.db'],
      ['data', 'volume.default#shared-data'],
    ]);
  });

  it('accepts the deprecated array forms of files and volumes', () => {
    const workload = parseScoreFile(`apiVersion: score.dev/v1b1
metadata:
  name: legacy
containers:
  main:
    image: busybox
    files:
      - target: /a.txt
        content: a
    volumes:
      - target: /data
        source: \${resources.data}
resources:
  data:
    type: volume
`, 'legacy.yaml');
    expect(workload.containers.main!.files).toEqual({ '/a.txt': { content: 'a' } });
    expect(workload.containers.main!.volumes).toEqual({ '/data': { source: '${resources.data}' } });
  });

  it.each([
    ['a missing image', 'apiVersion: score.dev/v1b1\nmetadata:\n  name: x1\ncontainers:\n  main:\n    command: [a]\n', "score.yaml:6:5: containers.main: missing required field 'image'"],
    ['an unknown field', 'apiVersion: score.dev/v1b1\nmetadata:\n  name: x1\ncontainers:\n  main:\n    image: a\n    imagePullPolicy: Always\n', "score.yaml:7:5: containers.main: unknown field 'imagePullPolicy'"],
    ['another apiVersion', 'apiVersion: score.dev/v2\nmetadata:\n  name: x1\ncontainers:\n  main:\n    image: a\n', 'score.yaml:1:13: apiVersion must be score.dev/v1b1'],
    ['a bad workload name', 'apiVersion: score.dev/v1b1\nmetadata:\n  name: Orders_Service\ncontainers:\n  main:\n    image: a\n', 'score.yaml:3:9: metadata.name: must match pattern'],
    ['a bad port', 'apiVersion: score.dev/v1b1\nmetadata:\n  name: x1\nservice:\n  ports:\n    web:\n      port: 70000\ncontainers:\n  main:\n    image: a\n', 'score.yaml:7:13: service.ports.web.port: must be <= 65535'],
    ['no containers', 'apiVersion: score.dev/v1b1\nmetadata:\n  name: x1\n', "score.yaml:1:1: (top level): missing required field 'containers'"],
    ['invalid YAML', 'apiVersion: score.dev/v1b1\nmetadata: [\n', 'score.yaml:3:1: invalid YAML'],
    ['an empty file', '# nothing\n', 'score.yaml:1:1: the Score file is empty'],
    ['two documents', 'apiVersion: score.dev/v1b1\n---\napiVersion: score.dev/v1b1\n', 'score.yaml:3:1: a Score file holds one workload'],
  ])('rejects %s with a located error', (_, text, expected) => {
    const error = plinthErrorOf(() => parseScoreFile(text, 'score.yaml'));
    expect(error.code).toBe('SCORE_INVALID');
    expect(error.toString()).toContain(expected);
  });

  it('a resource cycle is an error naming the cycle', () => {
    const error = plinthErrorOf(() => scoreResourceRequests(parseScoreFile('apiVersion: score.dev/v1b1\nmetadata:\n  name: x1\ncontainers:\n  main:\n    image: a\nresources:\n  a1:\n    type: dns\n    params:\n      x: ${resources.b1.host}\n  b1:\n    type: dns\n    params:\n      x: ${resources.a1.host}\n', 'c.yaml')));
    expect(error.toString()).toMatch(/^c\.yaml:11:7: resources refer to each other in a cycle: a1 → b1 → a1/);
  });
});

describe('resolvePlaceholders', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'plinth-score-'));
  writeFileSync(path.join(dir, 'template.txt'), 'db at ${resources.db.host}');
  const file = path.join(dir, 'score.yaml');
  const resources = {
    db: { outputs: { host: 'pg.internal', port: 5432, username: 'u1', password: 'pw1', database: 'orders', ports: [5432, 5433] }, secretOutputKeys: ['password'] },
    dns: { outputs: { host: 'orders.dev.localhost' }, secretOutputKeys: [] },
    route: { outputs: {}, secretOutputKeys: [] },
    data: { outputs: { source: '/var/lib/plinth/volumes/d1' }, secretOutputKeys: [] },
  };

  it('substitutes metadata and resource outputs with Score escaping, and marks secret values', () => {
    const resolved = resolvePlaceholders(parseScoreFile(WORKLOAD, file), { resources });
    const main = resolved.containers[0]!;
    expect(main.args).toEqual(['--db', 'pg.internal:5432']);
    expect(main.variables).toEqual({
      NAME: 'orders',
      TEAM: 'payments',
      DATABASE_URL: 'postgres://u1:pw1@pg.internal/orders',
      LITERAL: '${NOT_A_PLACEHOLDER} costs $5',
      PORTS: '[5432,5433]',
    });
    expect(main.secretVariables).toEqual(['DATABASE_URL']);
    const files = Object.fromEntries(main.files.map((f) => [f.target, f]));
    expect(files['/etc/orders/app.conf']).toMatchObject({ content: Buffer.from('name=orders'), mode: 0o644, secret: false });
    expect(files['/etc/orders/raw.conf']!.content.toString()).toBe('name=${metadata.name}');
    expect(files['/etc/orders/blob.bin']!.content.toString()).toBe('hello world');
    expect(files['/etc/orders/from-source.txt']!.content.toString()).toBe('db at pg.internal');
    expect(main.volumes).toEqual([{ target: '/data', resource: 'data', source: '/var/lib/plinth/volumes/d1', readOnly: true }]);
    expect(main.livenessProbe).toEqual({ httpGet: { path: '/alive', port: 8080 } });
    expect(resolved.ports).toEqual([{ name: 'web', port: 80, targetPort: 8080, protocol: 'TCP' }]);
    expect(resolved.resources.find((r) => r.name === 'route')!.params).toEqual({ host: 'orders.dev.localhost', path: '/', port: 'web' });
    expect(resolved.annotations).toEqual({ 'example.com/team': 'payments' });
  });

  it('resolves one resource’s params against the outputs provisioned so far', () => {
    expect(resolveResourceParams(parseScoreFile(WORKLOAD, file), 'route', { dns: resources.dns })).toEqual({ host: 'orders.dev.localhost', path: '/', port: 'web' });
  });

  it.each([
    ['an unknown output', 'X: ${resources.db.hostname}', "8:10: ${resources.db.hostname}: key 'hostname' not found; resource 'db' outputs: host, port"],
    ['an unknown resource', 'X: ${resources.cache.host}', "8:10: ${resources.cache.host}: the workload has no resource 'cache' (it has: db)"],
    ['an unknown root', 'X: ${env.HOME}', "8:10: ${env.HOME}: unknown reference root 'env': use metadata or resources (write $${…} for a literal ${…})"],
    ['an unknown metadata key', 'X: ${metadata.owner}', "8:10: ${metadata.owner}: key 'owner' not found"],
  ])('rejects %s at its line and column', (_, variable, expected) => {
    const text = `apiVersion: score.dev/v1b1\nmetadata:\n  name: x1\ncontainers:\n  main:\n    image: a\n    variables:\n      ${variable}\nresources:\n  db:\n    type: postgres\n`;
    const error = plinthErrorOf(() => resolvePlaceholders(parseScoreFile(text, 'w.yaml'), { resources: { db: { outputs: { host: 'h', port: 1 }, secretOutputKeys: [] } } }));
    expect(error.code).toBe('SCORE_PLACEHOLDER_UNKNOWN');
    expect(error.toString()).toContain(`w.yaml:${expected}`);
  });

  it('a volume source must name a resource', () => {
    const text = 'apiVersion: score.dev/v1b1\nmetadata:\n  name: x1\ncontainers:\n  main:\n    image: a\n    volumes:\n      /data:\n        source: /host/path\n';
    expect(plinthErrorOf(() => resolvePlaceholders(parseScoreFile(text, 'v.yaml'), { resources: {} })).toString()).toBe("v.yaml:9:17: volume /data: source must name a resource of the workload as ${resources.<name>} (got '/host/path')");
  });

  it('an unreadable file source is a located error', () => {
    const text = 'apiVersion: score.dev/v1b1\nmetadata:\n  name: x1\ncontainers:\n  main:\n    image: a\n    files:\n      /a.txt:\n        source: ./missing.txt\n';
    expect(plinthErrorOf(() => resolvePlaceholders(parseScoreFile(text, path.join(dir, 's.yaml')), { resources: {} })).toString()).toMatch(/s\.yaml:9:17: file \/a\.txt: cannot read source '\.\/missing\.txt': ENOENT/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('scoreFilePathOf', () => {
  it('defaults to score.yaml, follows plinth.dev/score, refuses paths outside the source', () => {
    expect(scoreFilePathOf(undefined)).toBe('score.yaml');
    expect(scoreFilePathOf({ 'plinth.dev/score': './deploy/score.yaml' })).toBe('deploy/score.yaml');
    expect(() => scoreFilePathOf({ 'plinth.dev/score': '../other/score.yaml' })).toThrow(/must be a path inside the component's source directory/);
    expect(() => scoreFilePathOf({ 'plinth.dev/score': '/etc/score.yaml' })).toThrow(/must be a path inside/);
  });
});
