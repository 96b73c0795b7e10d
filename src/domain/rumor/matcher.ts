/**
 * Rumor matcher: decides whether a group message repeats a known rumor, and how sure we are.
 *
 * Pipeline (see docs/RUMORS.md):
 * 1. normalize the message (normalize.ts) and drop framing words ("听说", "是真的吗" …);
 * 2. features = character unigrams and bigrams of the punctuation-free text, weighted by IDF
 *    over the library (unigrams count less than bigrams, very common characters even less);
 * 3. retrieval: an inverted index feature → documents (claim or example) gives candidate
 *    documents by accumulated weight; only features with short posting lists are walked, so
 *    a message never scans the whole library;
 * 4. scoring of the few best candidate rumors: weighted overlap of the message with the
 *    rumor's claim, each example and the union of them (containment in both directions),
 *    plus URL evidence;
 * 5. decision: a learned logistic model (model.ts, weights in config/rumor-model.json, trained
 *    on variants of the project library) reads the best candidate's evidence (coverage both
 *    ways, shared weight, passages, runner-up, length) and gives the probability that it is
 *    right; `reply` above its reply cut-off, `suggest` (send to a curator) when plausible,
 *    otherwise `ignore`. A reply is capped at `suggest` when the message shares only one short
 *    passage, is itself a rebuttal/official notice, negates the claim or puts another country
 *    in place of the rumor's (entities.ts). With `model: null`, the hand thresholds decide.
 *
 * Pure: no I/O, no clock.
 */
import type { RumorEntry } from './library.ts';
import { cleanMessage, normalizeUrl, urlHost } from './normalize.ts';
import { foldSynonyms } from './synonyms.ts';
import { countriesIn, countryMismatch } from './entities.ts';
import { defaultRumorModel, featureVector, probability, replyCutOff, type DecisionEvidence, type RumorModel, type TextEvidence } from './model.ts';

export type { TextEvidence } from './model.ts';

/** What the bot does with a message. */
export type RumorAction = 'reply' | 'suggest' | 'ignore';

/** Result of {@link RumorMatcher.match}. */
export interface RumorMatch {
  /** Id of the best rumor, or null when nothing is close enough to be worth a curator's look. */
  id: string | null;
  /** Match strength in [0, 1] (rounded to 3 decimals). */
  score: number;
  /** reply: answer in the group; suggest: ask a curator; ignore: do nothing. */
  action: RumorAction;
  /** The matched entry (when id is not null). */
  rumor?: RumorEntry;
  /** Why the action was capped or chosen (for curators and debugging). */
  reasons?: string[];
  /** Learned decision: probability that `id` is the rumor the message repeats. */
  probability?: number;
  /** The evidence the learned decision read (for `cascade rumor match --explain`). */
  evidence?: DecisionEvidence;
}

// ---------------------------------------------------------------------------------------------
// Decision thresholds
// ---------------------------------------------------------------------------------------------

/**
 * Score at or above which the bot answers in the group by itself. A wrong public answer (a
 * rebuttal to someone's harmless chat) costs the bot its credibility, so this sits where the
 * message must share most of its distinctive wording with one rumor. On the hand-written
 * village set, chat and notices all score below 0.4; 0.45 leaves a margin above that.
 */
export const REPLY_THRESHOLD = 0.45;

/**
 * Score at or above which the message is sent to a curator with the best rumor as a
 * suggestion. Curators can dismiss a suggestion at little cost, so this is low: it only has to
 * keep plain chat that shares one word with a rumor ("今晚整两口白酒") out of their queue.
 */
export const SUGGEST_THRESHOLD = 0.25;

/**
 * A reply also needs the best rumor to lead the runner-up by this ratio: if two rumors fit
 * comparably the message is ambiguous and a curator should choose. 1.5 rather than 1.15: on
 * checked-queries it turns 0.891 → 0.917 reply precision (recall 0.623 → 0.607) and changes
 * nothing on village-dev; a library that holds the same story twice is the usual cause.
 */
export const REPLY_MARGIN_RATIO = 1.5;

/**
 * A match needs at least this many separate shared passages (typically the thing and the
 * claimed effect: "板蓝根" + "预防新冠"). Sharing a single word or phrase with a rumor is what
 * ordinary chat about the same thing does ("板蓝根在哪买").
 */
export const MIN_SHARED_RUNS = 2;

/** A single shared passage of at least this many bigrams (6 characters: a phrase, not a name) is enough. */
export const LONG_RUN_BIGRAMS = 5;

/** Score factor for a message that shares only one short passage with the rumor. */
export const SINGLE_RUN_FACTOR = 0.6;

/**
 * Messages shorter than this (chat length) that share a word only one rumor has and name the
 * disease go to a curator even when the model says ignore. Longer posts do not: news names the
 * disease and many things besides.
 */
export const OWN_WORD_MAX_LETTERS = 40;

/** Letters from which a message is a long post (Weibo-length news rather than chat). */
export const LONG_POST_LETTERS = 100;

/** A long post answered by itself must repeat at least this share of one of the rumor's wordings. */
export const LONG_POST_MIN_COVERAGE = 0.25;

/** Messages shorter than this (in letters/digits, after normalization) are chat: ignored. */
export const MIN_MESSAGE_LENGTH = 5;

/**
 * Score given by a link that is exactly one of a rumor's links (same host and path). A scam
 * link is the rumor itself whatever words surround it.
 */
export const URL_EXACT_SCORE = 1;

/** Score given by a link on the same (non-generic) host as one of a rumor's links. */
export const URL_HOST_SCORE = 0.9;

// ---------------------------------------------------------------------------------------------
// Feature weighting and retrieval
// ---------------------------------------------------------------------------------------------

/** Weight of a character unigram relative to a bigram (single characters are weak evidence). */
const UNIGRAM_WEIGHT = 0.35;

/** Extra factor for very common characters (function words, pronouns, common verbs). */
const COMMON_CHAR_FACTOR = 0.3;

/**
 * Characters so frequent in any Chinese chat that, alone, they say nothing about the topic.
 * (Bigrams containing them keep their full weight.)
 */
const COMMON_CHARS = new Set(
  [...'的了是在我你他她它们这那有和与就都也很吗呢啊吧么个一不人大家说要会能可以到去来上下里对给着过把被让还又再只好多少些哦嗯呀啦么得地之其为而及或但所从自己没什怎样'],
);

