/**
 * Pins every matching decision on the project's own data: config/rumors.yaml, the paraphrase set
 * (test/fixtures/rumor-paraphrases.jsonl) and variants generated from the library (variants.ts).
 * A change meant only to make the matcher faster (loading, normalization, folding, interning)
 * must leave this snapshot byte for byte as it is. A change meant to alter decisions updates it
 * with `npx vitest run test/domain/rumor/decisions.test.ts -u` and says so in its commit.
 *
 * Per message and matcher: id, action, score, probability. Below them, a digest of the full
 * evidence at full precision (coverages, shared weight, passages), which would also catch a
 * change of floating-point summation order (feature ids assigned in another order) that the
 * rounded figures could hide.
 */
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseRumorLibrary, type RumorEntry } from '../../../src/domain/rumor/library.ts';
import { RumorMatcher, type RumorMatch } from '../../../src/domain/rumor/matcher.ts';
import { CHATTER, TOPICAL_CHAT, forwarded, newsPost, seededRandom, toTraditional, variantsOf, withChatter } from '../../../src/domain/rumor/variants.ts';

const library = parseRumorLibrary(readFileSync('config/rumors.yaml', 'utf8'), 'config/rumors.yaml');

/**
 * A second library: every entry again under another id, worded as it is re-forwarded
 * (traditional script, chatter, boilerplate, emoji codes, its links in the text). It gives the
 * index more and stranger features, and every message two close candidates.
 */
function retoldLibrary(entries: readonly RumorEntry[]): RumorEntry[] {
  const rnd = seededRandom(11);
  return entries.map((e) => ({
    ...e,
    id: `${e.id}-retold`,
    claim: toTraditional(e.claim),
    examples: e.examples.map((x, i) => (i % 2 ? forwarded(withChatter(x, rnd), rnd) : `${toTraditional(x)}[强]${e.urls[0] ? ` ${e.urls[0]}` : ''}`)),
  }));
}

/** The messages: the paraphrase set, variants of every wording, chat, news posts, links. */
function messages(): string[] {
  const rnd = seededRandom(3);
  const out = readFileSync('test/fixtures/rumor-paraphrases.jsonl', 'utf8').split('\n').filter((l) => l.trim()).map((l) => (JSON.parse(l) as { text: string }).text);
  for (const e of library) {
    const wordings = [e.claim, ...e.examples];
    wordings.forEach((w, i) => out.push(...variantsOf(w, rnd, wordings[(i + 1) % wordings.length]).map((v) => v.text)));
    for (const url of e.urls) out.push(`${e.claim} ${url}`, `点这里领取 ${url.toUpperCase()}?utm_source=wx`);
  }
  out.push(...TOPICAL_CHAT, ...CHATTER);
  for (let i = 0; i < 40; i++) out.push(newsPost(rnd));
  return out;
}

function line(r: RumorMatch): string {
  return [r.id ?? '-', r.action, r.score, r.probability ?? '-'].join(' ');
}

function decisions(): string {
  const texts = messages();
  const matchers: [string, RumorMatcher][] = [
    ['library', new RumorMatcher(library)],
    ['library + retold', new RumorMatcher([...library, ...retoldLibrary(library)])],
    ['library, hand thresholds', new RumorMatcher(library, { model: null })],
  ];
  const rows = texts.map((t, i) => `${i}\t${matchers.map(([, m]) => line(m.match(t))).join('\t')}`);
  const digests = matchers.map(([name, m]) => {
    const hash = createHash('sha256');
    for (const t of texts) {
      const r = m.match(t);
      hash.update(JSON.stringify([r.id, r.action, r.score, r.probability, r.evidence, r.reasons]));
    }
    return `${name}: ${hash.digest('hex')}`;
  });
  return [`# ${texts.length} messages; columns: ${matchers.map(([name]) => name).join(' | ')}`, ...rows, '# evidence digests', ...digests, ''].join('\n');
}

describe('matching decisions on the project data', () => {
  it('are exactly the pinned ones', async () => {
    await expect(decisions()).toMatchFileSnapshot('../../fixtures/rumor-decisions.snapshot.txt');
  });
});
