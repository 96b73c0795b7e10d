/**
 * Agreement of the matcher's same/different decision with people's labels on message pairs:
 * `npx tsx bench/cofacts-pairs.ts [../shared/eval/rumors/cofacts-pairs.jsonl]`
 * (from the repository root; `--hand` for the hand thresholds instead of the learned decision;
 * COFACTS_RAW_DEDUPE=1 for the earlier entry identity by trimmed raw text).
 *
 * Input: JSON lines `{"a": "…", "b": "…", "same": true|false}` (Traditional Chinese LINE
 * messages). Every `a` becomes a library entry (so IDF is computed over all of them); each `b`
 * is matched against that library, and the pair is judged "same" when the best match is an
 * entry with the same text as its `a` (texts equal after normalization are one entry). Reported at reply level (action = reply) and at
 * suggest level (reply or suggest), with a plain bigram-Dice baseline at 0.3 and 0.7.
 */
import { readFileSync } from 'node:fs';
import { RumorMatcher, type MatcherOptions } from '../src/domain/rumor/matcher.ts';
import { normalizeMessage } from '../src/domain/rumor/normalize.ts';

interface Pair {
  a: string;
  b: string;
  same: boolean;
}

/** Agreement of the matcher with the pair labels (percentages) and the reply-level confusion. */
export function cofactsAgreement(file: string, options: MatcherOptions = {}) {
  const pairs: Pair[] = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Pair);
  const matcher = new RumorMatcher([], options);
  const idOfText = new Map<string, string>();
  pairs.forEach((p, i) => {
    const key = sameText(p.a);
    if (idOfText.has(key)) return;
    const id = `P${i}`;
    idOfText.set(key, id);
    matcher.add({ id, claim: p.a, rebuttal: '-', examples: [], urls: [], category: 'pair', source: 'cofacts' });
  });
  const tally = { reply: 0, suggest: 0, dice03: 0, dice07: 0 };
  const confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const p of pairs) {
    const r = matcher.match(p.b);
    const own = idOfText.get(sameText(p.a));
    const sameReply = r.id === own && r.action === 'reply';
    const sameSuggest = r.id === own && r.action !== 'ignore';
    if (sameReply === p.same) tally.reply++;
    if (sameSuggest === p.same) tally.suggest++;
    const d = dice(p.a, p.b);
    if (d >= 0.3 === p.same) tally.dice03++;
    if (d >= 0.7 === p.same) tally.dice07++;
    if (sameReply && p.same) confusion.tp++;
    else if (sameReply) confusion.fp++;
    else if (p.same) confusion.fn++;
    else confusion.tn++;
  }
  const pct = (n: number) => Math.round((100 * n) / pairs.length);
  return { pairs: pairs.length, same: pairs.filter((p) => p.same).length, reply: pct(tally.reply), suggest: pct(tally.suggest), dice03: pct(tally.dice03), dice07: pct(tally.dice07), ...confusion };
}

/**
 * Two `a` texts that normalize to the same key (they differ only in spaces, punctuation, emoji,
 * script) are one library entry; otherwise a `b` equal to both is "wrong" for one of them.
 */
function sameText(text: string): string {
  return process.env.COFACTS_RAW_DEDUPE === '1' ? text.trim() : normalizeMessage(text).key;
}

function bigrams(text: string): Set<string> {
  const chars = [...normalizeMessage(text).key];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1]);
  return out;
}
function dice(a: string, b: string): number {
  const x = bigrams(a);
  const y = bigrams(b);
  let shared = 0;
  for (const g of x) if (y.has(g)) shared++;
  return x.size + y.size === 0 ? 0 : (2 * shared) / (x.size + y.size);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '../shared/eval/rumors/cofacts-pairs.jsonl';
  const r = cofactsAgreement(file, process.argv.includes('--hand') ? { model: null } : {});
  console.log(`pairs: ${r.pairs} (${r.same} labelled same)`);
  console.log(`matcher, same = reply:            agreement ${r.reply}%  tp ${r.tp} fp ${r.fp} fn ${r.fn} tn ${r.tn}`);
  console.log(`matcher, same = reply or suggest: agreement ${r.suggest}%`);
  console.log(`baseline bigram Dice >= 0.3:      agreement ${r.dice03}%`);
  console.log(`baseline bigram Dice >= 0.7:      agreement ${r.dice07}%`);
}
