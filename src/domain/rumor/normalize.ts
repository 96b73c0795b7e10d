/**
 * Text normalization for rumor matching.
 *
 * A forwarded WeChat message and the library's wording of the same rumor differ in many
 * superficial ways: full-width vs half-width characters, traditional vs simplified script,
 * emoji, "please forward" boilerplate, links, punctuation. Normalization removes those
 * differences so that the matcher compares only the wording that carries the claim.
 *
 * Pure functions, no I/O.
 */
import * as OpenCC from 'opencc-js';

/** Traditional (Taiwan) → simplified (mainland) converter. */
const twToCn = OpenCC.Converter({ from: 'tw', to: 'cn' });
/** Traditional (Hong Kong) → simplified (mainland) converter: catches HK-specific variants. */
const hkToCn = OpenCC.Converter({ from: 'hk', to: 'cn' });

/** Result of {@link normalizeMessage}. */
export interface NormalizedMessage {
  /** NFKC, simplified, lower-case text without URLs and emoji but with boilerplate kept (for cue words). */
  plain: string;
  /** Readable cleaned text: NFKC, simplified, lower-case Latin, no URLs/emoji/boilerplate. */
  text: string;
  /** The text with punctuation and whitespace removed: what the matcher compares. */
  key: string;
  /** Runs of word characters (CJK, Latin, digits) between punctuation, in order. */
  segments: string[];
  /** URLs found in the raw message, normalized with {@link normalizeUrl}, in order, unique. */
  urls: string[];
}

/** http(s) links and bare `www.` links. Stops at whitespace, CJK and closing brackets. */
const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'，。！？、；：（）【】《》\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+/giu;

/** Query parameters that only track a share and never change what a link points to. */
const TRACKING_PARAM = /^(?:utm_[a-z_]+|from|isappinstalled|scene|spm|share_[a-z_]+|wxshare_count)$/i;

/**
 * Forwarding boilerplate: words people add around a rumor to push it on, never part of the
 * claim itself. Longer phrases come first so that they are removed whole.
 */
const BOILERPLATE_PATTERNS: readonly RegExp[] = [
  /[【\[（(]\s*(?:转发|转载|扩散|紧急扩散|速看|必看|重要|紧急)\s*[】\]）)]/gu,
  /删前快看|看完请转|看到请转(?:发)?|请(?:大家)?(?:帮忙)?(?:转发|扩散|转告)(?:出去)?|互相转告/gu,
  /(?:赶紧|赶快|快)?转(?:发)?给(?:你的)?(?:家人|家里人|亲戚朋友|亲朋好友|亲友|朋友|身边的人|父母|老人)(?:们)?(?:看看)?/gu,
  /(?:赶紧|赶快)?告诉(?:你的)?(?:家人|家里人|家里老人|身边的人|亲戚朋友|亲友)/gu,
  /紧急扩散|扩散出去|转发扩散|速速转发|速看|紧急通知转发/gu,
  /^\s*(?:转发|转载|转)\s*[:：!！]/u,
  /(?:转发|扩散)\s*(?=[!！。\s]*$)/u,
];

/**
 * Emoji and pictographs, variation selectors, zero-width joiners, keycap marks and
 * WeChat's bracketed emoji codes such as [捂脸] [强].
 */
const EMOJI_PATTERN = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\u{1F1E6}-\u{1F1FF}\u{FE0E}\u{FE0F}\u{200D}\u{20E3}]/gu;
const WECHAT_EMOJI_CODE = /\[(?:[\u4e00-\u9fff]{1,4}|[A-Za-z]{1,12})\]/gu;

/** Anything that is not a letter or a digit (CJK ideographs are letters). */
const NON_WORD = /[^\p{L}\p{N}]+/gu;

/**
 * Convert traditional Chinese (Taiwan and Hong Kong forms) to simplified Chinese.
 * Text already in simplified Chinese passes through unchanged.
 */
export function toSimplified(text: string): string {
  return hasTraditional(text) ? hkToCn(twToCn(text)) : text;
}

/**
 * Per-character memo: does OpenCC change this character? For the BMP a table indexed by the
 * UTF-16 code unit (0 not yet asked, 1 unchanged, 2 changed), beyond it a map.
 */
const convertibleBmp = new Uint8Array(0x10000);
const convertibleAstral = new Map<number, boolean>();

function isConvertible(ch: string): boolean {
  return hkToCn(twToCn(ch)) !== ch;
}