/**
 * Factor for a bigram with one very common character ("能把", "的人"): such bigrams are mostly
 * grammar, and a small library cannot tell that from their IDF.
 */
const COMMON_BIGRAM_FACTOR = 0.5;

/**
 * Factor for features that occur in no library wording. They come from the sender's own words
 * ("每天中午", "过年嘛"); the library cannot say how informative they are, so they dilute the
 * message's coverage less than a full-IDF feature would.
 */
const UNSEEN_FEATURE_FACTOR = 0.4;

/** Exponent of the message coverage in {@link combine} (the wording coverage gets the rest). */
const QUERY_COVERAGE_EXPONENT = 0.6;

/**
 * Everyday words (places, times, people) that carry no claim. Weighted like common characters
 * and never enough on their own to count as a shared passage.
 */
const COMMON_WORDS = new Set([
  '村里', '家里', '屋里', '镇上', '县里', '今天', '明天', '昨天', '今晚', '晚上', '早上', '现在', '马上',
  '大家', '我们', '你们', '他们', '自己', '别人', '老人', '孩子', '家人', '时候', '什么', '怎么', '这个',
  '那个', '一下', '一点', '已经', '还是', '就是', '不是', '可以', '没有', '知道', '觉得', '注意', '一定',
]);

/**
 * The disease and what every epidemic rumor claims about it (after synonym folding). A shared
 * passage made only of these ("能预防新冠病毒") is what an unlisted remedy shares with a listed
 * one ("吃生姜能预防新冠" against "喝板蓝根能预防新冠"): it does not count as sharing the claim.
 * A small library cannot learn that from document frequency.
 */
const GENERIC_CLAIM = /新冠病毒|病毒|预防|杀死|感染|传染|传播|治疗|疫情/gu;

/** Posting lists longer than this share of the library are not walked during retrieval. */
const RETRIEVAL_MAX_DF_SHARE = 0.02;

/** ... but lists up to this length are always walked (small libraries). */
const RETRIEVAL_MIN_DF_CAP = 64;

/** Number of candidate documents kept from retrieval for exact scoring. */
const RETRIEVAL_TOP_DOCS = 24;

// ---------------------------------------------------------------------------------------------
// Cue words
// ---------------------------------------------------------------------------------------------

/**
 * Words that frame a message without being part of a claim ("听说…", "…是真的吗"). They are
 * removed before matching so that a question about a rumor scores like the rumor itself.
 */
const FRAMING_PATTERNS: readonly RegExp[] = [
  /(?:这个|这)?(?:是|是不是)?真的(?:吗|嘛|么|假的)?|真的假的|是否属实|靠谱吗|可信吗|能信吗|有没有用|有用吗|对吗|是吗/gu,
  /听说|听人说|有人说|据说|网上说|群里说|朋友圈说|大家说|请问|问一下|问下/gu,
];

/**
 * Refutation cues: the message is itself a rebuttal or an official correction. Matching text is
 * expected (a rebuttal repeats the claim) but the bot must not answer it.
 */
const REFUTATION_PATTERNS: readonly RegExp[] = [
  /辟谣|谣言|谣传|不实|假消息|假新闻|(?<!真的)假的|虚假|不信谣|不传谣|造谣|传谣|经核实|经查|澄清|误导|瞎扯|胡扯|胡说|扯淡|瞎说|骗子|骗局|诈骗|别上当|莫上当|不要上当|谨防|(?:千万)?别点/u,
  /请勿(?:转发|传播|相信|轻信)|不要(?:相信|轻信|传播|转发)|切勿(?:相信|轻信|转发)|别信|没有(?:科学)?(?:依据|根据|证据)/u,
  // Everyday ways of saying "that is not true" (an A-not-A question such as 是不是真的 is not one).
  /(?<!有)没(?:有)?这(?:回|个)?事|(?<!是)不是真的|纯属|子虚乌有|无稽之谈|(?<!靠)不靠谱|忽悠|骗人的|瞎编|胡编|乱说|乱传|不属实|(?:是|都是)(?:瞎)?编的/u,
  /以[^，。,.!！?？]{0,12}(?:通报|公告|发布|通知)为准/u,
];

/** Official-notice cues: statistics bulletins and announcements are not rumors to answer. */
const OFFICIAL_PATTERNS: readonly RegExp[] = [
  /通报[:：]|截至\d|截至[今昨]|公告[:：]|特此(?:通知|公告)|新闻发布会|答记者问/u,
];

/**
 * Phrases that deny an effect ("没什么用", "防不住", "杀不死"). A message that uses one which none of
 * the rumor's wordings uses says the rumor's claim is false ("板蓝根防不住新冠"); a rumor that is
 * itself worded with one ("一个口罩根本没用") is not contradicted by it.
 */
const DENIAL_PATTERN =
  /(?:没|没有|不)(?:什么|啥|多大|一点)?(?:用|效果|作用|关系)|(?:用|用处|效果|作用)(?:都|也)?没有|不管用|不顶用|白搭|(?:防|挡|杀|治|抗|预防)(?:不住|不了|不死|不好)|(?:预防|杀死|治疗)不了/gu;

/**
 * An A-not-A question ("能不能", "是不是", "管不管用", "有没有") asks; it does not deny. True when
 * the negation at `index` in `key` is one.
 */
function isQuestionForm(key: string, index: number, negation: string): boolean {
  const after = negation.startsWith('没有') ? '有' : negation[1];
  return index > 0 && (negation[0] === '不' || negation[0] === '没') && key[index - 1] === after;
}

/** Denial phrases in a text that are not part of an A-not-A question. */
function hasDenial(key: string): boolean {
  for (const m of key.matchAll(DENIAL_PATTERN)) if (!isQuestionForm(key, m.index, m[0])) return true;
  return false;
}

/** Negations that flip a claim ("不能预防" vs "能预防"). */
const NEGATION_PATTERN = /(?:不能|不会|不可以|不可能|无法|并不能|并不会|并没有|没有|不是|并非|不用|不必|没必要|用不着)(?=[\p{L}\p{N}]{2})/gu;

