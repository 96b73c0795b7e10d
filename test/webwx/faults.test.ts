/**
 * Real WeChat's failure paths, one named scenario each: the adversarial simulated web-WeChat
 * server (src/sim/webwx/faults.ts) injects the fault at the moment wechat4u recovers badly, and
 * the account — wechaty + wechaty-puppet-wechat4u as installed, adjusted by src/chat/wechat4u*.ts,
 * with real Redis and BullMQ — must survive it: each ends with a notice that reaches every group
 * exactly once (at most one extra post marked 【补发】 where the fault made the outcome unknown) and
 * the account's state in /readyz as it should be. The client's recovery waits are shortened
 * (FAST), not skipped.
 */
import { describe, expect, it } from 'vitest'
import type { ClientEvent } from '../../src/chat/client-events.ts'
import { hasLoadedContacts } from '../../src/chat/wechat4u.ts'
import type { WebWxDistrict, WebWxDistrictOptions } from '../../src/sim/webwx-district.ts'
import { demoConfig, waitFor } from '../helpers.ts'
import {
  allPosted, closeDistrictsAfterEach, expectOncePerGroup, publicTopics, publish, readyOf, servedTopics, staffTopic, startDistrict, unreviewed,
} from './district-helpers.ts'

const FAST = { retryBaseMs: 300, retryMaxMs: 1500, contactsRetryBaseMs: 200, contactsRetryMaxMs: 1000, syncStallMs: 8000, watchdogEveryMs: 500 }
const RUNTIME = { contactsWaitMs: 10_000, groupMissingRetryMs: 500, sendTimeoutMs: 3000, settleAfterMs: 3000 }
const RESEND = '【补发】'
const SHARED = ['yangmu-qinggang', 'yangmu-shimen', 'yangmu-heping']

