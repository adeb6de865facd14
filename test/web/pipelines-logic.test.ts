import { describe, expect, it } from 'vitest';
import type { PipelineJob } from '../../web/src/api/pipelines.js';
import type { Entity, EntityStatus } from '../../web/src/api/types.js';
import { repositoryCandidateOf } from '../../web/src/pages/catalog/entity-pipelines.js';
import { parseAnsi } from '../../web/src/pages/pipelines/ansi.js';
import { layoutJobGraph } from '../../web/src/pages/pipelines/job-graph.js';
import { renderSummary } from '../../web/src/pages/pipelines/markdown.js';
import { annotationHref } from '../../web/src/pages/pipelines/run-page.js';
import { formatDuration, statusOf } from '../../web/src/pages/pipelines/run-status.js';

/** The pipelines pages' pure logic, without a browser (the e2e test drives the pages themselves). */

describe('ANSI colours in log lines', () => {
  it('turns SGR codes into classes, resets, keeps bright and 256-colour indexes, and drops other escapes', () => {
    expect(parseAnsi('\x1b[1;31merror\x1b[0m plain \x1b[92mok\x1b[39m \x1b[38;5;4mblue\x1b[2K').segments).toEqual([
      { text: 'error', classes: ['ansi-fg-1', 'ansi-bold'] },
      { text: ' plain ', classes: [] },
      { text: 'ok', classes: ['ansi-fg-10'] },
      { text: ' ', classes: [] },
      { text: 'blue', classes: ['ansi-fg-4'] },
    ]);
  });
});

const job = (key: string, needs: string[], conclusion: PipelineJob['conclusion'] = 'success', id = Math.random()): PipelineJob => ({
  id,
  runId: 1,
  attempt: 1,
  outputs: {},
  key,
  name: key,
  matrix: null,
  needs,
  runsOn: [],
  status: 'completed',
  conclusion,
  concurrencyGroup: null,
  waitingFor: null,
  runner: null,
  steps: [],
  annotations: [],
  summary: null,
  error: null,
  startedAt: null,
  completedAt: null,
});

describe('the job graph', () => {
  it('puts each job one column after its deepest need, and matrix legs in one node', () => {
    const nodes = layoutJobGraph([job('build', []), job('lint', []), job('test', ['build']), job('test', ['build']), job('deploy', ['test', 'lint'])]);
    expect(nodes.map((n) => [n.key, n.column, n.row, n.jobs.length])).toEqual([
      ['build', 0, 0, 1],
      ['lint', 0, 1, 1],
      ['test', 1, 0, 2],
      ['deploy', 2, 0, 1],
    ]);
  });
});

describe('run page helpers', () => {
  it('links an annotation to the file browser at the run commit', () => {
    expect(annotationHref('default/web', 'abc123', { level: 'error', message: 'x', file: 'src/a b.ts', line: 12 })).toBe('/repositories/default/web/blob/abc123/src/a%20b.ts#L12');
    expect(annotationHref('default/web', 'abc123', { level: 'error', message: 'x' })).toBeUndefined();
  });

  it('renders a step summary without raw HTML or script links', () => {
    const html = renderSummary('### Done\n<script>alert(1)</script>\n[ok](https://example.com) [bad](javascript:alert(1))');
    expect(html).toContain('<h3>Done</h3>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<a href="https://example.com" rel="noopener noreferrer">ok</a>');
    expect(html).not.toContain('javascript:');
  });

  it('shows a cancelling run as cancelled, and durations', () => {
    expect(statusOf({ status: 'in_progress', conclusion: 'cancelled' })).toBe('cancelled');
    expect(statusOf({ status: 'completed', conclusion: 'failure' })).toBe('failure');
    expect(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T00:01:05Z')).toBe('1m 05s');
  });
});

describe("a catalog entity's Plinth-hosted repository (its Pipelines card)", () => {
  const component = (annotations: Record<string, string> = {}): Entity => ({ kind: 'Component', metadata: { name: 'shop', annotations }, spec: { type: 'service' } });
  const readFrom = (file: string | null): EntityStatus => ({ orphan: false, source: 'location:1', location: null, file, line: 1, problems: [] });

  it('is the plinth.dev/repository annotation first', () => {
    expect(repositoryCandidateOf(component({ 'plinth.dev/repository': ' default/shop ' }), readFrom('https://plinth.example/git/other/repo.git/blob/main/catalog-info.yaml'))).toEqual({ namespace: 'default', name: 'shop' });
    // Not <namespace>/<name>: the URLs are tried instead.
    expect(repositoryCandidateOf(component({ 'plinth.dev/repository': 'shop' }), readFrom(null))).toBeUndefined();
  });

  it('else a Plinth git URL: Backstage source annotations, then the descriptor file the catalog read (where catalog:register points after publish:plinth)', () => {
    const source = 'url:https://plinth.example/base/git/team/api.git/tree/main/';
    expect(repositoryCandidateOf(component({ 'backstage.io/source-location': source }), readFrom(null))).toEqual({ namespace: 'team', name: 'api', url: 'https://plinth.example/base/git/team/api.git/tree/main/' });
    const file = 'http://127.0.0.1:7007/git/default/shop.git/blob/main/catalog-info.yaml';
    expect(repositoryCandidateOf(component(), readFrom(file))).toEqual({ namespace: 'default', name: 'shop', url: file });
    expect(repositoryCandidateOf(component({ 'backstage.io/managed-by-location': `url:${file}` }), undefined)).toEqual({ namespace: 'default', name: 'shop', url: file });
  });

  it('is nothing for files and other forges', () => {
    expect(repositoryCandidateOf(component(), readFrom('/srv/catalog/catalog-info.yaml'))).toBeUndefined();
    expect(repositoryCandidateOf(component({ 'backstage.io/source-location': 'url:https://github.com/acme/shop/tree/main/' }), readFrom('https://github.com/acme/shop/blob/main/catalog-info.yaml'))).toBeUndefined();
    expect(repositoryCandidateOf(component(), undefined)).toBeUndefined();
  });
});
