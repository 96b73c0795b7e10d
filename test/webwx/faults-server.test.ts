/**
 * The simulated web-WeChat server's fault injection (server.faults) and group events, at the
 * HTTP level (raw-client.ts), with a bare wechat4u client where its reaction is the point.
 */
import { createRequire } from 'node:module'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebWxServer, type WebWxServerOptions } from '../../src/sim/webwx/server.ts'
import { BARRED_MESSAGE, type ChaosKind } from '../../src/sim/webwx/faults.ts'
import { redirectWechat4u } from '../../src/sim/webwx/redirect.ts'
import { RawClient, request, syncCheckOf } from './raw-client.ts'
import { waitFor } from '../helpers.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try { await c() } catch { /* best effort */ }
  }
})

/** Accounts bot1, bot2; users zhang, li, wang; group g1 (both bots, zhang, li); bot1 has 4 friends. */
async function world(opts: WebWxServerOptions = {}): Promise<WebWxServer> {
  const server = await WebWxServer.start({ contactPageSize: 3, syncHoldMs: 200, latencyMs: 0, ...opts })
  cleanups.push(() => server.stop())
  server.addAccount({ key: 'bot1', nickname: '机器人一号' })
  server.addAccount({ key: 'bot2', nickname: '机器人二号' })
  server.addUser({ key: 'zhang', nickname: '张三' })
  server.addUser({ key: 'li', nickname: '李四' })
  server.addUser({ key: 'wang', nickname: '王五' })
  for (let i = 0; i < 4; i++) {
    server.addUser({ key: `friend${i}`, nickname: `朋友${i}` })
    server.befriend('bot1', `friend${i}`)
  }
  server.addGroup({ key: 'g1', topic: '西村村民群', members: ['bot1', 'bot2', 'zhang', 'li'] })
  return server
}

/** Everything webwxsync hands over until nothing is pending. */
async function drain(c: RawClient): Promise<{ msgs: any[]; contacts: any[] }> {
  const out = { msgs: [] as any[], contacts: [] as any[] }
  for (let i = 0; i < 10; i++) {
    const a = await c.sync()
    expect(a.json?.BaseResponse?.Ret).toBe(0)
    out.msgs.push(...a.json.AddMsgList)
    out.contacts.push(...a.json.ModContactList)
    if (!a.json.AddMsgCount && !a.json.ModContactCount) return out
  }
  return out
}

