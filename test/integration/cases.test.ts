/**
 * Tips and help requests: opened from a DM or a group, routed, taken, answered, closed,
 * escalated at the SLA, verified, and refused to anyone not responsible.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { casesOf, provideGridWorkers, type CaseDesk } from '../../src/features/cases/cases.ts'
import { coverageOf } from '../../src/features/coverage/coverage.ts'
import type { CascadeConfig } from '../../src/config/types.ts'
import type { Case } from '../../src/domain/cases.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { demoConfig, dm, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const XICUN = '西村村民群'
const CODE = /\bC[A-Z0-9]{5}\b/

function desk(): CaseDesk { return casesOf(d.app)! }

/** 西村's curator and grid workers (cases go to the reporter's grid worker too) are bound by default. */
async function start(cfg?: CascadeConfig, people: string[] = ['zhang-guiying', 'chen-xiuying', 'li-guifang']): Promise<void> {
  d = await startDistrict(cfg ? { cfg } : {})
  for (const p of people) await d.bind(p)
  await waitFor('staff bound', async () => {
    for (const p of people) if (Object.keys(await d.store.bindingsOf(p)).length === 0) return false
    return true
  })
  await d.idle()
}

/** A staff member's command in a DM and the answer (not a case notice, which starts with 【). */
function staff(person: string, text: string): Promise<string> {
  return dm(d, person, text, undefined, t => !t.startsWith('【'))
}

/** The first DM to a contact matching `re` (waiting for it). */
async function dmTo(contact: string, re: RegExp | string): Promise<string> {
  const m = await waitFor(`a DM to ${contact} matching ${re}`, () => d.world.dmsTo(contact).find(x => (typeof re === 'string' ? x.text.includes(re) : re.test(x.text))))
  return m.text
}

/** A villager's report in a group: waits for the DM with the code and returns the case. */
async function reportInGroup(villager: string, topic: string, text: string): Promise<Case> {
  const before = d.world.dmsTo(villager).length
  d.world.sayInGroup(villager, topic, text)
  const reply = await waitFor('the reporter\'s DM', () => d.world.dmsTo(villager).slice(before).find(m => CODE.test(m.text)))
  return (await desk().store.get(CODE.exec(reply.text)![0]))!
}

/** A villager's report in a DM to bot-north: the answer and the case. */
async function reportByDm(villager: string, text: string): Promise<{ reply: string; c: Case | undefined }> {
  const before = d.world.dmsTo(villager).length
  d.world.sayToBot(villager, 'bot-north', text)
  const reply = (await waitFor('the answer', () => d.world.dmsTo(villager).slice(before)[0])).text
  const code = CODE.exec(reply)?.[0]
  return { reply, c: code ? await desk().store.get(code) : undefined }
}

async function shortSlaConfig(): Promise<CascadeConfig> {
  const cfg = await demoConfig()
  return {
    ...cfg,
    cases: { ...cfg.cases!, kinds: { tip: { takeWithinMinutes: 0.02 }, help: { takeWithinMinutes: 0.02 } }, escalation: [{ to: 'node', afterMinutes: 0 }, { to: 'parent', afterMinutes: 0.02 }] },
  }
}

