/**
 * The library grows from curators' decisions (issue 27). Every answer to a suggestion is evidence:
 * - `是 S12` (the message is that rumor): its wording becomes an **example** of the rumor;
 * - `忽略 S12` (it is not): its wording becomes a **near miss** of the candidate rumor — a message
 *   that repeats it is not answered with that rumor nor sent to a curator again for it;
 * - `辟谣 S12 …` makes a new entry (stored apart, see features/rumors/store.ts).
 * Each record says where the wording came from and who decided; a record that is undone no
 * longer counts. {@link LearningMatcher} is the matcher of the grown library; the chat feature and
 * the replay bench (bench/rumor-learning.ts) both use it.
 *
 * Pure: no I/O, no clock.
 */
import type { RumorEntry } from './library.ts';
import { RumorMatcher, type MatcherOptions, type RumorMatch } from './matcher.ts';
import { cleanMessage, normalizeKey } from './normalize.ts';

/** What a curator's decision taught. */
export type LearnedKind = 'example' | 'near-miss';

/** One learned wording (`L12`), with its origin and who decided. */
export interface LearnedRecord {
  /** `L12` */
  code: string;
  kind: LearnedKind;
  /** The rumor it is an example of, or a near miss of. */
  rumor: string;
  /** The wording after the usual normalisation (script, emoji, links and forwarding boilerplate removed). */
  text: string;
  /** Where the message was said: a group's topic, or `私聊` and the node for a villager's check. */
  source: string;
  /** The person who decided (bound person id). */
  decidedBy: string;
  /** The suggestion it was decided on. */
  suggestion?: string;
  at: number;
  /** Undone from the review list: by whom and when. */
  undone?: { by: string; at: number };
}

/** The wording a decision teaches: the message normalised as the library's wordings are. */
export function learnedWording(message: string): string {
  return cleanMessage(message).text.replace(/\s+/gu, ' ').trim();
}

/** The entries with their learned examples appended (records undone, or of unknown rumors, left out; no wording twice). */
export function grownEntries(entries: readonly RumorEntry[], records: readonly LearnedRecord[]): RumorEntry[] {
  const examples = new Map<string, string[]>();
  for (const r of records) {
    if (r.kind !== 'example' || r.undone) continue;
    const list = examples.get(r.rumor) ?? [];
    list.push(r.text);
    examples.set(r.rumor, list);
  }
  return entries.map((e) => {
    const more = examples.get(e.id);
    if (!more) return e;
    const known = new Set([e.claim, ...e.examples].map(normalizeKey));
    const added: string[] = [];
    for (const text of more) {
      const key = normalizeKey(text);
      if (!key || known.has(key)) continue;
      known.add(key);
      added.push(text);
    }
    return added.length ? { ...e, examples: [...e.examples, ...added] } : e;
  });
}

/** A message this close to a dismissed wording (bigram Dice of the normalised keys) repeats it. */
export const NEAR_MISS_DICE = 0.6;

function bigrams(text: string): Set<string> {
  const chars = [...normalizeKey(text)];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1]);
  return out;
}

function dice(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size + b.size === 0) return 0;
  let shared = 0;
  for (const g of a) if (b.has(g)) shared++;
  return (2 * shared) / (a.size + b.size);
}

/** The matcher of a grown library, with the near misses curators recorded. */
export class LearningMatcher {
  readonly matcher: RumorMatcher;
  private readonly nearMisses = new Map<string, { code: string; grams: Set<string> }[]>();

  constructor(entries: readonly RumorEntry[], records: readonly LearnedRecord[], options: MatcherOptions = {}) {
    this.matcher = new RumorMatcher(grownEntries(entries, records), options);
    for (const r of records) {
      if (r.kind !== 'near-miss' || r.undone) continue;
      const list = this.nearMisses.get(r.rumor) ?? [];
      list.push({ code: r.code, grams: bigrams(r.text) });
      this.nearMisses.set(r.rumor, list);
    }
  }

  /** Number of rumors in the grown library. */
  get size(): number {
    return this.matcher.size;
  }

  /** The learned decision in use (null: hand thresholds). */
  get decisionModel() {
    return this.matcher.decisionModel;
  }

  /** The near miss of `rumor` that `text` repeats, if any (its code). */
  nearMiss(text: string, rumor: string): string | undefined {
    const list = this.nearMisses.get(rumor);
    if (!list) return undefined;
    const grams = bigrams(text);
    return list.find((n) => dice(grams, n.grams) >= NEAR_MISS_DICE)?.code;
  }

  /**
   * Match a message. A message that repeats a wording a curator dismissed for its best rumor is
   * not answered with that rumor (reply → suggest) nor asked about again (suggest → ignore).
   */
  match(text: string): RumorMatch {
    const m = this.matcher.match(text);
    if (m.action === 'ignore' || !m.id) return m;
    const code = this.nearMiss(text, m.id);
    if (!code) return m;
    const reasons = [...(m.reasons ?? []), `repeats a wording a curator dismissed (${code})`];
    return m.action === 'reply' ? { ...m, action: 'suggest', reasons } : { ...m, id: null, rumor: undefined, action: 'ignore', reasons };
  }
}
