/**
 * 不漏一户 end to end: acknowledgments placed in households, the deadline DM to each grid
 * worker with exactly the missing households of their grid, 已通知, the curator's totals,
 * the coverage tree and the CSV export. Real Redis, BullMQ timers, bots on the mock puppet.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import { coverageOf, DEADLINE_TIMER, type Coverage } from '../../src/features/coverage/coverage.ts'
import { EXPORT_COLUMNS, toCsv } from '../../src/features/coverage/cli.ts'
import type { Household } from '../../src/domain/households.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { demoConfig, dm, startDistrict, waitFor } from '../helpers.ts'

const VILLAGE = 'zhongzi-xicun'
/** The deadline of urgent notices in this test's config (minutes): long, the test fires it. */
const DEADLINE_MIN = 45

let d: SimDistrict
let cov: Coverage
beforeEach(async () => {
  const cfg = await demoConfig()
  cfg.households!.deadlines = { urgent: DEADLINE_MIN }
  d = await startDistrict({ cfg })
  cov = coverageOf(d.app)!
  await d.bindEveryone()
})
afterEach(async () => { await d?.close() })

/** Publishes an urgent notice at the district and approves it down to `village`; returns its code once posted. */
async function postTo(township: string, village: string): Promise<string> {
  const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '今晚8点起暂停全镇集市，请回复收到', severity: 'urgent' })
  for (const node of [township, village]) {
    await waitFor(`a relay at ${node}`, async () => (await d.store.relay(a.code, node))?.state === 'pending')
    await d.app.decide(a, node, d.cfg.nodes.get(node)!.curators[0], { action: 'approve' })
  }
  await d.idle()
  return a.code
}
const postToXicun = () => postTo('zhongzi', VILLAGE)

function roster(grid: string): Household[] {
  return d.cfg.households!.villages.get(VILLAGE)!.grids.find(g => g.id === grid)!.households
}

/** The roster household of a member name, computed from the config alone. */
function householdOfName(name: string): Household | undefined {
  const hits = ['1', '2'].flatMap(roster).filter(h => h.members.includes(name))
  return hits.length === 1 ? hits[0] : undefined
}

const listed = (text: string): string[] => /：\n(.+)\n/.exec(text)?.[1].split('、') ?? []

