/**
 * `cascade rumor …` subcommands: match, eval, list.
 *
 * Contract (kept stable; scripts depend on it):
 * - `cascade rumor match --library FILE [--explain]`: JSON lines `{"text": "…"}` on stdin → one JSON line per
 *   input, same order: `{"id": string|null, "score": number, "action": "reply"|"suggest"|"ignore"}`.
 *   A bad input line gives `{"id": null, "score": 0, "action": "ignore", "error": "…"}`.
 * - `cascade rumor eval --library FILE --queries FILE [--json]`: reply precision, reply recall,
 *   suggest recall with counts, and the confusions.
 * - `cascade rumor list [--library FILE]`: id, category and claim of each entry, then the entries
 *   curators added from chat (Redis at REDIS_URL, namespace CASCADE_NS, as the other commands).
 * - unknown subcommand or missing option: usage on stderr, exit code 2.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { loadRumorLibrary, RumorLibraryError, type RumorEntry } from '../../domain/rumor/library.ts';
import { RumorMatcher, type RumorAction, type RumorMatch } from '../../domain/rumor/matcher.ts';
import { contributions, featureVector, type DecisionEvidence, type RumorModel } from '../../domain/rumor/model.ts';
import { newRedis, redisUrlFromEnv } from '../../infra/redis.ts';
import { Keys } from '../../store/keys.ts';
import { RumorStore } from './store.ts';
import { Redis } from 'ioredis';

/** Library used by `cascade rumor list` when no --library is given. */
export const DEFAULT_RUMOR_LIBRARY = 'config/rumors.yaml';

const USAGE = `usage:
  cascade rumor match --library FILE [--explain]  < {"text": "..."} lines
  cascade rumor eval --library FILE --queries FILE [--json]
  cascade rumor list [--library FILE]
`;

/** Exit codes. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** Streams the command uses (injectable for tests). */
export interface RumorCommandIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Environment for `list` (REDIS_URL, CASCADE_NS); `process.env` by default. */
  env?: NodeJS.ProcessEnv;
}

interface ParsedArgs {
  options: Map<string, string>;
  flags: Set<string>;
  positional: string[];
}

const VALUE_OPTIONS = new Set(['--library', '--queries']);
const FLAG_OPTIONS = new Set(['--json', '--explain']);

function parseArgs(argv: readonly string[]): ParsedArgs | string {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_OPTIONS.has(name)) {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') return `option ${name} needs a value`;
      options.set(name, value);
    } else if (FLAG_OPTIONS.has(arg)) {
      flags.add(arg);
    } else if (arg.startsWith('--')) {
      return `unknown option ${arg}`;
    } else {
      positional.push(arg);
    }
  }
  return { options, flags, positional };
}

function usage(io: RumorCommandIO, problem?: string): number {
  if (problem) io.stderr.write(`cascade rumor: ${problem}\n`);
  io.stderr.write(USAGE);
  return EXIT_USAGE;
}

/**
 * Run `cascade rumor <argv…>`. `argv` is what follows `cascade rumor`.
 * @returns the process exit code (0 ok, 1 failure such as an invalid library, 2 usage error).
 */