/**
 * Fast path: most messages are already simplified. A text none of whose CJK characters is
 * changed by the converters is returned as is, skipping the (slower) phrase conversion.
 */
function hasTraditional(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x3400) continue;
    const code = text.codePointAt(i)!;
    if (code > 0xffff) {
      // A surrogate pair: one character, two code units.
      i++;
      let convertible = convertibleAstral.get(code);
      if (convertible === undefined) convertibleAstral.set(code, (convertible = isConvertible(String.fromCodePoint(code))));
      if (convertible) return true;
      continue;
    }
    // (A lone surrogate is looked up as itself, as the per-character loop did.)
    if (convertibleBmp[unit] === 0) convertibleBmp[unit] = isConvertible(String.fromCharCode(unit)) ? 2 : 1;
    if (convertibleBmp[unit] === 2) return true;
  }
  return false;
}

/**
 * Normalize a URL for comparison: lower-case scheme and host, no `www.`, no default port,
 * no fragment, no tracking parameters, no trailing slash. Returns the input trimmed when it
 * cannot be parsed.
 */
export function normalizeUrl(raw: string): string {
  const trimmed = raw.trim().replace(/[.,;:!?)\]}'"]+$/u, '');
  const withScheme = /^https?:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return trimmed.toLowerCase();
  }
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  const port = url.port && url.port !== '80' && url.port !== '443' ? `:${url.port}` : '';
  const params = [...url.searchParams.entries()].filter(([name]) => !TRACKING_PARAM.test(name));
  const query = params.length ? `?${new URLSearchParams(params).toString()}` : '';
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol.toLowerCase()}//${host}${port}${path}${query}`;
}

/** The host of a normalized URL ('' when there is none). */
export function urlHost(normalizedUrl: string): string {
  const match = /^[a-z]+:\/\/([^/?#]+)/i.exec(normalizedUrl);
  return match ? match[1].toLowerCase() : '';
}

/** Find the URLs in a text; returns them normalized (unique, in order) and the text without them. */
export function extractUrls(text: string): { text: string; urls: string[] } {
  const urls: string[] = [];
  // A link needs "://" or "www." (so a "."): most messages have neither, and skip the pattern.
  if (!text.includes('://') && !text.includes('.')) return { text, urls };
  const stripped = text.replace(URL_PATTERN, (found) => {
    const url = normalizeUrl(found);
    if (!urls.includes(url)) urls.push(url);
    return ' ';
  });
  return { text: stripped, urls };
}

/** Remove emoji, pictographs and WeChat emoji codes. */
export function stripEmoji(text: string): string {
  return text.replace(WECHAT_EMOJI_CODE, ' ').replace(EMOJI_PATTERN, '');
}

/** Remove forwarding boilerplate ("【转发】", "紧急扩散", "转给家人", "删前快看" …). */
export function stripBoilerplate(text: string): string {
  let out = text;
  for (const pattern of BOILERPLATE_PATTERNS) out = out.replace(pattern, ' ');
  return out;
}

/** Split a cleaned text into runs of letters/digits (the punctuation-free pieces). */
export function toSegments(text: string): string[] {
  return text.split(NON_WORD).filter((s) => s.length > 0);
}

/**
 * Full normalization of one message for matching: NFKC (full-width → half-width), lower-case,
 * URLs extracted, traditional → simplified, emoji and forwarding boilerplate removed, and a
 * punctuation-free key.
 */
export function normalizeMessage(raw: string): NormalizedMessage {
  const { plain, text, urls } = cleanMessage(raw);
  const segments = toSegments(text);
  return { plain, text, key: segments.join(''), segments, urls };
}

/**
 * {@link normalizeMessage} without the key and segments, for callers that cut the text further
 * themselves (the matcher strips framing words and folds synonyms first).
 */
export function cleanMessage(raw: string): Pick<NormalizedMessage, 'plain' | 'text' | 'urls'> {
  const nfkc = raw.normalize('NFKC');
  const { text: withoutUrls, urls } = extractUrls(nfkc);
  const simplified = toSimplified(withoutUrls).toLowerCase();
  const plain = stripEmoji(simplified).replace(/\s+/gu, ' ').trim();
  const text = stripBoilerplate(plain).replace(/\s+/gu, ' ').trim();
  return { plain, text, urls };
}

/** Shorthand: the punctuation-free matching key of a text. */
export function normalizeKey(raw: string): string {
  return normalizeMessage(raw).key;
}
