/**
 * An over-indented line, found where the YAML parser only says "Nested mappings are not allowed in
 * compact mappings" (or "bad indentation") at the line *before* it (issue 26 item 6). Pure.
 */

/** Parser messages that an over-indented line causes. */
export const INDENT_MESSAGES = /Nested mappings are not allowed in compact mappings|bad indentation|All mapping items must start at the same column/i

export interface OverIndent { line: number; by: number; above: number }

const indentOf = (l: string) => l.length - l.trimStart().length
const isContent = (l: string) => l.trim() !== '' && !l.trimStart().startsWith('#')
/** `key: value` or `- key: value` with the value on the line (not a block or flow opening). */
const INLINE_ENTRY = /^(\s*)(- +)?[^\s#'"{[][^:#]*:\s+(?![|>][-+]?\s*(?:#.*)?$)[^\s#{[]/

/** The first line from `fromLine` (1-based) on, within a few lines, indented under a `key: value` line. */
export function findOverIndent(text: string, fromLine: number): OverIndent | undefined {
  const lines = text.split(/\r?\n/)
  let prev: number | undefined
  for (let i = Math.max(0, fromLine - 2); i < Math.min(lines.length, fromLine + 4); i++) {
    if (!isContent(lines[i])) continue
    if (prev !== undefined) {
      const m = INLINE_ENTRY.exec(lines[prev])
      if (m) {
        const keyColumn = m[1].length + (m[2]?.length ?? 0)
        const by = indentOf(lines[i]) - keyColumn
        if (by > 0) return { line: i + 1, by, above: prev + 1 }
      }
    }
    prev = i
  }
  return undefined
}

/** The problem said plainly: which line is over-indented, by how much. */
export function indentProblem(o: OverIndent): string {
  return `indentation: line ${o.line} is indented ${o.by} space${o.by === 1 ? '' : 's'} more than line ${o.above} above it; keys of one mapping must start in the same column (remove ${o.by} space${o.by === 1 ? '' : 's'})`
}
