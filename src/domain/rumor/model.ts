/**
 * The learned reply/suggest decision of the rumor matcher: a logistic regression over the
 * evidence the matcher computes for its best candidate (coverage both ways, shared weight,
 * longest shared passage, number of passages, runner-up, message length).
 *
 * It is trained in the project by `npx tsx scripts/train-rumor-model.ts` on the project's own
 * library (config/rumors.yaml) and variants generated from it (variants.ts) — never on the
 * evaluation files — and its weights live in config/rumor-model.json, which the matcher loads.
 * Pure except {@link defaultRumorModel}, which reads that file once.
 */
import { readFileSync } from 'node:fs';

/** How a message's wording overlaps one rumor's wordings (computed for every scored candidate). */
export interface TextEvidence {
  /** Text score: best q^0.6·d^0.4 over the wordings and their union (× 0.6 for one short shared passage). */
  score: number;
  /** Message coverage `q` of the wording that gave the score: how much of the message it explains. */
  queryCoverage: number;
  /** Wording coverage `d` of the wording that gave the score: how much of it the message repeats. */
  wordingCoverage: number;
  /** Shared weight with the union of the wordings, in units of the weight of a bigram no wording has (library-size independent). */
  shared: number;
  /** Longest shared passage, in bigrams. */
  longestRun: number;
  /** Separate substantive shared passages. */
  runs: number;
  /** Whether a shared passage says more than the generic claim ("能预防新冠病毒"): a rule, not a model input. */
  specific: boolean;
}

/** The evidence behind a decision, as `cascade rumor match --explain` prints it. */
export interface DecisionEvidence extends TextEvidence {
  /** Whether the message has a word or character only this rumor's wordings have: a rule, not a model input. */
  own: boolean;
  /** Runner-up score / best score (1 = a tie). */
  runnerUp: number;
  /** Letters and digits in the message. */
  length: number;
}

/** The evidence the model reads, each scaled to about [0, 1] by {@link featureVector}. */
export const EVIDENCE_INPUTS = [
  'score',
  'queryCoverage',
  'wordingCoverage',
  'sharedLog',
  'longestRunLog',
  'runs',
  'runnerUp',
  'lengthLog',
] as const;

/**
 * Knots of the piecewise-linear terms: besides `x` itself, the model sees `max(0, x − k)` for each
 * knot, so an input can count more (or less) once it is past a third or two thirds of its range
 * ("one shared word" and "three shared passages" need not differ by a straight line). The model
 * stays additive: each input's effect is the sum of its terms, which --explain prints.
 */
export const HINGE_KNOTS = [0.33, 0.66] as const;

/** Names of the model's terms, in order (the model file must list the same): inputs, then hinges. */
export const DECISION_FEATURES: readonly string[] = [
  ...EVIDENCE_INPUTS,
  ...EVIDENCE_INPUTS.flatMap((f) => HINGE_KNOTS.map((k) => `${f}>${k}`)),
];

/** The evidence scaled to about [0, 1], one value per {@link EVIDENCE_INPUTS} entry. */
function evidenceInputs(e: DecisionEvidence): number[] {
  return [
    e.score,
    e.queryCoverage,
    e.wordingCoverage,
    Math.log1p(e.shared) / Math.log(41),
    Math.log1p(e.longestRun) / Math.log(61),
    Math.min(e.runs, 8) / 8,
    e.runnerUp,
    Math.log1p(e.length) / Math.log(501),
  ];
}

/** The model's term vector: the scaled inputs, then their hinge terms. */
export function featureVector(e: DecisionEvidence): number[] {
  const x = evidenceInputs(e);
  return [...x, ...x.flatMap((v) => HINGE_KNOTS.map((k) => Math.max(0, v - k)))];
}

/** A trained decision model (the content of config/rumor-model.json). */
export interface RumorModel {
  features: string[];
  weights: number[];
  bias: number;
  /** Probability at or above which the bot replies in the group. */
  replyAt: number;
  /** Probability at or above which the message goes to a curator... */
  suggestAt: number;
  /** ...when its text score is also at least this (keeps chat that shares a word out of the curators' queue). */
  suggestMinScore: number;
  /**
   * Second way to a curator: a message that shares a claim with the rumor (two passages or a
   * long one) goes there at this probability (0.5: more likely right than wrong)…
   */
  suggestClaimAt: number;
  /** …with a text score of at least this. */
  suggestClaimMinScore: number;
  /** How it was trained (free text, for people). */
  trainedOn?: string;
  /**
   * A young library's reply cut-offs (issue 27), read off generated data on libraries cut to few
   * entries: a library of at most `upTo` entries replies from `replyAt` (never below the model's
   * own). Ascending by `upTo`; a larger library uses the model's `replyAt`.
   */
  replyAtBySize?: { upTo: number; replyAt: number }[];
}

/** The reply cut-off for a library of `entries` rumors. */
export function replyCutOff(model: RumorModel, entries: number): number {
  const row = model.replyAtBySize?.find((r) => entries <= r.upTo);
  return row ? Math.max(row.replyAt, model.replyAt) : model.replyAt;
}

/** Probability that the best candidate is the rumor the message repeats. */
export function probability(model: RumorModel, x: readonly number[]): number {
  let z = model.bias;
  for (let i = 0; i < x.length; i++) z += model.weights[i] * x[i];
  return 1 / (1 + Math.exp(-z));
}

/**
 * Each input's contribution to the log-odds (its own term plus its hinge terms), for --explain,
 * largest magnitude first. `value` is the scaled input.
 */
export function contributions(model: RumorModel, x: readonly number[]): { feature: string; value: number; contribution: number }[] {
  const n = EVIDENCE_INPUTS.length;
  return EVIDENCE_INPUTS.map((feature, i) => {
    let contribution = model.weights[i] * x[i];
    HINGE_KNOTS.forEach((_, j) => {
      const t = n + i * HINGE_KNOTS.length + j;
      contribution += model.weights[t] * x[t];
    });
    return { feature, value: x[i], contribution };
  }).sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
}

/** Validates a parsed model file. @throws Error naming the file and the problem. */
export function parseRumorModel(data: unknown, file: string): RumorModel {
  const m = data as Partial<RumorModel>;
  const ok = m && Array.isArray(m.features) && Array.isArray(m.weights) && typeof m.bias === 'number' &&
    typeof m.replyAt === 'number' && typeof m.suggestAt === 'number' && typeof m.suggestMinScore === 'number' &&
    typeof m.suggestClaimAt === 'number' && typeof m.suggestClaimMinScore === 'number';
  if (!ok) throw new Error(`${file}: not a rumor model (features, weights, bias, replyAt, suggestAt, suggestMinScore, suggestClaimAt, suggestClaimMinScore)`);
  if (m.features!.join(',') !== DECISION_FEATURES.join(',') || m.weights!.length !== DECISION_FEATURES.length) {
    throw new Error(`${file}: model features [${m.features!.join(', ')}] differ from the matcher's [${DECISION_FEATURES.join(', ')}]; retrain with scripts/train-rumor-model.ts`);
  }
  return m as RumorModel;
}

/** Where the trained model lives, relative to this file. */
export const DEFAULT_MODEL_URL = new URL('../../../config/rumor-model.json', import.meta.url);

let cached: RumorModel | undefined;

/** The project's trained model (config/rumor-model.json), read once. */
export function defaultRumorModel(): RumorModel {
  cached ??= parseRumorModel(JSON.parse(readFileSync(DEFAULT_MODEL_URL, 'utf8')), 'config/rumor-model.json');
  return cached;
}