describe('opening a case', () => {
  it('from a group: a brief answer there without the reporter or the tip, the rest by DM', async () => {
    await start()
    const v = d.world.villagersOf(XICUN)[0]
    const name = d.world.names.get(v)!
    const c = await reportInGroup(v, XICUN, '@朝天北片值守号 举报 有辆外地牌照的出租车刚进村，停在村委会旁边')
    expect(c).toMatchObject({ kind: 'tip', node: 'zhongzi-xicun', state: 'open', topic: XICUN, reporter: { bot: 'bot-north', contactId: v, name } })
    await d.idle()
    const inGroup = d.world.postsIn(XICUN, '')
    expect(inGroup).toHaveLength(1)
    expect(inGroup[0].text).not.toContain(name)
    expect(inGroup[0].text).not.toContain('出租车')
    expect(inGroup[0].text).not.toContain(c.code)
    expect(await dmTo(v, c.code)).toContain('保密')
    const notice = await dmTo(personContactId('zhang-guiying'), `事项 ${c.code}`)
    expect(notice).toContain('出租车刚进村')
    expect(notice).toContain(name)
  })

  it('opens one case when two accounts see the same group message', async () => {
    await start(undefined, ['zhu-dehua'])
    const topic = '青杠村村民群'
    const v = d.world.villagersOf(topic)[0]
    const c = await reportInGroup(v, topic, '求助 家里老人的降压药吃完了，买不到')
    await d.idle()
    await new Promise(r => setTimeout(r, 300)) // let the other account finish its copy
    await d.idle()
    expect((await desk().store.all()).map(x => x.code)).toEqual([c.code])
    expect(d.world.postsIn(topic, '')).toHaveLength(1)
  })

  it('from a DM: routed to the village the reporter was seen in, else to the district with a note', async () => {
    await start(undefined, ['yang-xiuzhen', 'wang-jun'])
    const [v] = d.world.villagersOf('东坝村村民群')
    d.world.sayInGroup(v, '东坝村村民群', '大家好')
    await waitFor('the village to be remembered', () => d.store.lastGroupOf('bot-north', v))
    const known = await reportByDm(v, '求助 孩子只能喝一种奶粉，家里快没了')
    expect(known.reply).toContain(known.c!.code)
    expect(known.c).toMatchObject({ kind: 'help', node: 'zhongzi-dongba' })
    // The village curator, and the grid worker of the household the reporter's name places them in.
    expect(known.c!.responsible).toEqual(expect.arrayContaining(['yang-xiuzhen']))
    expect(await dmTo(personContactId('yang-xiuzhen'), known.c!.code)).toContain('奶粉')

    const stranger = d.world.villagersOf('石门村村民群')[0]
    const unknown = await reportByDm(stranger, '举报 有人在河边聚餐')
    expect(unknown.c?.node).toBe(d.cfg.rootId)
    expect(await dmTo(personContactId('wang-jun'), unknown.c!.code)).toContain('未能确定')
  })

  it('does not open a second case for the same report sent again', async () => {
    await start()
    const v = d.world.villagersOf(XICUN)[1]
    const first = await reportByDm(v, '求助 降压药吃完了')
    const again = await reportByDm(v, '求助：降压药 吃完了！')
    expect(again.reply).toContain(first.c!.code)
    expect(again.reply).toContain('已经反映过')
    expect(await desk().store.all()).toHaveLength(1)
    const other = await reportByDm(v, '求助 家里没有米了')
    expect(other.c!.code).not.toBe(first.c!.code)
  })

  it('answers an empty report with how to write one', async () => {
    await start()
    const v = d.world.villagersOf(XICUN)[0]
    const { reply, c } = await reportByDm(v, '举报')
    expect(reply).toContain('举报 ')
    expect(c).toBeFalsy()
    expect(await desk().store.all()).toHaveLength(0)
  })
})

