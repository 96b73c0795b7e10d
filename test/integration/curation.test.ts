/**
 * Curators' workflow over time (policies with shortened timers), corrections, retraction,
 * drills, scheduling and the audit log — real Redis, BullMQ and Wechaty on the mock puppet.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import { cancel, correct } from '../../src/features/curation/curation.ts'
import type { ApprovalPolicy } from '../../src/config/policies.ts'
import type { CascadeConfig } from '../../src/config/types.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { demoConfig, dm, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

/** The demo config with every timer shortened to fractions of a second. */
async function fastPolicies(urgent: Partial<ApprovalPolicy>, normal: Partial<ApprovalPolicy> = {}): Promise<CascadeConfig> {
  const cfg = await demoConfig()
  const base = { remindAfter: 0.005, escalateAfter: 0.01, expiresAfterHours: 1 }
  return {
    ...cfg,
    policies: {
      ...cfg.policies,
      defaults: {
        urgent: { ...base, autoForwardAfter: 0.02, ...urgent },
        normal: { ...base, autoForwardAfter: null, ...normal },
        info: { ...base, autoForwardAfter: null },
      },
    },
  }
}

function topics(node: string): string[] {
  return d.cfg.nodes.get(node)!.groups.filter(g => g.kind === 'public').map(g => g.topic)
}

function dmsContaining(person: string, text: string) {
  return d.world.dmsTo(personContactId(person)).filter(m => m.text.includes(text))
}