describe('server.faults: injected faults as the client receives them', () => {
  it.each([
    ['webwxinit', 1205], ['webwxbatchgetcontact', 1205], ['webwxsync', 1], ['webwxgetcontact', 1101],
  ] as const)('ret on %s: BaseResponse.Ret %i, nothing done', async (endpoint, ret) => {
    const server = await world()
    const c = await RawClient.ready(server, 'bot1')
    server.faults.inject({ endpoint, fault: { kind: 'ret', ret, errMsg: 'x' } })
    const call = () => endpoint === 'webwxinit' ? c.init()
      : endpoint === 'webwxbatchgetcontact' ? c.batchgetcontact([server.idOf('bot1', 'g1')])
        : endpoint === 'webwxsync' ? c.sync() : c.getcontact()
    const a = await call()
    expect(a.status).toBe(200)
    expect(a.json.BaseResponse).toEqual({ Ret: ret, ErrMsg: 'x' })
    expect((await call()).json.BaseResponse.Ret).toBe(0) // once by default
    expect(server.faults.injected()).toEqual({ [`${endpoint}:ret-${ret}`]: 1 })
  })

  it('ret on webwxsendmsg: 1205 and the message not delivered; ret on synccheck: that retcode', async () => {
    const server = await world()
    const c = await RawClient.ready(server, 'bot1')
    server.faults.inject({ endpoint: 'webwxsendmsg', fault: { kind: 'ret', ret: 1205 } })
    const a = await c.send(server.idOf('bot1', 'g1'), '太快')
    expect(a.json.BaseResponse.Ret).toBe(1205)
    expect(server.messagesIn('g1')).toEqual([])
    server.faults.inject({ endpoint: 'synccheck', fault: { kind: 'ret', ret: 1101 } })
    expect(syncCheckOf(await c.synccheck())).toEqual({ retcode: '1101', selector: '0' })
    expect(syncCheckOf(await c.synccheck())?.retcode).toBe('0')
    expect(server.isLoggedIn('bot1')).toBe(true) // an injected 1101 ends no session
  })

  it('http: the status with an empty body; `page` picks webwxgetcontact\'s later pages only', async () => {
    const server = await world()
    const c = await RawClient.ready(server, 'bot1')
    server.faults.inject({ endpoint: 'webwxgetcontact', page: 'later', fault: { kind: 'http', status: 502 } })
    const first = await c.getcontact(0)
    expect(first.status).toBe(200)
    expect(first.json.Seq).toBe(3)
    const later = await c.getcontact(first.json.Seq)
    expect(later).toMatchObject({ status: 502, text: '' })
    expect((await c.getcontact(first.json.Seq)).status).toBe(200)
    server.faults.inject({ endpoint: 'synccheck', fault: { kind: 'http', status: 503 }, times: 2 })
    expect((await c.synccheck()).status).toBe(503)
    expect((await c.synccheck()).status).toBe(503)
    expect((await c.synccheck()).status).toBe(200)
    expect(server.faults.injected()).toEqual({ 'webwxgetcontact:http-502': 1, 'synccheck:http-503': 2 })
  })

  it('reset: the socket closed without an answer; a reset send is not delivered', async () => {
    const server = await world()
    const c = await RawClient.ready(server, 'bot1')
    server.faults.inject({ endpoint: 'webwxsendmsg', fault: { kind: 'reset' } })
    const a = await c.send(server.idOf('bot1', 'g1'), '断开')
    expect(a.status).toBeUndefined()
    expect(['ECONNRESET', 'socket hang up']).toContain(a.error)
    expect(server.messagesIn('g1')).toEqual([])
    expect((await c.send(server.idOf('bot1', 'g1'), '再来')).json.BaseResponse.Ret).toBe(0)
  })

  it('hang: never answered until the server stops', async () => {
    const server = await world()
    const c = await RawClient.ready(server, 'bot1')
    server.faults.inject({ endpoint: 'webwxsync', fault: { kind: 'hang' } })
    const pending = c.sync()
    let settled = false
    void pending.then(() => { settled = true })
    await waitFor('sync received', () => server.stats().requests.webwxsync === 1)
    await new Promise(r => setTimeout(r, 300))
    expect(settled).toBe(false)
    expect((await c.synccheck()).status).toBe(200) // the rest of the server answers
    await server.stop()
    expect((await pending).error).toBeDefined()
  })

  it('delivered-error: the send answers Ret 1204 but is delivered, echoed and seen by the other account', async () => {
    const server = await world()
    const c1 = await RawClient.ready(server, 'bot1')
    const c2 = await RawClient.ready(server, 'bot2')
    await drain(c1); await drain(c2)
    server.faults.inject({ endpoint: 'webwxsendmsg', account: 'bot1', fault: { kind: 'delivered-error', ret: 1204 } })
    const a = await c1.send(server.idOf('bot1', 'g1'), '送到了吗')
    expect(a.json.BaseResponse.Ret).toBe(1204)
    expect(server.messagesIn('g1').map(m => m.text)).toEqual(['送到了吗'])
    expect((await drain(c1)).msgs.map(m => m.Content)).toEqual(['送到了吗'])
    expect((await drain(c2)).msgs.map(m => m.Content)).toEqual([`${server.idOf('bot2', 'bot1')}:<br/>送到了吗`])
    expect(server.faults.injected()).toEqual({ 'webwxsendmsg:delivered-error': 1 })
  })

  it('account and times: only the named account\'s calls, Infinity until clear()', async () => {
    const server = await world()
    const c1 = await RawClient.ready(server, 'bot1')
    const c2 = await RawClient.ready(server, 'bot2')
    server.faults.inject({ endpoint: 'webwxsendmsg', account: 'bot2', fault: { kind: 'ret', ret: 1205 }, times: Infinity })
    expect((await c1.send(server.idOf('bot1', 'g1'), 'a')).json.BaseResponse.Ret).toBe(0)
    for (let i = 0; i < 5; i++) expect((await c2.send(server.idOf('bot2', 'g1'), 'b')).json.BaseResponse.Ret).toBe(1205)
    server.faults.clear()
    expect((await c2.send(server.idOf('bot2', 'g1'), 'c')).json.BaseResponse.Ret).toBe(0)
    expect(server.messagesIn('g1').map(m => m.text)).toEqual(['a', 'c'])
    expect(server.faults.injected()).toEqual({ 'webwxsendmsg:ret-1205': 5 })
  })

  it('bar: the login answers <ret>1203</ret> with the message and makes no session; unbar lets it in', async () => {
    const server = await world()
    server.faults.bar('bot1')
    const page = await new RawClient(server, 'bot1').login()
    expect(page.status).toBe(200)
    expect(page.text).toBe(`<error><ret>1203</ret><message>${BARRED_MESSAGE}</message></error>`)
    expect(server.sessionOf('bot1')).toBeUndefined()
    server.faults.bar('bot1', '账号已被限制')
    expect((await new RawClient(server, 'bot1').login()).text).toContain('<message>账号已被限制</message>')
    expect((await new RawClient(server, 'bot2').login()).status).toBe(301) // others unaffected
    server.faults.unbar('bot1')
    expect((await new RawClient(server, 'bot1').login()).status).toBe(301)
    expect(server.isLoggedIn('bot1')).toBe(true)
    expect(server.faults.injected()).toEqual({ 'webwxnewloginpage:ret-1203': 2 })
  })

  it('networkDown: connections refused (held polls dropped) for its length, then the same port answers and sessions survive', async () => {
    const server = await world({ syncHoldMs: 5000 })
    const c = await RawClient.ready(server, 'bot1')
    const held = c.synccheck()
    await waitFor('synccheck held', () => server.stats().requests.synccheck === 1)
    const down = server.faults.networkDown(800)
    expect((await held).error).toBeDefined()
    expect((await c.synccheck()).error).toBe('ECONNREFUSED')
    expect((await c.send(server.idOf('bot1', 'g1'), '断网')).error).toBe('ECONNREFUSED')
    await down
    server.say('zhang', 'g1', '网通了')
    expect(syncCheckOf(await c.synccheck())).toEqual({ retcode: '0', selector: '2' })
    expect((await c.send(server.idOf('bot1', 'g1'), '回来了')).json.BaseResponse.Ret).toBe(0)
    expect(server.sessionOf('bot1')).toMatchObject({ alive: true, generation: 1 })
    expect(server.faults.injected()).toEqual({ 'network-down': 1 })
  })

  it('sendsLoggedOut: sends answer 1101 and are not delivered while synccheck and webwxsync stay healthy', async () => {
    const server = await world()
    const c = await RawClient.ready(server, 'bot1')
    server.faults.sendsLoggedOut('bot1', true)
    expect((await c.send(server.idOf('bot1', 'g1'), 'x')).json.BaseResponse.Ret).toBe(1101)
    server.say('zhang', 'g1', '还在吗')
    expect(syncCheckOf(await c.synccheck())).toEqual({ retcode: '0', selector: '2' })
    expect((await c.sync()).json.BaseResponse.Ret).toBe(0)
    server.faults.sendsLoggedOut('bot1', false)
    expect((await c.send(server.idOf('bot1', 'g1'), 'y')).json.BaseResponse.Ret).toBe(0)
    expect(server.messagesIn('g1').map(m => m.text)).toEqual(['还在吗', 'y'])
  })

  it('memberLists: empty and partial group records in webwxinit and webwxsync; batchgetcontact stays full', async () => {
    const server = await world()
    server.say('zhang', 'g1', '活跃一下') // g1 is a recent chat: in webwxinit's ContactList
    server.faults.memberLists('empty', { account: 'bot1' })
    server.faults.memberLists('partial', { account: 'bot2', group: 'g1' })
    const c1 = await RawClient.ready(server, 'bot1')
    const c2 = await RawClient.ready(server, 'bot2')
    const g1 = (await c1.init()).json.ContactList.find((x: any) => x.UserName === server.idOf('bot1', 'g1'))
    expect(g1).toMatchObject({ MemberCount: 0, MemberList: [] })
    const g2 = (await c2.init()).json.ContactList.find((x: any) => x.UserName === server.idOf('bot2', 'g1'))
    expect(g2.MemberCount).toBe(4)
    expect(g2.MemberList).toHaveLength(1)
    await drain(c2)
    server.setTopic('g1', '西村村民群（新）')
    const mod = (await drain(c2)).contacts.find((x: any) => x.UserName === server.idOf('bot2', 'g1'))
    expect(mod).toMatchObject({ NickName: '西村村民群（新）', MemberCount: 4 })
    expect(mod.MemberList).toHaveLength(1)
    const full = (await c2.batchgetcontact([server.idOf('bot2', 'g1')])).json.ContactList[0]
    expect(full.MemberList).toHaveLength(4)
    server.faults.memberLists('full')
    expect((await c1.init()).json.ContactList[0].MemberList).toHaveLength(4)
  })
})

