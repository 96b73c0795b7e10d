import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { indexRumors, parseRumorLibrary, RumorLibraryError } from '../../../src/domain/rumor/library.ts';

const ok = `rumors:
  - id: A1
    claim: 某个说法
    rebuttal: 某个回应
    examples: [ "某种说法的转发" ]
    category: epidemic
    source: 某部门
`;

describe('parseRumorLibrary', () => {
  it('parses a valid library, defaulting urls and source', () => {
    const [entry] = parseRumorLibrary(ok.replace('    source: 某部门\n', ''), 'lib.yaml');
    expect(entry).toEqual({
      id: 'A1', claim: '某个说法', rebuttal: '某个回应', examples: ['某种说法的转发'], urls: [], category: 'epidemic', source: '',
    });
  });

  it('names the file, the entry and the field when a required field is missing', () => {
    const text = `rumors:\n  - id: A1\n    claim: c\n    rebuttal: r\n    category: x\n  - id: B2\n    claim: c\n    category: x\n`;
    expect(() => parseRumorLibrary(text, 'lib.yaml')).toThrow(RumorLibraryError);
    expect(() => parseRumorLibrary(text, 'lib.yaml')).toThrow('lib.yaml: rumors[1] (id B2): missing required field "rebuttal"');
  });

  it('reports an entry without id by its index', () => {
    const text = `rumors:\n  - claim: c\n    rebuttal: r\n    category: x\n`;
    expect(() => parseRumorLibrary(text, 'f.yaml')).toThrow('f.yaml: rumors[0]: missing required field "id"');
  });

  it('rejects malformed lists, duplicate ids and a missing rumors key', () => {
    expect(() => parseRumorLibrary(ok.replace('[ "某种说法的转发" ]', 'oops'), 'f.yaml')).toThrow('field "examples"');
    expect(() => parseRumorLibrary(ok + ok.replace('rumors:\n', ''), 'f.yaml')).toThrow('duplicate id "A1"');
    expect(() => parseRumorLibrary('other: 1', 'f.yaml')).toThrow('f.yaml: expected a top-level "rumors:" list');
    expect(() => parseRumorLibrary('rumors: [', 'f.yaml')).toThrow('f.yaml:2: invalid YAML');
  });

  it('indexes entries by id', () => {
    const index = indexRumors(parseRumorLibrary(ok, 'f.yaml'));
    expect(index.get('A1')?.claim).toBe('某个说法');
  });

  it('the project library is valid, has 30+ entries, each with examples and a source', () => {
    const entries = parseRumorLibrary(readFileSync('config/rumors.yaml', 'utf8'), 'config/rumors.yaml');
    expect(entries.length).toBeGreaterThanOrEqual(30);
    for (const e of entries) {
      expect(e.examples.length, e.id).toBeGreaterThanOrEqual(2);
      expect(e.source, e.id).not.toBe('');
    }
  });

  it('reads a JSON library (the fast path) like the same library in YAML, and validates it the same way', () => {
    const fromYaml = parseRumorLibrary(ok, 'lib.yaml');
    expect(parseRumorLibrary(JSON.stringify({ rumors: fromYaml }), 'lib.json')).toEqual(fromYaml);
    // A YAML flow mapping opens with { too but is not JSON: the YAML parser reads it.
    expect(parseRumorLibrary('{rumors: [{id: A1, claim: 说法, rebuttal: 回应, category: x}]}', 'flow.yaml')[0]).toMatchObject({ id: 'A1', claim: '说法' });
    expect(() => parseRumorLibrary(JSON.stringify({ rumors: [{ id: 'A1', claim: '说法', category: 'x' }] }), 'lib.json')).toThrow('missing required field "rebuttal"');
  });
});