/** Hosts shared by many unrelated pages: a link there is not evidence of a particular rumor. */
const GENERIC_HOSTS = new Set([
  'weibo.com', 'm.weibo.cn', 't.cn', 'mp.weixin.qq.com', 'weixin.qq.com', 'qq.com', 'baidu.com',
  'douyin.com', 'v.douyin.com', 'kuaishou.com', 'bilibili.com', 'b23.tv', 'toutiao.com',
  'youtube.com', 'youtu.be', 'facebook.com', 'line.me', 'google.com', 'bit.ly', 'goo.gl',
]);

// ---------------------------------------------------------------------------------------------
// Features
// ---------------------------------------------------------------------------------------------

/**
 * Unique unigram and bigram features of punctuation-free segments, in the order the matcher
 * interns them (it walks the characters the same way without building these strings).
 */
export function textFeatures(segments: readonly string[]): Set<string> {
  const features = new Set<string>();
  for (const segment of segments) {
    const chars = [...segment];
    for (let i = 0; i < chars.length; i++) {
      features.add(chars[i]);
      if (i + 1 < chars.length) features.add(chars[i] + chars[i + 1]);
    }
  }
  return features;
}

/** The text features are taken from: framing words removed, synonyms folded. */
function matchingText(text: string): string {
  let out = text;
  for (const pattern of FRAMING_PATTERNS) out = out.replace(pattern, ' ');
  return foldSynonyms(out);
}

function segmentsOf(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter((s) => s.length > 0);
}

/** Marks the end of a segment in a message's bigram sequence (no passage runs across it). */
const SEGMENT_BREAK = -2;
/** A bigram that occurs in no library wording. */
const UNSEEN = -1;

/** Initial capacity of the per-feature arrays (they double as the library grows). */
const INITIAL_FEATURES = 1024;

/**
 * Size of the chunks that hold the sorted feature ids of wordings and rumors (each list is a
 * view into a chunk). One typed array of its own per list meant 40,000 small buffers for a
 * 10,000-entry library, and their allocation and collection were a large share of the load.
 */
const ID_CHUNK = 1 << 14;

/** Counters exposed for tests and benchmarks. */
export interface MatcherStats {
  /** Messages matched so far. */
  messages: number;
  /** Rumors scored exactly so far (over all messages). */
  rumorsScored: number;
  /** Documents touched through posting lists so far. */
  postingsVisited: number;
}

/** Optional overrides of the decision thresholds (for experiments; defaults are the constants). */
export interface MatcherOptions {
  replyThreshold?: number;
  suggestThreshold?: number;
  /**
   * The learned decision (model.ts). Default: the project's trained model
   * (config/rumor-model.json); `null`: the hand thresholds {@link REPLY_THRESHOLD} and
   * {@link SUGGEST_THRESHOLD} with the {@link REPLY_MARGIN_RATIO} rule.
   */
  model?: RumorModel | null;
}

/** Score details of one candidate rumor. */
interface Candidate {
  rumor: number;
  score: number;
  /** Text evidence (absent for a rumor found only through a link). */
  text?: TextEvidence;
}

interface IndexedRumor {
  entry: RumorEntry;
  docs: number[];
  /** Feature ids of all its wordings, sorted, unique. */
  union: Int32Array;
  unionWeight: number;
  unionVersion: number;
  urls: string[];
  /** Punctuation-free keys of its wordings (for negation-flip detection). */
  keys: string[];
  /** Countries its wordings name (computed when it is first about to be replied with). */
  countries?: Set<string>;
}

/** A message as the matcher sees it: its known features with weights, and its bigram sequence. */
interface Query {
  /** Ids of the message's features that occur in the library (unique). */
  ids: number[];
  /** Total weight of all its features, unseen ones included. */
  weight: number;
  /** Feature id per bigram position, {@link UNSEEN} or {@link SEGMENT_BREAK}. */
  bigrams: Int32Array;
  /**
   * Per bigram: 0 grammar or an everyday word, 1 substantive but only the generic claim
   * ({@link GENERIC_CLAIM}), 2 specific.
   */
  substantive: Uint8Array;
}

/**
 * Matches messages against a rumor library. Build it once from the library; add curator
 * entries at run time with {@link RumorMatcher.add}.
 *
 * Features are interned as integer ids; per-feature data (document frequency, cached weight,
 * posting list) lives in arrays indexed by id, and each wording keeps a sorted `Int32Array` of
 * its ids. A message's weights go into a reused scratch array, so scoring a candidate is a walk
 * over its wordings' ids with no hashing and no per-candidate allocation.
 */
export class RumorMatcher {
  private readonly rumors: IndexedRumor[] = [];
  private readonly byId = new Map<string, number>();
  /** Per document (a claim or an example): its rumor, feature ids, cached weight. */
  private readonly docRumor: number[] = [];
  private readonly docFeatures: Int32Array[] = [];
  private readonly docWeights: number[] = [];
  private readonly docWeightVersions: number[] = [];
  /**
   * Feature ids by characters, so that no feature string is built to look one up: a unigram by
   * its code point, a bigram by its first character's unigram id and its second code point.
   * (Indexing 10,000 entries looks features up ≈ 1.5 million times; hashing a fresh
   * two-character string each time, and collecting it, was most of the index time.)
   */
  private readonly unigramIds = new Map<number, number>();
  /** unigram id → (code point of the next character → bigram id). */
  private readonly bigramIds: (Map<number, number> | undefined)[] = [];
  /** id → document ordinals containing it. */
  private postings: number[][] = [];
  /** id → number of rumors containing it (document frequency at rumor level). */
  private df = new Int32Array(INITIAL_FEATURES);
  /** id → the part of its weight that does not depend on the library (unigram/common discounts). */
  private staticFactor = new Float64Array(INITIAL_FEATURES);
  /** id → cached weight, valid when its version equals the index version. */
  private weightCache = new Float64Array(INITIAL_FEATURES);
  private weightVersion = new Int32Array(INITIAL_FEATURES);
  /** Scratch: id → the current message's weight for it (0 otherwise; cleared after each match). */
  private queryWeight = new Float64Array(INITIAL_FEATURES);
  /** Scratch: id → stamp of the rumor whose wording contains it (for shared-passage runs). */
  private marks = new Int32Array(INITIAL_FEATURES);
  private stamp = 0;
  /** The chunk that sorted id lists are being cut from, and how much of it is used. */
  private idChunk = new Int32Array(0);
  private idChunkUsed = 0;
  /** Scratch for {@link add}: id → 1 + the document that last took it (dedup without a Set). */
  private inWording = new Int32Array(INITIAL_FEATURES);
  /** Scratch: 1 per bigram position of the message shared with the rumor being scored. */
  private shared = new Uint8Array(256);
  /** host → rumor ordinals; exact normalized link → rumor ordinals. */
  private readonly hostIndex = new Map<string, number[]>();
  private readonly urlIndex = new Map<string, number[]>();
  /** Bumped on every change that alters IDF weights. */
  private version = 0;
  /** Scratch accumulator for retrieval (one slot per document, reset after each use). */
  private accumulator = new Float64Array(0);
  /** While the constructor indexes the initial library: posting lists are built after it. */
  private deferPostings = false;
  private readonly counters: MatcherStats = { messages: 0, rumorsScored: 0, postingsVisited: 0 };

