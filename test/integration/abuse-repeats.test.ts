/**
 * Issue 23, item 3: repeating one report, or sending empty commands, must not use up an
 * account's chat share. A repeat and an empty 举报/求助/核实 are answered once an hour per contact
 * and kind (whichever account sees it first); one contact's answers take at most a small slice of
 * the chat share; a real new case is always answered. Each attack first as it was, then refused;
 * each ends with an urgent notice reaching every real group once. Real Redis and BullMQ, the mock puppet.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { budgetKeys } from '../../src/chat/budget.ts'
import type { CascadeConfig, PacingConfig } from '../../src/config/types.ts'
import { casesOf } from '../../src/features/cases/cases.ts'
import { chatPerContactOf, REPEAT_ANSWER_TTL_S } from '../../src/domain/limits.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { demoConfig, startDistrict, waitFor } from '../helpers.ts'
import { jobsIn, urgentNoticeGoesOut } from './abuse-helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const XICUN = '西村村民群'
/** Sat in by bot-north and bot-south. */
const QINGGANG = '青杠村村民群'
const OPENED = '已收到您的求助'
const AGAIN = '已经反映过了'
const EMPTY = '请把情况写在后面一起发'
const CHECK_USAGE = '请把要核实的消息原文发给我'
const FORWARDED = '已转给'

/** The demo config with a small day for every account (chat share `chatBudget`). */
async function smallDay(pacing: Partial<PacingConfig>): Promise<CascadeConfig> {
  const cfg = await demoConfig()
  const bots = new Map([...cfg.bots].map(([id, b]) => [id, { ...b, pacing: { ...b.pacing, ...pacing } }]))
  return { ...cfg, bots }
}

async function start(pacing: Partial<PacingConfig>, people = ['zhang-guiying']): Promise<void> {
  d = await startDistrict({ cfg: await smallDay(pacing) })
  for (const p of people) await d.bind(p)
  await waitFor('staff bound', async () => {
    for (const p of people) if (Object.keys(await d.store.bindingsOf(p)).length === 0) return false
    return true
  })
  await d.idle()
}

/** Waits until the accounts have nothing left to send now (sends held for midnight stay delayed). */
async function settled(): Promise<void> {
  let quiet = 0
  await waitFor('the outboxes to settle', async () => {
    let busy = 0
    for (const bot of d.cfg.bots.keys()) {
      const c = await d.outboxes.queue(bot).getJobCounts('waiting', 'prioritized', 'active')
      busy += (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.active ?? 0)
    }
    quiet = busy ? 0 : quiet + 1
    return quiet >= 15
  }, 20_000)
}

/** Chat sends of an account: sent, and held until Beijing midnight. */
async function chatSends(bot: string): Promise<{ sent: number; held: number }> {
  return {
    sent: Number(await d.store.redis.get(budgetKeys(d.store.keys.base, bot).chat) ?? 0),
    held: (await jobsIn(d, bot, 'delayed')).filter(j => j.chat).length,
  }
}

/** Milliseconds until `fn` holds, or undefined when it does not within `ms`. */
async function within(ms: number, fn: () => boolean): Promise<number | undefined> {
  const t0 = Date.now()
  try {
    await waitFor('', fn, ms)
    return Date.now() - t0
  } catch {
    return undefined
  }
}

describe('a repeated report', () => {
  it('answers the same 求助 sent 20 times once and once more; the neighbour\'s real 求助 is answered at once', async () => {
    // A small day: 60 sends, of which chat may take 16, and one contact's answers 5.
    await start({ dailyBudget: 60, chatBudget: 16, chatPerContact: 5 })
    const [v, neighbour] = d.world.villagersOf(XICUN)
    for (let i = 0; i < 20; i++) d.world.sayInGroup(v, XICUN, '求助 家里老人的降压药吃完了，请帮忙买一些')
    await waitFor('the case', async () => (await casesOf(d.app)!.store.all()).length === 1)
    await settled()
    const inGroup = d.world.postsIn(XICUN, '').length
    const byDm = d.world.dmsTo(v).length
    const afterAttack = await chatSends('bot-north')

    const t0 = Date.now()
    d.world.sayInGroup(neighbour, XICUN, '求助 孩子发烧了，家里没有退烧药')
    // "At once" = not held for midnight (hours): generous waits, so a loaded machine passes too.
    const latency = await within(20_000, () => d.world.dmsTo(neighbour).some(m => m.text.includes(OPENED)))
    const assigned = await within(20_000, () => d.world.dmsTo(personContactId('zhang-guiying')).some(m => m.text.includes('孩子发烧了')))
    await settled()
    console.log(`[issue 23.3] 20 × the same 求助: ${inGroup + byDm} answers sent (group ${inGroup}, DM ${byDm}); chat ${afterAttack.sent} sent + ${afterAttack.held} held for midnight; neighbour answered in ${latency ?? 'never (held for midnight)'} ms, assigned: ${assigned !== undefined}, ${Date.now() - t0} ms`)

    // One case, its answer (in the group, by DM), one answer to the repeats (by DM), then silence.
    expect((await casesOf(d.app)!.store.all()).filter(c => c.reporter.contactId === v)).toHaveLength(1)
    expect(d.world.postsIn(XICUN, '')).toHaveLength(2) // the villager's case and the neighbour's
    expect(d.world.dmsTo(v).filter(m => m.text.includes(OPENED))).toHaveLength(1)
    expect(d.world.dmsTo(v).filter(m => m.text.includes(AGAIN))).toHaveLength(1)
    expect(afterAttack.held).toBe(0)
    expect(latency).toBeDefined()
    expect(assigned).toBeDefined()

    // An hour later a repeat is answered once more (the hour's key gone), by DM.
    const keys = await d.store.redis.keys(`${d.store.keys.base}answered:case-dup-help:*`)
    expect(keys).toHaveLength(1)
    expect(await d.store.redis.ttl(keys[0])).toBeGreaterThan(REPEAT_ANSWER_TTL_S - 60)
    await d.store.redis.del(keys[0])
    d.world.sayInGroup(v, XICUN, '求助 家里老人的降压药吃完了，请帮忙买一些')
    d.world.sayInGroup(v, XICUN, '求助 家里老人的降压药吃完了，请帮忙买一些')
    await waitFor('the second answer to repeats', () => d.world.dmsTo(v).filter(m => m.text.includes(AGAIN)).length === 2)
    await settled()
    expect(d.world.dmsTo(v).filter(m => m.text.includes(AGAIN))).toHaveLength(2)
    expect(d.world.postsIn(XICUN, '')).toHaveLength(2)

    await urgentNoticeGoesOut(d, 'zhongzi-xicun')
  })
})

