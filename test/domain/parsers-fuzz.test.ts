/**
 * Issue 13: the chat parsers against random and adversarial strings — lone surrogates, zero-width
 * and RTL marks, full-width forms, template placeholders, newlines, quote replies, 64k characters.
 * Nothing throws. Texts longer than MAX_INBOUND_CHARS are never handed to the parsers
 * (src/app/guards.ts; parseCommand and parseAck also refuse them at once), and the parsers
 * themselves are linear (quote.ts), so they are also run on the long ones. How long they take is
 * a benchmark's figure, never a test's (a busy machine is no defect): bench/parsers-bench.ts.
 */
import { describe, expect, it } from 'vitest'
import { parseAck } from '../../src/domain/ack.ts'
import { parseCommand } from '../../src/domain/commands.ts'
import { MAX_INBOUND_CHARS } from '../../src/domain/limits.ts'
import { ADVERSARIAL, CAPPED, matcher, PARSERS, randomText, rng } from './parser-inputs.ts'

describe('chat parsers under fuzz', () => {
  it('never throw, on random and adversarial texts (their timings: npm run bench:parsers)', () => {
    const r = rng(13)
    const inputs = [...ADVERSARIAL, ...Array.from({ length: 3000 }, () => randomText(r))]
    // Warm up the JIT once, so the first input is not charged for compiling.
    for (const fn of [...Object.values(PARSERS), ...Object.values(CAPPED), (t: string) => matcher.match(t)]) fn('发布 紧急 「a：b」\n- - - -\n收到 A7K2 板蓝根能防新冠，转给家人')
    let parses = 0
    for (const input of inputs) {
      const parsers = Object.entries(PARSERS)
      if (input.length <= MAX_INBOUND_CHARS) parsers.push(...Object.entries(CAPPED))
      for (const [name, fn] of parsers) {
        expect(() => fn(input), `${name} on ${JSON.stringify(input.slice(0, 24))}`).not.toThrow()
        parses++
      }
      if (input.length <= MAX_INBOUND_CHARS) expect(() => matcher.match(input)).not.toThrow()
    }
    expect(parses).toBeGreaterThan(inputs.length * Object.keys(PARSERS).length)
  })

  it('reads the same quote replies as before (its linear time: npm run bench:parsers)', () => {
    expect(parseCommand('「李红：【待审核】编号 A7K2：…」\n- - - - - - - - - - - - - - -\n通过')).toEqual({ kind: 'approve', code: 'A7K2' })
    expect(parseCommand('「李红：编号 A7K2」\n\n - - - - - - - - \n驳回 与本村无关')).toEqual({ kind: 'reject', code: 'A7K2', reason: '与本村无关' })
    expect(parseAck(' 「朝天区：停水通知 —— 朝天区 · 编号 B8M3」\n---------------\n收到')).toEqual({ ack: true, code: 'B8M3' })
    expect(parseCommand('「」' + '\n'.repeat(MAX_INBOUND_CHARS - 3) + 'x')).toBeUndefined()
  })
})