describe('approval over time', () => {
  it('reminds, escalates, then auto-forwards an urgent notice, labelled; a normal one keeps waiting', async () => {
    d = await startDistrict({ cfg: await fastPolicies({}) })
    await d.bindEveryone()
    const urgent = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '紧急：今晚有强降雨，请低洼处住户转移', severity: 'urgent' })
    const normal = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '一般：下周一起恢复集市', severity: 'normal' })

    // 中子镇's curator is reminded, its backup asked, and the district curator told.
    await waitFor('a reminder to 李红', () => dmsContaining('li-hong', `提醒：编号 ${urgent.code}`).length > 0, 5000)
    await waitFor('the backup asked', () => dmsContaining('chen-gang', `编号 ${urgent.code}`).some(m => m.text.startsWith('【待审核】')), 5000)
    await waitFor('the parent told', () => dmsContaining('wang-jun', `编号 ${urgent.code}`).some(m => m.text.includes('未审核')), 5000)
    // Then forwarded without review: the township group gets it, labelled as such.
    const post = await waitFor('the auto-forwarded post', () => d.world.postsIn(topics('zhongzi')[0], urgent.code)[0], 5000)
    expect(post.text).toContain('【超时未审核·按规则自动转发】')
    const relay = await d.store.relay(urgent.code, 'zhongzi')
    expect(relay).toMatchObject({ state: 'approved', decidedBy: 'policy', auto: true })

    // The normal notice was reminded and escalated too, but still waits.
    await waitFor('the normal escalation', async () => (await d.store.auditLog(normal.code)).some(e => e.kind === 'escalation' && e.node === 'zhongzi'), 5000)
    await new Promise(r => setTimeout(r, 1500))
    expect((await d.store.relay(normal.code, 'zhongzi'))?.state).toBe('pending')
    expect(d.world.postsIn(topics('zhongzi')[0], normal.code)).toHaveLength(0)

    const kinds = (await d.store.auditLog(urgent.code)).filter(e => e.node === 'zhongzi').map(e => e.kind)
    for (const k of ['relay-opened', 'reminder', 'escalation', 'auto-forward']) expect(kinds.filter(x => x === k), k).toHaveLength(1)
  })

  it('a node whose policy forwards at once (autoForwardAfter 0) takes the notice unreviewed, without asking its curators', async () => {
    const base = await fastPolicies({})
    const cfg = { ...base, policies: { ...base.policies, nodes: new Map([['zhongzi', { normal: { autoForwardAfter: 0 } }]]) } }
    d = await startDistrict({ cfg })
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '一般：本周六全区集中消杀', severity: 'normal' })
    const post = await waitFor('中子镇\'s post', () => d.world.postsIn(topics('zhongzi')[0], a.code)[0], 5000)
    expect(post.text).toContain('【本级免审·按规则直接转发】')
    expect(await d.store.relay(a.code, 'zhongzi')).toMatchObject({ state: 'approved', decidedBy: 'policy', auto: true, autoReason: 'policy' })
    expect((await d.store.auditLog(a.code)).find(e => e.kind === 'auto-forward' && e.node === 'zhongzi')).toMatchObject({ why: 'policy' })
    // Its villages review as usual; 中子镇's curator was never asked, 羊木镇's was.
    await waitFor('a village request', () => dmsContaining('zhang-guiying', `编号 ${a.code}`).length > 0, 5000)
    await waitFor('羊木镇\'s request', () => dmsContaining('sun-li', `编号 ${a.code}`).length > 0, 5000)
    // Never asked nor reminded; what she may get is her villages' escalations (「…请您督促」), which
    // a slow machine reaches before this line with escalateAfter at 0.6 s.
    const asked = dmsContaining('li-hong', `编号 ${a.code}`).filter(m => m.text.startsWith('【待审核】') || m.text.startsWith('提醒：'))
    expect(asked).toHaveLength(0)
    expect((await d.store.auditLog(a.code)).filter(e => e.node === 'zhongzi' && e.kind === 'reminder')).toHaveLength(0)
    expect((await d.store.relay(a.code, 'yangmu'))?.state).toBe('pending')
  })

  it('lists pending work, classifies, and takes an approval given as a quote reply', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '请各村统计返乡人员', severity: 'normal' })
    const request = await waitFor('the request', () => dmsContaining('li-hong', `编号 ${a.code}`)[0])
    expect(await dm(d, 'li-hong', '待办')).toMatch(new RegExp(`1\\. ${a.code}（一般）中子镇 · 已等 \\d+ 分钟：请各村统计返乡人员`))
    expect(await dm(d, 'li-hong', `分类 ${a.code} 没有的类别`)).toContain('可选：')
    expect(await dm(d, 'li-hong', `分类 ${a.code} 防疫`)).toContain('防疫')
    const quote = `「朝天区值守号：${request.text}」\n- - - - - - - - - - - - - - -\n通过`
    expect(await dm(d, 'li-hong', quote)).toContain(`已通过 ${a.code}`)
    const villageRequest = await waitFor('the village request', () => dmsContaining('zhang-guiying', `编号 ${a.code}`)[0])
    expect(villageRequest.text).toContain('（防疫）')
    expect(await dm(d, 'li-hong', '待办')).toContain('没有等您审核')
  })
})

describe('expiry', () => {
  it('closes pending relays and posts nothing from a backlog after expiry', async () => {
    d = await startDistrict()
    for (const bot of [...d.cfg.bots.keys()]) await d.stopBot(bot) // every account offline: posts wait in the queues
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '今晚停水，明早恢复', expiresAt: Date.now() + 1200 })
    await d.app.decide(a, 'zhongzi', 'li-hong', { action: 'approve' })
    await waitFor('expiry', async () => (await d.store.relay(a.code, 'yangmu'))?.state === 'expired', 5000)
    for (const bot of d.cfg.bots.keys()) await d.startBot(bot)
    await d.idle()
    expect(d.world.transcript.filter(m => m.room && m.text.includes(a.code))).toHaveLength(0)
    const deliveries = await d.store.deliveries(a.code)
    expect(deliveries.length).toBeGreaterThan(0)
    expect(deliveries.every(x => x.state === 'withdrawn')).toBe(true)
    expect((await d.store.auditLog(a.code)).filter(e => e.kind === 'expired').map(e => e.node).sort()).toEqual(['zengjia', 'yangmu', 'zhongzi-dongba', 'zhongzi-shuikou', 'zhongzi-xicun', 'zhongzi-xinjie'].sort())
  })
})