describe('server.faults.chaos', () => {
  /** A fixed call sequence against a fresh server with chaos on; its injection history. */
  async function run(seed: number, kinds?: ChaosKind[]): Promise<{ history: string[]; counts: Record<string, number>; delivered: number; acks: number[] }> {
    const server = await world()
    const c = await RawClient.ready(server, 'bot1')
    server.faults.chaos({ rate: 0.3, seed, kinds })
    const acks: number[] = []
    for (let i = 0; i < 60; i++) {
      const a = await c.send(server.idOf('bot1', 'g1'), `第${i}条`, 300)
      acks.push(a.json?.BaseResponse?.Ret ?? (a.error === 'timeout' ? -2 : -1))
      await c.synccheck(300)
      await c.getcontact(0, 300)
    }
    server.faults.chaos({ rate: 0, seed: 0 })
    const history = server.faults.history().map(h => `${h.endpoint}:${h.label}`)
    const counts = server.faults.injected()
    const delivered = server.messagesIn('g1').length
    await server.stop()
    return { history, counts, delivered, acks }
  }

  const kinds: ChaosKind[] = ['send-1205', 'send-5xx', 'send-reset', 'send-delivered-error', 'send-hang-delivered',
    'synccheck-5xx', 'synccheck-reset', 'getcontact-5xx', 'getcontact-reset']

  it('the same seed gives the same faults for the same calls; another seed, others', async () => {
    const a = await run(7, kinds)
    const b = await run(7, kinds)
    const other = await run(8, kinds)
    expect(a.history.length).toBeGreaterThan(10)
    expect(b.history).toEqual(a.history)
    expect(b.acks).toEqual(a.acks)
    expect(other.history).not.toEqual(a.history)
    // counts agree with the history; every kind asked for is a fault the real service shows, none ends a login
    expect(Object.values(a.counts).reduce((x, y) => x + y, 0)).toBe(a.history.length)
    for (const h of a.history) expect(h).not.toMatch(/1101|1203/)
    // delivered: the sends that succeeded, or failed after delivery (1204, hung with delivery)
    const deliveredFaults = (a.counts['webwxsendmsg:delivered-error'] ?? 0) + (a.counts['webwxsendmsg:hang-delivered'] ?? 0)
    expect(a.delivered).toBe(a.acks.filter(r => r === 0).length + deliveredFaults)
  })

  it('send-1205 at most twice in a row per account', async () => {
    const a = await run(3, ['send-1205'])
    let streak = 0
    let longest = 0
    for (const r of a.acks) { streak = r === 1205 ? streak + 1 : 0; longest = Math.max(longest, streak) }
    expect(longest).toBe(2) // rate 0.3 over 60 sends: capped, not absent
    expect(a.acks.filter(r => r === 0).length).toBeGreaterThan(0)
  })

  it('network-down: the server unreachable for 2–8 s, at most once per 30 s; partial-members only where groups are written', async () => {
    const server = await world()
    const c = await RawClient.ready(server, 'bot1')
    server.say('zhang', 'g1', '活跃')
    server.faults.chaos({ rate: 1, seed: 1, kinds: ['network-down'] })
    const t0 = Date.now()
    expect((await c.synccheck(500)).error).toBeDefined() // this call brings the network down
    expect((await c.synccheck(500)).error).toBe('ECONNREFUSED')
    await waitFor('back', async () => (await c.getcontact()).status === 200, 15_000)
    const downFor = Date.now() - t0
    expect(downFor).toBeGreaterThanOrEqual(1900)
    for (let i = 0; i < 5; i++) expect((await c.synccheck(500)).status).toBe(200) // not again within 30 s
    expect(server.faults.injected()).toEqual({ 'network-down': 1 })

    server.faults.chaos({ rate: 1, seed: 1, kinds: ['partial-members'] })
    expect((await c.sync()).json.BaseResponse.Ret).toBe(0) // no group record in it: nothing injected
    expect(server.faults.injected()['webwxsync:partial-members']).toBeUndefined()
    const init = await c.init()
    expect(init.json.ContactList[0].MemberCount).toBe(4)
    expect(init.json.ContactList[0].MemberList).toHaveLength(1)
    expect(server.faults.injected()['webwxinit:partial-members']).toBe(1)
  }, 30_000)
})

