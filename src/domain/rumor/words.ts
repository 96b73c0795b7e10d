/**
 * Word-level view of a text for the rumor matcher's decision: content words from a real Chinese
 * segmenter (jieba, `@node-rs/jieba`, prebuilt native binary), with numbers as one slot so that
 * "500头狮子" and "800只狮子" share their words (a count drifts as a story is retold).
 *
 * The segmenter's dictionary loads lazily (≈ 0.2 s) at the first call, not with the library.
 */
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';

let jieba: Jieba | undefined;

/** Words that carry no claim (grammar, pronouns, everyday time words): not content words. */
const STOP_WORDS = new Set([
  '我们', '你们', '他们', '她们', '大家', '自己', '这个', '那个', '这些', '那些', '什么', '怎么', '因为', '所以',
  '但是', '而且', '如果', '就是', '还是', '不是', '没有', '已经', '可以', '现在', '今天', '明天', '昨天', '时候',
  '一个', '一下', '一些', '知道', '觉得', '真的', '的话', '这样', '那样', '还有', '只是', '然后', '其实', '一定',
]);

/** Placeholder for a number in word lists: all numbers are one slot. */
export const NUMBER_SLOT = '#';

/** The content words of a normalized, punctuation-free text (unique): ≥ 2 characters, numbers as one slot. */
export function contentWords(text: string): Set<string> {
  jieba ??= Jieba.withDict(dict);
  const out = new Set<string>();
  for (const raw of jieba.cut(text, false)) {
    const word = raw.replace(/\d+(?:\.\d+)?/gu, NUMBER_SLOT);
    if (word === NUMBER_SLOT) continue;
    if ([...word].length < 2 || STOP_WORDS.has(word) || !/\p{L}/u.test(word)) continue;
    out.add(word);
  }
  return out;
}

/** Share of the message's content words that the rumor's words contain (0 when the message has none). */
export function wordContainment(message: ReadonlySet<string>, rumor: ReadonlySet<string>): number {
  if (message.size === 0) return 0;
  let shared = 0;
  for (const w of message) if (rumor.has(w)) shared++;
  return shared / message.size;
}
