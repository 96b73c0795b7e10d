/**
 * A character diff of two texts (a tier's incoming text and the text it forwarded after an edit),
 * for the command centre. The common head is cut first (and the common tail when the rest is
 * long); the rest is an LCS diff when it is small enough, else one deletion and one insertion. Pure.
 */

export type DiffPart = { op: 'same' | 'del' | 'ins'; text: string }

/** Longest middle (in characters, each side) diffed character by character. */
const MAX_MIDDLE = 800

export function diffChars(before: string, after: string): DiffPart[] {
  const a = [...before]
  const b = [...after]
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  // The common tail is cut only when the rest is too long for the LCS: cut greedily, it can
  // split a word (`停水` → `停` + `水，请储水`) where the LCS finds the natural change.
  let tail = 0
  if (a.length - head > MAX_MIDDLE || b.length - head > MAX_MIDDLE) {
    while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++
  }
  const x = a.slice(head, a.length - tail)
  const y = b.slice(head, b.length - tail)
  const parts: DiffPart[] = []
  const push = (op: DiffPart['op'], ch: string) => {
    if (!ch) return
    const last = parts[parts.length - 1]
    if (last?.op === op) last.text += ch
    else parts.push({ op, text: ch })
  }
  push('same', a.slice(0, head).join(''))
  if (x.length > MAX_MIDDLE || y.length > MAX_MIDDLE) {
    push('del', x.join(''))
    push('ins', y.join(''))
  } else {
    // LCS table over the middles, then walk it from the start.
    const n = x.length
    const m = y.length
    const t = new Uint16Array((n + 1) * (m + 1))
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        t[i * (m + 1) + j] = x[i] === y[j] ? t[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(t[(i + 1) * (m + 1) + j], t[i * (m + 1) + j + 1])
      }
    }
    let i = 0
    let j = 0
    while (i < n && j < m) {
      if (x[i] === y[j]) { push('same', x[i]); i++; j++ } else if (t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1]) { push('del', x[i]); i++ } else { push('ins', y[j]); j++ }
    }
    while (i < n) push('del', x[i++])
    while (j < m) push('ins', y[j++])
  }
  push('same', a.slice(a.length - tail).join(''))
  return parts
}
