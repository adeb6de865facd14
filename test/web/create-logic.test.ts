import { describe, expect, it } from 'vitest';
import type { FieldSchema } from '../../web/src/api/scaffolder.js';
import { catalogFilterOf, displayValue, formatRepoUrl, orderedProperties, parseRepoUrl, validateStep, withDefaults } from '../../web/src/pages/create/form-values.js';
import { parseCreatePath } from '../../web/src/pages/create/create-paths.js';
import { matchesTemplate } from '../../web/src/pages/create/template-gallery.js';
import { formatDuration } from '../../web/src/pages/create/task-page.js';
import { parseRepositoryPath, repositoryPath } from '../../web/src/pages/repositories/repository-paths.js';

/** The Create and repository pages' pure logic, without a browser. */

const step: FieldSchema = {
  required: ['name', 'owner', 'repoUrl', 'port'],
  properties: {
    name: { title: 'Name', type: 'string', 'ui:field': 'EntityNamePicker' },
    owner: { title: 'Owner', type: 'string', 'ui:field': 'OwnerPicker' },
    repoUrl: { title: 'Repository', type: 'string', 'ui:field': 'RepoUrlPicker' },
    port: { title: 'Port', type: 'integer', minimum: 1024, maximum: 65535, default: 8080 },
    slug: { title: 'Slug', type: 'string', pattern: '^[a-z-]+$', maxLength: 10 },
    language: { title: 'Language', type: 'string', enum: ['ts', 'go'], enumNames: ['TypeScript', 'Go'] },
    tags: { title: 'Tags', type: 'array', items: { type: 'string', minLength: 2 }, maxItems: 3, uniqueItems: true },
    database: { title: 'Database', type: 'object', required: ['size'], properties: { size: { title: 'Size', type: 'string', enum: ['s', 'm'] }, replicas: { type: 'number', default: 1 } } },
  },
};

describe('the template wizard', () => {
  it('fills defaults, nested ones too', () => {
    expect(withDefaults(step, { name: 'x' })).toEqual({ name: 'x', port: 8080, database: { replicas: 1 } });
    expect(withDefaults(step, { port: 9000, database: { replicas: 3 } })).toMatchObject({ port: 9000, database: { replicas: 3 } });
  });

  it('says what is wrong with each field before moving on', () => {
    expect(validateStep(step, withDefaults(step, {}))).toEqual({
      name: 'Name is required.',
      owner: 'Owner is required.',
      repoUrl: 'Repository is required.',
      'database.size': 'Size is required.',
    });
    const errors = validateStep(step, {
      name: '-bad-',
      owner: 'group:default/a',
      repoUrl: formatRepoUrl('plinth.local', 'team-a', ''),
      port: 80,
      slug: 'UPPER',
      language: 'rust',
      tags: ['ok', 'ok'],
      database: { size: 's' },
    });
    expect(errors).toEqual({
      name: 'Name must be 1–63 letters, digits, “-”, “_” or “.”, starting and ending with a letter or digit.',
      repoUrl: 'Repository: enter a repository name.',
      port: 'Port must be at least 1024.',
      slug: 'Slug does not have the expected form (^[a-z-]+$).',
      language: 'Language must be one of ts, go.',
      tags: 'Tags has the same entry twice.',
    });
    expect(validateStep(step, { tags: ['a'] }).tags).toBe('Tags #1 must be at least 2 characters.');
    expect(validateStep(step, { port: 1.5 }).port).toBe('Port must be a whole number.');
    expect(validateStep(step, { repoUrl: formatRepoUrl('h', '', 'x') }).repoUrl).toBe('Repository: choose an owner (namespace).');
    const valid = { name: 'shop', owner: 'group:default/a', repoUrl: formatRepoUrl('h:7007', 'team-a', 'shop'), port: 8080, database: { size: 'm' } };
    expect(validateStep(step, valid)).toEqual({});
  });

  it('produces and reads RepoUrlPicker values as Backstage does', () => {
    const value = formatRepoUrl('127.0.0.1:7007', 'team-a', 'shop');
    expect(value).toBe('127.0.0.1:7007?owner=team-a&repo=shop');
    expect(parseRepoUrl(value)).toEqual({ host: '127.0.0.1:7007', owner: 'team-a', repo: 'shop' });
  });

  it('turns catalogFilter and allowedKinds into by-query filters', () => {
    expect(catalogFilterOf({ catalogFilter: { kind: ['Group', 'User'], 'spec.type': 'team' } })).toEqual(['kind=Group,kind=User,spec.type=team']);
    expect(catalogFilterOf({ catalogFilter: [{ kind: 'Group' }, { kind: 'User' }] })).toEqual(['kind=Group', 'kind=User']);
    expect(catalogFilterOf({ allowedKinds: ['Component', 'API'] })).toEqual(['kind=component,kind=api']);
    expect(catalogFilterOf(undefined, ['Group', 'User'])).toEqual(['kind=group,kind=user']);
    expect(catalogFilterOf(undefined)).toEqual([]);
  });

  it('orders fields by ui:order and shows values for review, secrets hidden', () => {
    expect(orderedProperties({ 'ui:order': ['b', '*', 'a'], properties: { a: {}, b: {}, c: {} } }).map(([k]) => k)).toEqual(['b', 'c', 'a']);
    expect(displayValue({ 'ui:widget': 'password' }, 'hunter2')).toBe('••••••••');
    expect(displayValue(step.properties!.language!, 'go')).toBe('Go');
    expect(displayValue({ type: 'boolean' }, false)).toBe('No');
    expect(displayValue({}, undefined)).toBe('—');
  });
});

