/**
 * A simulated web-WeChat server: the part of the web protocol that wechat4u (the client library
 * of wechaty-puppet-wechat4u) uses, served on 127.0.0.1, over a world model that tests drive
 * in-process (accounts, users, groups, messages, faults).
 *
 * Point the unmodified client at it with `redirectWechat4u(server.url)` (redirect.ts), or run a
 * process with `--import ./src/sim/webwx/register.ts` and CASCADE_WEBWX_URL set.
 *
 * What a logged-in account sees is its own: every contact and group has a UserName per
 * (account, login generation), `@<hex>` / `@@<hex>`, new at each scan, unchanged when a stored
 * session is resumed. A session lives until logout, a kick or a newer login of the account.
 *
 * This file holds the HTTP dispatch and the world control API; the endpoints are in login.ts,
 * contacts.ts, sync.ts and send.ts, the shared state in core.ts, fault injection in faults.ts
 * (`server.faults`), group events in groups.ts.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebWxCore } from './core.ts'
import { WebWxFaults } from './faults.ts'
import { HttpFail, headerOf, readJson, sendJson, sleep } from './http.ts'
import { baseResponse, TINY_GIF } from './protocol.ts'
import { addToGroup, removeFromGroup, setTopic } from './groups.ts'
import { jslogin, loginPoll, newLoginPage } from './login.ts'
import { batchgetcontact, getcontact, webwxinit } from './contacts.ts'
import { synccheck, webwxsync } from './sync.ts'
import { logout, oplog, revokemsg, sendmsg } from './send.ts'
import type { World } from './world.ts'
import {
  FILEHELPER, type Call, type PendingLogin, type RecordedDm, type RecordedMessage, type Session, type SessionInfo,
  type WebWxServerOptions, type WebWxStats,
} from './types.ts'

export type { WebWxServerOptions, PendingLogin, RecordedMessage, RecordedDm, SessionInfo, WebWxStats } from './types.ts'
export type { ChaosKind, Fault, FaultEndpoint, Injection, InjectedFault, MemberListMode } from './faults.ts'
export { WebWxFaults } from './faults.ts'

export class WebWxServer {
  readonly world: World
  /** Fault injection: error codes, 5xx, resets, hangs, a barred account, network down, chaos. */
  readonly faults: WebWxFaults
  private readonly core: WebWxCore
  private readonly server: http.Server
  private readonly requestCounts: Record<string, number> = {}
  private readonly hostCounts: Record<string, number> = {}
  private port = 0
  private _url = ''

  private constructor(opts: WebWxServerOptions) {
    const resolved = {
      host: opts.host ?? 'wx2.qq.com',
      contactPageSize: opts.contactPageSize ?? 100,
      loginHoldMs: opts.loginHoldMs ?? 1000,
      syncHoldMs: opts.syncHoldMs ?? 1000,
      latencyMs: opts.latencyMs ?? 2,
      uuidTtlMs: opts.uuidTtlMs ?? 5 * 60_000,
      numericSyncRetcode: opts.numericSyncRetcode ?? false,
      recentWindowMs: opts.recentWindowMs ?? 60 * 60_000,
      maxQueuedEvents: opts.maxQueuedEvents ?? 10_000,
      fullGroupsInContactList: opts.fullGroupsInContactList ?? false,
    }
    this.faults = new WebWxFaults({ down: () => this.networkDown(), up: () => this.networkUp() })
    this.core = new WebWxCore(resolved, opts.log ?? (() => {}), this.faults)
    this.world = this.core.world
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(err => {
        if (err instanceof HttpFail) {
          if (!res.headersSent) { res.writeHead(err.status, { 'content-type': 'text/plain' }); res.end() }
          return
        }
        this.core.log('webwx: handler error', err)
        if (!res.headersSent) { res.writeHead(500); res.end() }
      })
    })
  }

  static async start(opts: WebWxServerOptions = {}): Promise<WebWxServer> {
    const s = new WebWxServer(opts)
    await s.listen(opts.port ?? 0)
    s.port = (s.server.address() as AddressInfo).port
    s._url = `http://127.0.0.1:${s.port}`
    return s
  }

  /** Base URL, e.g. http://127.0.0.1:40123 — give it to redirectWechat4u(). */
  get url(): string { return this._url }

  async stop(): Promise<void> {
    const core = this.core
    if (core.stopped) return
    core.stopped = true
    this.faults.stop()
    for (const h of [...core.holds]) h()
    for (const res of core.hung) res.destroy()
    core.hung.clear()
    await new Promise<void>(resolve => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  private listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => { this.server.off('error', reject); resolve() })
    })
  }

  /** Stops accepting and drops every open connection (held long polls and hung answers too). */
  private networkDown(): Promise<void> {
    const closed = new Promise<void>(resolve => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    for (const res of this.core.hung) res.destroy()
    return closed
  }

  private async networkUp(): Promise<void> {
    if (!this.core.stopped) await this.listen(this.port)
  }

  // ───────────────────────────── world control API ─────────────────────────────

  /** A WeChat user a bot will log in as. */
  addAccount(o: { key: string; nickname: string }): void {
    this.world.addPerson(o.key, o.nickname, true)
    this.core.accounts.set(o.key, { generation: 0, tooFrequent: 0, failSyncs: 0 })
  }

  /** A person (villager, curator): speaks with say(), never logs in. */
  addUser(o: { key: string; nickname: string }): void {
    this.world.addPerson(o.key, o.nickname, false)
  }

  /**
   * A group (topic '' for a group with no name); `unsaved` lists accounts that have not saved it
   * to contacts (absent from their webwxgetcontact).
   */
  addGroup(o: { key: string; topic: string; members: string[]; unsaved?: string[] }): void {
    const g = this.world.addGroup(o.key, o.topic, o.members, o.unsaved ?? [])
    for (const m of g.members) {
      if (!g.unsaved.has(m)) this.core.pushContact(m, g.key)
    }
  }

  /** Makes two people friends (each in the other's contact list). */
  befriend(accountKey: string, userKey: string): void {
    this.world.befriend(accountKey, userKey)
    this.core.pushContact(accountKey, userKey)
    this.core.pushContact(userKey, accountKey)
  }

  /** Renames anyone (account or user). Friends get a ModContactList entry; groups they share, the group. */
  setNickname(key: string, nickname: string): void {
    const p = this.world.person(key)
    p.nickname = nickname
    for (const f of this.world.friendsOf(key)) this.core.pushContact(f, key)
    for (const g of this.world.groupsOf(key)) {
      for (const m of g.members) if (m !== key && !this.world.areFriends(m, key)) this.core.pushContact(m, g.key)
    }
  }

  /** Renames a group; its member accounts get a ModContactList entry, and with `byKey` the notice 「"A"修改群名为“topic”」. */
  setTopic(groupKey: string, topic: string, byKey?: string): void { setTopic(this.core, groupKey, topic, byKey) }

  /** `byKey` removes `memberKey` from the group (a removed account: 「你被"A"移出群聊」, its sends there answer Ret 1). */
  removeFromGroup(groupKey: string, memberKey: string, byKey: string): void { removeFromGroup(this.core, groupKey, memberKey, byKey) }

  /** `byKey` invites `memberKey` into the group: 「"A"邀请"B"加入了群聊」 and the group's record to member accounts. */
  addToGroup(groupKey: string, memberKey: string, byKey: string): void { addToGroup(this.core, groupKey, memberKey, byKey) }

  /** QR codes handed out (jslogin) and not yet scanned nor expired, oldest first. */
  pendingLogins(): PendingLogin[] {
    const now = Date.now()
    return [...this.core.attempts.values()]
      .filter(a => a.state === 'waiting' && now - a.createdAt < this.core.opts.uuidTtlMs)
      .map(a => ({ uuid: a.uuid, qrcode: `https://login.weixin.qq.com/l/${a.uuid}`, since: a.createdAt }))
  }

  /** The account scans the QR code (uuid, or the puppet's qrcode URL) and confirms on its phone. */
  scan(uuidOrQrUrl: string, accountKey: string): void {
    const uuid = uuidOrQrUrl.includes('/') ? uuidOrQrUrl.slice(uuidOrQrUrl.lastIndexOf('/') + 1) : uuidOrQrUrl
    const a = this.core.attempts.get(uuid)
    if (!a) throw new Error(`no such login: ${uuid}`)
    if (a.state !== 'waiting') throw new Error(`login ${uuid} already ${a.state}`)
    if (Date.now() - a.createdAt >= this.core.opts.uuidTtlMs) throw new Error(`login ${uuid} expired`)
    if (!this.world.person(accountKey).account) throw new Error(`${accountKey} is not an account`)
    a.state = 'confirmed'
    a.account = accountKey
    for (const w of [...a.waiters]) w()
  }

  /** The UserName `viewerAccountKey` sees for `key` in its current (or last) login. */
  idOf(viewerAccountKey: string, key: string): string {
    const s = this.core.accountState(viewerAccountKey).current
    if (!s) throw new Error(`${viewerAccountKey} has never logged in`)
    return this.core.userNameIn(s, key)
  }

  /** The world key behind a UserName seen by `viewerAccountKey`; undefined when unknown. */
  keyOf(viewerAccountKey: string, userName: string): string | undefined {
    const s = this.core.accountState(viewerAccountKey).current
    if (!s) return undefined
    if (userName === FILEHELPER) return FILEHELPER
    return s.keys.get(userName)
  }

  /** Whether the account has a live web session. */
  isLoggedIn(accountKey: string): boolean {
    return this.core.accountState(accountKey).current?.alive ?? false
  }

  /** The account's current (or last) session. */
  sessionOf(accountKey: string): SessionInfo | undefined {
    const s = this.core.accountState(accountKey).current
    return s && this.core.sessionInfo(s)
  }

  /**
   * `fromKey` (a user, or an account from its phone) says `text` in group `toKey`, or DMs person
   * `toKey`. Reaches every member account (logged in) of the group. Returns the message id.
   */
  say(fromKey: string, toKey: string, text: string): string {
    this.world.person(fromKey)
    if (this.world.isGroup(toKey) && !this.world.group(toKey).members.includes(fromKey)) {
      throw new Error(`${fromKey} is not in group ${toKey}`)
    }
    return this.core.deliver(fromKey, toKey, text)
  }

  /** Whether an account's own sends come back in its own sync (default on). */
  setEcho(on: boolean): void { this.core.echo = on }

  /** What was said in the group, as its members' phones show it (unescaped), revoked ones left out. */
  messagesIn(groupKey: string): RecordedMessage[] {
    return (this.world.groupLog.get(groupKey) ?? []).filter(m => !m.revoked).map(m => ({ from: m.from, text: m.text, at: m.at }))
  }

  dmsTo(key: string): RecordedDm[] {
    return this.world.dmLog.filter(m => m.to === key && !m.revoked).map(m => ({ from: m.from, to: m.to, text: m.text, at: m.at }))
  }

  dmsFrom(key: string): RecordedDm[] {
    return this.world.dmLog.filter(m => m.from === key && !m.revoked).map(m => ({ from: m.from, to: m.to, text: m.text, at: m.at }))
  }

  /** false (default, as the real service today): webwxoplog remarks answer Ret 0 and are not kept. */
  setRemarksStored(on: boolean): void { this.core.remarksStored = on }

  /**
   * The account's user sets a remark on `userKey` on the phone: stored whatever setRemarksStored
   * says, and pushed to the account's live session (ModContactList). '' clears it.
   */
  setRemark(accountKey: string, userKey: string, remark: string): void {
    this.core.accountState(accountKey)
    this.world.person(userKey)
    this.world.setRemark(accountKey, userKey, remark)
    this.core.pushContact(accountKey, userKey)
  }

  remarkOf(accountKey: string, userKey: string): string | undefined {
    return this.world.remarkOf(accountKey, userKey)
  }

  /** The account's next `n` webwxsendmsg answer BaseResponse.Ret 1205 (操作太频繁), nothing delivered. */
  tooFrequent(accountKey: string, n: number): void { this.core.accountState(accountKey).tooFrequent = n }

  /** The account's next `n` synccheck/webwxsync fail (HTTP 500); 3 in a row make wechat4u restart. */
  failSyncs(accountKey: string, n: number): void { this.core.accountState(accountKey).failSyncs = n }

  /** Ends the account's session as a login elsewhere does: synccheck answers retcode 1101, webwxsync Ret 1101. */
  kick(accountKey: string): void {
    const s = this.core.accountState(accountKey).current
    if (s) this.core.endSession(s, 'kicked')
  }

  /** The account's next webwxsendmsg is never answered (until stop()); delivered only with `deliver`. */
  hangNextSend(accountKey: string, o: { deliver?: boolean } = {}): void {
    this.core.accountState(accountKey).hangNext = { deliver: o.deliver ?? false }
  }

  stats(): WebWxStats {
    const sessions = [...this.core.sessionsBySid.values()].map(s => this.core.sessionInfo(s))
    return { requests: { ...this.requestCounts }, hosts: { ...this.hostCounts }, sessions }
  }

  /** @internal The UserName session `s` shows for `key`. */
  userNameIn(s: Session, key: string): string { return this.core.userNameIn(s, key) }

  // ───────────────────────────── HTTP ─────────────────────────────

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const endpoint = url.pathname.split('/').filter(Boolean).pop() ?? ''
    const host = headerOf(req, 'x-webwx-host')
    this.requestCounts[endpoint] = (this.requestCounts[endpoint] ?? 0) + 1
    if (host) this.hostCounts[host] = (this.hostCounts[host] ?? 0) + 1
    const call: Call = { req, res, q: url.searchParams, body: await readJson(req) }
    const core = this.core
    if (core.stopped) throw new HttpFail(503)
    switch (endpoint) {
      case 'jslogin': return jslogin(core, call)
      case 'login': return loginPoll(core, call)
      case 'webwxnewloginpage': return newLoginPage(core, call)
      case 'synccheck': return synccheck(core, call)
    }
    if (core.opts.latencyMs > 0) await sleep(core.opts.latencyMs)
    switch (endpoint) {
      case 'webwxinit': return webwxinit(core, call)
      case 'webwxstatusnotify': {
        const ok = core.sessionFromBase(call.body)
        return sendJson(res, { BaseResponse: baseResponse(ok ? 0 : 1101), ...(ok ? { MsgID: core.nextMsgId() } : {}) })
      }
      case 'webwxgetcontact': return getcontact(core, call)
      case 'webwxbatchgetcontact': return batchgetcontact(core, call)
      case 'webwxsync': return webwxsync(core, call)
      case 'webwxsendmsg': return sendmsg(core, call)
      case 'webwxlogout': return logout(core, call)
      case 'webwxoplog': return oplog(core, call)
      case 'webwxrevokemsg': return revokemsg(core, call)
      case 'webwxstatreport': return sendJson(res, { BaseResponse: baseResponse() })
      case 'webwxgeticon':
      case 'webwxgetheadimg':
        res.writeHead(200, { 'content-type': 'image/gif', 'content-length': TINY_GIF.length })
        res.end(TINY_GIF)
        return
    }
    core.log('webwx: unhandled endpoint', req.method, url.pathname, host)
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end()
  }
}
