import { describe, expect, it } from 'vitest';
import { PlinthError } from './errors.js';
import { parseYamlDocumentsQuickly, parseYamlDocumentsSettled } from './yaml.js';

/** What the careful (position-keeping) parser makes of a text: non-null values with their first position. */
function carefully(text: string) {
  return parseYamlDocumentsSettled(text, 'f.yaml', 'CATALOG_FILE_INVALID').flatMap((document) => {
    if (document instanceof PlinthError) throw document;
    if (document.value === null) return [];
    const { line, column } = document.locate([]);
    return [{ value: document.value, line, column }];
  });
}

describe('parseYamlDocumentsQuickly', () => {
  const sameAsCareful = [
    'a: 1',
    '---\na: 1\n---\nb: [x, y]\n',
    '# leading comment\n---\n# doc comment\n  \nkind: Component\nmetadata:\n  name: x\n',
    'a: 1\n---\n---\nb: 2\n---\n# only a comment\n---\n',
    '---\na: 1\n...\n---\nb: 2\n',
    'a: |\n  line one\n  --- not a marker\nb: "2024-01-01"\nc: 0o17\nd: 0x1F\ne: .inf\nf: ~\ng: 2024-01-01\n',
    '- one\n- two\n',
    '--- # a comment on the marker\nname: x\n',
    'url: https://example.com/?a=1&b=2\nstar: a*b\n',
  ];
  it.each(sameAsCareful)('gives what the careful parser gives for %j', (text) => {
    expect(parseYamlDocumentsQuickly(text)).toEqual(carefully(text));
  });

  const needsCare = {
    'a syntax error': 'a: [1, 2\nb: 3',
    'a duplicate key': 'a: 1\na: 2\n',
    'an anchor and alias': 'a: &x {b: 1}\nc: *x\n',
    'a directive': '%YAML 1.2\n---\na: 1\n',
    'content on the marker line': '--- {a: 1}\n',
    'an explicit null document among others': 'a: 1\n---\nnull\n',
  };
  it.each(Object.entries(needsCare))('leaves %s to the careful parser', (_name, text) => {
    expect(parseYamlDocumentsQuickly(text)).toBeUndefined();
  });
});