  private readonly replyThreshold: number;
  private readonly suggestThreshold: number;
  private readonly model: RumorModel | null;

  constructor(entries: Iterable<RumorEntry> = [], options: MatcherOptions = {}) {
    this.model = options.model === undefined ? defaultRumorModel() : options.model;
    this.replyThreshold = options.replyThreshold ?? REPLY_THRESHOLD;
    this.suggestThreshold = options.suggestThreshold ?? SUGGEST_THRESHOLD;
    // The initial library's posting lists are built once it is all indexed, each at its final
    // length: pushing 1.5 million document ids one by one re-allocated the long lists again
    // and again, and the garbage collector copied every copy (half of what it copied).
    this.deferPostings = true;
    for (const entry of entries) this.add(entry);
    this.deferPostings = false;
    this.buildPostings();
  }

  /** Number of rumors in the matcher. */
  get size(): number {
    return this.rumors.length;
  }

  /** The learned decision in use (null: hand thresholds). */
  get decisionModel(): RumorModel | null {
    return this.model;
  }

  /** Work counters (for tests and benchmarks). */
  get stats(): Readonly<MatcherStats> {
    return { ...this.counters };
  }

  /** The entry with this id, if any. */
  get(id: string): RumorEntry | undefined {
    const ordinal = this.byId.get(id);
    return ordinal === undefined ? undefined : this.rumors[ordinal].entry;
  }

  /** All entries, in the order they were added. */
  entries(): RumorEntry[] {
    return this.rumors.map((r) => r.entry);
  }

  /**
   * Add a rumor (e.g. one a curator wrote at run time). An entry with an id already present
   * is rejected: ids are stable references in replies and logs.
   * @throws Error on a duplicate id.
   */
  add(entry: RumorEntry): void {
    if (this.byId.has(entry.id)) throw new Error(`rumor id "${entry.id}" is already in the matcher`);
    const ordinal = this.rumors.length;
    const docIds: number[] = [];
    const keys: string[] = [];
    const lists: Int32Array[] = [];
    for (const wording of [entry.claim, ...entry.examples]) {
      const segments = segmentsOf(matchingText(cleanMessage(wording).text));
      const docId = this.docFeatures.length;
      const found = this.internFeatures(segments, docId + 1);
      if (found.length === 0) continue;
      const ids = this.sortedIds(found);
      this.docRumor.push(ordinal);
      this.docFeatures.push(ids);
      this.docWeights.push(0);
      this.docWeightVersions.push(-1);
      docIds.push(docId);
      keys.push(segments.join(''));
      lists.push(ids);
      if (!this.deferPostings) for (const id of ids) this.postings[id].push(docId);
    }
    const unionIds = this.unionOf(lists);
    for (const id of unionIds) this.df[id]++;
    const urls = entry.urls.map(normalizeUrl);
    for (const url of new Set(urls)) pushTo(this.urlIndex, url, ordinal);
    for (const host of new Set(urls.map(urlHost))) if (host && !GENERIC_HOSTS.has(host)) pushTo(this.hostIndex, host, ordinal);
    this.rumors.push({ entry, docs: docIds, union: unionIds, unionWeight: 0, unionVersion: -1, urls, keys });
    this.byId.set(entry.id, ordinal);
    this.version++;
  }

  /**
   * The unique feature ids of a wording's segments, interning new ones, in the order
   * {@link textFeatures} lists the features (u0, b01, u1, b12, …): ids are handed out in that
   * order, as they always were, so weights are summed in the same order and give the same floats.
   * `stamp` (1 + the wording's document ordinal) marks the ids already taken.
   */
  private internFeatures(segments: readonly string[], stamp: number): number[] {
    const found: number[] = [];
    const take = (id: number) => {
      if (this.inWording[id] === stamp) return;
      this.inWording[id] = stamp;
      found.push(id);
    };
    for (const segment of segments) {
      let previous = -1;
      let previousStart = 0;
      for (let i = 0; i < segment.length; ) {
        const start = i;
        const cp = segment.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        if (previous >= 0) {
          let next = this.bigramIds[previous];
          if (!next) this.bigramIds[previous] = next = new Map();
          let bigram = next.get(cp);
          if (bigram === undefined) next.set(cp, (bigram = this.newFeature(segment.slice(previousStart, i))));
          take(bigram);
        }
        let unigram = this.unigramIds.get(cp);
        if (unigram === undefined) this.unigramIds.set(cp, (unigram = this.newFeature(segment.slice(start, i))));
        take(unigram);
        previous = unigram;
        previousStart = start;
      }
    }
    return found;
  }

  /** The id of a library unigram, {@link UNSEEN} when no wording has it. */
  private unigramId(cp: number): number {
    return this.unigramIds.get(cp) ?? UNSEEN;
  }

  /** The id of a library bigram from its first character's id, {@link UNSEEN} when no wording has it. */
  private bigramId(first: number, cp: number): number {
    if (first === UNSEEN) return UNSEEN;
    return this.bigramIds[first]?.get(cp) ?? UNSEEN;
  }

  /** Posting lists of all documents, each allocated at its length and filled in document order. */
  private buildPostings(): void {
    const lengths = new Int32Array(this.postings.length);
    for (const ids of this.docFeatures) for (let i = 0; i < ids.length; i++) lengths[ids[i]]++;
    const lists: number[][] = Array.from(lengths, (n) => new Array<number>(n));
    const filled = new Int32Array(this.postings.length);
    this.docFeatures.forEach((ids, docId) => {
      for (let i = 0; i < ids.length; i++) lists[ids[i]][filled[ids[i]]++] = docId;
    });
    this.postings = lists;
  }

