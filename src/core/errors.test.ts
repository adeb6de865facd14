import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_KINDS, PlinthError } from './errors.js';

describe('error codes', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

  it('lists every code in docs/errors.md with its kind', () => {
    for (const [code, kind] of Object.entries(ERROR_CODES)) expect(doc, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${kind} \\|`));
  });

  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('prefixes every code by its area', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^(CONFIG|REQUEST|ROUTE|AUTH|SECRETS|STORE|QUEUE|CATALOG|REPOSITORY|TEMPLATE|PIPELINE|ENVIRONMENT|RELEASE|DEPLOYMENT|LOCAL_RUNTIME|SCORE|RESOURCE|KUBERNETES|CLI|INTERNAL)(_|$)/);
  });

  it('formats a located error as file:line:column', () => {
    const error = new PlinthError('CONFIG_INVALID', 'bad', { location: { file: 'a.yaml', line: 2, column: 5 } });
    expect(error.toString()).toBe('a.yaml:2:5: bad');
    expect(error.status).toBe(ERROR_KINDS.input.status);
  });
});
