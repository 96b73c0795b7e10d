import { describe, it, expect } from 'vitest';
import { VARIANT_KINDS, renumber, seededRandom, toTraditional, truncate, variantsOf, withChatter } from '../../../src/domain/rumor/variants.ts';
import { normalizeMessage } from '../../../src/domain/rumor/normalize.ts';

describe('generated variants', () => {
  const text = '喝板蓝根能预防新冠肺炎，每天喝2包';

  it('are deterministic for a seed, one of each kind', () => {
    const a = variantsOf(text, seededRandom(5), '板蓝根冲剂能防新冠');
    const b = variantsOf(text, seededRandom(5), '板蓝根冲剂能防新冠');
    expect(a).toEqual(b);
    expect(a.map((v) => v.kind)).toEqual([...VARIANT_KINDS]);
  });

  it('traditional characters normalize back to the same key', () => {
    const t = toTraditional(text);
    expect(t).not.toBe(text);
    expect(normalizeMessage(t).key).toBe(normalizeMessage(text).key);
  });

  it('truncation keeps a contiguous part of at least 55 %', () => {
    const rnd = seededRandom(1);
    for (let i = 0; i < 20; i++) {
      const t = truncate(text, rnd);
      expect(text).toContain(t);
      expect([...t].length).toBeGreaterThanOrEqual(Math.round([...text].length * 0.55));
    }
  });

  it('renumbering changes numbers only; chatter keeps the text whole', () => {
    const rnd = seededRandom(3);
    const r = renumber(text, rnd);
    expect(r.replace(/\d+/gu, '#')).toBe(text.replace(/\d+/gu, '#'));
    expect(withChatter(text, rnd)).toContain(text);
  });
});
