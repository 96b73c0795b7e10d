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
/** Young libraries (issue 27): reply cut-offs read off libraries cut to these sizes… */
const YOUNG_SIZES = [1, 2, 3, 5, 8, 13, 21, 29];
/** …at this generated reply precision… */
const YOUNG_PRECISION = Number(opt('--young-precision', '0.99'));
/** …over this many cut libraries per size. */
const YOUNG_DRAWS = Number(opt('--young-draws', '6'));
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
  /** The probability and action of the matcher that made the sample, when it had a model. */
  p?: number;
  action?: string;
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

/** A subset of `n` entries of the library (seeded shuffle). */
export function drawEntries(library: readonly RumorEntry[], n: number, rnd: () => number): RumorEntry[] {
  const pool = [...library];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}

/**
 * Samples as a young district meets them (issue 27): the library cut to `n` entries, asked
 * variants of the wordings of its entries (each wording taken out of its entry: label 1 when the
 * best candidate is that rumor) and of the entries it lacks (label 0 whatever is found: most
 * rumors a young district hears are not in its library yet), plus the chat and news. `draws`
 * cut libraries per size, from config/rumors.yaml only.
 */
export function youngSamples(library: readonly RumorEntry[], n: number, draws: number, seed: number, model: RumorModel | undefined = COLLECT): Sample[] {
  const rnd = seededRandom(seed * 7919 + n);
  const samples: Sample[] = [];
  const add = (m: RumorMatcher, text: string, expect: string | null, kind: string) => {
    const r = m.match(text);
    if (!r.evidence) return;
    samples.push({ x: featureVector(r.evidence), score: r.evidence.score, y: expect !== null && r.id === expect ? 1 : 0, kind, p: r.probability, action: r.action });
  };
  for (let d = 0; d < draws; d++) {
    const cut = drawEntries(library, n, rnd);
    const inCut = new Set(cut.map((e) => e.id));
    const full = new RumorMatcher(cut, { model });
    for (const entry of library) {
      const wordings = [entry.claim, ...entry.examples];
      wordings.forEach((wording, i) => {
        const rest = wordings.filter((_, j) => j !== i);
        if (rest.length === 0) return;
        const other = rest[Math.floor(rnd() * rest.length)];
        if (inCut.has(entry.id)) {
          const held = new RumorMatcher(cut.map((e) => (e === entry ? { ...entry, claim: rest[0], examples: rest.slice(1) } : e)), { model });
          for (const v of variantsOf(wording, rnd, other)) add(held, v.text, entry.id, `young-pos:${v.kind}`);
        } else {
          for (const v of variantsOf(wording, rnd, other)) add(full, v.text, null, `young-neg:${v.kind}`);
        }
      });
    }
    for (const text of [...TOPICAL_CHAT, ...CHATTER]) add(full, text, null, 'young-chat');
    for (let i = 0; i < 20; i++) add(full, newsPost(rnd), null, 'young-news');
  }
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

/**
 * Reply cut-offs of young libraries: for each size, the lowest probability at which the
 * replies the rules allow are still {@link YOUNG_PRECISION} precise on {@link youngSamples}; never
 * lower than a larger library's (a library that grows never becomes more careful), never lower
 * than the model's own. 1.0 when no cut-off reaches the precision: such a library only suggests.
 */
export function youngCutOffs(library: readonly RumorEntry[], model: RumorModel, sizes = YOUNG_SIZES, precision = YOUNG_PRECISION, draws = YOUNG_DRAWS): { upTo: number; replyAt: number }[] {
  // The model's probabilities, with every cut-off at 0: a sample's action then says whether the rules allow a reply.
  const probe: RumorModel = { ...model, replyAt: 0, replyAtBySize: undefined };
  const rows = sizes.map((n) => {
    const replyable = youngSamples(library, n, draws, SEED, probe).filter((s) => s.action === 'reply').sort((a, b) => b.p! - a.p!);
    // The lowest probability whose replies (every sample at or above it, ties included) are precise enough.
    let tp = 0;
    let replyAt = 1;
    replyable.forEach((s, i) => {
      if (s.y) tp++;
      const lastOfTie = i + 1 === replyable.length || replyable[i + 1].p! < s.p!;
      if (lastOfTie && tp > 0 && tp / (i + 1) >= precision) replyAt = s.p!;
    });
    return { upTo: n, replyAt: Math.round(Math.max(replyAt, model.replyAt) * 10000) / 10000, replyable };
  });
  for (let i = rows.length - 2; i >= 0; i--) rows[i].replyAt = Math.max(rows[i].replyAt, rows[i + 1].replyAt);
  for (const r of rows) {
    const replied = r.replyable.filter((s) => s.p! >= r.replyAt);
    const right = replied.filter((s) => s.y).length;
    console.log(`  young library of ${String(r.upTo).padStart(2)} entries: reply at p ≥ ${r.replyAt}, generated precision ${(right / Math.max(1, replied.length)).toFixed(3)} (${right}/${replied.length})`);
  }
  return rows.filter((r) => r.replyAt > model.replyAt).map(({ upTo, replyAt }) => ({ upTo, replyAt }));
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
    model.replyAtBySize = youngCutOffs(library, model);
    model.trainedOn += `; young libraries (${YOUNG_SIZES.join(', ')} entries, ${YOUNG_DRAWS} cut libraries each) reply at generated precision ${YOUNG_PRECISION}`;
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