describe('group events and text escaping', () => {
  it('removeFromGroup: the removed account is told and loses the group (sends there: Ret 1); the others see the removal', async () => {
    const server = await world()
    const c1 = await RawClient.ready(server, 'bot1')
    const c2 = await RawClient.ready(server, 'bot2')
    await drain(c1); await drain(c2)
    const gid = server.idOf('bot2', 'g1')
    server.removeFromGroup('g1', 'bot2', 'zhang')
    const got2 = await drain(c2)
    expect(got2.msgs.map(m => [m.MsgType, m.FromUserName, m.Content])).toEqual([[10000, gid, '你被"张三"移出群聊']])
    const got1 = await drain(c1)
    expect(got1.msgs.map(m => [m.MsgType, m.FromUserName, m.Content])).toEqual([[10000, server.idOf('bot1', 'g1'), '"张三"将"机器人二号"移出了群聊']])
    expect(got1.contacts.find(x => x.UserName === server.idOf('bot1', 'g1')).MemberCount).toBe(3)
    const listed = [(await c2.getcontact(0)).json, ...((await c2.init()).json.ContactList)]
    expect(JSON.stringify(listed)).not.toContain(gid)
    expect((await c2.send(gid, '我还在吗')).json.BaseResponse.Ret).toBe(1)
    expect(server.messagesIn('g1')).toEqual([])
  })

  it('addToGroup and setTopic by someone: the notices in the real wording, and the group for the added account', async () => {
    const server = await world()
    server.addGroup({ key: 'g2', topic: '', members: ['bot1', 'zhang'] })
    const c1 = await RawClient.ready(server, 'bot1')
    const c2 = await RawClient.ready(server, 'bot2')
    const unnamed = (await c1.batchgetcontact([server.idOf('bot1', 'g2')])).json.ContactList[0]
    expect(unnamed.NickName).toBe('')
    await drain(c1); await drain(c2)
    server.addToGroup('g2', 'bot2', 'zhang')
    const got2 = await drain(c2)
    const g2 = server.idOf('bot2', 'g2')
    expect(got2.contacts.map(x => x.UserName)).toContain(g2)
    expect(got2.msgs.map(m => [m.MsgType, m.FromUserName, m.Content])).toEqual([[10000, g2, '"张三"邀请"机器人二号"加入了群聊']])
    expect((await drain(c1)).msgs.map(m => m.Content)).toEqual(['"张三"邀请"机器人二号"加入了群聊'])
    server.setTopic('g2', '新群 & 名', 'zhang')
    expect((await drain(c2)).msgs.map(m => m.Content)).toEqual(['"张三"修改群名为“新群 &amp; 名”'])
    await drain(c1)
    server.setTopic('g2', '静默改名')
    const quiet = await drain(c1)
    expect(quiet.msgs).toEqual([])
    expect(quiet.contacts.map(x => x.NickName)).toEqual(['静默改名'])
    expect((await c2.send(g2, '大家好')).json.BaseResponse.Ret).toBe(0)
  })

  it('a send of "A & B <c>": recorded as typed, delivered escaped to the other account', async () => {
    const server = await world()
    const c1 = await RawClient.ready(server, 'bot1')
    const c2 = await RawClient.ready(server, 'bot2')
    await drain(c2)
    expect((await c1.send(server.idOf('bot1', 'g1'), 'A & B <c>')).json.BaseResponse.Ret).toBe(0)
    expect(server.messagesIn('g1').map(m => m.text)).toEqual(['A & B <c>'])
    expect((await drain(c2)).msgs.map(m => m.Content)).toEqual([`${server.idOf('bot2', 'bot1')}:<br/>A &amp; B &lt;c&gt;`])
  })
})

