/**
 * The simulated web-WeChat server against the unmodified client stack: the real Wechaty with
 * wechaty-puppet-wechat4u (and wechat4u under it), its HTTP redirected to 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { MessageInterface, WechatyInterface } from 'wechaty/impls'
import { WebWxServer, type WebWxServerOptions } from '../../src/sim/webwx/server.ts'
import { redirectWechat4u } from '../../src/sim/webwx/redirect.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ROOM_TOPIC = '西村村民群'

type WechatyModule = typeof import('wechaty')
type PuppetModule = typeof import('wechaty-puppet-wechat4u')
let wechaty: WechatyModule
let puppetMod: PuppetModule
/** wechat4u's client class (CommonJS default export). */
let Wechat4u: new (data?: unknown) => any

beforeAll(async () => {
  // wechaty, wechat4u and the puppet install process-wide crash handlers that swallow errors
  // (console.log): take back every listener they add.
  const events = ['uncaughtException', 'unhandledRejection'] as const
  const before = new Map(events.map(e => [e, new Set(process.listeners(e as 'uncaughtException'))]))
  wechaty = await import('wechaty')
  puppetMod = await import('wechaty-puppet-wechat4u')
  Wechat4u = createRequire(import.meta.url)('wechat4u')
  for (const e of events) {
    for (const l of process.listeners(e as 'uncaughtException')) {
      if (!before.get(e)!.has(l)) process.off(e as 'uncaughtException', l)
    }
  }
  wechaty.log.level('silent')
})

async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 25))
  }
}

// ───────────────────────── per-test resources ─────────────────────────

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try { await c() } catch { /* best effort */ }
  }
})

/** A server with: accounts bot1, bot2; villagers; bot1 has 5 friends; group g1 (both bots, 2 villagers). */
async function world(opts: WebWxServerOptions = {}): Promise<WebWxServer> {
  const server = await WebWxServer.start({ contactPageSize: 3, ...opts })
  cleanups.push(() => server.stop())
  redirectWechat4u(server.url)
  server.addAccount({ key: 'bot1', nickname: '机器人一号' })
  server.addAccount({ key: 'bot2', nickname: '机器人二号' })
  server.addUser({ key: 'zhang', nickname: '张三' })
  server.addUser({ key: 'li', nickname: '李四' })
  server.addUser({ key: 'curator', nickname: '王主任' })
  for (let i = 0; i < 5; i++) {
    server.addUser({ key: `friend${i}`, nickname: `朋友${i}` })
    server.befriend('bot1', `friend${i}`)
  }
  server.befriend('bot1', 'curator')
  server.addGroup({ key: 'g1', topic: ROOM_TOPIC, members: ['bot1', 'bot2', 'zhang', 'li'] })
  return server
}

interface Bot {
  bot: WechatyInterface
  puppet: InstanceType<PuppetModule['PuppetWechat4u']>
  messages: MessageInterface[]
  logouts: number
  scans: string[]
  errors: string[]
}

/**
 * Stops a bot (teardown only). The puppet's onStop sets `this.wechat4u = undefined` right after
 * calling wechat4u.stop(), but its wechat4u event handlers keep using `this.wechat4u`: the
 * `logout` handler (fired by that very stop) calls `this.wechat4u.start()`, and a contact load
 * still in flight fires `contacts-updated`, whose handler calls `this.wechat4u.updateContacts` —
 * unhandled TypeErrors that would fail the run. Detach the puppet from wechat4u's events first.
 */
/** Removes every listener of a wechat4u client but a silent `error` one (an EventEmitter throws on an unheard `error`). */
function detach(w: any): void {
  if (!w) return
  w.removeAllListeners()
  w.on('error', () => {})
}

async function stopBot(b: Bot): Promise<void> {
  const p = b.puppet as any
  detach(p.wechat4u)
  // The puppet's member-details timer (setInterval 2 s, puppet-wechat4u.js:326) survives its
  // stop and then calls `this.wechat4u.batchGetContact` on undefined (uncaught TypeError).
  const quiet = (): void => {
    if (p.getContactInterval) clearInterval(p.getContactInterval)
    p.getContactInterval = undefined
    p.unknownContactId.length = 0
  }
  quiet()
  await b.bot.stop()
  quiet()
}

