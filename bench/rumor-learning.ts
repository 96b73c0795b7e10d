/**
 * A young district learning from its curators (issue 27): `npx tsx bench/rumor-learning.ts`.
 *
 * The village wordings (../shared/eval/rumors/village-dev.jsonl, measuring only), in file order,
 * go through a district whose library starts with 3 entries of the village library; its curator
 * answers every suggestion correctly (simulated):
 * - the message repeats the candidate rumor → 是 S12 (the wording becomes an example);
 * - it repeats a rumor the library lacks → 辟谣 S12 <the rebuttal> (a new entry);
 * - otherwise (chat, another rumor than the candidate) → 忽略 S12 (a near miss of the candidate).
 * Figures per 20 messages: reply recall (the bot answered the right rumor by itself, of the
 * messages that repeat a rumor), wrong replies, curator load (suggestions). "before" is the
 * district as it was before issue 27 (the full library's reply cut-off at every size; the topic rule
 * cannot be switched off), then with the young library's cut-offs and no learning, then with both:
 * curators' 辟谣 entries grow the library in all three; 是 and 忽略 teach only in the last. Also pooled over `--draws` districts starting with 3 random entries. `--rounds 2` (the
 * default) replays the wordings a second time after the first, as a rumor goes round the villages
 * again: what the first round taught shows there.
 */
import { readFileSync } from 'node:fs';
import { loadRumorLibrary, type RumorEntry } from '../src/domain/rumor/library.ts';
import type { MatcherOptions } from '../src/domain/rumor/matcher.ts';
import { defaultRumorModel } from '../src/domain/rumor/model.ts';
import { LearningMatcher, learnedWording, type LearnedRecord } from '../src/domain/rumor/learning.ts';
import { parseEvalQueries, type EvalQuery } from '../src/features/rumors/eval.ts';
import { cutLibraries } from './rumor-size-curve.ts';

const DIR = process.env.RUMOR_EVAL_DIR ?? '../shared/eval/rumors';
const WINDOW = 20;

interface Window {
  positives: number;
  rightReplies: number;
  wrongReplies: number;
  load: number;
  /** Answered after a curator's 是 or 辟谣. */
  curatorAnswered: number;
  entries: number;
}

/** Replays the queries through a district starting with `start`; `learn`: whether 是 and 忽略 teach. */
export function replay(start: readonly RumorEntry[], all: readonly RumorEntry[], queries: readonly EvalQuery[], learn: boolean, options: MatcherOptions = {}): Window[] {
  const byId = new Map(all.map((e) => [e.id, e]));
  const entries = [...start];
  const records: LearnedRecord[] = [];
  let lm = new LearningMatcher(entries, records, options);
  const windows: Window[] = [];
  queries.forEach((q, i) => {
    if (i % WINDOW === 0) windows.push({ positives: 0, rightReplies: 0, wrongReplies: 0, load: 0, curatorAnswered: 0, entries: 0 });
    const w = windows[windows.length - 1];
    const inLibrary = q.expect !== null && entries.some((e) => e.id === q.expect);
    if (q.expect !== null) w.positives++;
    const r = lm.match(q.text);
    if (r.action === 'reply') {
      if (r.id === q.expect) w.rightReplies++;
      else w.wrongReplies++;
    } else if (r.action === 'suggest') {
      w.load++;
      const record = (kind: LearnedRecord['kind'], rumor: string) =>
        records.push({ code: `L${records.length + 1}`, kind, rumor, text: learnedWording(q.text), source: 'replay', decidedBy: 'curator', suggestion: `S${i + 1}`, at: i });
      if (q.expect !== null && r.id === q.expect) {
        w.curatorAnswered++;
        if (learn) record('example', q.expect);
      } else if (q.expect !== null && !inLibrary) {
        // 辟谣 S12 <反驳>: a new entry from the message and the curator's rebuttal.
        w.curatorAnswered++;
        const known = byId.get(q.expect)!;
        entries.push({ id: q.expect, claim: learnedWording(q.text).slice(0, 60), rebuttal: known.rebuttal, examples: [learnedWording(q.text)], urls: [], category: 'curator', source: 'replay' });
      } else if (learn && r.id) {
        record('near-miss', r.id);
      }
      lm = new LearningMatcher(entries, records, options);
    }
    w.entries = entries.length;
  });
  return windows;
}

function print(name: string, windows: readonly Window[]): void {
  const total = windows.reduce((a, w) => ({ positives: a.positives + w.positives, right: a.right + w.rightReplies, wrong: a.wrong + w.wrongReplies, load: a.load + w.load, cur: a.cur + w.curatorAnswered }), { positives: 0, right: 0, wrong: 0, load: 0, cur: 0 });
  console.log(`${name}: reply recall ${windows.map((w) => `${w.rightReplies}/${w.positives}`).join('  ')} | wrong replies ${windows.map((w) => w.wrongReplies).join(' ')} | curator load ${windows.map((w) => w.load).join(' ')} | entries ${windows.map((w) => w.entries).join(' ')}`);
  console.log(`${' '.repeat(name.length)}  total: replied by itself ${total.right}/${total.positives} (${(total.right / total.positives).toFixed(3)}), after a curator ${total.cur}, wrong replies ${total.wrong}, suggestions ${total.load}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const library = await loadRumorLibrary(`${DIR}/village-library.yaml`);
  let queries = parseEvalQueries(readFileSync(`${DIR}/village-dev.jsonl`, 'utf8')).queries;
  const drawsAt = process.argv.indexOf('--draws');
  const draws = drawsAt > 0 ? Number(process.argv[drawsAt + 1]) : 10;
  const roundsAt = process.argv.indexOf('--rounds');
  const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 2;
  const once = queries;
  queries = Array.from({ length: rounds }, () => once).flat();
  console.log(`village wordings in order (${once.length}, ${rounds} rounds), per ${WINDOW} messages; district starts with 3 entries`);
  const fullCutOff: MatcherOptions = { model: { ...defaultRumorModel(), replyAtBySize: undefined } };
  for (const [learn, options, label] of [
    [false, fullCutOff, 'before issue 27 (the full library\'s cut-off at every size; only 辟谣 entries grow the library)'],
    [false, {}, 'young-library cut-offs, no learning (only 辟谣 entries grow the library)'],
    [true, {}, 'after (young-library cut-offs; 是 adds an example, 忽略 a near miss)'],
  ] as const) {
    console.log(`\n${label}`);
    const cuts = cutLibraries(library, 3, draws);
    print(`  first 3 entries`, replay(cuts[0], library, queries, learn, options));
    const pooled = cuts.map((c) => replay(c, library, queries, learn, options));
    const sum = pooled[0].map((_, k) => pooled.reduce((a, ws) => ({
      positives: a.positives + ws[k].positives, rightReplies: a.rightReplies + ws[k].rightReplies, wrongReplies: a.wrongReplies + ws[k].wrongReplies,
      load: a.load + ws[k].load, curatorAnswered: a.curatorAnswered + ws[k].curatorAnswered, entries: a.entries + ws[k].entries,
    }), { positives: 0, rightReplies: 0, wrongReplies: 0, load: 0, curatorAnswered: 0, entries: 0 }));
    print(`  ${draws} districts, summed`, sum);
  }
}
