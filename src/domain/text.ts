/** Text clean-up shared by the chat parsers. Pure. */

/** NFKC (full-width letters, digits and spaces become ASCII), collapse spaces, trim. */
export function normalizeChat(text: string): string {
  return text.normalize('NFKC').replace(/[\s\u3000]+/g, ' ').trim()
}

/** Removes leading `@name ` mentions (WeChat puts a U+2005 space after them; NFKC makes it a space). */
export function stripMentions(text: string): string {
  return text.replace(/^(?:@\S+\s+)+/, '').trim()
}