/** Starts a Wechaty on the wechat4u puppet; scans its QR code as `account` unless `scanAs` is null. */
async function startBot(server: WebWxServer, account: string | null, name?: string): Promise<Bot> {
  const puppet = new puppetMod.PuppetWechat4u()
  const bot = wechaty.WechatyBuilder.build({ puppet, ...(name ? { name } : {}) })
  const b: Bot = { bot, puppet, messages: [], logouts: 0, scans: [], errors: [] }
  bot.on('scan', (qrcode, status) => {
    b.scans.push(qrcode)
    if (account && status === wechaty.types.ScanStatus.Waiting) server.scan(qrcode, account)
  })
  bot.on('message', m => { b.messages.push(m) })
  bot.on('logout', () => { b.logouts++ })
  bot.on('error', e => { b.errors.push(String(e)) })
  cleanups.push(() => stopBot(b))
  await bot.start()
  return b
}

async function loggedIn(b: Bot, timeoutMs = 10_000): Promise<void> {
  await waitFor('login', () => b.bot.isLoggedIn, timeoutMs)
}

// ───────────────────────── tests ─────────────────────────

describe('simulated web WeChat with the real wechaty-puppet-wechat4u', () => {
  it('(a) QR login, then the saved group and a friend (on a later contact page) are found', async () => {
    const server = await world()
    const puppet = new puppetMod.PuppetWechat4u()
    const bot = wechaty.WechatyBuilder.build({ puppet })
    const b: Bot = { bot, puppet, messages: [], logouts: 0, scans: [], errors: [] }
    cleanups.push(() => stopBot(b))
    const scans: string[] = []
    let loginName = ''
    bot.on('scan', (qrcode, status) => { if (status === wechaty.types.ScanStatus.Waiting) scans.push(qrcode) })
    bot.on('login', u => { loginName = u.name() })
    await bot.start()

    const qr = await waitFor('scan event', () => scans[0])
    const pending = server.pendingLogins()
    expect(pending).toHaveLength(1)
    expect(qr).toContain(pending[0]!.uuid)
    expect(qr).toBe(pending[0]!.qrcode)
    server.scan(qr, 'bot1')
    await waitFor('login event', () => loginName)
    expect(loginName).toBe('机器人一号')
    expect(server.pendingLogins()).toHaveLength(0)

    const room = await waitFor('room', () => bot.Room.find({ topic: ROOM_TOPIC }))
    expect(room.id).toBe(server.idOf('bot1', 'g1'))
    expect(room.id).toMatch(/^@@[0-9a-f]+$/)
    // filehelper + 6 friends + 1 group at 3 a page: three pages
    expect(server.stats().requests.webwxgetcontact).toBeGreaterThanOrEqual(3)
    const friend = await waitFor('friend', () => bot.Contact.find({ name: '朋友4' }))
    expect(friend.id).toBe(server.idOf('bot1', 'friend4'))
    expect(friend.friend()).toBe(true)
    expect(server.keyOf('bot1', friend.id)).toBe('friend4')
    // members come in through webwxbatchgetcontact
    await waitFor('room members', async () => (await room.memberAll()).length === 4)
    const zhang = await waitFor('member', () => bot.Contact.find({ name: '张三' }))
    expect(zhang.id).toBe(server.idOf('bot1', 'zhang'))
    expect(server.isLoggedIn('bot1')).toBe(true)
    // the client's requests went to WeChat's hosts, redirected
    const hosts = server.stats().hosts
    expect(hosts['login.wx.qq.com']).toBeGreaterThan(0)
    expect(hosts['wx2.qq.com']).toBeGreaterThan(0)
    expect(hosts['webpush.wx2.qq.com']).toBeGreaterThan(0)

    // the puppet's stop logs the account out on WeChat's side
    await stopBot(b)
    await waitFor('logged out', () => !server.isLoggedIn('bot1'))
    expect(server.sessionOf('bot1')).toMatchObject({ alive: false, ended: 'logout' })
  })

  it('(b) a villager\'s room message and a DM arrive with text, talker and room', async () => {
    const server = await world()
    const b = await startBot(server, 'bot1')
    await loggedIn(b)
    const room = await waitFor('room', () => b.bot.Room.find({ topic: ROOM_TOPIC }))

    server.say('zhang', 'g1', '明天 9 点开会 ❤️')
    const m = await waitFor('room message', () => b.messages.find(x => x.text().startsWith('明天')))
    expect(m.text()).toBe('明天 9 点开会 ❤') // the client drops U+FE0F
    expect(m.self()).toBe(false)
    expect(m.room()?.id).toBe(room.id)
    expect(m.talker().id).toBe(server.idOf('bot1', 'zhang'))
    await waitFor('talker name', async () => { await m.talker().sync(); return m.talker().name() === '张三' })

    server.say('li', 'g1', 'a & b <c>')
    const esc = await waitFor('escaped message', () => b.messages.find(x => x.talker().id === server.idOf('bot1', 'li')))
    expect(esc.text()).toBe('a &amp; b <c>') // as the real client shows it: &amp; stays

    server.say('curator', 'bot1', '请转发通知')
    const dm = await waitFor('dm', () => b.messages.find(x => x.text() === '请转发通知'))
    expect(dm.room()).toBeUndefined()
    expect(dm.talker().id).toBe(server.idOf('bot1', 'curator'))
    expect(dm.listener()?.id).toBe(server.idOf('bot1', 'bot1'))
    expect(server.dmsTo('bot1')).toEqual([expect.objectContaining({ from: 'curator', text: '请转发通知' })])
  })

  it('(c) room.say() reaches the server record and the other account; the own echo is a self message', async () => {
    const server = await world()
    const b1 = await startBot(server, 'bot1')
    await loggedIn(b1)
    const b2 = await startBot(server, 'bot2')
    await loggedIn(b2)
    const room1 = await waitFor('room for bot1', () => b1.bot.Room.find({ topic: ROOM_TOPIC }))
    await waitFor('room for bot2', () => b2.bot.Room.find({ topic: ROOM_TOPIC }))
    expect(server.idOf('bot1', 'g1')).not.toBe(server.idOf('bot2', 'g1')) // ids are per viewer

    await room1.say('通知：停水')
    expect(server.messagesIn('g1')).toEqual([expect.objectContaining({ from: 'bot1', text: '通知：停水' })])
    const got = await waitFor('bot2 receives', () => b2.messages.find(x => x.text() === '通知：停水'))
    expect(got.self()).toBe(false)
    expect(got.talker().id).toBe(server.idOf('bot2', 'bot1'))
    expect(got.room()?.id).toBe(server.idOf('bot2', 'g1'))
    const echo = await waitFor('own echo', () => b1.messages.find(x => x.text() === '通知：停水'))
    expect(echo.self()).toBe(true)
    expect(echo.room()?.id).toBe(room1.id)
    // recall (webwxrevokemsg) of the own message: gone from the record
    expect(await echo.recall()).toBe(true)
    await waitFor('revoked', () => server.messagesIn('g1').length === 0)
    expect(server.stats().requests.webwxrevokemsg).toBe(1)

    // echo off: bot2 still gets it; bot1's own copy no longer comes back
    server.setEcho(false)
    await room1.say('第二条')
    await waitFor('bot2 receives the second', () => b2.messages.find(x => x.text() === '第二条'))
    server.say('zhang', 'g1', '收到') // a later message that bot1 does get
    await waitFor('bot1 gets the later message', () => b1.messages.find(x => x.text() === '收到'))
    expect(b1.messages.find(x => x.text() === '第二条')).toBeUndefined()
  })

  it('(d) a second process resumes the first one\'s stored session without a scan, with the same ids', async () => {
    const server = await world()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webwx-'))
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const cardName = path.join(dir, 'bot1')
    const cardFile = `${cardName}.memory-card.json`

    // first process: QR login, then killed (no logout)
    const child: ChildProcess = spawn(process.execPath,
      ['--import', 'tsx', '--import', './src/sim/webwx/register.ts', 'test/webwx/child-bot.ts', cardName, ROOM_TOPIC],
      { cwd: ROOT, env: { ...process.env, CASCADE_WEBWX_URL: server.url, WECHATY_LOG: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] })
    cleanups.push(() => { if (child.exitCode === null) child.kill('SIGKILL') })
    const lines: Record<string, any>[] = []
    let buf = ''
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1)
        try { lines.push(JSON.parse(line)) } catch { /* not ours */ }
      }
    })
    const scan = await waitFor('child scan', () => lines.find(l => l.event === 'scan'), 20_000)
    server.scan(scan.qrcode, 'bot1')
    const login = await waitFor('child login', () => lines.find(l => l.event === 'login'))
    expect(login.name).toBe('机器人一号')
    const childRoom = await waitFor('child room', () => lines.find(l => l.event === 'room'))
    const selfId = server.idOf('bot1', 'bot1')
    const roomId = server.idOf('bot1', 'g1')
    expect(login.id).toBe(selfId)
    expect(childRoom.id).toBe(roomId)
    await waitFor('session in memory card', () => fs.existsSync(cardFile) && fs.readFileSync(cardFile, 'utf8').includes('PUPPET-WECHAT4U'))
    const generation = server.sessionOf('bot1')!.generation
    child.kill('SIGKILL')
    await waitFor('child gone', () => child.exitCode !== null || child.signalCode !== null)
    expect(server.isLoggedIn('bot1')).toBe(true)

    // a message while no client runs: kept in the session, handed over after the resume
    server.say('zhang', 'g1', '停机时的消息')
    expect(server.sessionOf('bot1')!.undelivered).toBe(1)
    const jsloginsBefore = server.stats().requests.jslogin ?? 0
    const initsBefore = server.stats().requests.webwxinit ?? 0

    // second client, same memory card: resumes
    const b = await startBot(server, null, cardName)
    await loggedIn(b)
    expect(b.scans).toEqual([])
    expect(server.stats().requests.jslogin ?? 0).toBe(jsloginsBefore)
    expect(server.stats().requests.webwxinit).toBe(initsBefore + 1)
    expect(server.sessionOf('bot1')!.generation).toBe(generation)
    expect(b.bot.currentUser.id).toBe(selfId)
    const room = await waitFor('room after resume', () => b.bot.Room.find({ topic: ROOM_TOPIC }))
    expect(room.id).toBe(roomId)
    // the resumed client syncs on from its stored session; the message sent while it was down is
    // handed over (the unmodified puppet then drops it: its CreateTime is older than the puppet's start)
    await waitFor('queued message handed over', () => server.sessionOf('bot1')!.undelivered === 0)
    server.say('li', 'g1', '恢复后的消息')
    const after = await waitFor('message after resume', () => b.messages.find(m => m.text() === '恢复后的消息'))
    expect(after.room()?.id).toBe(roomId)
    expect(after.talker().id).toBe(server.idOf('bot1', 'li'))
  }, 60_000)

  it('(e) 1205 (too frequent) on send surfaces as an error from say()', async () => {
    const server = await world()
    const b = await startBot(server, 'bot1')
    await loggedIn(b)
    const room = await waitFor('room', () => b.bot.Room.find({ topic: ROOM_TOPIC }))
    server.tooFrequent('bot1', 1)
    const err: any = await room.say('太快了').then(() => undefined, e => e)
    expect(err).toBeInstanceOf(Error)
    expect(err.response?.data?.BaseResponse?.Ret).toBe(1205)
    expect(server.messagesIn('g1')).toEqual([])
    await room.say('再发一次') // the next one goes through
    expect(server.messagesIn('g1').map(m => m.text)).toEqual(['再发一次'])
  })

  it('(f) kick: the session ends, the bot emits logout and shows a new QR code', async () => {
    const server = await world()
    const b = await startBot(server, null)
    const qr = await waitFor('scan', () => b.scans[0])
    server.scan(qr, 'bot1')
    await loggedIn(b)
    const scansBefore = new Set(b.scans).size
    server.kick('bot1')
    expect(server.isLoggedIn('bot1')).toBe(false)
    // synccheck answers retcode "1101" (quoted, as the real service): wechat4u's `=== 1101` misses
    // it, counts 3 failed syncs (2 s + 4 s + 5 s), restarts, and webwxinit's Ret 1101 ends in logout
    await waitFor('logout event', () => b.logouts > 0, 25_000)
    expect(b.bot.isLoggedIn).toBe(false)
    await waitFor('new QR code', () => new Set(b.scans).size > scansBefore)
    expect(server.sessionOf('bot1')).toMatchObject({ alive: false, ended: 'kicked' })
  }, 40_000)

  it('(f2) kick with numeric synccheck retcodes: logout at the first synccheck', async () => {
    const server = await world({ numericSyncRetcode: true })
    const b = await startBot(server, 'bot1')
    await loggedIn(b)
    const synccheckAtKick = server.stats().requests.synccheck ?? 0
    server.kick('bot1')
    await waitFor('logout event', () => b.logouts > 0, 20_000)
    // Counted, not timed (issue 26 item 1): the logout comes from the synccheck in flight or the
    // next one; once (a CI run, not traced) one more synccheck was counted before the logout event.
    // The quoted retcode's path (f1) needs three failed syncs and a restart first: 3 or more is that path.
    expect((server.stats().requests.synccheck ?? 0) - synccheckAtKick).toBeLessThanOrEqual(2)
  })

  it('(g) failing syncs: wechat4u restarts itself (webwxinit again, login again, same session)', async () => {
    const server = await world()
    const w = new Wechat4u()
    const events: string[] = []
    let logins = 0
    w.on('uuid', (uuid: string) => server.scan(uuid, 'bot1'))
    w.on('login', () => { logins++ })
    w.on('error', (e: Error) => { events.push(String(e?.message ?? e)) })
    cleanups.push(() => { detach(w); w.stop() })
    w.start()
    await waitFor('first login', () => logins === 1)
    const generation = server.sessionOf('bot1')!.generation
    const selfId = w.user.UserName
    const inits = server.stats().requests.webwxinit
    server.failSyncs('bot1', 3)
    await waitFor('restart → second login', () => logins === 2, 25_000)
    expect(events.some(e => e.includes('连续3次同步失败'))).toBe(true)
    expect(server.stats().requests.webwxinit).toBe(inits + 1)
    expect(server.sessionOf('bot1')).toMatchObject({ alive: true, generation })
    expect(w.user.UserName).toBe(selfId)
    // messages flow again
    server.say('zhang', 'g1', '重启后')
    let got = false
    w.on('message', (m: any) => { if (m.Content.includes('重启后')) got = true })
    await waitFor('message after restart', () => got)
  }, 40_000)

  it('remarks: not stored by default; stored and reported when enabled', async () => {
    const server = await world()
    const b = await startBot(server, 'bot1')
    await loggedIn(b)
    const friend = await waitFor('friend', () => b.bot.Contact.find({ name: '朋友1' }))
    await friend.alias('村民-1')
    await waitFor('oplog', () => server.stats().requests.webwxoplog === 1)
    expect(server.remarkOf('bot1', 'friend1')).toBeUndefined()

    server.setRemarksStored(true)
    await friend.alias('村民-1')
    expect(server.remarkOf('bot1', 'friend1')).toBe('村民-1')
    await waitFor('RemarkName pushed', async () => {
      await friend.sync().catch(() => undefined)
      return (await friend.alias()) === '村民-1'
    })
  })

  it('an unsaved group is missing from the contact list until a message arrives in it', async () => {
    const server = await world()
    server.addGroup({ key: 'g2', topic: '未保存的群', members: ['bot1', 'zhang'], unsaved: ['bot1'] })
    const b = await startBot(server, 'bot1')
    await loggedIn(b)
    await waitFor('saved group', () => b.bot.Room.find({ topic: ROOM_TOPIC }))
    expect(await b.bot.Room.find({ topic: '未保存的群' })).toBeUndefined()
    server.say('zhang', 'g2', '有人吗')
    const m = await waitFor('message in unsaved group', () => b.messages.find(x => x.text() === '有人吗'))
    expect(m.room()?.id).toBe(server.idOf('bot1', 'g2'))
    expect(await m.room()!.topic()).toBe('未保存的群')
  })

  it('hangNextSend: the send stays unanswered until the server stops', async () => {
    const server = await world()
    const b = await startBot(server, 'bot1')
    await loggedIn(b)
    const room = await waitFor('room', () => b.bot.Room.find({ topic: ROOM_TOPIC }))
    server.hangNextSend('bot1')
    let settled = false
    const p = room.say('挂起').then(() => { settled = true }, () => { settled = true })
    await waitFor('send received', () => server.stats().requests.webwxsendmsg === 1)
    await room.say('hang') .catch(() => undefined) // a second send is answered while the first hangs
    expect(server.stats().requests.webwxsendmsg).toBe(2)
    expect(settled).toBe(false)
    expect(server.messagesIn('g1').map(m => m.text)).toEqual(['hang'])
    await server.stop()
    await p
    expect(settled).toBe(true)
  })
})
