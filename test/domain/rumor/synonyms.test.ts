import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { SYNONYM_GROUPS, foldSynonyms } from '../../../src/domain/rumor/synonyms.ts';
import { parseRumorLibrary } from '../../../src/domain/rumor/library.ts';
import { RumorMatcher } from '../../../src/domain/rumor/matcher.ts';

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
});
