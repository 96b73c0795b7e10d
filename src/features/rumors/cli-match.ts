/**
 * `cascade rumor match`: what the bot would do with a message.
 *
 * - JSON lines `{"text": "…"}` on stdin → one JSON line per input, same order (the scripts'
 *   contract): `{"id": string|null, "score": number, "action": "reply"|"suggest"|"ignore"}`; a bad
 *   JSON line gives `{"id": null, "score": 0, "action": "ignore", "error": "…"}`. `--explain` adds
 *   an `explain` object (the probability, cut-offs, each input's share, the rules that decided).
 * - Plain text (arguments, or stdin whose first line is not a JSON object) → the answer in Chinese, as
 *   a curator would read it: the decision, the rumor and the rebuttal that would be sent
 *   (`--json`: the JSON line instead).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { load as parseYaml } from 'js-yaml';
import { quoteStart } from '../../domain/rumor/chat.ts';
import type { RumorAction, RumorMatch } from '../../domain/rumor/matcher.ts';
import { contributions, featureVector, replyCutOff, type DecisionEvidence, type RumorModel } from '../../domain/rumor/model.ts';
import { fill } from '../../domain/templates.ts';

/** What matches a message: a plain matcher, or the grown library's (near misses included). */
export interface Matching {
  match(text: string): RumorMatch;
  readonly decisionModel: RumorModel | null;
  /** Number of rumors (a young library has its own reply cut-off). */
  readonly size: number;
}

/** One output line of `cascade rumor match` in JSON. */
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
  /** Rules that chose or capped the action (refutation cue, different country, young library, …). */
  reasons: string[];
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** The explanation of one match result. */
export function explainMatch(result: RumorMatch, model: RumorModel | null, librarySize = Infinity): Explanation {
  const out: Explanation = { reasons: result.reasons ?? [] };
  if (result.evidence && model) {
    out.probability = result.probability;
    out.replyAt = replyCutOff(model, librarySize);
    out.suggestAt = model.suggestAt;
    out.suggestMinScore = model.suggestMinScore;
    out.suggestClaimAt = model.suggestClaimAt;
    out.suggestClaimMinScore = model.suggestClaimMinScore;
    out.inputs = contributions(model, featureVector(result.evidence)).map((c) => ({ feature: c.feature, value: r3(c.value), contribution: r3(c.contribution) }));
    out.evidence = Object.fromEntries(Object.entries(result.evidence).map(([k, v]) => [k, typeof v === 'number' ? r3(v) : v])) as unknown as DecisionEvidence;
  }
  return out;
}

/** The JSON line of one match. */
function jsonLine(matcher: Matching, text: string, explain: boolean): MatchLine {
  try {
    const result = matcher.match(text);
    const out: MatchLine = { id: result.id, score: result.score, action: result.action };
    if (explain) out.explain = explainMatch(result, matcher.decisionModel, matcher.size);
    return out;
  } catch (err) {
    return { id: null, score: 0, action: 'ignore', error: `match failed: ${(err as Error).message}` };
  }
}

/** Match one input line (a JSON object with a string "text"); never throws. */
export function matchLine(matcher: Matching, line: string, explain = false): MatchLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { id: null, score: 0, action: 'ignore', error: 'invalid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { text?: unknown }).text !== 'string') {
    return { id: null, score: 0, action: 'ignore', error: 'expected {"text": string}' };
  }
  return jsonLine(matcher, (parsed as { text: string }).text, explain);
}

/** The rebuttal as the bot would post it in a group (config/templates.yaml `rumor_reply`). */
function replyText(templates: Record<string, string> | undefined, message: string, m: RumorMatch): string {
  const rumor = m.rumor!;
  const vars = { quote: quoteStart(message), rebuttal: rumor.rebuttal, source: rumor.source || '官方通报' };
  return templates?.rumor_reply ? fill(templates.rumor_reply, vars) : `${rumor.rebuttal}\n—— 来源：${vars.source}`;
}

const DECISION_ZH: Record<RumorAction, string> = {
  reply: '自动辟谣：机器人直接在群里回复下面的辟谣',
  suggest: '转审核员核实：机器人不回复，审核员收到 S 编号后决定（是 / 辟谣 / 忽略）',
  ignore: '不处理：不像辟谣库里的任何谣言',
};

/** The answer in Chinese for a curator: decision, rumor, the rebuttal that would be sent. */
export function plainAnswer(matcher: Matching, text: string, templates: Record<string, string> | undefined, explain = false): string {
  const m = matcher.match(text);
  const lines = [`消息：${text}`, `判断：${DECISION_ZH[m.action]}`];
  if (m.rumor) {
    const p = m.probability === undefined ? '' : `，把握 ${m.probability.toFixed(2)}`;
    lines.push(`${m.action === 'reply' ? '谣言' : '最像'}：${m.rumor.id} ${m.rumor.claim}（相似度 ${m.score.toFixed(2)}${p}）`);
    lines.push(m.action === 'reply' ? '将发送：' : '审核员确认（是）后将发送：', replyText(templates, text, m));
  }
  if (explain) {
    const e = explainMatch(m, matcher.decisionModel, matcher.size);
    lines.push(`依据：${e.reasons.join('；') || '无'}`);
    if (e.inputs) lines.push(`各项证据（对数几率贡献）：${e.inputs.map((i) => `${i.feature} ${i.value}→${i.contribution >= 0 ? '+' : ''}${i.contribution}`).join('，')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The chat texts of a config directory, or undefined when they cannot be read (the rebuttal is then shown bare). */
export function readTemplates(configDir: string): Record<string, string> | undefined {
  try {
    return parseYaml(readFileSync(path.join(configDir, 'templates.yaml'), 'utf8')) as Record<string, string>;
  } catch {
    return undefined;
  }
}

/** Answers the texts, then every stdin line: JSON object lines in JSON, plain lines in Chinese (or JSON with `json`). */
export async function runMatch(matcher: Matching, io: { stdin: Readable; stdout: Writable }, texts: readonly string[], opts: { explain: boolean; json: boolean; templates?: Record<string, string> }): Promise<number> {
  const answer = (text: string) => io.stdout.write(opts.json ? `${JSON.stringify(jsonLine(matcher, text, opts.explain))}\n` : plainAnswer(matcher, text, opts.templates, opts.explain));
  for (const text of texts) answer(text);
  if (texts.length > 0) return 0;
  // The first line decides: a JSON object starts the scripts' contract for the whole input
  // (a bad line is answered with an error line), anything else is plain text, one message a line.
  let jsonInput: boolean | undefined;
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    jsonInput ??= line.trimStart().startsWith('{');
    if (jsonInput) io.stdout.write(`${JSON.stringify(matchLine(matcher, line, opts.explain))}\n`);
    else answer(line.trim());
  }
  return 0;
}
