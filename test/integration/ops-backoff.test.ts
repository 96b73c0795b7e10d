/**
 * WeChat's "too frequent" (1205): recognised, and answered by pausing the whole account's
 * outbox (exponentially, capped) while the refused message waits — neither lost nor doubled.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BotHealth } from '../../src/infra/bot-health.ts'
import { metricsOf, METRICS } from '../../src/infra/metrics.ts'
import { backoffDelay, isTooFrequent } from '../../src/chat/too-frequent.ts'
import { PRIORITY } from '../../src/queue/outbox.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { startDistrict } from '../helpers.ts'
import { startRuntime, tooFrequentError } from './ops-helpers.ts'

describe('isTooFrequent', () => {
  it('recognises WeChat\'s 1205 in the forms the puppets raise it', () => {
    expect(isTooFrequent(tooFrequentError())).toBe(true)
    expect(isTooFrequent(new Error('操作太频繁，请稍后再试'))).toBe(true)
    expect(isTooFrequent(new Error('sendMsg failed', { cause: new Error('Ret 1205') }))).toBe(true)
    expect(isTooFrequent({ code: 1205 })).toBe(true)
    expect(isTooFrequent(Object.assign(new Error('x'), { response: { data: { BaseResponse: { Ret: 0, ErrMsg: '发送太频繁' } } } }))).toBe(true)
  })

  it('does not take other failures for it', () => {
    expect(isTooFrequent(new Error('group "西村村民群" not found in this account'))).toBe(false)
    expect(isTooFrequent(new Error('1100 == 0'))).toBe(false)
    expect(isTooFrequent(new Error('message 812052 failed'))).toBe(false)
    expect(isTooFrequent(Object.assign(new Error('x'), { response: { data: { BaseResponse: { Ret: 1101 } } } }))).toBe(false)
    expect(isTooFrequent(undefined)).toBe(false)
    expect(isTooFrequent(42)).toBe(false)
  })
})

describe('backoffDelay', () => {
  it('doubles with each refusal in a row, up to the cap', () => {
    const policy = { baseMs: 1000, maxMs: 5000 }
    expect([1, 2, 3, 4, 5, 100].map(n => backoffDelay(n, policy))).toEqual([1000, 2000, 4000, 5000, 5000, 5000])
    expect(backoffDelay(0, policy)).toBe(1000)
  })
})

let d: SimDistrict
afterEach(async () => { await d?.close() })

describe('an account told "too frequent"', () => {
  it('pauses its whole outbox, then posts every message once', async () => {
    d = await startDistrict()
    const PAUSE_MS = 400
    let refusedAt = 0
    const saidAt: number[] = []
    await startRuntime(d, 'bot-south', {
      backoff: { baseMs: PAUSE_MS, maxMs: 2000 },
      beforeSay: (target) => {
        if (target.kind !== 'group') return
        if (!refusedAt) {
          refusedAt = Date.now()
          throw tooFrequentError()
        }
        saidAt.push(Date.now())
      },
    })
    // Three posts to groups only bot-south sits in.
    const topics = ['zengjia-baishui', 'zengjia-lianhua', 'zengjia-huilong'].map(n => d.cfg.nodes.get(n)!.groups.find(g => g.kind === 'public')!.topic)
    const q = d.outboxes.queue('bot-south')
    for (const [i, topic] of topics.entries()) {
      await d.outboxes.enqueue('bot-south', { idem: `ops-backoff-${i}`, target: { kind: 'group', topic }, text: `测试：太频繁 ${i}` }, PRIORITY.normal)
    }
    await d.idle()
    topics.forEach((topic, i) => expect(d.world.postsIn(topic, `测试：太频繁 ${i}`), topic).toHaveLength(1))
    // No send of the account went out during the pause: the whole outbox waited, not just the one message.
    expect(saidAt).toHaveLength(3)
    expect(Math.min(...saidAt) - refusedAt).toBeGreaterThanOrEqual(PAUSE_MS - 20)
    // The refused message was not counted as a failed attempt.
    const jobs = await Promise.all(topics.map((_, i) => q.getJob(`ops-backoff-${i}`)))
    expect(jobs.map(j => j?.failedReason ?? '')).toEqual(['', '', ''])
    expect(jobs.map(j => j?.attemptsMade ?? -1).every(n => n <= 1)).toBe(true)
    const h = await new BotHealth(d.store).read('bot-south')
    expect(h.backoffUntil).toBeGreaterThanOrEqual(refusedAt + PAUSE_MS)
    expect(h.strikes).toBe(0) // reset by the next successful send
    const snap = await metricsOf(d.app).snapshot()
    expect(snap.get(METRICS.sends.name)?.find(s => s.labels.bot === 'bot-south' && s.labels.outcome === 'backoff')?.value).toBe(1)
    expect(snap.get(METRICS.refusals.name)?.find(s => s.labels.bot === 'bot-south' && s.labels.reason === 'too_frequent')?.value).toBe(1)
  })
})