export async function rumorCommand(
  argv: string[],
  io: RumorCommandIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [sub, ...rest] = argv;
  const parsed = parseArgs(rest);
  if (typeof parsed === 'string') return usage(io, parsed);
  if (parsed.positional.length > 0) return usage(io, `unexpected argument ${parsed.positional[0]}`);
  try {
    switch (sub) {
      case 'match': {
        const library = parsed.options.get('--library');
        if (!library) return usage(io, 'match needs --library FILE');
        return await runMatch(library, io, parsed.flags.has('--explain'));
      }
      case 'eval': {
        const library = parsed.options.get('--library');
        const queries = parsed.options.get('--queries');
        if (!library || !queries) return usage(io, 'eval needs --library FILE and --queries FILE');
        return await runEval(library, queries, parsed.flags.has('--json'), io);
      }
      case 'list': {
        const entries = await loadRumorLibrary(parsed.options.get('--library') ?? DEFAULT_RUMOR_LIBRARY);
        io.stdout.write(formatRumorList(entries, await curatorEntries(io)));
        return EXIT_OK;
      }
      default:
        return usage(io, sub ? `unknown subcommand ${sub}` : 'missing subcommand');
    }
  } catch (err) {
    if (err instanceof RumorLibraryError) {
      io.stderr.write(`cascade rumor: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    io.stderr.write(`cascade rumor: ${(err as Error).message ?? String(err)}\n`);
    return EXIT_FAILURE;
  }
}

// ---------------------------------------------------------------------------------------------
// match
// ---------------------------------------------------------------------------------------------

/** One output line of `cascade rumor match`. */
export interface MatchLine {
  id: string | null;
  score: number;
  action: RumorAction;
  error?: string;
  /** With --explain: why the message got its action. */
  explain?: Explanation;
}

/** Why a message got its action (`cascade rumor match --explain`). */
export interface Explanation {
  /** Learned decision: probability that `id` is right, and the cut-offs it was compared with. */
  probability?: number;
  replyAt?: number;
  suggestAt?: number;
  suggestMinScore?: number;
  suggestClaimAt?: number;
  suggestClaimMinScore?: number;
  /** The evidence the decision read, each input's value and its share of the log-odds, largest first. */
  inputs?: { feature: string; value: number; contribution: number }[];
  evidence?: DecisionEvidence;
  /** Rules that chose or capped the action (refutation cue, different country, …). */
  reasons: string[];
}

/** The explanation of one match result. */
export function explainMatch(result: RumorMatch, model: RumorModel | null): Explanation {
  const out: Explanation = { reasons: result.reasons ?? [] };
  if (result.evidence && model) {
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    out.probability = result.probability;
    out.replyAt = model.replyAt;
    out.suggestAt = model.suggestAt;
    out.suggestMinScore = model.suggestMinScore;
    out.suggestClaimAt = model.suggestClaimAt;
    out.suggestClaimMinScore = model.suggestClaimMinScore;
    out.inputs = contributions(model, featureVector(result.evidence)).map((c) => ({ feature: c.feature, value: r3(c.value), contribution: r3(c.contribution) }));
    out.evidence = Object.fromEntries(Object.entries(result.evidence).map(([k, v]) => [k, typeof v === 'number' ? r3(v) : v])) as unknown as DecisionEvidence;
  }
  return out;
}

/** Match one input line (a JSON object with a string "text"); never throws. */
export function matchLine(matcher: RumorMatcher, line: string, explain = false): MatchLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { id: null, score: 0, action: 'ignore', error: 'invalid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { text?: unknown }).text !== 'string') {
    return { id: null, score: 0, action: 'ignore', error: 'expected {"text": string}' };
  }
  try {
    const result = matcher.match((parsed as { text: string }).text);
    const out: MatchLine = { id: result.id, score: result.score, action: result.action };
    if (explain) out.explain = explainMatch(result, matcher.decisionModel);
    return out;
  } catch (err) {
    return { id: null, score: 0, action: 'ignore', error: `match failed: ${(err as Error).message}` };
  }
}

async function runMatch(libraryFile: string, io: RumorCommandIO, explain = false): Promise<number> {
  const matcher = new RumorMatcher(await loadRumorLibrary(libraryFile));
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    io.stdout.write(`${JSON.stringify(matchLine(matcher, line, explain))}\n`);
  }
  return EXIT_OK;
}

// ---------------------------------------------------------------------------------------------
// eval
// ---------------------------------------------------------------------------------------------

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

async function runEval(libraryFile: string, queriesFile: string, json: boolean, io: RumorCommandIO): Promise<number> {
  const matcher = new RumorMatcher(await loadRumorLibrary(libraryFile));
  const { queries, errors } = parseEvalQueries(await readFile(queriesFile, 'utf8'));
  for (const e of errors) io.stderr.write(`cascade rumor eval: ${queriesFile} ${e}\n`);
  const { metrics, confusions } = evaluate(matcher, queries);
  io.stdout.write(json ? `${JSON.stringify(metrics)}\n` : formatEval(metrics, confusions));
  // The figures are of the lines that parsed; lines that did not make the run a failure.
  if (errors.length > 0) {
    io.stderr.write(`cascade rumor eval: ${errors.length} line(s) of ${queriesFile} not read; the figures leave them out\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

// ---------------------------------------------------------------------------------------------
// list
// ---------------------------------------------------------------------------------------------

/**
 * Format library entries for `cascade rumor list`, one line each: id, category, claim.
 * `extra` (e.g. curator-added entries from the store) are listed after a heading.
 */
export function formatRumorList(entries: readonly RumorEntry[], extra: readonly RumorEntry[] = []): string {
  const all = [...entries, ...extra];
  const idWidth = Math.max(2, ...all.map((e) => e.id.length));
  const catWidth = Math.max(8, ...all.map((e) => e.category.length));
  const row = (e: RumorEntry) => `${e.id.padEnd(idWidth)}  ${e.category.padEnd(catWidth)}  ${e.claim}`;
  const lines = [`${'id'.padEnd(idWidth)}  ${'category'.padEnd(catWidth)}  claim`, ...entries.map(row)];
  if (extra.length > 0) lines.push('', `added by curators (${extra.length}):`, ...extra.map(row));
  lines.push('', `${all.length} rumors`);
  return `${lines.join('\n')}\n`;
}

/** How long `list` waits for Redis before listing the file alone. */
const REDIS_CONNECT_TIMEOUT_MS = 1500;

/**
 * The entries curators added from chat, from the Redis of REDIS_URL under CASCADE_NS. When Redis
 * does not answer, says so on stderr and returns none (the file's entries are still listed).
 */
export async function curatorEntries(io: RumorCommandIO): Promise<RumorEntry[]> {
  const env = io.env ?? process.env;
  const url = redisUrlFromEnv(env);
  const redis = newRedis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: REDIS_CONNECT_TIMEOUT_MS });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await new RumorStore(redis, new Keys(env.CASCADE_NS ?? 'cascade').base).entries();
  } catch (err) {
    io.stderr.write(`cascade rumor list: Redis at ${url} did not answer (${(err as Error).message}); curator-added entries are not shown\n`);
    return [];
  } finally {
    redis.disconnect();
  }
}
