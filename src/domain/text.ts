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
