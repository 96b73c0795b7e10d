/**
 * Trains the rumor matcher's learned decision (src/domain/rumor/model.ts) and writes
 * config/rumor-model.json: `npx tsx scripts/train-rumor-model.ts [--library config/rumors.yaml] [--out FILE]`.
 *
 * Data: the project's own library and variants generated from it (variants.ts) — never the
 * evaluation files.
 * - positives: each wording of each rumor, taken out of its entry, in every variant kind,
 *   matched against the library that still holds the rest of the entry (label: the best
 *   candidate is that rumor);
 * - hard negatives: the same variants matched against the library without that rumor (whatever
 *   the matcher finds is wrong: a story that is not in the library);
 * - chat: topical chat and chatter written for the project, matched against the whole library.
 * Logistic regression (balanced classes, L2), then the two probability cut-offs are read off the
 * training data: reply where generated precision is ≥ REPLY_PRECISION, suggest where ≥
 * SUGGEST_RECALL of the right candidates are kept.
 */
import { writeFileSync } from 'node:fs';
import { loadRumorLibrary, type RumorEntry } from '../src/domain/rumor/library.ts';
import { RumorMatcher } from '../src/domain/rumor/matcher.ts';
import { DECISION_FEATURES, featureVector, type RumorModel } from '../src/domain/rumor/model.ts';
import { CHATTER, NEWS, TOPICAL_CHAT, newsPost, seededRandom, variantsOf } from '../src/domain/rumor/variants.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const LIBRARY = opt('--library', 'config/rumors.yaml');
const OUT = opt('--out', 'config/rumor-model.json');
const SEED = Number(opt('--seed', '18'));
const ROUNDS = Number(opt('--rounds', '3'));
/** Reply cut-off: the lowest probability at which generated replies are still this precise. */
const REPLY_PRECISION = Number(opt('--reply-precision', '0.93'));
/** Suggest cut-off: keeps this share of the generated messages whose best candidate is right. */
const SUGGEST_RECALL = Number(opt('--suggest-recall', '0.95'));
/**
 * A message that shares a claim goes to a curator when the model finds it more likely right than
 * wrong and its text score is above this share of the generated chat.
 */
const CLAIM_CHAT_KEPT_OUT = Number(opt('--claim-chat-kept-out', '0.8'));
/** Share of the generated chat whose text score the suggest floor keeps out of the curators' queue. */
const CHAT_KEPT_OUT = Number(opt('--chat-kept-out', '0.85'));
const L2 = 1e-3;
/** Generated news posts among the negatives (more keeps long news out better and costs paraphrase recall). */
const NEWS_POSTS = 200;

/** A matcher that computes the evidence for every message and never decides by itself. */
const COLLECT: RumorModel = {
  features: [...DECISION_FEATURES], weights: DECISION_FEATURES.map(() => 0), bias: 0, replyAt: 2, suggestAt: -1, suggestMinScore: 0, suggestClaimAt: 2, suggestClaimMinScore: 0,
};

export interface Sample {
  x: number[];
  /** Text score of the best candidate. */
  score: number;
  y: 0 | 1;
  kind: string;
}

/** Training samples from a library (deterministic for a seed). */
export function trainingSamples(library: readonly RumorEntry[], seed: number, rounds: number): Sample[] {
  const rnd = seededRandom(seed);
  const samples: Sample[] = [];
  const add = (m: RumorMatcher, text: string, expect: string | null, kind: string) => {
    const r = m.match(text);
    if (!r.evidence) return; // too short, or no candidate at all: the model is never asked
    samples.push({ x: featureVector(r.evidence), score: r.evidence.score, y: expect !== null && r.id === expect ? 1 : 0, kind });
  };
  for (const entry of library) {
    const others = library.filter((e) => e !== entry);
    const without = new RumorMatcher(others, { model: COLLECT });
    const wordings = [entry.claim, ...entry.examples];
    wordings.forEach((wording, i) => {
      const rest = wordings.filter((_, j) => j !== i);
      if (rest.length === 0) return;
      const held = new RumorMatcher([...others, { ...entry, claim: rest[0], examples: rest.slice(1) }], { model: COLLECT });
      for (let round = 0; round < rounds; round++) {
        for (const v of variantsOf(wording, rnd, rest[Math.floor(rnd() * rest.length)])) {
          if (round > 0 && (v.kind === 'same' || v.kind === 'traditional')) continue; // no randomness: once is enough
          add(held, v.text, entry.id, `pos:${v.kind}`);
          add(without, v.text, null, `neg:${v.kind}`);
        }
      }
    });
  }
  const full = new RumorMatcher(library, { model: COLLECT });
  for (const text of [...TOPICAL_CHAT, ...CHATTER]) add(full, text, null, 'chat');
  // Long topical news: shares much with the library in absolute terms, makes no rumor's claim.
  for (const text of NEWS) add(full, text, null, 'news');
  for (let i = 0; i < NEWS_POSTS; i++) add(full, newsPost(rnd), null, 'news');
  return samples;
}