  /** Where in the current chunk `n` more ids fit (a new chunk when they do not). */
  private reserveIds(n: number): number {
    if (this.idChunkUsed + n > this.idChunk.length) {
      this.idChunk = new Int32Array(Math.max(ID_CHUNK, n));
      this.idChunkUsed = 0;
    }
    return this.idChunkUsed;
  }

  /** The ids, sorted, in a view of the current chunk. */
  private sortedIds(ids: readonly number[]): Int32Array {
    const at = this.reserveIds(ids.length);
    this.idChunkUsed = at + ids.length;
    const view = this.idChunk.subarray(at, at + ids.length);
    view.set(ids);
    return view.sort();
  }

  /**
   * The union of a rumor's sorted wording lists, sorted and without repeats, merged rather than
   * collected and sorted again (a rumor has a claim and a few examples: k is small).
   */
  private unionOf(lists: readonly Int32Array[]): Int32Array {
    if (lists.length === 1) return lists[0];
    let total = 0;
    for (const list of lists) total += list.length;
    const at = this.reserveIds(total);
    const out = this.idChunk;
    const heads = new Array<number>(lists.length).fill(0);
    let n = 0;
    for (;;) {
      let min = -1;
      for (let k = 0; k < lists.length; k++) {
        if (heads[k] < lists[k].length && (min < 0 || lists[k][heads[k]] < min)) min = lists[k][heads[k]];
      }
      if (min < 0) break;
      for (let k = 0; k < lists.length; k++) if (heads[k] < lists[k].length && lists[k][heads[k]] === min) heads[k]++;
      out[at + n++] = min;
    }
    this.idChunkUsed = at + n;
    return out.subarray(at, at + n);
  }

  /** A new feature id, with room for it in the per-feature arrays. */
  private newFeature(feature: string): number {
    const id = this.postings.length;
    if (id >= this.df.length) this.growFeatures(id * 2);
    this.postings.push([]);
    this.staticFactor[id] = staticFactor(feature);
    return id;
  }

  private growFeatures(capacity: number): void {
    const grow = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.df = grow(this.df, (n) => new Int32Array(n));
    this.staticFactor = grow(this.staticFactor, (n) => new Float64Array(n));
    this.weightCache = grow(this.weightCache, (n) => new Float64Array(n));
    this.weightVersion = grow(this.weightVersion, (n) => new Int32Array(n));
    this.queryWeight = grow(this.queryWeight, (n) => new Float64Array(n));
    this.marks = grow(this.marks, (n) => new Int32Array(n));
    this.inWording = grow(this.inWording, (n) => new Int32Array(n));
  }

  /** Inverse document frequency over rumors for a document frequency (0 for unseen features). */
  private idf(df: number): number {
    return Math.log((this.rumors.length + 1) / (df + 0.5));
  }

  /** Weight of a library feature: IDF times the unigram / common-character discounts (cached). */
  private featureWeight(id: number): number {
    if (this.weightVersion[id] !== this.version) {
      this.weightCache[id] = this.idf(this.df[id]) * this.staticFactor[id];
      this.weightVersion[id] = this.version;
    }
    return this.weightCache[id];
  }

  /** Total library weight of a wording's (or a rumor's) features. */
  private totalWeight(ids: Int32Array): number {
    let total = 0;
    for (let i = 0; i < ids.length; i++) total += this.featureWeight(ids[i]);
    return total;
  }

  private docWeight(docId: number): number {
    if (this.docWeightVersions[docId] !== this.version) {
      this.docWeights[docId] = this.totalWeight(this.docFeatures[docId]);
      this.docWeightVersions[docId] = this.version;
    }
    return this.docWeights[docId];
  }

  private unionWeight(rumor: IndexedRumor): number {
    if (rumor.unionVersion !== this.version) {
      rumor.unionWeight = this.totalWeight(rumor.union);
      rumor.unionVersion = this.version;
    }
    return rumor.unionWeight;
  }

  /**
   * Reads a message's features: library features get their weight in the scratch array
   * (cleared by {@link clearQuery}); features no wording has count with a reduced weight.
   */
  private analyze(segments: readonly string[]): Query {
    const ids: number[] = [];
    const seenUnknown = new Set<string>();
    const bigrams: number[] = [];
    const substantive: number[] = [];
    let weight = 0;
    const known = (id: number): number => {
      if (this.queryWeight[id] === 0) {
        const w = this.featureWeight(id);
        this.queryWeight[id] = w;
        ids.push(id);
        weight += w;
      }
      return id;
    };
    // Only a feature the library lacks needs its text (its discount, and counting it once).
    const unseen = (feature: string): number => {
      if (!seenUnknown.has(feature)) {
        seenUnknown.add(feature);
        weight += this.idf(0) * UNSEEN_FEATURE_FACTOR * staticFactor(feature);
      }
      return UNSEEN;
    };
    for (const segment of segments) {
      const chars = [...segment];
      const generic = genericMask(segment);
      for (let i = 0; i < chars.length; i++) {
        const unigram = this.unigramId(chars[i].codePointAt(0)!);
        if (unigram === UNSEEN) unseen(chars[i]);
        else known(unigram);
        if (i + 1 < chars.length) {
          const bigram = this.bigramId(unigram, chars[i + 1].codePointAt(0)!);
          bigrams.push(bigram === UNSEEN ? unseen(chars[i] + chars[i + 1]) : known(bigram));
          substantive.push(substance(chars, generic, i));
        }
      }
      bigrams.push(SEGMENT_BREAK);
      substantive.push(0);
    }
    return { ids, weight, bigrams: Int32Array.from(bigrams), substantive: Uint8Array.from(substantive) };
  }

  private clearQuery(q: Query): void {
    for (const id of q.ids) this.queryWeight[id] = 0;
  }

