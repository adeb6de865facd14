import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Imports point down the layers of DESIGN.md. Each folder of src/ has a rank; a file may import
 * from its own folder and from folders of a lower rank only. Capabilities do not import each
 * other except through an index.ts (none do yet).
 */
const LAYERS: Record<string, number> = {
  core: 0,
  secrets: 1,
  store: 1,
  auth: 2,
  resources: 3,
  runtimes: 3,
  git: 3,
  catalog: 4,
  repositories: 4,
  templates: 4,
  pipelines: 4,
  environments: 4,
  deployments: 4,
  scorecards: 4,
  insights: 4,
  docs: 4,
  server: 5,
  cli: 6,
};
const NAMES = ['core', 'secrets and store', 'auth', 'drivers (resources, runtimes, git)', 'capabilities', 'server', 'cli'];

const src = path.resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') && !full.endsWith('.test.ts') ? [full] : [];
  });
}

describe('architecture', () => {
  it('every folder of src/ has a layer', () => {
    const folders = readdirSync(src).filter((name) => statSync(path.join(src, name)).isDirectory());
    expect(folders.filter((f) => !(f in LAYERS))).toEqual([]);
  });

  it('imports point down the layers only', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(src)) {
      const from = path.relative(src, file).split(path.sep)[0]!;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)) {
        const target = path.relative(src, path.resolve(path.dirname(file), match[1]!)).split(path.sep)[0]!;
        if (target === from || target.startsWith('..')) continue;
        const allowed = LAYERS[target]! < LAYERS[from]!;
        if (!allowed) {
          violations.push(`${path.relative(src, file)} imports ${match[1]}: ${from}/ (${NAMES[LAYERS[from]!]}) may import only from layers below it, not ${target}/ (${NAMES[LAYERS[target]!]})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