describe('corrections and retraction', () => {
  it('retracts during a fan-out: no group keeps an uncorrected original, none gets two corrections', async () => {
    d = await startDistrict({ pacing: { perMinute: 900, jitterMs: 0 } })
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '明天全区停电检修' })
    for (const node of ['zhongzi', 'yangmu', 'zengjia']) await d.app.decide(a, node, d.cfg.nodes.get(node)!.curators[0], { action: 'approve' })
    for (const node of d.cfg.children.get('zhongzi')!) await d.app.decide(a, node, d.cfg.nodes.get(node)!.curators[0], { action: 'approve' })
    // Some posts are out, some queued, some villages still pending: now retract.
    await waitFor('a few posts out', () => d.world.transcript.filter(m => m.room && m.text.includes(`编号 ${a.code}`)).length >= 3)
    const { reply, made } = await cancel(d.app, 'zhao-min', a.code, '停电时间另行通知')
    expect(reply).toContain(`已撤回 ${a.code}`)
    // Curators keep answering the original after the retraction: nothing more goes out.
    for (const node of d.cfg.children.get('yangmu')!) await d.app.decide(a, node, d.cfg.nodes.get(node)!.curators[0], { action: 'approve' })
    await d.idle()
    const all = [...d.cfg.nodes.values()].flatMap(n => topics(n.id))
    let originals = 0
    for (const topic of all) {
      const o = d.world.postsIn(topic, `· 编号 ${a.code}`).length
      const c = d.world.postsIn(topic, `· 编号 ${made!.code}`).length
      expect(o, topic).toBeLessThanOrEqual(1)
      expect(c, `${topic}: corrections for ${o} original(s)`).toBe(o)
      originals += o
    }
    expect(originals).toBeGreaterThan(0)
    // The race really happened: some copies were still queued at the retraction and were withdrawn.
    expect((await d.store.deliveries(a.code)).filter(x => x.state === 'withdrawn').length).toBeGreaterThan(0)
    // 羊木镇's villages were still deciding: withdrawn, and their curators told not to bother.
    expect((await d.store.relay(a.code, 'yangmu-qinggang'))?.state).toBe('withdrawn')
    await waitFor('the withdrawal notice', () => dmsContaining('zhu-dehua', '无需再审核').length === 1)
    const audit = await d.store.auditLog(a.code)
    expect(audit.filter(e => e.kind === 'cancel')).toHaveLength(1)
  })

  it('refuses a retraction or correction from a curator of another node', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const reply = await dm(d, 'zhao-min', '发布 周末集市暂停')
    const code = /编号 ([A-Z0-9]{4})/.exec(reply)![1]
    expect(await dm(d, 'li-hong', `撤回 ${code} 我觉得不对`)).toContain('只有朝天区的发布员')
    expect(await dm(d, 'li-hong', `更正 ${code} 新的内容`)).toContain('只有朝天区的发布员')
    expect(await d.store.cancelledBy(code)).toBeUndefined()
    expect((await d.store.relay(code, 'zhongzi'))?.state).toBe('pending')
  })

  it('sends a correction along the original path: approvers re-approve, pending nodes see the new text', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '疫苗接种点设在镇卫生院', severity: 'normal' })
    await d.app.decide(a, 'zhongzi', 'li-hong', { action: 'approve' })
    await d.app.decide(a, 'zengjia', 'song-wei', { action: 'reject', reason: '本镇另有安排' })
    await d.idle()
    const { made: u } = await correct(d.app, 'zhao-min', a.code, '疫苗接种点改设在镇文化站')
    await d.idle()
    // The district group got the original and the correction.
    expect(d.world.postsIn(topics('chaotian')[0], `编号 ${u!.code}`)[0].text).toContain(`【更正】（更正此前编号 ${a.code} 的通知）`)
    // 中子镇 approved the original: it is asked to approve the correction.
    expect(dmsContaining('li-hong', `编号 ${u!.code}`).some(m => m.text.includes('镇文化站'))).toBe(true)
    expect((await d.store.relay(u!.code, 'zhongzi'))?.state).toBe('pending')
    // 羊木镇 was still deciding: it now sees the new text, and approving forwards the new text.
    expect((await d.store.relay(a.code, 'yangmu'))?.text).toBe('疫苗接种点改设在镇文化站')
    expect(await d.store.relay(u!.code, 'yangmu')).toBeUndefined()
    await d.app.decide(a, 'yangmu', 'sun-li', { action: 'approve' })
    await d.idle()
    expect(d.world.postsIn(topics('yangmu')[0], `编号 ${a.code}`)[0].text).toContain('镇文化站')
    // 曾家镇 rejected the original: the correction does not go there.
    expect(await d.store.relay(u!.code, 'zengjia')).toBeUndefined()
    expect(d.world.postsIn(topics('zengjia')[0], u!.code)).toHaveLength(0)
    const audit = (await d.store.auditLog(a.code)).map(e => e.kind)
    expect(audit).toEqual(expect.arrayContaining(['publish', 'approve', 'reject', 'pending-text-updated']))
    expect((await d.store.auditLog(u!.code)).find(e => e.kind === 'update')).toMatchObject({ references: a.code, actor: 'zhao-min' })
  })
})