  /** Candidate rumors through the inverted index: never a full scan of the library. */
  private retrieve(q: Query): number[] {
    const docCount = this.docFeatures.length;
    const cap = Math.max(RETRIEVAL_MIN_DF_CAP, Math.floor(docCount * RETRIEVAL_MAX_DF_SHARE));
    if (this.accumulator.length < docCount) this.accumulator = new Float64Array(docCount * 2);
    const acc = this.accumulator;
    const touched: number[] = [];
    for (const id of q.ids) {
      const list = this.postings[id];
      if (list.length > cap) continue;
      const w = this.queryWeight[id];
      this.counters.postingsVisited += list.length;
      for (let i = 0; i < list.length; i++) {
        const docId = list[i];
        if (acc[docId] === 0) touched.push(docId);
        acc[docId] += w;
      }
    }
    // Partial selection of the best documents (touched lists can be long; K is small).
    const top: number[] = [];
    for (const docId of touched) {
      const value = acc[docId];
      if (top.length === RETRIEVAL_TOP_DOCS && value <= acc[top[top.length - 1]]) continue;
      let i = Math.min(top.length, RETRIEVAL_TOP_DOCS - 1);
      top[i] = docId;
      while (i > 0 && acc[top[i - 1]] < value) {
        top[i] = top[i - 1];
        top[i - 1] = docId;
        i--;
      }
    }
    const rumors: number[] = [];
    for (const docId of top) {
      const r = this.docRumor[docId];
      if (!rumors.includes(r)) rumors.push(r);
    }
    for (const docId of touched) acc[docId] = 0;
    return rumors;
  }

  /** Query weight of the features in a sorted id list (the message's share of a wording). */
  private sharedWeight(ids: Int32Array): number {
    let shared = 0;
    for (let i = 0; i < ids.length; i++) shared += this.queryWeight[ids[i]];
    return shared;
  }

  /** Whether the message has a feature (not a very common character) that only this rumor's wordings have. */
  private sharesOwnFeature(rumor: IndexedRumor): boolean {
    for (let i = 0; i < rumor.union.length; i++) {
      const id = rumor.union[i];
      if (this.queryWeight[id] > 0 && this.df[id] === 1 && this.staticFactor[id] >= UNIGRAM_WEIGHT) return true;
    }
    return false;
  }

  /** Exact text score of one rumor against the message, with the evidence behind it. */
  private scoreRumor(ordinal: number, q: Query): TextEvidence {
    const rumor = this.rumors[ordinal];
    this.counters.rumorsScored++;
    let best = 0;
    let bestQ = 0;
    let bestD = 0;
    const consider = (shared: number, wordingWeight: number) => {
      const qc = shared / q.weight;
      const dc = shared / wordingWeight;
      const s = combine(qc, dc);
      if (s > best) {
        best = s;
        bestQ = Math.min(1, qc);
        bestD = Math.min(1, dc);
      }
    };
    for (const docId of rumor.docs) consider(this.sharedWeight(this.docFeatures[docId]), this.docWeight(docId));
    const sharedUnion = this.sharedWeight(rumor.union);
    consider(sharedUnion, this.unionWeight(rumor));
    const runs = this.sharedRunsWith(rumor, q);
    const claim = runs.longest >= LONG_RUN_BIGRAMS || runs.runs >= MIN_SHARED_RUNS;
    return {
      score: claim ? best : best * SINGLE_RUN_FACTOR,
      queryCoverage: bestQ,
      wordingCoverage: bestD,
      shared: sharedUnion / this.idf(0),
      longestRun: runs.longest,
      runs: runs.runs,
      specific: runs.specific ?? true,
    };
  }

