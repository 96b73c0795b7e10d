/**
 * A post and its echo compared (pure): web WeChat hands an account's own message back changed —
 * `&amp;` left escaped, `<br/>` for line breaks, emoji as `<span class="emoji …">`, FE0F dropped,
 * cut at ":\n" by the puppet — so they are compared by letters and digits, and an echo may be one
 * ":\n"-piece of the post or a long enough part of it. Used by the outbox worker (src/chat/echo.ts)
 * and by recovery (a post recorded `sent` whose echo is in Redis is confirmed).
 */

/** An echo shorter than this (in letters and digits) confirms only a post, or a piece of one, as short as itself. */
const MIN_PREFIX = 12

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" }

/** Text as web WeChat sends it → text as a person reads it (entities, line breaks, emoji spans). */
/**
 * A message text as the person typed it: the real client leaves `&amp;` (and, where the server
 * escaped twice, more) in what it hands over; one pass, so a typed "&amp;" survives as typed.
 */
export function unescapeWebEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ENTITIES[e])
}

export function decodeWebText(s: string): string {
  return s
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<span[^>]*class="emoji emoji([0-9a-f]+)"[^>]*><\/span>/gi, (_m, hex: string) => emojiOf(hex))
    .replace(/&(amp|lt|gt|quot|apos|nbsp|#39);/g, (_m, e: string) => ENTITIES[e])
    // twice: web WeChat sometimes escapes an escaped ampersand again (&amp;amp;)
    .replace(/&(amp|lt|gt|quot|apos|nbsp|#39);/g, (_m, e: string) => ENTITIES[e])
}

function emojiOf(hex: string): string {
  try {
    const points = hex.length <= 5 ? [hex] : hex.length === 8 ? [hex.slice(0, 4), hex.slice(4)] : [hex.slice(0, 5), hex.slice(5)]
    return String.fromCodePoint(...points.map(h => parseInt(h, 16)))
  } catch {
    return ''
  }
}

/** The part of a text that survives web WeChat's handling: letters and digits, decoded. */
export function echoKey(text: string): string {
  return decodeWebText(text).normalize('NFKC').replace(/[^\p{L}\p{N}]/gu, '')
}

/** The parts of a posted text an echo is compared with. */
export interface EchoTarget { key: string; pieces: string[] }

export function echoTarget(text: string): EchoTarget {
  return { key: echoKey(text), pieces: text.split(':\n').map(echoKey).filter(Boolean) }
}

/** Whether an echoed text (by its key) is the posted one, whole or as web WeChat cut it. */
export function echoConfirms(echoed: string, post: EchoTarget): boolean {
  return echoed === post.key || post.pieces.includes(echoed) || (echoed.length >= MIN_PREFIX && post.key.includes(echoed))
}
