import { describe, expect, it } from 'vitest';
import { plinthErrorOf } from '../../test/support/errors.js';
import { createResourceDrivers, DEFAULT_RESOURCE_DRIVERS_CONFIG } from '../resources/index.js';
import { matchResourceDefinition, parseResourceDefinitionsFile, type ResourceDefinition } from './resource-definitions.js';

const DRIVERS = new Set(['postgres', 'redis', 'volume', 'command']);
const BUILT_IN = new Set(['postgres', 'redis', 'volume']);

const FILE = `- name: pg-default
  type: postgres
  driver: postgres
- name: pg-production
  type: postgres
  driver: postgres
  params: { adminUrl: "postgres://admin@prod-db:5432/postgres" }
  criteria: { environmentType: production }
- name: pg-orders-prod
  type: postgres
  driver: postgres
  criteria: { environmentType: production, component: orders }
- name: pg-large
  type: postgres
  class: large
  driver: postgres
- name: pg-shared-ledger
  type: postgres
  id: ledger
  driver: postgres
- name: pg-staging
  type: postgres
  driver: postgres
  criteria: { environment: staging }
- name: s3
  type: s3
  driver: command
  params: { command: ["/opt/provisioners/s3"], secretOutputs: [secret_key] }
`;


describe('resource definitions', () => {
  const definitions: ResourceDefinition[] = parseResourceDefinitionsFile(FILE, 'definitions.yaml', DRIVERS);
  const ask = (over: Partial<Parameters<typeof matchResourceDefinition>[1]> = {}) =>
    matchResourceDefinition(definitions, { type: 'postgres', class: 'default', id: null, environment: 'dev', environmentType: 'development', component: 'catalog', ...over }, BUILT_IN).name;

  it('the most specific matching definition wins', () => {
    expect(ask()).toBe('pg-default');
    expect(ask({ environmentType: 'production', environment: 'prod' })).toBe('pg-production');
    expect(ask({ environmentType: 'production', environment: 'prod', component: 'orders' })).toBe('pg-orders-prod');
    expect(ask({ class: 'large', environmentType: 'production', component: 'orders' })).toBe('pg-large');
    expect(ask({ id: 'ledger', class: 'large' })).toBe('pg-shared-ledger');
    expect(ask({ environment: 'staging', environmentType: 'production', component: 'orders' })).toBe('pg-staging');
    expect(matchResourceDefinition(definitions, { type: 's3', class: 'default', environment: 'dev', environmentType: 'development', component: 'x' }).params).toEqual({ command: ['/opt/provisioners/s3'], secretOutputs: ['secret_key'] });
  });

  it('a built-in type without a definition gets its default one', () => {
    expect(matchResourceDefinition([], { type: 'redis', class: 'default', environment: 'dev', environmentType: 'development', component: 'x' }, BUILT_IN)).toEqual({ name: 'default-redis', type: 'redis', driver: 'redis', params: {}, criteria: {} });
  });

  it('an unknown type names the type and the known ones', () => {
    const error = plinthErrorOf(() => matchResourceDefinition(definitions, { type: 'Resource-One', class: 'default', environment: 'dev', environmentType: 'development', component: 'x' }, BUILT_IN));
    expect(error.code).toBe('RESOURCE_TYPE_UNKNOWN');
    expect(error.message).toBe("no provisioner for resource type 'Resource-One', class 'default' for component x in environment dev (type development): the known types are postgres, redis, s3, volume");
  });

  it('a type whose definitions all miss says what was asked and what exists', () => {
    const only = parseResourceDefinitionsFile('- name: s3-prod\n  type: s3\n  driver: command\n  params: { command: [x] }\n  criteria: { environmentType: production }\n', 'd.yaml', DRIVERS);
    expect(plinthErrorOf(() => matchResourceDefinition(only, { type: 's3', class: 'default', environment: 'dev', environmentType: 'development', component: 'x' })).message).toBe(
      "no resource definition matches type 's3', class 'default' for component x in environment dev (type development); definitions of type s3: s3-prod (environment type production)",
    );
  });

  it.each([
    ['a misspelt setting', '- name: a\n  type: postgres\n  driver: postgres\n  params:\n    adminURL: postgres://x@db/postgres\n', "d.yaml:5:5: definition a: unknown setting 'adminURL' for driver postgres (known: adminUrl, host, port)"],
    ['a setting of the wrong form', '- name: a\n  type: redis\n  driver: redis\n  params:\n    url: http://cache:6379\n', 'd.yaml:5:10: definition a: params.url must match pattern "^(redis|rediss)://"'],
    ['a command that is not a list', '- name: a\n  type: s3\n  driver: command\n  params:\n    command: /opt/s3\n', 'd.yaml:5:14: definition a: params.command must be array'],
  ])('checks a definition’s params against its driver’s settings: %s', (_, text, expected) => {
    const drivers = createResourceDrivers({ ...DEFAULT_RESOURCE_DRIVERS_CONFIG, dataDir: '/nonexistent', passwordSeed: 'x' });
    expect(plinthErrorOf(() => parseResourceDefinitionsFile(text, 'd.yaml', drivers)).toString()).toBe(expected);
  });

  it.each([
    ['an unknown driver', '- name: a\n  type: postgres\n  driver: postgress\n', "d.yaml:3:11: definition a: unknown driver 'postgress' (known: command, postgres, redis, volume)"],
    ['an unknown field', '- name: a\n  type: postgres\n  driver: postgres\n  paramz: {}\n', "d.yaml:4:3: definition 1: unknown field 'paramz'"],
    ['a missing type', '- name: a\n  driver: postgres\n', "d.yaml:1:3: definition 1: missing required field 'type'"],
    ['a command without its command', '- name: a\n  type: s3\n  driver: command\n  params: {}\n', "d.yaml:4:11: definition a: driver command needs params.command, the program and its arguments as a list (or Score's params.uri: cmd://…)"],
    ['a duplicate name', '- name: a\n  type: postgres\n  driver: postgres\n- name: a\n  type: redis\n  driver: redis\n', "d.yaml:4:9: definition name 'a' is used twice (also definition 1)"],
    ['two definitions with one selector', '- name: a\n  type: postgres\n  driver: postgres\n- name: b\n  type: postgres\n  driver: postgres\n', 'd.yaml:4:3: definitions a and b match exactly the same resources; make one more specific'],
    ['an unknown criterion', '- name: a\n  type: postgres\n  driver: postgres\n  criteria: { team: x }\n', "d.yaml:4:15: definition 1.criteria: unknown field 'team'"],
  ])('rejects %s with a located error', (_, text, expected) => {
    const error = plinthErrorOf(() => parseResourceDefinitionsFile(text, 'd.yaml', DRIVERS));
    expect(error.code).toBe('RESOURCE_DEFINITION_INVALID');
    expect(error.toString()).toBe(expected);
  });
});
