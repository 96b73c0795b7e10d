/**
 * The demo is the embedded default a newcomer runs first: the whole district, both acts.
 */
import { describe, expect, it } from 'vitest'
import { runDemo } from '../../src/sim/demo.ts'
import { demoConfig } from '../helpers.ts'
import { expectDemoSummary } from './demo-checks.ts'

describe('cascade demo', () => {
  it('relays to every approving village once, with the figures of its JSON summary', async () => {
    const lines: string[] = []
    const s = await runDemo({ cfg: await demoConfig(), out: line => lines.push(line) })
    await expectDemoSummary(s)
    expect(lines.join('\n')).toContain('小结：')
    // Progress lines only when something changed; the rumor line a whole sentence (issue 14, item 13).
    const progress = lines.filter(l => /^\[\d+\.\ds\] /.test(l)).map(l => l.replace(/^\[[^\]]+\] /, ''))
    expect(progress.length).toBeGreaterThan(1)
    progress.slice(1).forEach((p, i) => expect(p, `progress line ${i + 2} repeats the one before`).not.toBe(progress[i]))
    const rumor = lines.find(l => l.includes('机器人回复了官方辟谣'))
    expect(rumor).toMatch(/转发谣言“[^”…]+”，机器人回复了官方辟谣：[^【…]+[。！？!?]$/)
  }, 90_000)
})