describe('routing and follow-up', () => {
  it('sends a case to the reporter\'s grid worker when the roster names one', async () => {
    await start(undefined, ['zhang-guiying', 'liu-jianguo'])
    const [v1, v2] = d.world.villagersOf(XICUN)
    provideGridWorkers(d.app, { gridWorkersOf: (node, r) => (node === 'zhongzi-xicun' && r.contactId === v1 ? ['liu-jianguo'] : []) })
    const mine = await reportInGroup(v1, XICUN, '求助 需要去县医院透析，没有车')
    expect(mine.responsible).toEqual(['liu-jianguo', 'zhang-guiying'])
    expect(await dmTo(personContactId('liu-jianguo'), mine.code)).toContain('透析')
    const theirs = await reportInGroup(v2, XICUN, '求助 家里没有菜了')
    expect(theirs.responsible).toEqual(['zhang-guiying'])
    expect(await staff('liu-jianguo', `接单 ${theirs.code}`)).toContain('没有找到由您负责的事项')
    expect(await staff('liu-jianguo', `接单 ${mine.code}`)).toContain('已接单')
  })

  it('is taken, answered and closed, with the reporter told each time and every step in the history', async () => {
    await start()
    const v = d.world.villagersOf(XICUN)[2]
    const c = await reportInGroup(v, XICUN, '求助 孩子的特殊奶粉只剩一罐了')
    expect(await staff('zhang-guiying', `接单 ${c.code}`)).toContain(`已接单 ${c.code}`)
    expect(await dmTo(v, '已由西村的工作人员接单')).toContain(c.code)
    expect(await staff('zhang-guiying', `接单 ${c.code}`)).toContain('已由张桂英接单')
    expect(await staff('zhang-guiying', `回复 ${c.code} 已联系县城药店，明天上午送到`)).toContain('已把您的回复转告')
    expect(await dmTo(v, '明天上午送到')).toContain('张桂英')
    expect(await staff('zhang-guiying', `办结 ${c.code} 已送到 6 罐`)).toContain('已办结')
    expect(await dmTo(v, '已办结')).toContain('已送到 6 罐')
    expect(await desk().store.get(c.code)).toMatchObject({ state: 'closed', takenBy: 'zhang-guiying', closedBy: 'zhang-guiying', result: '已送到 6 罐' })
    expect(await staff('zhang-guiying', `办结 ${c.code} 再办一次`)).toContain('已由张桂英办结')
    expect((await desk().store.history(c.code)).map(e => e.kind)).toEqual(['open', 'assign', 'take', 'reply', 'close'])
  })

  it('hands a case over to another node, which is then responsible', async () => {
    await start(undefined, ['zhang-guiying', 'yang-xiuzhen'])
    const v = d.world.villagersOf(XICUN)[0]
    const c = await reportInGroup(v, XICUN, '举报 东坝村桥头有人摆摊卖高价口罩')
    expect(await staff('zhang-guiying', `转交 ${c.code} 东坝`)).toContain('已转交东坝村')
    expect(await dmTo(personContactId('yang-xiuzhen'), '由西村张桂英转来')).toContain(c.code)
    expect(await dmTo(v, '已转交东坝村')).toContain(c.code)
    expect(await desk().store.get(c.code)).toMatchObject({ state: 'transferred', node: 'zhongzi-dongba', responsible: ['yang-xiuzhen'], generation: 1 })
    expect(await staff('zhang-guiying', `接单 ${c.code}`)).toContain('没有找到由您负责的事项')
    expect(await staff('yang-xiuzhen', `接单 ${c.code}`)).toContain('已接单')
    expect(await staff('yang-xiuzhen', `转交 ${c.code} 火星村`)).toContain('没有找到单位')
  })

  it('escalates a case not taken in time to the village curators, then the township', async () => {
    await start(await shortSlaConfig(), ['zhang-guiying', 'liu-jianguo', 'li-hong'])
    const v = d.world.villagersOf(XICUN)[0]
    const c = await reportInGroup(v, XICUN, '举报 有人从武汉回来没有登记')
    expect(c.responsible).not.toContain('li-hong')
    const township = await dmTo(personContactId('li-hong'), '【催办】')
    expect(township).toContain(c.code)
    expect(township).toContain('有人从武汉回来没有登记')
    expect(await dmTo(personContactId('liu-jianguo'), '【催办】')).toContain(c.code)
    expect(await dmTo(personContactId('zhang-guiying'), '【催办】')).toContain(c.code)
    const steps = (await desk().store.history(c.code)).filter(e => e.kind === 'escalate')
    expect(steps.map(e => [e.step, e.node])).toEqual([[1, 'zhongzi-xicun'], [2, 'zhongzi']])
    expect(await staff('li-hong', `接单 ${c.code}`)).toContain('已接单')
    expect(await desk().store.get(c.code)).toMatchObject({ state: 'taken', takenBy: 'li-hong', escalations: 2 })
  })

  it('records the promised reward for a tip found true, once, and tells the reporter', async () => {
    await start()
    const v = d.world.villagersOf(XICUN)[0]
    const tip = await reportInGroup(v, XICUN, '举报 小卖部口罩卖 20 元一个')
    expect(await staff('zhang-guiying', `属实 ${tip.code}`)).toContain('属实')
    expect(await dmTo(v, '200 元奖励')).toContain(tip.code)
    expect(await desk().store.reward(tip.code)).toMatchObject({ by: 'zhang-guiying', reward: d.cfg.cases!.reward })
    expect(await desk().store.get(tip.code)).toMatchObject({ verifiedBy: 'zhang-guiying' })
    expect(await staff('zhang-guiying', `属实 ${tip.code}`)).toContain('已由张桂英登记为属实')
    const help = await reportInGroup(v, XICUN, '求助 需要买菜')
    expect(await staff('zhang-guiying', `属实 ${help.code}`)).toContain('是求助')
    expect(await desk().store.reward(help.code)).toBeUndefined()
  })
})

