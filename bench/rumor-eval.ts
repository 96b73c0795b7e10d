/**
 * All rumor-matcher evaluation figures in one run (from the repository root):
 * `npx tsx bench/rumor-eval.ts [--hand] [--no-village]` (`--hand`: the hand thresholds instead of the
 * learned decision; `--no-village`: leave village-dev out, for work that must not look at it).
 *
 * CHECKED v2 and village-dev with `evaluate` (as `cascade rumor eval`), village-dev also by halves
 * (odd lines, even lines: the learned decision is trained on config/rumors.yaml only, so neither
 * half is tuned on), and the Cofacts pairs (bench/cofacts-pairs.ts). Evaluation files are read
 * from ../shared/eval/rumors/ (measuring only; nothing is copied into the project).
 *
 * Then the size curve (issue 27): each library cut to 1, 3, 5, 8, 13, 21, 34 entries (the first N
 * and seeded random draws, `--draws D`, 10 by default), queries relabelled so that a rumor missing
 * from the cut library must get no reply; pooled figures per size (bench/rumor-size-curve.ts).
 */
import { readFileSync } from 'node:fs';
import { loadRumorLibrary } from '../src/domain/rumor/library.ts';
import { RumorMatcher, type MatcherOptions } from '../src/domain/rumor/matcher.ts';
import { evaluate, parseEvalQueries, type EvalMetrics, type EvalQuery } from '../src/features/rumors/cli.ts';
import { cofactsAgreement } from './cofacts-pairs.ts';
import { CURVE_SIZES, curvePoint, formatPoint } from './rumor-size-curve.ts';

// `… | head` closes the pipe early: end quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const DIR = process.env.RUMOR_EVAL_DIR ?? '../shared/eval/rumors';
const options: MatcherOptions = process.argv.includes('--hand') ? { model: null } : {};
const fmt = (m: EvalMetrics) =>
  `P ${m.replyPrecision.toFixed(3)} (${m.correctReplies}/${m.replies})  R ${m.replyRecall.toFixed(3)} (${m.correctReplies}/${m.positives})  suggest R ${m.suggestRecall.toFixed(3)} (${m.correctSuggestions}/${m.positives})`;

/** One line of figures for a matcher on a query set, with how many null messages reach a curator. */
function report(name: string, matcher: RumorMatcher, queries: readonly EvalQuery[]): void {
  const nulls = queries.filter((q) => q.expect === null);
  const load = nulls.filter((q) => matcher.match(q.text).action === 'suggest').length;
  console.log(`${name.padEnd(22)} ${fmt(evaluate(matcher, queries).metrics)}  curator load: ${load}/${nulls.length} null messages suggested`);
}

// The project's own paraphrase set (written for the project, against config/rumors.yaml): the set
// the reply cut-off is chosen on. Also against the library cut down to each entry's claim and first
// example, as a library curators have just begun looks.
const library = await loadRumorLibrary('config/rumors.yaml');
const paraphrases = parseEvalQueries(readFileSync('test/fixtures/rumor-paraphrases.jsonl', 'utf8')).queries;
report('project paraphrases', new RumorMatcher(library, options), paraphrases);
report('  claim + 1 example', new RumorMatcher(library.map((e) => ({ ...e, examples: e.examples.slice(0, 1) })), options), paraphrases);

const SETS = [
  ['checked v2', 'checked-library.yaml', 'checked-queries.jsonl'],
  ['village-dev', 'village-library.yaml', 'village-dev.jsonl'],
] as const;
for (const [name, lib, queries] of SETS.filter(([name]) => name !== 'village-dev' || !process.argv.includes('--no-village'))) {
  const matcher = new RumorMatcher(await loadRumorLibrary(`${DIR}/${lib}`), options);
  const all = parseEvalQueries(readFileSync(`${DIR}/${queries}`, 'utf8')).queries;
  report(name, matcher, all);
  if (name === 'village-dev') {
    console.log(`${'  odd lines (1,3,…)'.padEnd(22)} ${fmt(evaluate(matcher, all.filter((_, i) => i % 2 === 0)).metrics)}`);
    console.log(`${'  even lines (2,4,…)'.padEnd(22)} ${fmt(evaluate(matcher, all.filter((_, i) => i % 2 === 1)).metrics)}`);
  }
}
const c = cofactsAgreement(`${DIR}/cofacts-pairs.jsonl`, options);
console.log(`${'cofacts pairs'.padEnd(22)} reply ${c.reply}%  reply-or-suggest ${c.suggest}%  (tp ${c.tp} fp ${c.fp} fn ${c.fn} tn ${c.tn})`);

// The size curve: the project's own library and paraphrase set, then the village set.
const drawsAt = process.argv.indexOf('--draws');
const DRAWS = drawsAt > 0 ? Number(process.argv[drawsAt + 1]) : 10;
console.log(`\nsize curve (library cut to N entries: the first N and ${DRAWS - 1} seeded draws, pooled; a rumor not in the cut library must get no reply)`);
const curves: [string, string, string][] = [['project paraphrases', 'config/rumors.yaml', 'test/fixtures/rumor-paraphrases.jsonl']];
if (!process.argv.includes('--no-village')) curves.push(['village-dev', `${DIR}/village-library.yaml`, `${DIR}/village-dev.jsonl`]);
for (const [name, lib, file] of curves) {
  const entries = await loadRumorLibrary(lib);
  const queries = parseEvalQueries(readFileSync(file, 'utf8')).queries;
  console.log(`${name}:`);
  for (const n of CURVE_SIZES) console.log(`  ${formatPoint(curvePoint(entries, queries, n, DRAWS, options))}`);
  console.log(`  first N entries only: ${[3, 5, 8].map((n) => formatPoint(curvePoint(entries, queries, n, 1, options)).replace(/\s+suggest.*$/, '')).join(' | ')}`);
}
