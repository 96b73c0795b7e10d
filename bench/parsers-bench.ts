/**
 * How long the chat parsers take on the fuzz test's inputs (test/domain/parser-inputs.ts): the
 * worst parse per parser (best of three, against pauses of a shared machine), the rumor matcher's
 * worst, and the quote splitting at 8k and 64k characters of its worst shapes — linear means the
 * 64k/8k ratio stays near 8 (quadratic would be near 64). `npm run bench:parsers`.
 */
import { MAX_INBOUND_CHARS } from '../src/domain/limits.ts'
import { ACK_SEPARATOR, COMMAND_SEPARATOR, splitQuoteReply } from '../src/domain/quote.ts'
import { ADVERSARIAL, CAPPED, K64, matcher, PARSERS, randomText, rng, timed } from '../test/domain/parser-inputs.ts'

const r = rng(13)
const inputs = [...ADVERSARIAL, ...Array.from({ length: 3000 }, () => randomText(r))]
for (const fn of [...Object.values(PARSERS), ...Object.values(CAPPED), (t: string) => matcher.match(t)]) fn('发布 紧急 「a：b」\n- - - -\n收到 A7K2 板蓝根能防新冠，转给家人')
const worst = new Map<string, { ms: number; input: string }>()
let worstMatch = 0
for (const input of inputs) {
  const parsers = Object.entries(PARSERS)
  if (input.length <= MAX_INBOUND_CHARS) parsers.push(...Object.entries(CAPPED))
  for (const [name, fn] of parsers) {
    const ms = Math.min(timed(() => fn(input)), timed(() => fn(input)), timed(() => fn(input)))
    if (ms > (worst.get(name)?.ms ?? -1)) worst.set(name, { ms, input: `${JSON.stringify(input.slice(0, 16))}… (${input.length} chars)` })
  }
  if (input.length <= MAX_INBOUND_CHARS) worstMatch = Math.max(worstMatch, Math.min(timed(() => matcher.match(input)), timed(() => matcher.match(input))))
}
console.log(`${inputs.length} inputs; worst parse per parser (best of 3):`)
for (const [name, w] of [...worst].sort((a, b) => b[1].ms - a[1].ms)) console.log(`  ${name.padEnd(16)} ${w.ms.toFixed(3).padStart(8)} ms  on ${w.input}`)
console.log(`  rumor matcher    ${worstMatch.toFixed(3).padStart(8)} ms  (inputs within the inbound cap)`)
const shapes: [string, (n: number) => string][] = [
  ['「」 + newlines', n => '「」' + '\n'.repeat(n) + 'x'],
  ['「a：b」 + " \\n"', n => '「a：b」' + ' \n'.repeat(n / 2) + 'x'],
  ['「a： + separators', n => '「a：' + '」\n- - - -\n'.repeat(Math.floor(n / 11))],
]
const best = (text: string) => Math.min(...Array.from({ length: 5 }, () => timed(() => { splitQuoteReply(text, COMMAND_SEPARATOR); splitQuoteReply(text, ACK_SEPARATOR, true) })))
console.log('quote splitting, 8k → 64k characters (best of 5; linear ≈ 8×):')
for (const [name, shape] of shapes) {
  const [small, large] = [best(shape(K64 / 8)), best(shape(K64))]
  console.log(`  ${name.padEnd(22)} ${small.toFixed(3)} ms → ${large.toFixed(3)} ms  (${(large / Math.max(small, 0.001)).toFixed(1)}×)`)
}