describe('permissions', () => {
  it('lets no villager and no one else\'s curator act on a case; unknown codes are said so', async () => {
    await start(undefined, ['zhang-guiying', 'chen-xiuying', 'li-guifang', 'yang-xiuzhen'])
    const [reporter, neighbour] = d.world.villagersOf(XICUN)
    const c = await reportInGroup(reporter, XICUN, '举报 隔壁在办酒席，来了很多人')
    const asVillager = await reportByDm(neighbour, `办结 ${c.code} 没事了`)
    expect(asVillager.reply).toContain('只有负责该事项的工作人员')
    expect((await reportByDm(reporter, `回复 ${c.code} 我想看看`)).reply).toContain('只有负责该事项的工作人员')
    // Another node's curator cannot tell a real code from an unused one (codes are not enumerable).
    const real = await staff('yang-xiuzhen', `办结 ${c.code} 没事了`)
    const unused = await staff('yang-xiuzhen', '接单 CZZZZZ')
    expect(real).toContain(`没有找到由您负责的事项 ${c.code}`)
    expect(unused.replace('CZZZZZ', c.code)).toBe(real)
    expect(await staff('zhang-guiying', '接单')).toContain('接单 <事项编号>')
    d.world.sayInGroup(neighbour, XICUN, `办结 ${c.code} 好了`)
    await new Promise(r => setTimeout(r, 300))
    await d.idle()
    expect(d.world.postsIn(XICUN, '')).toHaveLength(1) // only the answer to the report itself
    expect(await desk().store.get(c.code)).toMatchObject({ state: 'open' })
    expect((await desk().store.history(c.code)).map(e => e.kind)).toEqual(['open', 'assign'])
  })
})

describe('grid workers', () => {
  it('sends a case to the grid worker of the household the reporter belongs to (from the roster)', async () => {
    await start()
    const idx = coverageOf(d.app)!.idx
    const placed = d.world.villagersOf(XICUN).map(v => ({ v, place: idx.locate('zhongzi-xicun', d.world.names.get(v)!) }))
    const { v, place } = placed.find(p => p.place.kind === 'household')!
    const worker = idx.grid('zhongzi-xicun', (place as { grid: string }).grid)!.workers[0]
    const c = await reportInGroup(v, XICUN, '求助 家里老人的降压药快吃完了')
    expect(c.responsible).toContain(worker)
    expect(await dmTo(personContactId(worker), c.code)).toContain('降压药')
    // A member the roster does not know goes to the village curator only.
    const stranger = placed.find(p => p.place.kind === 'unassigned')!.v
    const c2 = await reportInGroup(stranger, XICUN, '举报 有人在村口卖假口罩')
    expect(c2.responsible).toEqual(['zhang-guiying'])
  })
})

describe('photos', () => {
  it('attaches a photo to the reporter\'s open case within the window', async () => {
    await start()
    const v = d.world.villagersOf(XICUN)[0]
    const c = await reportInGroup(v, XICUN, '举报 村口有人聚集')
    expect(await desk().attachPhoto({ bot: 'bot-north', contactId: v, messageId: 'img-1' })).toEqual([expect.stringContaining(c.code)])
    expect(await desk().store.get(c.code)).toMatchObject({ photos: 1 })
    expect(await dmTo(personContactId('zhang-guiying'), '补充了照片')).toContain(c.code)
    expect(await desk().attachPhoto({ bot: 'bot-north', contactId: d.world.villagersOf(XICUN)[1], messageId: 'img-2' })).toBeUndefined()
  })

  it('takes a photo sent through WeChat in a private chat right after the report', async () => {
    await start()
    const v = d.world.villagersOf(XICUN)[2]
    const c = await reportInGroup(v, XICUN, '举报 有外地车辆深夜进村')
    d.world.sendPhotoToBot(v, 'bot-north')
    await waitFor('the photo on the case', async () => (await desk().store.get(c.code))?.photos === 1)
  })
})