describe('empty commands', () => {
  it('answers an empty 举报 in a shared group, and an empty 求助 and 核实 by DM, once an hour each', async () => {
    await start({ dailyBudget: 200, chatBudget: 60 }, ['zhang-guiying', 'zhu-dehua'])
    const v = d.world.villagersOf(QINGGANG)[0]
    const w = d.world.villagersOf(XICUN)[0]
    for (let i = 0; i < 10; i++) {
      d.world.sayInGroup(v, QINGGANG, '举报')
      d.world.sayToBot(w, 'bot-north', '求助')
      d.world.sayToBot(w, 'bot-north', '核实')
    }
    await waitFor('an answer in the group', () => d.world.postsIn(QINGGANG, EMPTY).length > 0)
    await settled()
    const figures = { group: d.world.postsIn(QINGGANG, EMPTY).length, help: d.world.dmsTo(w).filter(m => m.text.includes(EMPTY)).length, check: d.world.dmsTo(w).filter(m => m.text.includes(CHECK_USAGE)).length }
    console.log(`[issue 23.3] 10 × empty 举报 in a group of two accounts, 10 × empty 求助 and 10 × empty 核实 by DM: answers ${JSON.stringify(figures)}`)
    expect(figures).toEqual({ group: 1, help: 1, check: 1 })
    expect(d.world.dmsTo(v)).toHaveLength(0)

    await urgentNoticeGoesOut(d, 'yangmu-qinggang')
    await urgentNoticeGoesOut(d, 'zhongzi-xicun', '紧急通知：明早六点起西村停电两小时。')
  })
})

describe('one contact\'s slice of the chat share', () => {
  it('answers at most a few of one villager\'s checks a day, still answers their new case, and leaves the rest for others', async () => {
    // Chat may take 60 a day; one contact's slice is 3 (5 %, at least 3).
    await start({ dailyBudget: 200, chatBudget: 60 })
    const slice = 3
    const [v, other] = d.world.villagersOf(XICUN)
    // Having spoken in 西村's group, their checks go to 西村's curator.
    d.world.sayInGroup(v, XICUN, '大家好')
    await waitFor('where they spoke', async () => await d.store.lastGroupOf('bot-north', v) === XICUN)
    for (let i = 0; i < 12; i++) d.world.sayToBot(v, 'bot-north', `核实 听说第${i}批补贴要先交手续费才能领，是真的吗`)
    await waitFor('the first answers', () => d.world.dmsTo(v).length >= 1)
    await settled()
    const checked = d.world.dmsTo(v).filter(m => m.text.includes(FORWARDED)).length
    const asked = d.world.dmsTo(personContactId('zhang-guiying')).filter(m => m.text.includes('疑似谣言')).length
    console.log(`[issue 23.3] 12 different 核实 from one villager: ${checked} answered, ${asked} curator questions; chat ${(await chatSends('bot-north')).sent} sent`)
    expect(chatPerContactOf({ dailyBudget: 200, chatBudget: 60 })).toBe(slice)
    expect(checked).toBe(slice)
    expect(asked).toBe(slice)

    // A real new case is always answered, the slice spent or not.
    d.world.sayToBot(v, 'bot-north', '求助 家里漏雨了，老人没地方住')
    await waitFor('the case answer', () => d.world.dmsTo(v).some(m => m.text.includes(OPENED)))
    // The neighbour has a slice of their own.
    d.world.sayToBot(other, 'bot-north', '核实 听说村里要收每户五百元的修路费，是真的吗')
    await waitFor('the neighbour\'s answer', () => d.world.dmsTo(other).some(m => m.text.includes(FORWARDED)))
    await settled()
    expect((await chatSends('bot-north')).held).toBe(0)

    await urgentNoticeGoesOut(d, 'zhongzi-xicun')
  })
})
