/**
 * Issue 27: a young library replies only when it is sure, and grows from curators' decisions.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseRumorLibrary, type RumorEntry } from '../../../src/domain/rumor/library.ts';
import { RumorMatcher } from '../../../src/domain/rumor/matcher.ts';
import { defaultRumorModel, replyCutOff } from '../../../src/domain/rumor/model.ts';
import { grownEntries, LearningMatcher, learnedWording, type LearnedRecord } from '../../../src/domain/rumor/learning.ts';
import { seededRandom } from '../../../src/domain/rumor/variants.ts';

const library = parseRumorLibrary(readFileSync('config/rumors.yaml', 'utf8'), 'config/rumors.yaml');
const entry = (id: string, claim: string, examples: string[] = []): RumorEntry => ({ id, claim, rebuttal: `${id} 的辟谣`, examples, urls: [], category: 'epidemic', source: '' });
const record = (code: string, kind: LearnedRecord['kind'], rumor: string, text: string, undone = false): LearnedRecord =>
  ({ code, kind, rumor, text: learnedWording(text), source: '西村村民群', decidedBy: 'zhang-guiying', at: 1, ...(undone ? { undone: { by: 'x', at: 2 } } : {}) });

describe('a young library', () => {
  it('reads its reply cut-off by library size: higher when small, the model\'s own when grown', () => {
    const model = defaultRumorModel();
    expect(model.replyAtBySize?.length).toBeGreaterThan(0);
    const at = [1, 3, 8, 21, 34, 1000].map((n) => replyCutOff(model, n));
    for (let i = 1; i < at.length; i++) expect(at[i]).toBeLessThanOrEqual(at[i - 1]);
    expect(at[0]).toBeGreaterThan(model.replyAt);
    expect(at[5]).toBe(model.replyAt);
  });

  it('does not answer the topic for the claim (the issue\'s wrong replies)', () => {
    const young = new RumorMatcher([
      entry('Y1', '打新冠疫苗要交钱', ['打一针新冠疫苗要交一百块钱，不交不给打']),
      entry('Y2', '吃抗生素可以预防新冠', ['头孢阿莫西林吃了就不会得新冠']),
      entry('Y3', '5G信号塔会传播新冠病毒'),
    ]);
    for (const text of ['打新冠疫苗会导致不孕吗？', '维生素C能预防新冠']) expect(young.match(text).action, text).not.toBe('reply');
    // The topic alone is not the claim, whatever the cut-off.
    const anySize = new RumorMatcher([entry('Y1', '打新冠疫苗要交钱')], { model: { ...defaultRumorModel(), replyAt: 0.05, replyAtBySize: undefined } });
    const r = anySize.match('打新冠疫苗要排多久的队');
    expect(r.action).not.toBe('reply');
    // …while the claim itself is answered.
    expect(young.match('打新冠疫苗要交钱，一针一百块').action).toBe('reply');
    // The 5-entry fixture: p ≈ 0.88 was a reply; now a curator decides, and --explain says why.
    const small = new RumorMatcher(parseRumorLibrary(readFileSync('test/fixtures/rumors-small.yaml', 'utf8'), 'rumors-small.yaml'));
    const r2 = small.match('板蓝根涨价了，一包要十块');
    expect(r2.action).toBe('suggest');
    expect(r2.reasons?.join(' ')).toMatch(/young library: 5 entries reply only at p ≥ 0\.9/);
  });

  it('replies precisely on the project paraphrases with libraries cut to 1, 3, 5 and 8 entries', () => {
    const queries = readFileSync('test/fixtures/rumor-paraphrases.jsonl', 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { text: string; expect: string | null });
    const rnd = seededRandom(5);
    let replies = 0;
    let right = 0;
    for (const n of [1, 3, 5, 8]) {
      for (let draw = 0; draw < 4; draw++) {
        const cut = [...library].sort(() => rnd() - 0.5).slice(0, n);
        const ids = new Set(cut.map((e) => e.id));
        const m = new RumorMatcher(cut);
        for (const q of queries) {
          const r = m.match(q.text);
          if (r.action !== 'reply') continue;
          replies++;
          if (q.expect !== null && ids.has(q.expect) && r.id === q.expect) right++;
        }
      }
    }
    expect(replies).toBeGreaterThan(0);
    expect(right / replies).toBeGreaterThanOrEqual(0.98);
  });
});

describe('learning from curators', () => {
  it('appends learned examples once, leaving out undone records and unknown rumors', () => {
    const grown = grownEntries(library, [
      record('L1', 'example', 'R14', '【转发】打了新冠疫苗以后就生不出孩子了！转给家人'),
      record('L2', 'example', 'R14', '打了新冠疫苗以后就生不出孩子了'),
      record('L3', 'example', 'R14', '疫苗针打了以后没法生娃', true),
      record('L4', 'example', 'R99', '没有这个谣言'),
      record('L5', 'near-miss', 'R14', '打疫苗要排队'),
    ]);
    const r14 = grown.find((e) => e.id === 'R14')!;
    const before = library.find((e) => e.id === 'R14')!;
    const learned = learnedWording('【转发】打了新冠疫苗以后就生不出孩子了！转给家人');
    expect(learned).not.toMatch(/转发|转给家人/);
    expect(r14.examples).toEqual([...before.examples, learned]);
    expect(grown.filter((e, i) => e !== library[i]).map((e) => e.id)).toEqual(['R14']);
  });

  it('answers a confirmed wording by itself and leaves a dismissed one alone', () => {
    const text = '打了新冠疫苗以后就生不出孩子了，谁家媳妇要打的先想想';
    const doubtful = '家里的高度白酒拿来擦手能消毒吗';
    const before = new LearningMatcher(library, []);
    expect(before.match(text)).toMatchObject({ id: 'R14', action: 'suggest' });
    expect(before.match(doubtful)).toMatchObject({ id: 'R01', action: 'suggest' });
    const after = new LearningMatcher(library, [record('L1', 'example', 'R14', text), record('L2', 'near-miss', 'R01', doubtful)]);
    expect(after.match(text)).toMatchObject({ id: 'R14', action: 'reply' });
    const dismissed = after.match(`${doubtful}？`);
    expect(dismissed.action).toBe('ignore');
    expect(dismissed.reasons?.join(' ')).toContain('L2');
    // A near miss holds only for its rumor and its wording: the rumor itself is still answered.
    expect(after.match('喝高度白酒可以杀死新冠病毒').action).toBe('reply');
    // Undone, it no longer counts.
    expect(new LearningMatcher(library, [record('L1', 'example', 'R14', text, true)]).match(text).action).toBe('suggest');
  });
});
