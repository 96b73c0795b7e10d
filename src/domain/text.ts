/** Text clean-up shared by the chat parsers. Pure. */

/** NFKC (full-width letters, digits and spaces become ASCII), collapse spaces, trim. */
/**
 * Text made safe to store: a lone surrogate (half an emoji, cut by a client or a byte limit)
 * becomes U+FFFD. Redis's Lua JSON decoder refuses such a string, so one would stall every
 * later step of the record that holds it.
 */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}

export function normalizeChat(text: string): string {
  return text.normalize('NFKC').replace(/[\s\u3000]+/g, ' ').trim()
}

/** Removes leading `@name ` mentions (WeChat puts a U+2005 space after them; NFKC makes it a space). */
export function stripMentions(text: string): string {
  return text.replace(/^(?:@\S+\s+)+/, '').trim()
}

/**
 * Characters that show nothing: white space, format characters (zero-width spaces and joiners,
 * direction marks, the BOM, tag characters), controls, combining marks with nothing to sit on,
 * and the "filler" letters that render blank (Hangul fillers, the braille blank).
 */
const INVISIBLE = /[\s\p{Cf}\p{Cc}\p{Z}\p{M}\u115F\u1160\u3164\uFFA0\u2800\uFFFC]/gu

/** True when a text shows nothing once invisible characters are taken out: no notice, reason or correction. */
export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE, '') === ''
}

/** Longest display name (a WeChat nickname or group alias) kept, in characters. */
export const MAX_DISPLAY_NAME_CHARS = 64

/** A display name made safe to store: well formed, and cut to MAX_DISPLAY_NAME_CHARS characters (never half an emoji). */
export function displayName(name: string): string {
  const safe = wellFormed(name)
  if (safe.length <= MAX_DISPLAY_NAME_CHARS) return safe
  return Array.from(safe).slice(0, MAX_DISPLAY_NAME_CHARS).join('')
}