describe('how the unmodified wechat4u client meets some faults', () => {
  let Wechat4u: new (data?: unknown) => any
  beforeAll(() => {
    const before = new Set(process.listeners('uncaughtException'))
    Wechat4u = createRequire(import.meta.url)('wechat4u')
    for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.off('uncaughtException', l)
  })

  async function client(server: WebWxServer, account: string): Promise<{ w: any; errors: string[]; logouts: () => number }> {
    redirectWechat4u(server.url)
    const w = new Wechat4u()
    const errors: string[] = []
    let logouts = 0
    let logins = 0
    w.on('uuid', (uuid: string) => server.scan(uuid, account))
    w.on('login', () => { logins++ })
    w.on('logout', () => { logouts++ })
    w.on('error', (e: any) => { errors.push(String(e?.message ?? e)) })
    cleanups.push(() => { w.removeAllListeners(); w.on('error', () => {}); if (w.state === w.CONF.STATE.login) w.stop() })
    w.start()
    await waitFor('login', () => logins > 0)
    return { w, errors, logouts: () => logouts }
  }

  it('delivered-error: sendText rejects with Ret 1204 though the group has the message', async () => {
    const server = await world()
    const { w } = await client(server, 'bot1')
    // wechat4u's heartbeat: a text to filehelper at login (and every 5 min) — let it pass first
    await waitFor('heartbeat', () => server.dmsTo('filehelper').length === 1)
    server.faults.inject({ endpoint: 'webwxsendmsg', fault: { kind: 'delivered-error', ret: 1204 } })
    const err: any = await w.sendText('已送达', server.idOf('bot1', 'g1')).then(() => undefined, (e: unknown) => e)
    expect(err?.response?.data?.BaseResponse?.Ret).toBe(1204)
    expect(server.messagesIn('g1').map(m => m.text)).toEqual(['已送达'])
  })

  it('a short networkDown: the client\'s synccheck fails once, it polls again and messages flow', async () => {
    const server = await world({ syncHoldMs: 1000 })
    const { w, errors, logouts } = await client(server, 'bot1')
    const texts: string[] = []
    w.on('message', (m: any) => texts.push(m.Content))
    await server.faults.networkDown(500)
    server.say('zhang', 'g1', '网络恢复')
    await waitFor('message after the outage', () => texts.some(t => t.includes('网络恢复')), 15_000)
    expect(logouts()).toBe(0)
    expect(server.sessionOf('bot1')).toMatchObject({ alive: true, generation: 1 })
    expect(errors.length).toBeGreaterThan(0) // the dropped synccheck, reported as an error event
  }, 20_000)

  it('synccheck resets three times: the client restarts (webwxinit again); an init 5xx then makes it log out', async () => {
    const server = await world()
    const { errors, logouts } = await client(server, 'bot1')
    const inits = server.stats().requests.webwxinit
    server.faults.inject({ endpoint: 'synccheck', fault: { kind: 'reset' }, times: 3 })
    server.faults.inject({ endpoint: 'webwxinit', fault: { kind: 'http', status: 502 } })
    await waitFor('logout', () => logouts() > 0, 25_000)
    expect(errors.some(e => e.includes('连续3次同步失败'))).toBe(true)
    expect(server.stats().requests.webwxinit).toBe(inits + 1)
    expect(server.faults.injected()).toEqual({ 'synccheck:reset': 3, 'webwxinit:http-502': 1 })
  }, 30_000)
})
