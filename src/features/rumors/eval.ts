/**
 * `cascade rumor eval --library FILE --queries FILE [--json]`: reply precision, reply recall,
 * suggest recall with counts, and the confusions (definitions in the evaluation README).
 * Also used by bench/rumor-eval.ts.
 */
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { loadRumorLibrary } from '../../domain/rumor/library.ts';
import { RumorMatcher, type RumorAction } from '../../domain/rumor/matcher.ts';


/** One labelled query. */
export interface EvalQuery {
  text: string;
  expect: string | null;
}

/** A query where the bot's answer differs from the label. */
export interface Confusion {
  expected: string | null;
  got: string | null;
  action: RumorAction;
  score: number;
  text: string;
}

/** Metrics of `cascade rumor eval` (definitions in the evaluation README). */
export interface EvalMetrics {
  queries: number;
  /** Queries with a non-null expect. */
  positives: number;
  replies: number;
  correctReplies: number;
  /** Queries answered (reply) or sent to a curator (suggest) with the right rumor. */
  correctSuggestions: number;
  replyPrecision: number;
  replyRecall: number;
  suggestRecall: number;
}

/** Parse labelled query lines; bad lines are reported, not fatal. */
export function parseEvalQueries(text: string): { queries: EvalQuery[]; errors: string[] } {
  const queries: EvalQuery[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const q = JSON.parse(line) as { text?: unknown; expect?: unknown };
      if (typeof q.text !== 'string') throw new Error('no "text"');
      if (q.expect !== null && typeof q.expect !== 'string') throw new Error('"expect" must be a string or null');
      queries.push({ text: q.text, expect: q.expect });
    } catch (err) {
      errors.push(`line ${i + 1}: ${(err as Error).message}`);
    }
  });
  return { queries, errors };
}

/** Run the matcher over labelled queries and compute the metrics and confusions. */
export function evaluate(matcher: RumorMatcher, queries: readonly EvalQuery[]): { metrics: EvalMetrics; confusions: Confusion[] } {
  let positives = 0;
  let replies = 0;
  let correctReplies = 0;
  let correctSuggestions = 0;
  const confusions: Confusion[] = [];
  for (const q of queries) {
    const r = matcher.match(q.text);
    if (q.expect !== null) positives++;
    if (r.action === 'reply') replies++;
    const right = q.expect !== null && r.id === q.expect;
    if (right && r.action === 'reply') correctReplies++;
    if (right && r.action !== 'ignore') correctSuggestions++;
    const ok = q.expect === null ? r.action !== 'reply' : right && r.action === 'reply';
    if (!ok) confusions.push({ expected: q.expect, got: r.id, action: r.action, score: r.score, text: q.text });
  }
  const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000);
  return {
    metrics: {
      queries: queries.length,
      positives,
      replies,
      correctReplies,
      correctSuggestions,
      replyPrecision: ratio(correctReplies, replies),
      replyRecall: ratio(correctReplies, positives),
      suggestRecall: ratio(correctSuggestions, positives),
    },
    confusions,
  };
}

function formatEval(metrics: EvalMetrics, confusions: readonly Confusion[]): string {
  const lines = [
    `queries          ${metrics.queries} (${metrics.positives} with an expected rumor)`,
    `reply precision  ${metrics.replyPrecision.toFixed(3)}  (${metrics.correctReplies}/${metrics.replies} replies right)`,
    `reply recall     ${metrics.replyRecall.toFixed(3)}  (${metrics.correctReplies}/${metrics.positives})`,
    `suggest recall   ${metrics.suggestRecall.toFixed(3)}  (${metrics.correctSuggestions}/${metrics.positives})`,
    '',
    `confusions (${confusions.length}): expected -> got action score text`,
  ];
  for (const c of confusions) {
    const text = [...c.text.replace(/\s+/gu, ' ')].slice(0, 40).join('');
    lines.push(`  ${c.expected ?? 'null'} -> ${c.got ?? 'null'} ${c.action} ${c.score.toFixed(3)} ${text}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runEval(libraryFile: string, queriesFile: string, json: boolean, io: { stdout: Writable; stderr: Writable }): Promise<number> {
  const matcher = new RumorMatcher(await loadRumorLibrary(libraryFile));
  const { queries, errors } = parseEvalQueries(await readFile(queriesFile, 'utf8'));
  for (const e of errors) io.stderr.write(`cascade rumor eval: ${queriesFile} ${e}\n`);
  const { metrics, confusions } = evaluate(matcher, queries);
  io.stdout.write(json ? `${JSON.stringify(metrics)}\n` : formatEval(metrics, confusions));
  // The figures are of the lines that parsed; lines that did not make the run a failure.
  if (errors.length > 0) {
    io.stderr.write(`cascade rumor eval: ${errors.length} line(s) of ${queriesFile} not read; the figures leave them out\n`);
    return 1;
  }
  return 0;
}
