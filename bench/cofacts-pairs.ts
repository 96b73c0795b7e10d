/**
 * Agreement of the matcher's same/different decision with people's labels on message pairs:
 * `npx tsx bench/cofacts-pairs.ts [/work/shared/eval/rumors/cofacts-pairs.jsonl]`.
 *
 * Input: JSON lines `{"a": "…", "b": "…", "same": true|false}` (Traditional Chinese LINE
 * messages). Every `a` becomes a library entry (so IDF is computed over all of them); each `b`
 * is matched against that library, and the pair is judged "same" when the best match is an
 * entry with the same text as its `a`. Reported at reply level (action = reply) and at
 * suggest level (reply or suggest), with a plain bigram-Dice baseline at 0.3 and 0.7.
 */
import { readFileSync } from 'node:fs';
import { RumorMatcher } from '../src/domain/rumor/matcher.ts';
import { normalizeMessage } from '../src/domain/rumor/normalize.ts';

interface Pair {
  a: string;
  b: string;
  same: boolean;
}

const file = process.argv[2] ?? '/work/shared/eval/rumors/cofacts-pairs.jsonl';
const pairs: Pair[] = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Pair);

const matcher = new RumorMatcher();
const idOfText = new Map<string, string>();
pairs.forEach((p, i) => {
  const key = p.a.trim();
  if (idOfText.has(key)) return;
  const id = `P${i}`;
  idOfText.set(key, id);
  matcher.add({ id, claim: p.a, rebuttal: '-', examples: [], urls: [], category: 'pair', source: 'cofacts' });
});

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

const tally = { reply: 0, suggest: 0, dice03: 0, dice07: 0 };
const confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
for (const p of pairs) {
  const r = matcher.match(p.b);
  const own = idOfText.get(p.a.trim());
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
const pct = (n: number) => `${((100 * n) / pairs.length).toFixed(0)}% (${n}/${pairs.length})`;
console.log(`pairs: ${pairs.length} (${pairs.filter((p) => p.same).length} labelled same)`);
console.log(`matcher, same = reply:            agreement ${pct(tally.reply)}  tp ${confusion.tp} fp ${confusion.fp} fn ${confusion.fn} tn ${confusion.tn}`);
console.log(`matcher, same = reply or suggest: agreement ${pct(tally.suggest)}`);
console.log(`baseline bigram Dice >= 0.3:      agreement ${pct(tally.dice03)}`);
console.log(`baseline bigram Dice >= 0.7:      agreement ${pct(tally.dice07)}`);