describe('Create routes, gallery and task page', () => {
  it('parses its paths', () => {
    expect(parseCreatePath('/create')).toEqual({ page: 'gallery' });
    expect(parseCreatePath('/create/edit/')).toEqual({ page: 'editor' });
    expect(parseCreatePath('/create/templates/default/node%20svc')).toEqual({ page: 'wizard', namespace: 'default', name: 'node svc' });
    expect(parseCreatePath('/create/tasks/abc')).toEqual({ page: 'task', id: 'abc' });
    expect(parseCreatePath('/create/nope')).toEqual({ page: 'unknown' });
  });

  it('searches templates by text and tag', () => {
    const template = { kind: 'Template', metadata: { name: 'node', title: 'Node.js service', tags: ['nodejs', 'recommended'] }, spec: { type: 'service' } };
    expect(matchesTemplate(template, 'node.js', null)).toBe(true);
    expect(matchesTemplate(template, 'SERVICE', 'nodejs')).toBe(true);
    expect(matchesTemplate(template, '', 'go')).toBe(false);
    expect(matchesTemplate(template, 'python', null)).toBe(false);
  });

  it('formats step durations', () => {
    expect([formatDuration(undefined), formatDuration(340), formatDuration(2500), formatDuration(125_000)]).toEqual(['', '340 ms', '2.5 s', '2 min 5 s']);
  });
});

describe('repository paths', () => {
  it('round-trips branches with slashes and nested paths', () => {
    const location = { namespace: 'default', name: 'shop', view: 'blob' as const, ref: 'feature/x', path: 'src/a b/c.ts' };
    const url = repositoryPath(location);
    expect(url).toBe('/repositories/default/shop/blob/feature%2Fx/src/a%20b/c.ts');
    expect(parseRepositoryPath(url)).toEqual(location);
    expect(repositoryPath({ namespace: 'default', name: 'shop' })).toBe('/repositories/default/shop');
    expect(parseRepositoryPath('/repositories/default/shop')).toEqual({ namespace: 'default', name: 'shop', view: 'tree', ref: undefined, path: '' });
    expect(parseRepositoryPath('/repositories/default/shop/oops/main')).toBeUndefined();
  });
});
