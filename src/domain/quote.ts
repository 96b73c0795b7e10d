/**
 * Quote replies as WeChat (web) renders them: `「名字：被引用的消息」`, a line of dashes, the reply.
 * Found line by line, in time linear in the text's length (issue 13, item 10: the regular
 * expressions this replaces backtracked over runs of white space, 「」 + 32,000 newlines took
 * seconds). Pure.
 */

/** The dash line of the chat commands: `- - - - - - -`. */
export const COMMAND_SEPARATOR = /^\s*(?:- ){3,}-?\s*$/
/** The dash line as acknowledgments accept it: three or more dashes, spaces anywhere. */
export const ACK_SEPARATOR = /^\s*(?:-\s*){3,}$/

/**
 * Splits `「quoted」` + blank lines + a separator line + the reply. `quoted` is what stands between
 * the opening 「 and the 」 that ends the last non-blank text before the separator; when several
 * separator lines qualify, the last one. `undefined` when the text is not a quote reply.
 * With `leadingSpace`, white space before the 「 is allowed.
 */
export function splitQuoteReply(text: string, separator: RegExp, leadingSpace = false): { quoted: string; reply: string } | undefined {
  const start = leadingSpace ? text.search(/\S/) : 0
  if (start < 0 || text[start] !== '「') return undefined
  const lines = text.split('\n')
  let found: { line: number; quoteEnd: number } | undefined
  let offset = 0
  /** Position of the last character that is not white space, in the lines seen so far. */
  let lastSolid = -1
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    // A separator needs a line after it (the reply follows a newline) and a 」 just before it.
    if (i > 0 && i < lines.length - 1 && lastSolid > start && text[lastSolid] === '」' && separator.test(line)) found = { line: i, quoteEnd: lastSolid }
    const solid = lastNonSpace(line)
    if (solid >= 0) lastSolid = offset + solid
    offset += line.length + 1
  }
  if (!found) return undefined
  return { quoted: text.slice(start + 1, found.quoteEnd), reply: lines.slice(found.line + 1).join('\n') }
}

function lastNonSpace(line: string): number {
  for (let i = line.length - 1; i >= 0; i--) if (!/\s/.test(line[i])) return i
  return -1
}
