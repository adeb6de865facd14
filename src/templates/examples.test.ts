import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXAMPLES_DIR } from '../server/demo.js';
import { dryRunTemplate } from './dry-run.js';
import { createOfflineActions } from './scaffolder-actions/builtin-actions.js';
import { locateTemplateInFile, type TemplateEntity } from './template-spec.js';

const actions = new Map(createOfflineActions().map((a) => [a.id, a]));

async function render(template: string, values: Record<string, unknown>) {
  const file = path.join(EXAMPLES_DIR, 'templates', template, 'template.yaml');
  const entity = parse(readFileSync(file, 'utf8')) as TemplateEntity;
  const result = await dryRunTemplate({ template: entity, values, source: file, locate: await locateTemplateInFile(file, entity), actions, getEntity: async () => undefined }, 'user:default/alice');
  return { result, files: Object.fromEntries(result.directoryContents.map((f) => [f.path, Buffer.from(f.base64Content, 'base64').toString('utf8')])) };
}

describe('golden-path templates in examples/templates', () => {
  it.each([
    ['nodejs-service', ['package.json', 'src/server.js', 'src/database.js', 'test/server.test.js', 'catalog-info.yaml', 'score.yaml', '.github/workflows/ci.yml', 'docs/index.md', 'mkdocs.yml', 'README.md']],
    ['docs-site', ['catalog-info.yaml', 'mkdocs.yml', 'docs/index.md', 'docs/getting-started.md', 'scripts/build.mjs', '.github/workflows/ci.yml']],
    ['library', ['package.json', 'src/index.js', 'src/index.d.ts', 'test/index.test.js', 'catalog-info.yaml', 'README.md', '.github/workflows/ci.yml']],
  ])('%s renders every file, publishes and registers (dry run)', async (template, expected) => {
    const { result, files } = await render(template, { name: 'sample-app', owner: 'group:default/web-team', repoUrl: 'plinth?owner=default&repo=sample-app' });
    expect(Object.keys(files).sort()).toEqual([...expected].sort());
    for (const [name, content] of Object.entries(files)) if (!name.startsWith('.github/')) expect(content, name).not.toMatch(/\$\{\{/);
    expect(parse(files['catalog-info.yaml']!)).toMatchObject({ kind: 'Component', metadata: { name: 'sample-app' }, spec: { owner: 'group:default/web-team' } });
    expect(result.steps.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    expect(result.output).toMatchObject({ links: [{ title: 'Repository' }, { title: 'Open in catalog', entityRef: 'component:default/sample-app' }] });
  });

  it("nodejs-service's score.yaml asks for a postgres database and maps its outputs to variables", async () => {
    const { files } = await render('nodejs-service', { name: 'sample-app', owner: 'group:default/web-team', repoUrl: 'plinth?owner=default&repo=sample-app' });
    const score = parse(files['score.yaml']!);
    expect(score).toMatchObject({ apiVersion: 'score.dev/v1b1', metadata: { name: 'sample-app' }, resources: { db: { type: 'postgres' } } });
    expect(Object.keys(score.containers)).toHaveLength(1);
    expect(score.containers.main.variables).toMatchObject({ DATABASE_HOST: '${resources.db.host}', DATABASE_PASSWORD: '${resources.db.password}' });
    expect(parse(files['catalog-info.yaml']!).metadata.annotations['plinth.dev/score']).toBe('./score.yaml');
  });

  it('examples/services/restock-planner is exactly what nodejs-service renders for its values', async () => {
    const values = parse(readFileSync(path.join(EXAMPLES_DIR, 'services', 'restock-planner.values.yaml'), 'utf8'));
    const { files } = await render('nodejs-service', values);
    const dir = path.join(EXAMPLES_DIR, 'services', 'restock-planner');
    const committed: Record<string, string> = {};
    const walk = (at: string) => {
      for (const name of readdirSync(at)) {
        const full = path.join(at, name);
        if (statSync(full).isDirectory()) walk(full);
        else committed[path.relative(dir, full)] = readFileSync(full, 'utf8');
      }
    };
    walk(dir);
    expect(committed).toEqual(files);
  });
});