describe('household coverage and the deadline follow-up', () => {
  it('tells each grid worker exactly the missing households of their grid, then the curator the totals', async () => {
    const code = await postToXicun()
    const timer = await d.app.timers.queue.getJob(`${DEADLINE_TIMER}-${code}-${VILLAGE}`)
    expect(timer?.opts.delay).toBeGreaterThan((DEADLINE_MIN - 1) * 60_000)
    expect(timer?.opts.delay).toBeLessThanOrEqual(DEADLINE_MIN * 60_000)

    // Every villager of 西村's groups acknowledges, in various forms, except the last of each group.
    const topics = ['西村村民群', '西村二组群']
    const forms = ['收到', '收到了', '好的收到', '1', '👌', `收到${code}`]
    const ackers = new Set<string>()
    for (const topic of topics) {
      const villagers = d.world.villagersOf(topic)
      villagers.slice(0, -1).forEach((v, i) => { ackers.add(v); d.world.sayInGroup(v, topic, forms[i % forms.length]) })
      d.world.sayInGroup(villagers[villagers.length - 1], topic, '收到没？')
    }
    const ackerNames = [...ackers].map(id => d.world.names.get(id)!)
    const unassigned = ackerNames.filter(n => !householdOfName(n))
    expect(unassigned.length, 'the demo world has members on no roster').toBeGreaterThan(0)
    const ackedKeys = new Set(ackerNames.map(n => householdOfName(n)?.key).filter(Boolean))
    await waitFor('every acknowledgment placed', async () => {
      const t = await cov.tree(code, VILLAGE)
      return t && t.counts.acked === ackedKeys.size && t.counts.unassigned === unassigned.length
    })

    // 陈秀英 (grid 1) reached one missing household by phone.
    const missing1 = roster('1').filter(h => !ackedKeys.has(h.key))
    expect(missing1.length).toBeGreaterThan(1)
    const reply = await dm(d, 'chen-xiuying', `已通知 ${missing1[0].name}`)
    expect(reply).toContain(`已登记（通知 ${code}）：${missing1[0].name} 已电话/上门告知`)
    expect(reply).toContain(`还有 ${missing1.length - 1} 户未覆盖`)

    // The deadline fires (promoted instead of waiting 45 minutes).
    await timer!.promote()
    const toWorker = await waitFor('the deadline DM to 陈秀英', () => d.world.dmsTo(personContactId('chen-xiuying')).find(m => m.text.includes('【未覆盖户】')))
    expect(toWorker.text).toContain(code)
    expect(listed(toWorker.text)).toEqual(missing1.slice(1).map(h => h.name))
    const toWorker2 = await waitFor('the deadline DM to 李桂芳', () => d.world.dmsTo(personContactId('li-guifang')).find(m => m.text.includes(code)))
    const missing2 = roster('2').filter(h => !ackedKeys.has(h.key))
    if (missing2.length) expect(listed(toWorker2.text)).toEqual(missing2.map(h => h.name))
    else expect(toWorker2.text).toContain('都已覆盖')

    const toCurator = await waitFor('the totals to 张桂英', () => d.world.dmsTo(personContactId('zhang-guiying')).find(m => m.text.includes('【覆盖情况】')))
    expect(toCurator.text).toContain(`一组：已覆盖 ${roster('1').length - missing1.length + 1}/${roster('1').length} 户（收到 ${roster('1').length - missing1.length}，电话/上门 1）`)
    expect(toCurator.text).toContain(`未归户）：${unassigned.join('、')}`)

    // After the deadline, a bare 已通知 refers to that notice; a household covered twice is refused.
    const again = await dm(d, 'chen-xiuying', `已通知 ${missing1[0].name} 不存在的户`)
    expect(again).toContain(`${missing1[0].name} 已由陈秀英登记已通知`)
    expect(again).toContain('没有找到“不存在的户”')

    // The tree: households and members of 西村, unassigned members counted, never dropped.
    const tree = (await cov.tree(code))!
    const xicun = tree.children.find(c => c.id === 'zhongzi')!.children.find(c => c.id === VILLAGE)!
    expect(xicun.counts).toMatchObject({ households: 12, acked: ackedKeys.size, notified: 1, unassigned: unassigned.length })
    expect(xicun.counts.membersAcked).toBe(ackers.size)
    expect(tree.counts.households).toBeGreaterThanOrEqual(12 + 6)

    // The export: one row per household, the unassigned members too.
    const rows = await cov.rows(code, VILLAGE)
    const csv = toCsv(rows).split('\r\n')
    expect(csv[0]).toBe(EXPORT_COLUMNS.join(','))
    expect(csv[0]).toBe('village,grid,household,member,acknowledged_by,how,at')
    expect(rows.filter(r => r.household)).toHaveLength(12)
    expect(csv).toContainEqual(expect.stringMatching(new RegExp(`^西村,一组,${missing1[0].name},,陈秀英,notified,\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`)))
    expect(rows.filter(r => r.member && r.by).map(r => r.by).sort()).toEqual([...unassigned].sort())
    for (const r of rows.filter(r => r.member)) expect(r, 'a member row acknowledges as that member, or not at all').toMatchObject(r.by ? { by: r.member, how: 'ack' } : { by: '', how: '' })
    for (const h of missing1.slice(1)) expect(csv).toContain(`西村,一组,${h.name},,,,`)
  })

  it('lets only grid workers and the village curator record 已通知', async () => {
    const code = await postToXicun()
    expect(await dm(d, 'wang-jun', `已通知 ${code} 李德明户`)).toBe(d.app.t('notified_not_worker'))
    // A grid worker cannot record a household of another grid.
    expect(await dm(d, 'li-guifang', `已通知 ${code} 李德明户`)).toContain('没有找到“李德明户”')
    expect(await dm(d, 'zhang-guiying', `已通知 ${code} 李德明户`)).toContain('李德明户 已电话/上门告知')
    expect(await dm(d, 'chen-xiuying', '已通知')).toBe(d.app.t('notified_usage'))
    const text = await dm(d, 'chen-xiuying', `覆盖 ${code}`)
    expect(text).toContain(`通知 ${code} 覆盖情况`)
    expect(text).toMatch(/一组（网格员 陈秀英）：已覆盖 1\/6 户（收到 0，电话\/上门 1）/)
  })

  it('places members of a nickname village by their group nickname', async () => {
    const code = await postTo('yangmu', 'yangmu-qinggang')
    const topic = '青杠村村民群'
    const villagers = d.world.villagersOf(topic)
    // Every member of the village's public groups, as the bots recorded them at login (staff included).
    const members = [...new Set(d.cfg.nodes.get('yangmu-qinggang')!.groups.filter(g => g.kind === 'public').flatMap(g => d.world.groups.get(g.topic)!.members))]
    const nameOf = (id: string) => d.world.names.get(id)!
    const nick = villagers.find(v => /^3组-/.test(d.world.names.get(v)!))!
    const plain = villagers.find(v => !/组-/.test(d.world.names.get(v)!))!
    d.world.sayInGroup(nick, topic, '收到')
    d.world.sayInGroup(plain, topic, '收到')
    const village = await waitFor('both acknowledgments', async () => {
      const v = await cov.village(code, 'yangmu-qinggang')
      return v.counts.acked === 1 && v.counts.unassigned === 1 ? v : undefined
    })
    const grid3 = village.grids.find(g => g.grid.id === '3')!
    expect(grid3.households.find(h => h.mark)?.household.name).toBe(`${d.world.names.get(nick)!.slice(3)}户`)
    expect(village.counts.households).toBe(new Set(members.filter(m => /组-/.test(nameOf(m))).map(nameOf)).size)
    // Members that placed nowhere are listed, acknowledged or not.
    expect(village.unassigned.map(u => u.name).sort()).toEqual(members.filter(m => !/组-/.test(nameOf(m))).map(nameOf).sort())

    // The export (issue 14, item 12): a member who did not acknowledge is a member, never under
    // acknowledged_by; another account in the group (seen under an id not yet known as a bot's) is
    // not listed at all.
    const other = d.cfg.bots.get('bot-north')!
    const directory = await d.store.redis.hgetall(`${d.store.keys.base}members:${topic}`)
    await cov.recordGroupMembers(topic, [...Object.entries(directory).map(([id, name]) => ({ id, name })), { id: 'wxid_seen_elsewhere', name: other.nickname }])
    const rows = (await cov.rows(code, 'yangmu-qinggang')).filter(r => r.member)
    expect(rows.filter(r => r.by).map(r => r.member)).toEqual([nameOf(plain)])
    expect(rows.filter(r => !r.by).length).toBe(village.unassigned.length - 1)
    for (const r of rows.filter(r => !r.by)) expect(r).toMatchObject({ how: '', at: undefined })
    expect(rows.map(r => r.member)).not.toContain(other.nickname)
  })
})