  /** {@link sharesClaim} on ids: marks the rumor's features, then walks the message's bigrams. */
  private sharedRunsWith(rumor: IndexedRumor, q: Query): SharedRuns {
    if (++this.stamp > 0x3fffffff) {
      this.marks.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp;
    for (let i = 0; i < rumor.union.length; i++) this.marks[rumor.union[i]] = stamp;
    if (this.shared.length < q.bigrams.length) this.shared = new Uint8Array(q.bigrams.length * 2);
    const shared = this.shared;
    let specific = false;
    for (let p = 0; p < q.bigrams.length; p++) {
      const id = q.bigrams[p];
      shared[p] = id >= 0 && this.marks[id] === stamp ? 1 : 0;
      if (shared[p] && q.substantive[p] === 2) specific = true;
    }
    return { ...sharedRuns(shared, q.substantive, q.bigrams.length), specific };
  }

  /** Rumors whose links appear in the message, with the URL score. */
  private urlEvidence(urls: readonly string[]): Map<number, number> {
    const found = new Map<number, number>();
    const raise = (ordinal: number, score: number) => found.set(ordinal, Math.max(found.get(ordinal) ?? 0, score));
    for (const url of urls) {
      // Exact links count on any host (even one specific article on a generic host).
      for (const ordinal of this.urlIndex.get(url) ?? []) raise(ordinal, URL_EXACT_SCORE);
      for (const ordinal of this.hostIndex.get(urlHost(url)) ?? []) raise(ordinal, URL_HOST_SCORE);
    }
    return found;
  }

  /**
   * Match one message.
   * @returns the best rumor (or null), a score in [0, 1] and the action to take.
   */
  match(text: string): RumorMatch {
    this.counters.messages++;
    const normalized = cleanMessage(text);
    const segments = segmentsOf(matchingText(normalized.text));
    const key = segments.join('');
    const reasons: string[] = [];

    const urlScores = normalized.urls.length ? this.urlEvidence(normalized.urls) : new Map<number, number>();
    if (key.length < MIN_MESSAGE_LENGTH && urlScores.size === 0) {
      return { id: null, score: 0, action: 'ignore', reasons: ['short'] };
    }

    const candidates: Candidate[] = [];
    const seen = new Set<number>();
    /** Whether the message has a feature only the best text candidate has (read while the query's weights are set). */
    let own = false;
    if (key.length >= MIN_MESSAGE_LENGTH) {
      const q = this.analyze(segments);
      try {
        if (q.weight > 0) {
          for (const ordinal of this.retrieve(q)) {
            seen.add(ordinal);
            const evidence = this.scoreRumor(ordinal, q);
            candidates.push({ rumor: ordinal, score: Math.max(evidence.score, urlScores.get(ordinal) ?? 0), text: evidence });
          }
          if (candidates.length > 0) {
            candidates.sort((a, b) => b.score - a.score);
            own = this.sharesOwnFeature(this.rumors[candidates[0].rumor]);
          }
        }
      } finally {
        this.clearQuery(q);
      }
    }
    for (const [ordinal, score] of urlScores) {
      if (!seen.has(ordinal)) candidates.push({ rumor: ordinal, score });
    }
    if (candidates.length === 0) return { id: null, score: 0, action: 'ignore', reasons: ['no candidate'] };

    candidates.sort((a, b) => b.score - a.score);
    const best = candidates[0];
    const runnerUp = candidates[1]?.score ?? 0;
    const rumor = this.rumors[best.rumor];
    const score = round3(best.score);
    const urlBacked = (urlScores.get(best.rumor) ?? 0) >= best.score;

    let action: RumorAction;
    let evidence: DecisionEvidence | undefined;
    let p: number | undefined;
    if (this.model && !urlBacked && best.text) {
      // Learned decision over the evidence (model.ts); the rules below still cap it.
      evidence = {
        ...best.text,
        own,
        runnerUp: best.score > 0 ? Math.min(1, runnerUp / best.score) : 1,
        length: key.length,
      };
      p = probability(this.model, featureVector(evidence));
      const m = this.model;
      // A young library knows less about what is ordinary: its own, higher cut-off (issue 27).
      const replyAt = replyCutOff(m, this.rumors.length);
      const claim = evidence.runs >= MIN_SHARED_RUNS || evidence.longestRun >= LONG_RUN_BIGRAMS;
      action = p >= replyAt ? 'reply'
        : (p >= m.suggestAt && best.score >= m.suggestMinScore) || (claim && p >= m.suggestClaimAt && best.score >= m.suggestClaimMinScore) ? 'suggest' : 'ignore';
      reasons.push(`p=${p.toFixed(3)} (reply at ${replyAt}; suggest at ${m.suggestAt} with score ≥ ${m.suggestMinScore}, or at ${m.suggestClaimAt} with score ≥ ${m.suggestClaimMinScore} when a claim is shared)`);
      if (p >= m.replyAt && p < replyAt) reasons.push(`young library: ${this.rumors.length} entries reply only at p ≥ ${replyAt}`);
      if (action === 'reply' && !claim) {
        // One short shared passage (a name, one word) is what chat about the same thing shares.
        action = 'suggest';
        reasons.push('one short shared passage');
      } else if (action === 'reply' && evidence.longestRun < 2 && evidence.runs <= MIN_SHARED_RUNS) {
        // Two single words ("5G" … "信号") are what chat about the same things shares
        // ("咱村下个月通5G，手机信号能好点了吧"); a retelling shares a phrase of three characters
        // or more, or more of the story's words.
        action = 'suggest';
        reasons.push('only two single words shared');
      } else if (action === 'reply' && evidence.length >= LONG_POST_LETTERS && evidence.wordingCoverage < LONG_POST_MIN_COVERAGE) {
        // A long post that retells a rumor repeats much of one of its wordings; one that repeats
        // little of any is news about the same people and things (a drug's trial, a school's
        // opening date) that shares many words by its length alone.
        action = 'suggest';
        reasons.push('long post repeating little of the rumor');
      } else if (action === 'reply' && !evidence.specific) {
        // "吃生姜能预防新冠" shares with "喝板蓝根能预防新冠" only what every remedy rumor says.
        action = 'suggest';
        reasons.push('shares only the generic claim');
      }
      if (action === 'ignore' && evidence.own && evidence.length < OWN_WORD_MAX_LETTERS && hasGenericClaim(key)) {
        // A third way to a curator: a short message that names something only this rumor talks
        // about (醋, 5G, 芯片) and the disease is about that rumor's topic, in words the library
        // lacks ("拿醋烧起蒸，醋气一冲那个冠状病毒就莫得了") — or a new rumor next to it, which the
        // curator can answer with 辟谣 S12 <反驳> as a new entry.
        action = 'suggest';
        reasons.push('the rumor\'s own word and the disease');
      }
      if (action === 'ignore') return { id: null, score, action, reasons, probability: round3(p), evidence };
    } else {
      if (best.score < this.suggestThreshold) {
        return { id: null, score, action: 'ignore', reasons: ['below suggest threshold'] };
      }
      action = best.score >= this.replyThreshold ? 'reply' : 'suggest';
      if (urlBacked) reasons.push('link of the rumor');
      if (action === 'reply' && !urlBacked && best.score < runnerUp * REPLY_MARGIN_RATIO) {
        action = 'suggest';
        reasons.push('ambiguous');
      }
    }
    if (action === 'reply') {
      if (matchesAny(REFUTATION_PATTERNS, normalized.plain)) {
        action = 'suggest';
        reasons.push('refutation cue');
      } else if (matchesAny(OFFICIAL_PATTERNS, normalized.plain)) {
        action = 'suggest';
        reasons.push('official notice');
      } else if (negatesRumor(key, rumor.keys)) {
        action = 'suggest';
        reasons.push('negated claim');
      } else if (!urlBacked) {
        rumor.countries ??= countriesIn(rumor.keys);
        const mismatch = countryMismatch(countriesIn(segments), rumor.countries);
        if (mismatch) {
          action = 'suggest';
          reasons.push(`different country: ${mismatch.message} / ${mismatch.rumor}`);
        }
      }
    }
    const result: RumorMatch = { id: rumor.entry.id, score, action, rumor: rumor.entry, reasons };
    if (p !== undefined) {
      result.probability = round3(p);
      result.evidence = evidence;
    }
    return result;
  }
}

function pushTo<K>(index: Map<K, number[]>, key: K, value: number): void {
  const list = index.get(key);
  if (list) list.push(value);
  else index.set(key, [value]);
}

/** The library-independent part of a feature's weight: unigram and common-character discounts. */
function staticFactor(feature: string): number {
  const chars = [...feature];
  if (chars.length === 1) return UNIGRAM_WEIGHT * (COMMON_CHARS.has(feature) ? COMMON_CHAR_FACTOR : 1);
  if (COMMON_WORDS.has(feature)) return COMMON_CHAR_FACTOR;
  const common = chars.filter((c) => COMMON_CHARS.has(c)).length;
  return common === 0 ? 1 : common === 1 ? COMMON_BIGRAM_FACTOR : COMMON_CHAR_FACTOR;
}

/**
 * True when the message negates a predicate that the rumor asserts: "不能预防" against a
 * rumor worded "能预防"/"可以预防". A message that denies the claim is a rebuttal.
 */
function negatesRumor(key: string, rumorKeys: readonly string[]): boolean {
  if (hasDenial(key) && !rumorKeys.some(hasDenial)) return true;
  for (const m of key.matchAll(NEGATION_PATTERN)) {
    if (isQuestionForm(key, m.index, m[0])) continue;
    const after = key.slice(m.index + m[0].length, m.index + m[0].length + 2);
    const negated = m[0] + after;
    const asserted = rumorKeys.some((k) => k.includes(after));
    const alsoNegated = rumorKeys.some((k) => k.includes(negated) || hasNegationBefore(k, after));
    if (asserted && !alsoNegated) return true;
  }
  return false;
}

/**
 * Combine the two containments of an overlap into one score in [0, 1]: how much of the message
 * the wording explains (`queryCoverage`) and how much of the wording the message repeats
 * (`docCoverage`). A weighted geometric mean: both must be substantial (a message that merely
 * mentions one word of a rumor covers little of it), with more weight on the message side, as
 * a short paraphrase repeats only part of a long example wording.
 */
function combine(queryCoverage: number, docCoverage: number): number {
  if (queryCoverage <= 0 || docCoverage <= 0) return 0;
  const q = Math.min(1, queryCoverage);
  const d = Math.min(1, docCoverage);
  return Math.pow(q, QUERY_COVERAGE_EXPONENT) * Math.pow(d, 1 - QUERY_COVERAGE_EXPONENT);
}

/**
 * Whether the message shares enough separate wording with a rumor to be about its claim:
 * at least {@link MIN_SHARED_RUNS} passages (maximal runs of consecutive message bigrams found
 * in the rumor's wordings, not counting runs made only of common characters), or one passage of
 * at least {@link LONG_RUN_BIGRAMS} bigrams. "板蓝根在哪买" shares one short passage (板蓝根)
 * with "喝板蓝根能预防新冠"; a variant of the rumor shares the thing and the claimed effect.
 */
export function sharesClaim(segments: readonly string[], rumorFeatures: ReadonlySet<string>): boolean {
  const shared: number[] = [];
  const substantive: number[] = [];
  for (const segment of segments) {
    const chars = [...segment];
    const generic = genericMask(segment);
    for (let i = 0; i + 1 < chars.length; i++) {
      shared.push(rumorFeatures.has(chars[i] + chars[i + 1]) ? 1 : 0);
      substantive.push(substance(chars, generic, i) > 0 ? 1 : 0);
    }
    shared.push(0);
    substantive.push(0);
  }
  const r = sharedRuns(shared, substantive, shared.length);
  return r.longest >= LONG_RUN_BIGRAMS || r.runs >= MIN_SHARED_RUNS;
}

/** Shared passages between a message and a rumor: how many substantive ones, and the longest. */
export interface SharedRuns {
  runs: number;
  /** Longest substantive shared passage, in bigrams. */
  longest: number;
  /** Whether a shared passage has more than the generic claim (set by the matcher only). */
  specific?: boolean;
}

/**
 * The passage count behind {@link sharesClaim}: `shared[p]` says whether bigram position `p` of
 * the message occurs in the rumor (0 at segment ends), `substantive[p]` whether it is more than
 * grammar. Counts maximal runs with at least one substantive bigram.
 */
function sharedRuns(shared: ArrayLike<number>, substantive: ArrayLike<number>, length: number): SharedRuns {
  let runs = 0;
  let longest = 0;
  let run = 0;
  let substantiveRun = false;
  for (let p = 0; p <= length; p++) {
    if (p < length && shared[p]) {
      run++;
      if (substantive[p]) substantiveRun = true;
      continue;
    }
    if (run > 0 && substantiveRun) {
      runs++;
      if (run > longest) longest = run;
    }
    run = 0;
    substantiveRun = false;
  }
  return { runs, longest };
}

/**
 * What the bigram at `i` is: 0 grammar (an everyday word, or two very common characters), 1 the
 * generic claim (its other characters are part of a {@link GENERIC_CLAIM} word), 2 specific.
 */
function substance(chars: readonly string[], generic: Uint8Array | null, i: number): 0 | 1 | 2 {
  const a = chars[i];
  const b = chars[i + 1];
  if (COMMON_WORDS.has(a + b) || (COMMON_CHARS.has(a) && COMMON_CHARS.has(b))) return 0;
  const specific = (c: string, at: number) => !COMMON_CHARS.has(c) && !(generic && generic[at]);
  return specific(a, i) || specific(b, i + 1) ? 2 : 1;
}

/** {@link GENERIC_CLAIM} for a yes/no test (a global pattern would carry `lastIndex` between calls). */
const HAS_GENERIC_CLAIM = new RegExp(GENERIC_CLAIM.source, 'u');

function hasGenericClaim(key: string): boolean {
  return HAS_GENERIC_CLAIM.test(key);
}

/**
 * The topic of every epidemic rumor, besides the generic claim (issue 27): the vaccine, the mask,
 * the jab, the test, and the verbs every remedy rumor uses (打, 戴, 吃, 喝). A message that shares only these and the generic claim with a rumor
 * ("打新冠疫苗会导致不孕吗" against "打新冠疫苗要交钱") talks about the same thing and makes
 * another claim: a curator decides.
 */
const TOPIC = new RegExp(`${GENERIC_CLAIM.source}|疫苗|口罩|打针|核酸|隔离|打|戴|吃|喝`, 'gu');

/** Characters of a segment covered by a {@link GENERIC_CLAIM} or {@link TOPIC} word (null: none). */
function genericMask(segment: string): Uint8Array | null {
  let mask: Uint8Array | null = null;
  for (const m of segment.matchAll(TOPIC)) {
    mask ??= new Uint8Array([...segment].length);
    // Segments are letters and digits; CJK characters are one code unit, so index = position
    // except after astral characters, which are rare in a matching key: count them.
    const at = [...segment.slice(0, m.index)].length;
    for (let k = 0; k < [...m[0]].length; k++) mask[at + k] = 1;
  }
  return mask;
}

function hasNegationBefore(key: string, predicate: string): boolean {
  let from = key.indexOf(predicate);
  while (from >= 0) {
    const before = key.slice(Math.max(0, from - 3), from);
    if (/不|没|无|别|勿/u.test(before)) return true;
    from = key.indexOf(predicate, from + 1);
  }
  return false;
}

function matchesAny(patterns: readonly RegExp[], text: string): boolean {
  return patterns.some((p) => p.test(text));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
