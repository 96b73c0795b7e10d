/**
 * Issue 13, items 3, 4 and 14: a villager cannot flood cases (5 open at most, then one polite
 * refusal; case DMs ranked below urgent posts); case codes are long, archived after closing, not
 * enumerable; a case that cannot be opened gets a clear answer. The notice that follows still
 * goes out urgent. Real Redis and BullMQ, the mock puppet.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { casesOf, type CaseDesk } from '../../src/features/cases/cases.ts'
import { CASE_ARCHIVE_TIMER } from '../../src/spine/guards.ts'
import { MAX_OPEN_CASES_PER_REPORTER } from '../../src/domain/limits.ts'
import { PRIORITY } from '../../src/queue/outbox.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { dm, startDistrict, waitFor } from '../helpers.ts'
import { jobsIn, urgentNoticeGoesOut } from './abuse-helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const XICUN = '西村村民群'
const TOO_MANY = '件反映的事项正在办理'
const FAILED = '这次没有登记上'

function desk(): CaseDesk { return casesOf(d.app)! }

async function start(people: string[] = ['zhang-guiying']): Promise<void> {
  d = await startDistrict()
  for (const p of people) await d.bind(p)
  await waitFor('staff bound', async () => {
    for (const p of people) if (Object.keys(await d.store.bindingsOf(p)).length === 0) return false
    return true
  })
  await d.idle()
}

async function casesOfReporter(contact: string) {
  return (await desk().store.all()).filter(c => c.reporter.contactId === contact)
}

describe('case floods', () => {
  it('opens 5 of 20 different 求助 sent at once, refuses once, opens again after one is closed; the urgent notice still goes first', async () => {
    await start()
    const v = d.world.villagersOf(XICUN)[0]
    for (let i = 0; i < 20; i++) d.world.sayInGroup(v, XICUN, `求助 第${i}件事：家里缺${'米面油盐酱醋茶'[i % 7]}，编号${i}`)
    await waitFor('the refusal', () => d.world.dmsTo(v).some(m => m.text.includes(TOO_MANY)))
    await d.idle()
    await new Promise(r => setTimeout(r, 300))
    await d.idle()
    const open = await casesOfReporter(v)
    expect(open).toHaveLength(MAX_OPEN_CASES_PER_REPORTER)
    expect(d.world.dmsTo(v).filter(m => m.text.includes(TOO_MANY))).toHaveLength(1)
    expect(d.world.dmsTo(v).filter(m => m.text.includes('已收到您的求助'))).toHaveLength(5)
    // In the group: the five brief answers, never a refusal.
    expect(d.world.postsIn(XICUN, '')).toHaveLength(5)
    expect(d.world.postsIn(XICUN, TOO_MANY)).toHaveLength(0)

    // Every case DM (to the reporter, to the curator) ranked after urgent posts, on the chat share.
    const sent = (await jobsIn(d, 'bot-north', 'completed')).filter(j => j.idem.startsWith('case-') || (j.idem.startsWith('reply-') && j.target.kind === 'group'))
    expect(sent.length).toBeGreaterThanOrEqual(10)
    for (const j of sent) {
      expect(j.priority).toBeGreaterThan(PRIORITY.urgent)
      expect(j.chat).toBe(true)
    }

    // Closing one frees a place: the next report opens, the one after is refused silently (once an hour).
    expect(await dm(d, 'zhang-guiying', `办结 ${open[0].code} 已送到`, undefined, t => !t.startsWith('【'))).toContain('已办结')
    d.world.sayInGroup(v, XICUN, '求助 第二十件事：孩子发烧需要退烧药')
    await waitFor('the sixth case', async () => (await casesOfReporter(v)).filter(c => c.state !== 'closed').length === 5)
    d.world.sayInGroup(v, XICUN, '求助 第二十一件事：没有柴火了')
    await new Promise(r => setTimeout(r, 300))
    await d.idle()
    expect((await casesOfReporter(v)).filter(c => c.state !== 'closed')).toHaveLength(5)
    expect(d.world.dmsTo(v).filter(m => m.text.includes(TOO_MANY))).toHaveLength(1)

    // Another villager is not held back by their neighbour.
    const other = d.world.villagersOf(XICUN)[1]
    d.world.sayInGroup(other, XICUN, '求助 家里老人摔倒了')
    await waitFor('the neighbour\'s case', async () => (await casesOfReporter(other)).length === 1)

    await urgentNoticeGoesOut(d, 'zhongzi-xicun')
  })
})

describe('case codes', () => {
  it('gives codes of six characters, archives a closed case, and answers a real and an unused code alike', async () => {
    await start(['zhang-guiying', 'yang-xiuzhen'])
    const v = d.world.villagersOf(XICUN)[0]
    d.world.sayInGroup(v, XICUN, '举报 河边有人烧秸秆')
    const c = await waitFor('the case', async () => (await casesOfReporter(v))[0])
    expect(c.code).toMatch(/^C[A-HJ-NP-Z2-9]{5}$/)

    const real = await dm(d, 'yang-xiuzhen', `接单 ${c.code}`, undefined, t => !t.startsWith('【'))
    const unused = await dm(d, 'yang-xiuzhen', '接单 CZZZZZ', undefined, t => !t.startsWith('【'))
    expect(unused.replace('CZZZZZ', c.code)).toBe(real)

    expect(await dm(d, 'zhang-guiying', `办结 ${c.code} 已劝离`, undefined, t => !t.startsWith('【'))).toContain('已办结')
    const timer = await d.app.timers.queue.getJob(`${CASE_ARCHIVE_TIMER}-${c.code}`)
    expect(timer).toBeDefined()
    expect(timer!.opts.delay).toBeGreaterThan(29 * 24 * 3600_000)
    await timer!.promote()
    await waitFor('the case archived', async () => !(await desk().store.all()).some(x => x.code === c.code))
    expect(await desk().store.get(c.code)).toMatchObject({ state: 'closed', result: '已劝离' })
    expect(await dm(d, 'zhang-guiying', `接单 ${c.code}`, undefined, t => !t.startsWith('【'))).toContain('已由张桂英办结')
    await urgentNoticeGoesOut(d, 'zhongzi-xicun')
  })

  it('answers clearly when no case can be opened (no free code, Redis failing), in a DM and from a group', async () => {
    await start()
    const v = d.world.villagersOf(XICUN)[0]
    const open = desk().store.open.bind(desk().store)
    desk().store.open = async () => ({ opened: false, codeTaken: true }) // every code taken
    d.world.sayToBot(v, 'bot-north', '求助 家里停电了')
    await waitFor('the answer', () => d.world.dmsTo(v).some(m => m.text.includes(FAILED)))
    desk().store.open = async () => { throw new Error('READONLY You can\'t write against a read only replica.') }
    d.world.sayInGroup(v, XICUN, '举报 有人在桥上钓鱼')
    await waitFor('the second answer', () => d.world.dmsTo(v).filter(m => m.text.includes(FAILED)).length === 2)
    await d.idle()
    expect(d.world.postsIn(XICUN, '')).toHaveLength(0)
    expect(await desk().store.all()).toEqual([])
    desk().store.open = open
    d.world.sayToBot(v, 'bot-north', '求助 家里停电了，老人怕黑')
    await waitFor('a case after all', async () => (await desk().store.all()).length === 1)
    await urgentNoticeGoesOut(d, 'zhongzi-xicun')
    expect(d.world.dmsTo(personContactId('zhang-guiying')).some(m => m.text.includes('停电了，老人怕黑'))).toBe(true)
  })
})
