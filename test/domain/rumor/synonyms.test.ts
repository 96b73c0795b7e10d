import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { SYNONYM_GROUPS, foldSynonyms } from '../../../src/domain/rumor/synonyms.ts';
import { parseRumorLibrary } from '../../../src/domain/rumor/library.ts';
import { RumorMatcher } from '../../../src/domain/rumor/matcher.ts';
import { seededRandom } from '../../../src/domain/rumor/variants.ts';

/**
 * The folding as it was first written: one alternation of every form, longest first, in a
 * global replace. The scan in synonyms.ts must give exactly what this gives.
 */
const CANONICAL = new Map<string, string>();
for (const [c, forms] of Object.entries(SYNONYM_GROUPS)) for (const f of [c, ...forms]) CANONICAL.set(f, c);
const ALTERNATION = new RegExp(
  [...CANONICAL.keys()].sort((a, b) => b.length - a.length).map((f) => f.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')).join('|'),
  'gu',
);

function foldByAlternation(text: string): string {
  return text
    .replace(ALTERNATION, (form) => CANONICAL.get(form) ?? form)
    .replace(/(?<![预以])防(?=新冠|病毒|疫情|感染|传染)/gu, '预防')
    .replace(/(?<!大)蒜(?![苗薹])/gu, '大蒜');
}

describe('synonym folding', () => {
  it('folds every way of naming the disease to one form, without doubling the canonical one', () => {
    for (const t of ['新型冠状病毒', '新冠肺炎', '冠状病毒', '新冠', '武汉肺炎', '新冠病毒']) expect(foldSynonyms(t), t).toBe('新冠病毒');
    expect(foldSynonyms('新冠病毒新冠')).toBe('新冠病毒新冠病毒');
  });

  it('prefers the longest form and leaves unrelated words alone', () => {
    expect(foldSynonyms('烟花爆竹')).toBe('鞭炮');
    expect(foldSynonyms('抽烟的人')).toBe('吸烟的人');
    expect(foldSynonyms('今天下雨了')).toBe('今天下雨了');
  });

  it('reads a bare 防 before the disease as 预防, and a bare 蒜 as garlic (not 蒜苗)', () => {
    expect(foldSynonyms('吃蒜能防新冠')).toBe('吃大蒜能预防新冠病毒');
    expect(foldSynonyms('蒜苗炒肉')).toBe('蒜苗炒肉');
    expect(foldSynonyms('以防万一')).toBe('以防万一');
  });

  it('no form belongs to two groups', () => {
    const seen = new Map<string, string>();
    for (const [canonical, forms] of Object.entries(SYNONYM_GROUPS)) {
      for (const f of forms) {
        expect(seen.get(f), `${f} in ${canonical} and ${seen.get(f)}`).toBeUndefined();
        seen.set(f, canonical);
      }
    }
  });

  it('lets a retelling in other words match its rumor', () => {
    const library = parseRumorLibrary(readFileSync('test/fixtures/rumors-small.yaml', 'utf8'), 'rumors-small.yaml');
    const m = new RumorMatcher(library);
    // 烧酒 and 杀灭 are the library's 白酒 and 杀死 in other words.
    expect(m.match('喝烧酒能杀灭新型冠状病毒').id).toBe('T01');
  });

  it('folds exactly as one longest-first alternation would, on the library, the paraphrases and random mixes of forms', () => {
    const texts: string[] = [];
    for (const e of parseRumorLibrary(readFileSync('config/rumors.yaml', 'utf8'), 'rumors.yaml')) texts.push(e.claim, ...e.examples);
    for (const line of readFileSync('test/fixtures/rumor-paraphrases.jsonl', 'utf8').split('\n')) if (line.trim()) texts.push((JSON.parse(line) as { text: string }).text);
    // Forms, their prefixes and suffixes (a form cut short must not fold), the characters the
    // bare-防/蒜 rules look around, an astral character, plain text.
    const pieces = ['防', '蒜', '大', '预', '以', '苗', '薹', '的', '能', 'c', '9', '😀', '，'];
    for (const [c, forms] of Object.entries(SYNONYM_GROUPS)) {
      for (const f of [c, ...forms]) pieces.push(f, f.slice(0, -1), f.slice(1));
    }
    const rnd = seededRandom(17);
    for (let i = 0; i < 3000; i++) {
      texts.push(Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => pieces[Math.floor(rnd() * pieces.length)]).join(''));
    }
    for (const t of texts) expect(foldSynonyms(t), t).toBe(foldByAlternation(t));
  });
});