describe('drills and scheduling', () => {
  it('labels a drill 【演练】 in every post and request', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const reply = await dm(d, 'zhao-min', '演练 森林火灾应急疏散演练，请各村组织转移')
    const code = /编号 ([A-Z0-9]{4})/.exec(reply)![1]
    expect((await d.store.announcement(code))?.status).toBe('exercise')
    await d.app.decide((await d.store.announcement(code))!, 'zhongzi', 'li-hong', { action: 'approve' })
    await d.idle()
    const posts = d.world.transcript.filter(m => m.room && m.text.includes(`编号 ${code}`))
    expect(posts.length).toBeGreaterThanOrEqual(2)
    for (const p of posts) expect(p.text.startsWith('【演练】'), p.text).toBe(true)
    const requests = d.world.transcript.filter(m => m.to && m.text.startsWith('【待审核】') && m.text.includes(code))
    expect(requests.length).toBeGreaterThan(0)
    for (const r of requests) expect(r.text).toContain('【演练】')
  })

  it('publishes a scheduled notice at its time, and a scheduled one called off never goes out', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const later = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '定时：明早8点核酸检测', at: Date.now() + 800 })
    const never = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '定时：这条会被取消', at: Date.now() + 800 })
    expect(d.world.postsIn(topics('chaotian')[0], later.code)).toHaveLength(0)
    // While it waits, its status says so and when, not "reached 0 units" since its creation.
    const waiting = (await d.app.statusText(later.code))!.split('\n')
    expect(waiting[0]).toMatch(new RegExp(`通知 ${later.code}（紧急）· .* 定时发布 \\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d（创建于 `))
    expect(waiting[1]).toMatch(/^尚未发出：将于 .* 发出（还有 不到 1 分钟），发出前可撤回$/)
    expect((await cancel(d.app, 'zhao-min', never.code, '取消')).reply).toContain('不会发出')
    expect((await d.app.statusText(never.code))!.split('\n')).toEqual([expect.stringContaining('· 已撤回（未发出）·'), '未发出，已不会发出'])
    await waitFor('the scheduled post', () => d.world.postsIn(topics('chaotian')[0], later.code).length === 1, 5000)
    await new Promise(r => setTimeout(r, 500))
    await d.idle()
    expect(d.world.transcript.filter(m => m.text.includes(never.code) && m.room)).toHaveLength(0)
    expect(await d.store.relays(never.code)).toHaveProperty('size', 0)
    // Gone out: published at its time; retracted: the header says so, with the cancel's code.
    expect((await d.app.statusText(later.code))!.split('\n')[1]).toMatch(/^共到达 \d+ 个单位/)
    const c = await cancel(d.app, 'zhao-min', later.code, '时间有变')
    expect((await d.app.statusText(later.code))!.split('\n')[0]).toContain(`· 已撤回（撤回通知 ${c.made!.code}）·`)
  })
})