const districts = closeDistrictsAfterEach()
async function start(opts: Partial<WebWxDistrictOptions> & { bots?: string[] } = {}): Promise<WebWxDistrict> {
  const cfg = opts.cfg ?? unreviewed(await demoConfig())
  return districts.track(await startDistrict({ cfg, clientTiming: FAST, runtime: RUNTIME, ...opts }))
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** What the account's client told its runtime, in order. */
function clientEvents(d: WebWxDistrict, bot: string): ClientEvent[] {
  const puppet = d.runtimes.get(bot)!.wechaty.puppet
  if (!hasLoadedContacts(puppet)) throw new Error('not the real client')
  const seen: ClientEvent[] = []
  puppet.onClientEvent(e => seen.push(e))
  return seen
}

async function stateBecomes(d: WebWxDistrict, bot: string, state: string, timeoutMs = 40_000) {
  return waitFor(`${bot} ${state}`, async () => { const r = await readyOf(d, bot); return r.state === state ? r : undefined }, timeoutMs)
}

function opsSaid(d: WebWxDistrict, ...words: string[]): boolean {
  return d.server.messagesIn(staffTopic(d.cfg, d.cfg.rootId)).some(m => words.every(w => m.text.includes(w)))
}

/** The members a post was sent to, once it is sent. */
async function membersCounted(d: WebWxDistrict, code: string, topic: string, timeoutMs = 10_000): Promise<number> {
  const sent = await waitFor(`${code} sent in ${topic}`, async () => { const x = await d.store.delivery(code, topic); return x?.members !== undefined ? x : undefined }, timeoutMs)
  return sent.members!
}

/** Every served group has the notice once, unmarked or (at most `resent` in all) marked 补发. */
function expectOnceEach(d: WebWxDistrict, code: string, resent = 0): void {
  const posts = servedTopics(d).map(t => ({ t, posts: d.postsIn(t, code) }))
  for (const { t, posts: p } of posts) expect(p, t).toHaveLength(1)
  expect(posts.filter(x => x.posts[0].text.startsWith(RESEND)).length).toBeLessThanOrEqual(resent)
}

describe('real WeChat failing at the worst moments: every account survives it', () => {
  it('1. an account barred from web login (1203): said once in /readyz and the ops group, no QR loop; its groups served by the others', async () => {
    const d = await start({ bots: ['bot-district', 'bot-north', 'bot-south'], autostart: false })
    await d.startBot('bot-district')
    await d.startBot('bot-north')
    d.server.faults.bar('bot-south')
    const jsloginsBefore = d.server.stats().requests.jslogin ?? 0
    void d.startBot('bot-south').catch(() => undefined) // never logs in
    const r = await stateBecomes(d, 'bot-south', 'barred from web WeChat')
    expect(r.barred).toContain('不能登录网页微信')
    expect(r.why).toContain('restart')
    await waitFor('ops told, through another account', () => opsSaid(d, '朝天南片值守号', '拒绝登录'))
    const loops = (d.server.stats().requests.jslogin ?? 0) - jsloginsBefore
    await sleep(1500)
    expect((d.server.stats().requests.jslogin ?? 0) - jsloginsBefore).toBe(loops) // no new QR code since
    expect(loops).toBe(1)
    expect((await readyOf(d, 'bot-south')).qrWaiting).toBe(false)
    const code = (await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '今晚起全区实行防汛值班。' })).code
    const shared = SHARED.flatMap(n => publicTopics(d.cfg, n))
    await waitFor('the shared groups served by bot-north', () => shared.every(t => d.postsIn(t, code).length >= 1), 30_000)
    for (const t of shared) expect(d.postsIn(t, code), t).toHaveLength(1)
  }, 60_000)

  it("2. 1205 on webwxinit during the client's own restart: the session is kept (same ids, no QR), reconnecting then logged in", async () => {
    const d = await start()
    const before = { session: d.server.sessionOf('bot-district')!, group: d.server.idOf('bot-district', publicTopics(d.cfg, 'chaotian')[0]) }
    const events = clientEvents(d, 'bot-district')
    d.server.faults.inject({ endpoint: 'webwxinit', account: 'bot-district', fault: { kind: 'ret', ret: 1205 }, times: 3 })
    d.server.faults.inject({ endpoint: 'webwxinit', account: 'bot-district', fault: { kind: 'http', status: 502 }, times: 1 })
    d.server.faults.inject({ endpoint: 'synccheck', account: 'bot-district', fault: { kind: 'hang' } }) // the sync stalls: the client restarts
    await stateBecomes(d, 'bot-district', 'reconnecting')
    await stateBecomes(d, 'bot-district', 'logged in')
    expect(events.filter(e => e.kind === 'session-retry').length).toBe(4)
    expect(d.server.sessionOf('bot-district')).toMatchObject({ generation: before.session.generation, alive: true, userName: before.session.userName })
    expect(d.server.idOf('bot-district', publicTopics(d.cfg, 'chaotian')[0])).toBe(before.group)
    expect(d.server.stats().sessions.filter(s => s.account === 'bot-district' && s.ended)).toEqual([])
    const { code } = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '重连之后的通知：明早8点全区停电检修。' })
    await allPosted(d, code)
    expectOncePerGroup(d, code)
  }, 60_000)

  it('3. the network down for longer than the sync stall: no logout, polling resumes, what was said meanwhile is handled', async () => {
    const d = await start()
    await d.bindEveryone()
    const code = await publish(d, '停网前发布的通知，请回复收到。')
    await allPosted(d, code)
    const topic = publicTopics(d.cfg, 'chaotian')[0]
    const down = d.server.faults.networkDown(10_000)
    await sleep(500)
    d.server.say(d.villagersOf(topic)[0], topic, '收到') // said while the account cannot reach WeChat
    const during = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '停网期间发布的通知。' })
    await down
    // Not lost. (Counted against the notice latest in the group when it is handled: the second one,
    // if its post got there first — acknowledgments are not yet placed by the time they were said.)
    await waitFor('the acknowledgment said during the outage', async () => (await d.store.acks(code)).size + (await d.store.acks(during.code)).size === 1, 30_000)
    await allPosted(d, during.code)
    expectOncePerGroup(d, during.code)
    await stateBecomes(d, 'bot-district', 'logged in')
    expect(d.server.stats().sessions.filter(s => s.account === 'bot-district').map(s => s.ended)).toEqual([undefined])
    expect(d.runtimes.get('bot-district')!.isLoggedIn).toBe(true)
  }, 60_000)

  it('4. the contact list fails to load (5xx on its first page until it recovers, then a reset on its 2nd): loading contacts, no group called missing; all found once it loads', async () => {
    const cfg = unreviewed(await demoConfig())
    const d = await start({ cfg, server: { contactPageSize: 5 }, runtime: { ...RUNTIME, contactsWaitMs: 1500 }, autostart: false })
    // The first page fails until cleared, a later page once.
    d.server.faults.inject({ endpoint: 'webwxgetcontact', page: 'first', fault: { kind: 'http', status: 503 }, times: Infinity })
    await d.startBot('bot-district')
    const loading = await stateBecomes(d, 'bot-district', 'loading contacts')
    expect(loading.missingGroups).toEqual([])
    expect(loading.hints.join()).not.toContain('保存到通讯录')
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '通讯录加载失败期间发布的通知。' })
    const topic = publicTopics(cfg, 'chaotian')[0]
    const waiting = await waitFor('the post waiting with the right reason', async () => {
      const x = await d.store.delivery(a.code, topic)
      return x?.error?.includes('通讯录还没有加载完成') ? x : undefined
    })
    expect(waiting.state).toBe('queued')
    d.server.faults.clear()
    d.server.faults.inject({ endpoint: 'webwxgetcontact', page: 'later', fault: { kind: 'reset' }, times: 1 })
    await stateBecomes(d, 'bot-district', 'logged in')
    await allPosted(d, a.code)
    expectOncePerGroup(d, a.code)
    expect(d.runtimes.get('bot-district')!.missingGroups).toEqual([])
    expect(opsSaid(d, '保存到通讯录')).toBe(false)
    expect(d.server.faults.injected()['webwxgetcontact:reset']).toBe(1)
  }, 60_000)

  it('5. a silent sync stall (synccheck never answers): the watchdog restarts polling; a curator command sent meanwhile is answered', async () => {
    const d = await start()
    await d.bindEveryone()
    const events = clientEvents(d, 'bot-district')
    d.server.faults.inject({ endpoint: 'synccheck', account: 'bot-district', fault: { kind: 'hang' } })
    await sleep(1500) // the synccheck held then has ended; the next one hangs
    const reply = await d.dm('li-hong', 'bot-district', '待办', undefined, 30_000)
    expect(reply).toBeTruthy()
    expect(events.map(e => e.kind)).toContain('sync-stalled')
    expect(events.map(e => e.kind)).toContain('session-ok')
    await stateBecomes(d, 'bot-district', 'logged in')
    const code = await publish(d, '同步恢复之后的通知。')
    await allPosted(d, code)
    expectOncePerGroup(d, code)
  }, 45_000)

  it('6. sends that error but were delivered (1204), one that hangs after delivery, one that fails with 502: no unmarked double, at most one 补发', async () => {
    const d = await start()
    d.server.faults.inject({ endpoint: 'webwxsendmsg', account: 'bot-district', fault: { kind: 'delivered-error', ret: 1204 }, times: 2 })
    d.server.faults.inject({ endpoint: 'webwxsendmsg', account: 'bot-district', fault: { kind: 'hang', deliver: true }, times: 1 })
    d.server.faults.inject({ endpoint: 'webwxsendmsg', account: 'bot-district', fault: { kind: 'http', status: 502 }, times: 1 })
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '各村今晚检查防汛沙袋。' })
    await allPosted(d, a.code, 45_000)
    const topics = servedTopics(d)
    await waitFor('every post settled', async () => (await Promise.all(topics.map(t => d.store.delivery(a.code, t)))).every(x => x?.state === 'confirmed'), 30_000)
    expectOnceEach(d, a.code, 1)
    // The 502 was not delivered: its group got the post once, marked; the 1204s and the hang were, unmarked.
    expect(topics.filter(t => d.postsIn(t, a.code)[0].text.startsWith(RESEND))).toHaveLength(1)
    expect(d.server.faults.injected()).toMatchObject({ 'webwxsendmsg:delivered-error': 2, 'webwxsendmsg:hang-delivered': 1, 'webwxsendmsg:http-502': 1 })
    expect((await readyOf(d, 'bot-district')).state).toBe('logged in')
  }, 90_000)

  it('7. sends answered 1101 while sync looks healthy: the account counts as logged out (failover, ops told, /readyz)', async () => {
    const d = await start({ bots: ['bot-district', 'bot-north', 'bot-south'] })
    d.server.faults.sendsLoggedOut('bot-south', true)
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '明天上午全区应急演练。' })
    await waitFor('bot-south logged out', () => !d.runtimes.get('bot-south')!.isLoggedIn, 20_000)
    // Its state settles on one of these (a health record just written may first read 'not responding').
    const r = await waitFor('bot-south logged out in /readyz', async () => { const x = await readyOf(d, 'bot-south'); return ['waiting for a QR scan', 'logged out'].includes(x.state) ? x : undefined })
    expect(r.loggedIn).toBe(false)
    await waitFor('ops told', () => opsSaid(d, '朝天南片值守号', '掉线'))
    const shared = SHARED.flatMap(n => publicTopics(d.cfg, n))
    await waitFor('the shared groups served by bot-north', () => shared.every(t => d.postsIn(t, a.code).length >= 1), 30_000)
    for (const t of shared) expect(d.postsIn(t, a.code), t).toHaveLength(1)
  }, 60_000)

  it('8. batchgetcontact answers 1205 at login: member lists fetched again, the other account recognised, counts right', async () => {
    const d = await start({ bots: ['bot-north', 'bot-south'], autostart: false })
    d.server.faults.inject({ endpoint: 'webwxbatchgetcontact', account: 'bot-north', fault: { kind: 'ret', ret: 1205 }, times: 2 })
    await d.startBot('bot-south')
    await d.startBot('bot-north')
    await waitFor('bot-north knows bot-south again', async () => (await d.store.botContacts()).has(d.server.idOf('bot-north', 'bot-south')), 15_000)
    expect(d.server.faults.injected()['webwxbatchgetcontact:ret-1205']).toBe(2)
    const topic = publicTopics(d.cfg, 'yangmu-qinggang')[0]
    const node = d.cfg.nodes.get('yangmu-qinggang')!
    const humans = d.villagersOf(topic).length + new Set([...node.curators, ...node.backups, ...node.publishers]).size
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '本周六全区集中清理河道。' })
    expect(await membersCounted(d, a.code, topic, 30_000)).toBe(humans)
    expect(d.postsIn(topic, a.code)).toHaveLength(1)
    expect((await readyOf(d, 'bot-north')).state).toBe('logged in')
  }, 60_000)

  it('9. group records with partial and empty member lists: member counts never drop', async () => {
    const d = await start()
    const topic = publicTopics(d.cfg, 'chaotian')[0]
    const first = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '第一条：全区核酸检测点调整。' })
    const before = await membersCounted(d, first.code, topic)
    expect(before).toBeGreaterThan(0)
    d.server.faults.memberLists('partial', { account: 'bot-district' })
    d.server.setNickname(d.villagersOf(topic)[0], '改了名的村民') // a ModContactList of the group, with one member listed
    d.server.faults.memberLists('empty', { account: 'bot-district' })
    d.server.setNickname(d.villagersOf(topic)[1], '又改了名的村民') // and one with none
    await sleep(1000)
    const second = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '第二条：检测时间延长到晚上8点。' })
    const after = await membersCounted(d, second.code, topic)
    expect(after).toBe(before)
    await allPosted(d, second.code)
    expectOncePerGroup(d, second.code)
    expect((await readyOf(d, 'bot-district')).state).toBe('logged in')
  }, 45_000)

  it('10. removed from a group: missing at once, its posts go through the other account in it, ops told', async () => {
    const d = await start({ bots: ['bot-district', 'bot-north', 'bot-south'] })
    const topic = publicTopics(d.cfg, 'yangmu-qinggang')[0]
    d.server.removeFromGroup(topic, 'bot-south', d.villagersOf(topic)[0])
    await waitFor('the group missing for bot-south', () => d.runtimes.get('bot-south')!.missingGroups.includes(topic))
    await waitFor('ops told', () => opsSaid(d, '移出了群', topic))
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '请各村统计留守老人名单。' })
    const shared = SHARED.flatMap(n => publicTopics(d.cfg, n))
    await waitFor('every shared group', () => shared.every(t => d.postsIn(t, a.code).length >= 1), 30_000)
    await d.idle()
    for (const t of shared) expect(d.postsIn(t, a.code), t).toHaveLength(1)
    expect(d.postsIn(topic, a.code)[0].from).toBe('bot-north')
    const south = await readyOf(d, 'bot-south')
    expect(south.state).toBe('logged in')
    expect(south.missingGroups).toEqual([topic])
  }, 60_000)

  it('11. a group renamed and someone joining: ops told the old and the new name, posting goes on; the member count grows', async () => {
    const d = await start()
    const topic = publicTopics(d.cfg, 'chaotian')[0]
    const first = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '第一条：改名前的通知。' })
    const before = await membersCounted(d, first.code, topic)
    d.server.setTopic(topic, '朝天区闲聊群', d.villagersOf(topic)[0])
    await waitFor('ops told both names', () => opsSaid(d, topic, '朝天区闲聊群', 'network.yaml'))
    d.server.addUser({ key: 'newcomer', nickname: '新来的村民' })
    d.server.addToGroup(topic, 'newcomer', d.villagersOf(topic)[0])
    await sleep(1500)
    const second = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '第二条：改名后仍然送达。' })
    const after = await membersCounted(d, second.code, topic)
    expect(after).toBe(before + 1)
    await allPosted(d, second.code)
    expectOncePerGroup(d, second.code)
    expect((await readyOf(d, 'bot-district'))).toMatchObject({ state: 'logged in', missingGroups: [] })
  }, 45_000)

  it('12. "&", "<" and ">" typed by a publisher arrive in the groups as typed, not as &amp;', async () => {
    const d = await start()
    await d.bindEveryone()
    const text = '水电费 & 燃气费 <本周内> 缴清，A&B 两栋 >3 户未缴'
    const code = await publish(d, text)
    await allPosted(d, code)
    for (const t of servedTopics(d)) {
      const [post] = d.postsIn(t, code)
      expect(post.text, t).toContain(text)
      expect(post.text, t).not.toContain('&amp;')
    }
    expect((await readyOf(d, 'bot-district')).state).toBe('logged in')
  }, 45_000)

  it('13. a configured group whose name was emptied: reported with the hint to name it', async () => {
    const d = await start()
    const topic = publicTopics(d.cfg, 'chaotian')[0]
    await d.stopBot('bot-district')
    d.server.setTopic(topic, '')
    await d.startBot('bot-district')
    expect(d.runtimes.get('bot-district')!.missingGroups).toEqual([topic])
    await waitFor('ops told to name it', () => opsSaid(d, '没有群名'))
    const r = await readyOf(d, 'bot-district')
    expect(r).toMatchObject({ state: 'logged in', missingGroups: [topic] })
    // Its posts wait visibly; named again (and a login finds it), they go out once.
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '请给群起名后再发的通知。' })
    await waitFor('the post waiting', async () => (await d.store.delivery(a.code, topic))?.error?.includes(topic))
    d.server.setTopic(topic, topic)
    d.server.say(d.villagersOf(topic)[0], topic, '群名改回来了')
    await waitFor('the post in the named group', () => d.postsIn(topic, a.code).length === 1, 15_000)
    await allPosted(d, a.code)
    expectOncePerGroup(d, a.code)
  }, 45_000)
})
