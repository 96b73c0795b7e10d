/**
 * Issue 13, item 1: a stranger cannot stall urgent notices. Replies to people who are not bound,
 * case DMs and rumor answers go on the account's smaller chat budget; a contact that is not
 * bound gets "not bound" once a day, then silence. Real Redis and BullMQ, the mock puppet.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { budgetKeys } from '../../src/chat/budget.ts'
import { chatBudgetOf } from '../../src/domain/limits.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { startDistrict, waitFor } from '../helpers.ts'
import { jobsIn, urgentNoticeGoesOut } from './abuse-helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const NOT_BOUND = '您还没有绑定身份'

describe('a stranger and the daily budget', () => {
  it('answers 45 DMs of one stranger once, keeps chat within its share, and the urgent notice still goes out', async () => {
    // A tiny day: 14 sends, of which chat may take 4.
    d = await startDistrict({ pacing: { perMinute: 6000, jitterMs: 0, dailyBudget: 14, chatBudget: 4 } })
    expect(chatBudgetOf({ dailyBudget: 14, chatBudget: 4 })).toBe(4)
    d.world.addContact('wxid_stranger_0', '路人甲')
    for (let i = 0; i < 45; i++) d.world.sayToBot('wxid_stranger_0', 'bot-north', `在吗 ${i}`)
    await waitFor('the one answer', () => d.world.dmsTo('wxid_stranger_0').length === 1)
    await d.idle()
    expect(d.world.dmsTo('wxid_stranger_0')).toHaveLength(1)
    expect(d.world.dmsTo('wxid_stranger_0')[0].text).toContain(NOT_BOUND)

    // Seven more strangers: three answers fit in the chat share, four wait for tomorrow.
    for (let i = 1; i <= 7; i++) {
      d.world.addContact(`wxid_stranger_${i}`, `路人${i}`)
      d.world.sayToBot(`wxid_stranger_${i}`, 'bot-north', '你好')
    }
    await waitFor('four answers held back', async () => (await jobsIn(d, 'bot-north', 'delayed')).length === 4)
    const answered = Array.from({ length: 7 }, (_, i) => d.world.dmsTo(`wxid_stranger_${i + 1}`).length).reduce((a, b) => a + b, 0)
    expect(answered).toBe(3)
    expect(await d.store.redis.get(budgetKeys(d.store.keys.base, 'bot-north').chat)).toBe('4')
    for (const job of await jobsIn(d, 'bot-north', 'delayed')) expect(job.chat).toBe(true)

    // 西村 is served by bot-north alone: its urgent notice goes out on what chat left.
    await urgentNoticeGoesOut(d, 'zhongzi-xicun')
    expect(Number(await d.store.redis.get(budgetKeys(d.store.keys.base, 'bot-north').all))).toBeLessThanOrEqual(14)
  })

  it('counts case DMs on the chat share and ranks them below urgent posts', async () => {
    d = await startDistrict({ pacing: { perMinute: 6000, jitterMs: 0, dailyBudget: 40, chatBudget: 30 } })
    const v = d.world.villagersOf('西村村民群')[0]
    d.world.sayToBot(v, 'bot-north', '求助 家里老人的降压药吃完了')
    await waitFor('the reporter\'s answer', () => d.world.dmsTo(v).length === 1)
    await d.idle()
    const sent = await jobsIn(d, 'bot-north', 'completed')
    const caseJobs = sent.filter(j => j.idem.startsWith('case-') || j.idem.startsWith('reply-'))
    expect(caseJobs.length).toBeGreaterThan(0)
    for (const j of caseJobs) {
      expect(j.chat).toBe(true)
      expect(j.priority).toBeGreaterThan(2) // after urgent posts (PRIORITY.urgent = 2)
    }
    await urgentNoticeGoesOut(d, 'zhongzi-xicun')
  })
})
