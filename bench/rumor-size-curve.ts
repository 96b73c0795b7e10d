/**
 * Reply precision and recall of the matcher as a young district's library grows: the library cut
 * to N entries (the first N, and seeded random draws of N), asked every query of a set relabelled
 * so that a rumor missing from the cut library must get no reply (`expect` → null). Pooled over
 * the draws. Used by bench/rumor-eval.ts (`npx tsx bench/rumor-eval.ts`).
 */
import type { RumorEntry } from '../src/domain/rumor/library.ts';
import { RumorMatcher, type MatcherOptions } from '../src/domain/rumor/matcher.ts';
import { seededRandom } from '../src/domain/rumor/variants.ts';

export const CURVE_SIZES = [1, 3, 5, 8, 13, 21, 34] as const;

export interface CurvePoint {
  entries: number;
  replies: number;
  rightReplies: number;
  /** Queries whose rumor is in the cut library. */
  positives: number;
  /** Right rumor answered or sent to a curator. */
  rightSuggested: number;
  /** Null (after relabelling) messages sent to a curator. */
  load: number;
  nulls: number;
}

/** Libraries of `n` entries: the first n, then `draws` − 1 seeded random subsets (all of them when n ≥ size). */
export function cutLibraries(library: readonly RumorEntry[], n: number, draws: number, seed = 27): RumorEntry[][] {
  if (n >= library.length) return [[...library]];
  const out: RumorEntry[][] = [library.slice(0, n)];
  const rnd = seededRandom(seed * 1000 + n);
  for (let d = 1; d < draws; d++) {
    const pool = [...library];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    out.push(pool.slice(0, n));
  }
  return out;
}

/** One point of the curve: every cut library of size n, pooled. */
export function curvePoint(library: readonly RumorEntry[], queries: readonly { text: string; expect: string | null }[], n: number, draws: number, options: MatcherOptions = {}): CurvePoint {
  const p: CurvePoint = { entries: Math.min(n, library.length), replies: 0, rightReplies: 0, positives: 0, rightSuggested: 0, load: 0, nulls: 0 };
  for (const cut of cutLibraries(library, n, draws)) {
    const ids = new Set(cut.map((e) => e.id));
    const matcher = new RumorMatcher(cut, options);
    for (const q of queries) {
      const expect = q.expect !== null && ids.has(q.expect) ? q.expect : null;
      const r = matcher.match(q.text);
      if (expect) p.positives++;
      else p.nulls++;
      if (r.action === 'reply') {
        p.replies++;
        if (r.id === expect) p.rightReplies++;
      }
      if (expect && r.id === expect && r.action !== 'ignore') p.rightSuggested++;
      if (!expect && r.action === 'suggest') p.load++;
    }
  }
  return p;
}

export function formatPoint(p: CurvePoint): string {
  const f = (a: number, b: number) => (b === 0 ? '  -  ' : (a / b).toFixed(3));
  return `${String(p.entries).padStart(3)} entries  P ${f(p.rightReplies, p.replies)} (${p.rightReplies}/${p.replies})  R ${f(p.rightReplies, p.positives)} (${p.rightReplies}/${p.positives})  suggest R ${f(p.rightSuggested, p.positives)}  load ${p.load}/${p.nulls}`;
}