/** Logistic regression by gradient descent, classes weighted to balance. */
export function fitLogistic(samples: readonly Sample[], l2 = L2, epochs = 4000, rate = 0.5): { weights: number[]; bias: number } {
  const n = samples[0].x.length;
  const pos = samples.filter((s) => s.y === 1).length;
  const neg = samples.length - pos;
  const cw = [samples.length / (2 * neg), samples.length / (2 * pos)];
  const w = new Array<number>(n).fill(0);
  let b = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gw = new Array<number>(n).fill(0);
    let gb = 0;
    for (const s of samples) {
      let z = b;
      for (let i = 0; i < n; i++) z += w[i] * s.x[i];
      const err = (1 / (1 + Math.exp(-z)) - s.y) * cw[s.y];
      for (let i = 0; i < n; i++) gw[i] += err * s.x[i];
      gb += err;
    }
    for (let i = 0; i < n; i++) w[i] -= rate * (gw[i] / samples.length + l2 * w[i]);
    b -= rate * (gb / samples.length);
  }
  return { weights: w, bias: b };
}

function main(): Promise<void> {
  return loadRumorLibrary(LIBRARY).then((library) => {
    const samples = trainingSamples(library, SEED, ROUNDS);
    const { weights, bias } = fitLogistic(samples);
    const p = (x: number[]) => 1 / (1 + Math.exp(-(bias + weights.reduce((z, w, i) => z + w * x[i], 0))));
    const scored = samples.map((s) => ({ ...s, p: p(s.x) })).sort((a, b) => b.p - a.p);
    // Reply cut-off: walk down the probabilities while precision stays high enough.
    let tp = 0;
    let replyAt = 1;
    scored.forEach((s, i) => {
      if (s.y) tp++;
      if (tp / (i + 1) >= REPLY_PRECISION && s.y) replyAt = s.p;
    });
    const positives = scored.filter((s) => s.y === 1);
    // Curator-load floor on the text score: keeps CHAT_KEPT_OUT of the generated chat out of the queue.
    const chatScores = samples.filter((s) => s.kind === 'chat').map((s) => s.score).sort((a, b) => a - b);
    const suggestMinScore = chatScores[Math.min(chatScores.length - 1, Math.ceil(chatScores.length * CHAT_KEPT_OUT))];
    const suggestClaimMinScore = chatScores[Math.floor((chatScores.length - 1) * CLAIM_CHAT_KEPT_OUT)];
    const suggestAt = positives[Math.min(positives.length - 1, Math.floor(positives.length * SUGGEST_RECALL))].p;
    const round = (x: number) => Math.round(x * 10000) / 10000;
    const model: RumorModel = {
      features: [...DECISION_FEATURES],
      weights: weights.map(round),
      bias: round(bias),
      replyAt: round(replyAt),
      suggestAt: round(Math.min(suggestAt, replyAt)),
      suggestMinScore: round(suggestMinScore),
      suggestClaimAt: 0.5,
      suggestClaimMinScore: round(suggestClaimMinScore),
      trainedOn: `${LIBRARY} (${library.length} rumors): ${samples.length} generated samples (${positives.length} right best candidates), seed ${SEED}, ${ROUNDS} rounds; reply at generated precision ${REPLY_PRECISION}, suggest keeps ${SUGGEST_RECALL} of right candidates and needs a text score above ${CHAT_KEPT_OUT} of the generated chat, or p ≥ 0.5, a shared claim and a score above ${CLAIM_CHAT_KEPT_OUT} of the generated chat`,
    };
    writeFileSync(OUT, `${JSON.stringify(model, null, 2)}\n`);
    const replied = scored.filter((s) => s.p >= model.replyAt);
    console.log(model.trainedOn);
    console.log(DECISION_FEATURES.map((f, i) => `${f} ${model.weights[i]}`).join('  '), ` bias ${model.bias}`);
    console.log(`reply at p ≥ ${model.replyAt}: generated precision ${(replied.filter((s) => s.y).length / replied.length).toFixed(3)}, recall ${(replied.filter((s) => s.y).length / positives.length).toFixed(3)}; suggest at p ≥ ${model.suggestAt} and score ≥ ${model.suggestMinScore}, or p ≥ 0.5 with a shared claim and score ≥ ${model.suggestClaimMinScore}`);
    const kinds = [...new Set(samples.map((s) => s.kind))];
    for (const kind of kinds) {
      const of = scored.filter((s) => s.kind === kind);
      console.log(`  ${kind.padEnd(16)} n=${String(of.length).padStart(4)}  right ${of.filter((s) => s.y).length}  replied ${of.filter((s) => s.p >= model.replyAt).length}  right&replied ${of.filter((s) => s.y && s.p >= model.replyAt).length}`);
    }
    console.log(`wrote ${OUT}`);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
