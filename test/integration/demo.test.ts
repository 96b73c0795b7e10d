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
  }, 90_000)
})
