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
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { World, type Group, type Person } from './world.ts'
import {
  addMsgRecord, baseResponse, encodeWebName, encodeWebText, msgIdFrom, newSid, newSkey, newTicket, newUuid,
  parseFormattedSyncKey, parseSyncKeyObject, randomHex, syncKey, TINY_GIF,
} from './protocol.ts'

export interface WebWxServerOptions {
  port?: number
  log?: (...a: unknown[]) => void
  /** Host in the login redirect_uri; wechat4u derives all its hosts from it. Default wx2.qq.com. */
  host?: string
  /** Contacts per webwxgetcontact page. Default 100. */
  contactPageSize?: number
  /** How long a login poll is held while nothing happens (then 408). Default 1000 ms. */
  loginHoldMs?: number
  /** How long a synccheck is held while nothing is pending (then selector 0). Default 1000 ms. */
  syncHoldMs?: number
  /** Delay before answering ordinary requests. Default 2 ms. */
  latencyMs?: number
  /** A QR code (uuid) expires after this (the login poll then answers 400). Default 5 min. */
  uuidTtlMs?: number
  /**
   * synccheck's retcode/selector as numbers (`retcode:1101`) instead of quoted strings
   * (`retcode:"1101"`, as the real service writes them). Default false. wechat4u compares the
   * retcode with `=== 1101`, so only the numeric form makes it see a logout at the first synccheck.
   */
  numericSyncRetcode?: boolean
  /** Groups active within this window are listed in webwxinit's ContactList (recent chats). Default 1 h. */
  recentWindowMs?: number
  /** Events kept per session for a client that does not sync. Default 10,000. */
  maxQueuedEvents?: number
  /**
   * webwxgetcontact lists groups with their MemberList. Default false: groups come with
   * MemberCount 0 and no members (as the real service is understood to do), so wechat4u fetches
   * them with one webwxbatchgetcontact (wechat.js `_getContact`).
   */
  fullGroupsInContactList?: boolean
}

export interface PendingLogin { uuid: string; qrcode: string; since: number }
export interface RecordedMessage { from: string; text: string; at: number }
export interface RecordedDm { from: string; to: string; text: string; at: number }
export interface SessionInfo {
  account: string; generation: number; alive: boolean; ended?: SessionEnd; userName: string; createdAt: number
  /** Events (messages, contact changes) queued for the session and not yet handed over by webwxsync. */
  undelivered: number
}
export interface WebWxStats {
  /** Requests per endpoint (last path segment: jslogin, login, webwxinit, synccheck, ...). */
  requests: Record<string, number>
  /** Requests per original WeChat host (from the x-webwx-host header the redirect adds). */
  hosts: Record<string, number>
  sessions: SessionInfo[]
}

type SessionEnd = 'logout' | 'kicked' | 'replaced'

interface QueuedEvent { seq: number; msg?: Record<string, unknown>; contact?: Record<string, unknown> }

interface Session {
  account: string
  generation: number
  uin: number
  sid: string
  skey: string
  passTicket: string
  dataTicket: string
  authTicket: string
  ids: Map<string, string>
  keys: Map<string, string>
  alive: boolean
  ended?: SessionEnd
  base: number
  seq: number
  acked: number
  /** Highest event seq handed over in a webwxsync answer. */
  sent: number
  events: QueuedEvent[]
  waiters: Set<() => void>
  createdAt: number
  iconSeq: number
}

interface LoginAttempt {
  uuid: string
  createdAt: number
  state: 'waiting' | 'confirmed' | 'redirected' | 'done'
  account?: string
  reportedScan: boolean
  ticket?: string
  waiters: Set<() => void>
}

interface AccountState {
  current?: Session
  generation: number
  tooFrequent: number
  failSyncs: number
  hangNext?: { deliver: boolean }
}

const FILEHELPER = 'filehelper'
const CGI = '/cgi-bin/mmwebwx-bin'

class HttpFail extends Error {
  constructor(readonly status: number) { super(`http ${status}`) }
}

export class WebWxServer {
  readonly world = new World()
  private readonly server: http.Server
  private readonly opts: Required<Omit<WebWxServerOptions, 'port' | 'log'>>
  private readonly log: (...a: unknown[]) => void
  private readonly accounts = new Map<string, AccountState>()
  private readonly sessionsBySid = new Map<string, Session>()
  private readonly attempts = new Map<string, LoginAttempt>()
  private readonly holds = new Set<() => void>()
  private readonly hung = new Set<http.ServerResponse>()
  private readonly requestCounts: Record<string, number> = {}
  private readonly hostCounts: Record<string, number> = {}
  private echo = true
  private remarksStored = false
  private stopped = false
  private msgCounter = BigInt(Date.now()) * 1000n + 4_000_000_000_000_000_000n
  private _url = ''

  private constructor(opts: WebWxServerOptions) {
    this.opts = {
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
    this.log = opts.log ?? (() => {})
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(err => {
        if (err instanceof HttpFail) {
          if (!res.headersSent) { res.writeHead(err.status, { 'content-type': 'text/plain' }); res.end() }
          return
        }
        this.log('webwx: handler error', err)
        if (!res.headersSent) { res.writeHead(500); res.end() }
      })
    })
  }

  static async start(opts: WebWxServerOptions = {}): Promise<WebWxServer> {
    const s = new WebWxServer(opts)
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject)
      s.server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
    })
    const addr = s.server.address() as AddressInfo
    s._url = `http://127.0.0.1:${addr.port}`
    return s
  }

  /** Base URL, e.g. http://127.0.0.1:40123 — give it to redirectWechat4u(). */
  get url(): string { return this._url }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const h of [...this.holds]) h()
    for (const res of this.hung) res.destroy()
    this.hung.clear()
    await new Promise<void>(resolve => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  // ───────────────────────────── world control API ─────────────────────────────

  /** A WeChat user a bot will log in as. */
  addAccount(o: { key: string; nickname: string }): void {
    this.world.addPerson(o.key, o.nickname, true)
    this.accounts.set(o.key, { generation: 0, tooFrequent: 0, failSyncs: 0 })
  }

  /** A person (villager, curator): speaks with say(), never logs in. */
  addUser(o: { key: string; nickname: string }): void {
    this.world.addPerson(o.key, o.nickname, false)
  }

  /** A group; `unsaved` lists accounts that have not saved it to contacts (absent from their webwxgetcontact). */
  addGroup(o: { key: string; topic: string; members: string[]; unsaved?: string[] }): void {
    const g = this.world.addGroup(o.key, o.topic, o.members, o.unsaved ?? [])
    for (const m of g.members) {
      if (!g.unsaved.has(m)) this.pushContact(m, g.key)
    }
  }

  /** Makes two people friends (each in the other's contact list). */
  befriend(accountKey: string, userKey: string): void {
    this.world.befriend(accountKey, userKey)
    this.pushContact(accountKey, userKey)
    this.pushContact(userKey, accountKey)
  }

  /** Renames anyone (account or user). Friends get a ModContactList entry; groups they share, the group. */
  setNickname(key: string, nickname: string): void {
    const p = this.world.person(key)
    p.nickname = nickname
    for (const f of this.world.friendsOf(key)) this.pushContact(f, key)
    for (const g of this.world.groupsOf(key)) {
      for (const m of g.members) if (m !== key && !this.world.areFriends(m, key)) this.pushContact(m, g.key)
    }
  }

  /** Renames a group; its member accounts get a ModContactList entry. */
  setTopic(groupKey: string, topic: string): void {
    const g = this.world.group(groupKey)
    g.topic = topic
    for (const m of g.members) this.pushContact(m, g.key)
  }

  /** QR codes handed out (jslogin) and not yet scanned nor expired, oldest first. */
  pendingLogins(): PendingLogin[] {
    const now = Date.now()
    return [...this.attempts.values()]
      .filter(a => a.state === 'waiting' && now - a.createdAt < this.opts.uuidTtlMs)
      .map(a => ({ uuid: a.uuid, qrcode: `https://login.weixin.qq.com/l/${a.uuid}`, since: a.createdAt }))
  }

  /** The account scans the QR code (uuid, or the puppet's qrcode URL) and confirms on its phone. */
  scan(uuidOrQrUrl: string, accountKey: string): void {
    const uuid = uuidOrQrUrl.includes('/') ? uuidOrQrUrl.slice(uuidOrQrUrl.lastIndexOf('/') + 1) : uuidOrQrUrl
    const a = this.attempts.get(uuid)
    if (!a) throw new Error(`no such login: ${uuid}`)
    if (a.state !== 'waiting') throw new Error(`login ${uuid} already ${a.state}`)
    if (Date.now() - a.createdAt >= this.opts.uuidTtlMs) throw new Error(`login ${uuid} expired`)
    if (!this.world.person(accountKey).account) throw new Error(`${accountKey} is not an account`)
    a.state = 'confirmed'
    a.account = accountKey
    wake(a.waiters)
  }

  /** The UserName `viewerAccountKey` sees for `key` in its current (or last) login. */
  idOf(viewerAccountKey: string, key: string): string {
    const s = this.accountState(viewerAccountKey).current
    if (!s) throw new Error(`${viewerAccountKey} has never logged in`)
    return this.userNameIn(s, key)
  }

  /** The world key behind a UserName seen by `viewerAccountKey`; undefined when unknown. */
  keyOf(viewerAccountKey: string, userName: string): string | undefined {
    const s = this.accountState(viewerAccountKey).current
    if (!s) return undefined
    if (userName === FILEHELPER) return FILEHELPER
    return s.keys.get(userName)
  }

  /** Whether the account has a live web session. */
  isLoggedIn(accountKey: string): boolean {
    return this.accountState(accountKey).current?.alive ?? false
  }

  /** The account's current (or last) session. */
  sessionOf(accountKey: string): SessionInfo | undefined {
    const s = this.accountState(accountKey).current
    return s && sessionInfo(s, this)
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
    return this.deliver(fromKey, toKey, text)
  }

  /** Whether an account's own sends come back in its own sync (default on). */
  setEcho(on: boolean): void { this.echo = on }

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
  setRemarksStored(on: boolean): void { this.remarksStored = on }

  /**
   * The account's user sets a remark on `userKey` on the phone: stored whatever setRemarksStored
   * says, and pushed to the account's live session (ModContactList). '' clears it.
   */
  setRemark(accountKey: string, userKey: string, remark: string): void {
    this.accountState(accountKey)
    this.world.person(userKey)
    this.world.setRemark(accountKey, userKey, remark)
    this.pushContact(accountKey, userKey)
  }

  remarkOf(accountKey: string, userKey: string): string | undefined {
    return this.world.remarkOf(accountKey, userKey)
  }

  /** The account's next `n` webwxsendmsg answer BaseResponse.Ret 1205 (操作太频繁), nothing delivered. */
  tooFrequent(accountKey: string, n: number): void { this.accountState(accountKey).tooFrequent = n }

  /** The account's next `n` synccheck/webwxsync fail (HTTP 500); 3 in a row make wechat4u restart. */
  failSyncs(accountKey: string, n: number): void { this.accountState(accountKey).failSyncs = n }

  /** Ends the account's session as a login elsewhere does: synccheck answers retcode 1101, webwxsync Ret 1101. */
  kick(accountKey: string): void {
    const s = this.accountState(accountKey).current
    if (s) this.endSession(s, 'kicked')
  }

  /** The account's next webwxsendmsg is never answered (until stop()); delivered only with `deliver`. */
  hangNextSend(accountKey: string, o: { deliver?: boolean } = {}): void {
    this.accountState(accountKey).hangNext = { deliver: o.deliver ?? false }
  }

  stats(): WebWxStats {
    const sessions = [...this.sessionsBySid.values()].map(s => sessionInfo(s, this))
    return { requests: { ...this.requestCounts }, hosts: { ...this.hostCounts }, sessions }
  }

  // ───────────────────────────── sessions and ids ─────────────────────────────

  private accountState(key: string): AccountState {
    const a = this.accounts.get(key)
    if (!a) throw new Error(`no such account: ${key}`)
    return a
  }

  /** @internal */
  userNameIn(s: Session, key: string): string {
    if (key === FILEHELPER) return FILEHELPER
    let id = s.ids.get(key)
    if (!id) {
      id = this.world.isGroup(key) ? `@@${randomHex(32)}` : `@${randomHex(16)}`
      if (!this.world.isGroup(key)) this.world.person(key)
      s.ids.set(key, id)
      s.keys.set(id, key)
    }
    return id
  }

  private newSession(account: string): Session {
    const st = this.accountState(account)
    if (st.current?.alive) this.endSession(st.current, 'replaced')
    st.generation++
    const p = this.world.person(account)
    const s: Session = {
      account, generation: st.generation, uin: p.uin, sid: newSid(), skey: newSkey(),
      passTicket: randomHex(24), dataTicket: newTicket(), authTicket: newTicket(),
      ids: new Map(), keys: new Map(), alive: true, base: 640_000_000 + Math.floor(Math.random() * 1_000_000),
      seq: 0, acked: 0, sent: 0, events: [], waiters: new Set(), createdAt: Date.now(), iconSeq: 600_000_000,
    }
    this.userNameIn(s, account)
    st.current = s
    this.sessionsBySid.set(s.sid, s)
    this.log('webwx: new session', account, 'generation', s.generation)
    return s
  }

  private endSession(s: Session, why: SessionEnd): void {
    if (!s.alive) return
    s.alive = false
    s.ended = why
    s.events = []
    this.log('webwx: session ended', s.account, why)
    wake(s.waiters)
  }

  private liveSession(account: string): Session | undefined {
    const s = this.accounts.get(account)?.current
    return s?.alive ? s : undefined
  }

  private push(s: Session, ev: Omit<QueuedEvent, 'seq'>): void {
    s.seq++
    s.events.push({ seq: s.seq, ...ev })
    if (s.events.length > this.opts.maxQueuedEvents) s.events.splice(0, s.events.length - this.opts.maxQueuedEvents)
    wake(s.waiters)
  }

  /** Tells `account`'s live session (if any) the current record of `key` (ModContactList). */
  private pushContact(account: string, key: string): void {
    if (!this.accounts.has(account)) return
    const s = this.liveSession(account)
    if (!s) return
    this.push(s, { contact: this.entryFor(s, key, true) })
  }

  // ───────────────────────────── messages ─────────────────────────────

  private nextMsgId(): string {
    this.msgCounter += BigInt(1 + Math.floor(Math.random() * 1000))
    return msgIdFrom(this.msgCounter)
  }

  /** Records and delivers a text from `from` to a group or a person; returns the MsgId. */
  private deliver(from: string, to: string, text: string): string {
    const msgId = this.nextMsgId()
    const at = Date.now()
    const createTime = Math.floor(at / 1000)
    const content = encodeWebText(text)
    if (this.world.isGroup(to)) {
      const g = this.world.group(to)
      this.world.groupLog.get(g.key)!.push({ from, text, at, msgId })
      g.lastActive = at
      for (const m of g.members) {
        const s = this.accounts.has(m) ? this.liveSession(m) : undefined
        if (!s) continue
        const gid = this.userNameIn(s, g.key)
        const self = this.userNameIn(s, m)
        if (m === from) {
          if (this.echo) this.push(s, { msg: addMsgRecord({ msgId, from: self, to: gid, content, createTime }) })
        } else {
          const sender = this.userNameIn(s, from)
          this.push(s, { msg: addMsgRecord({ msgId, from: gid, to: self, content: `${sender}:<br/>${content}`, createTime }) })
        }
      }
    } else {
      if (to !== FILEHELPER) this.world.person(to)
      this.world.dmLog.push({ from, to, text, at, msgId })
      if (to !== from && this.accounts.has(to)) {
        const s = this.liveSession(to)
        if (s) this.push(s, { msg: addMsgRecord({ msgId, from: this.userNameIn(s, from), to: this.userNameIn(s, to), content, createTime }) })
      }
      if (this.echo && this.accounts.has(from)) {
        const s = this.liveSession(from)
        if (s) this.push(s, { msg: addMsgRecord({ msgId, from: this.userNameIn(s, from), to: this.userNameIn(s, to), content, createTime }) })
      }
    }
    return msgId
  }

  private revoke(account: string, msgId: string): boolean {
    const gm = [...this.world.groupLog.entries()].flatMap(([g, list]) => list.map(m => ({ g, m }))).find(x => x.m.msgId === msgId)
    const dm = gm ? undefined : this.world.dmLog.find(m => m.msgId === msgId)
    const rec = gm?.m ?? dm
    if (!rec || rec.from !== account || rec.revoked) return false
    rec.revoked = true
    const createTime = Math.floor(Date.now() / 1000)
    const notify = (viewer: string, conversation: string): void => {
      const s = this.liveSession(viewer)
      if (!s) return
      const conv = this.userNameIn(s, conversation)
      const name = this.world.person(account).nickname
      const replace = viewer === account ? '你撤回了一条消息' : `"${name}" 撤回了一条消息`
      const sys = `&lt;sysmsg type="revokemsg"&gt;&lt;revokemsg&gt;&lt;session&gt;${conv}&lt;/session&gt;&lt;oldmsgid&gt;1000000000&lt;/oldmsgid&gt;&lt;msgid&gt;${msgId}&lt;/msgid&gt;&lt;replacemsg&gt;&lt;![CDATA[${replace}]]&gt;&lt;/replacemsg&gt;&lt;/revokemsg&gt;&lt;/sysmsg&gt;`
      const self = this.userNameIn(s, viewer)
      const content = conv.startsWith('@@') && viewer !== account ? `${this.userNameIn(s, account)}:<br/>${sys}` : sys
      this.push(s, { msg: addMsgRecord({ msgId: this.nextMsgId(), from: viewer === account ? self : conv, to: viewer === account ? conv : self, content, createTime, msgType: 10002 }) })
    }
    if (gm) {
      for (const m of this.world.group(gm.g).members) if (this.accounts.has(m)) notify(m, gm.g)
    } else if (dm) {
      if (this.accounts.has(dm.to)) notify(dm.to, dm.from)
      notify(account, dm.to)
    }
    return true
  }

  // ───────────────────────────── records ─────────────────────────────

  private personEntry(s: Session, p: Person): Record<string, unknown> {
    const id = this.userNameIn(s, p.key)
    const friend = this.world.areFriends(s.account, p.key)
    const remark = this.world.remarkOf(s.account, p.key)
    return {
      Uin: 0, UserName: id, NickName: encodeWebName(p.nickname),
      HeadImgUrl: `${CGI}/webwxgeticon?seq=${s.iconSeq + (p.key.length % 97)}&username=${id}&skey=${s.skey}`,
      ContactFlag: friend ? 3 : 0, MemberCount: 0, MemberList: [], RemarkName: remark ? encodeWebName(remark) : '',
      HideInputBarFlag: 0, Sex: p.sex, Signature: '', VerifyFlag: 0, OwnerUin: 0, PYInitial: '', PYQuanPin: '',
      RemarkPYInitial: '', RemarkPYQuanPin: '', StarFriend: 0, AppAccountFlag: 0, Statues: 0, AttrStatus: 0,
      Province: '', City: '', Alias: '', SnsFlag: 0, UniFriend: 0, DisplayName: '', ChatRoomId: 0, KeyWord: '',
      EncryChatRoomId: '', IsOwner: 0,
    }
  }

  private memberEntry(s: Session, p: Person): Record<string, unknown> {
    return {
      Uin: 0, UserName: this.userNameIn(s, p.key), NickName: encodeWebName(p.nickname), AttrStatus: 0,
      PYInitial: '', PYQuanPin: '', RemarkPYInitial: '', RemarkPYQuanPin: '', MemberStatus: 0, DisplayName: '', KeyWord: '',
    }
  }

  private groupEntry(s: Session, g: Group, withMembers: boolean): Record<string, unknown> {
    const id = this.userNameIn(s, g.key)
    const members = withMembers ? g.members.map(k => this.memberEntry(s, this.world.person(k))) : []
    const saved = !g.unsaved.has(s.account)
    return {
      Uin: 0, UserName: id, NickName: encodeWebName(g.topic), HeadImgUrl: `${CGI}/webwxgetheadimg?seq=0&username=${id}&skey=`,
      ContactFlag: saved ? 3 : 0, MemberCount: members.length, MemberList: members, RemarkName: '', HideInputBarFlag: 0,
      Sex: 0, Signature: '', VerifyFlag: 0, OwnerUin: 0, PYInitial: '', PYQuanPin: '', RemarkPYInitial: '',
      RemarkPYQuanPin: '', StarFriend: 0, AppAccountFlag: 0, Statues: saved ? 1 : 0, AttrStatus: 0, Province: '',
      City: '', Alias: '', SnsFlag: 0, UniFriend: 0, DisplayName: '', ChatRoomId: 0, KeyWord: '',
      EncryChatRoomId: withMembers ? `@${randomHex(16)}` : '', IsOwner: 0,
    }
  }

  private filehelperEntry(): Record<string, unknown> {
    return {
      Uin: 0, UserName: FILEHELPER, NickName: '文件传输助手', HeadImgUrl: `${CGI}/webwxgeticon?seq=0&username=filehelper`,
      ContactFlag: 3, MemberCount: 0, MemberList: [], RemarkName: '', HideInputBarFlag: 0, Sex: 0, Signature: '',
      VerifyFlag: 0, OwnerUin: 0, PYInitial: 'WJCSZS', PYQuanPin: 'wenjianchuanshuzhushou', RemarkPYInitial: '',
      RemarkPYQuanPin: '', StarFriend: 0, AppAccountFlag: 0, Statues: 0, AttrStatus: 0, Province: '', City: '',
      Alias: '', SnsFlag: 0, UniFriend: 0, DisplayName: '', ChatRoomId: 0, KeyWord: 'fil', EncryChatRoomId: '', IsOwner: 0,
    }
  }

  private entryFor(s: Session, key: string, withMembers: boolean): Record<string, unknown> {
    if (key === FILEHELPER) return this.filehelperEntry()
    if (this.world.isGroup(key)) return this.groupEntry(s, this.world.group(key), withMembers)
    return this.personEntry(s, this.world.person(key))
  }

  private userRecord(s: Session): Record<string, unknown> {
    const p = this.world.person(s.account)
    return {
      Uin: s.uin, UserName: this.userNameIn(s, s.account), NickName: encodeWebName(p.nickname),
      HeadImgUrl: `${CGI}/webwxgeticon?seq=${s.iconSeq}&username=${this.userNameIn(s, s.account)}&skey=${s.skey}`,
      RemarkName: '', PYInitial: '', PYQuanPin: '', RemarkPYInitial: '', RemarkPYQuanPin: '', HideInputBarFlag: 0,
      StarFriend: 0, Sex: p.sex, Signature: '', AppAccountFlag: 0, VerifyFlag: 0, ContactFlag: 0, WebWxPluginSwitch: 0,
      HeadImgFlag: 1, SnsFlag: 17,
    }
  }

  // ───────────────────────────── HTTP ─────────────────────────────

  private count(endpoint: string, host: string | undefined): void {
    this.requestCounts[endpoint] = (this.requestCounts[endpoint] ?? 0) + 1
    if (host) this.hostCounts[host] = (this.hostCounts[host] ?? 0) + 1
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const endpoint = url.pathname.split('/').filter(Boolean).pop() ?? ''
    const host = headerOf(req, 'x-webwx-host')
    this.count(endpoint, host)
    const body = await readJson(req)
    const q = url.searchParams
    if (this.stopped) throw new HttpFail(503)
    switch (endpoint) {
      case 'jslogin': return this.jslogin(res)
      case 'login': return this.loginPoll(q, res)
      case 'webwxnewloginpage': return this.newLoginPage(q, res)
      case 'synccheck': return this.synccheck(q, res)
    }
    if (this.opts.latencyMs > 0) await sleep(this.opts.latencyMs)
    switch (endpoint) {
      case 'webwxinit': return this.webwxinit(body, res)
      case 'webwxstatusnotify': return this.withSession(body, res, () => ({ BaseResponse: baseResponse(), MsgID: this.nextMsgId() }))
      case 'webwxgetcontact': return this.getcontact(req, q, res)
      case 'webwxbatchgetcontact': return this.batchgetcontact(body, res)
      case 'webwxsync': return this.webwxsync(body, res)
      case 'webwxsendmsg': return this.sendmsg(body, res)
      case 'webwxlogout': return this.logout(req, q, res)
      case 'webwxoplog': return this.oplog(body, res)
      case 'webwxrevokemsg': return this.withSession(body, res, s => {
        const ok = this.revoke(s.account, String(body?.SvrMsgId ?? ''))
        return { BaseResponse: baseResponse(ok ? 0 : 1), Introduction: '', SysWording: '' }
      })
      case 'webwxstatreport': return sendJson(res, { BaseResponse: baseResponse() })
      case 'webwxgeticon':
      case 'webwxgetheadimg':
        res.writeHead(200, { 'content-type': 'image/gif', 'content-length': TINY_GIF.length })
        res.end(TINY_GIF)
        return
    }
    this.log('webwx: unhandled endpoint', req.method, url.pathname, host)
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end()
  }

  private hold(waiters: Set<() => void>, ms: number, ready: () => boolean): Promise<void> {
    if (this.stopped || ready()) return Promise.resolve()
    return new Promise(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        waiters.delete(check)
        this.holds.delete(done)
        resolve()
      }
      const check = (): void => { if (this.stopped || ready()) done() }
      const timer = setTimeout(done, ms)
      waiters.add(check)
      this.holds.add(done)
    })
  }

  private jslogin(res: http.ServerResponse): void {
    const uuid = newUuid()
    this.attempts.set(uuid, { uuid, createdAt: Date.now(), state: 'waiting', reportedScan: false, waiters: new Set() })
    for (const [k, a] of this.attempts) if (Date.now() - a.createdAt > 2 * this.opts.uuidTtlMs) this.attempts.delete(k)
    sendJs(res, `window.QRLogin.code = 200; window.QRLogin.uuid = "${uuid}";`)
  }

  private async loginPoll(q: URLSearchParams, res: http.ServerResponse): Promise<void> {
    const a = this.attempts.get(q.get('uuid') ?? '')
    const expired = (): boolean => !!a && a.state === 'waiting' && Date.now() - a.createdAt >= this.opts.uuidTtlMs
    if (!a || expired() || a.state === 'done') return sendJs(res, 'window.code=400;')
    await this.hold(a.waiters, this.opts.loginHoldMs, () => a.state !== 'waiting')
    if (a.state === 'confirmed' && !a.reportedScan) {
      a.reportedScan = true
      return sendJs(res, `window.code=201;window.userAvatar = 'data:img/jpg;base64,${TINY_GIF.toString('base64')}';`)
    }
    if (a.state === 'confirmed' || a.state === 'redirected') {
      a.state = 'redirected'
      a.ticket ??= newTicket()
      const uri = `https://${this.opts.host}${CGI}/webwxnewloginpage?ticket=${a.ticket}&uuid=${a.uuid}&lang=zh_CN&scan=${Math.floor(Date.now() / 1000)}`
      return sendJs(res, `window.code=200;\nwindow.redirect_uri="${uri}";`)
    }
    if (expired()) return sendJs(res, 'window.code=400;')
    sendJs(res, 'window.code=408;')
  }

  private newLoginPage(q: URLSearchParams, res: http.ServerResponse): void {
    const ticket = q.get('ticket')
    const a = ticket ? [...this.attempts.values()].find(x => x.ticket === ticket && x.state === 'redirected') : undefined
    if (!a || !a.account) {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('<error><ret>1203</ret><message>当前登录环境异常。为了你的帐号安全，暂时不能登录web微信。</message></error>')
      return
    }
    a.state = 'done'
    const s = this.newSession(a.account)
    const expires = new Date(Date.now() + 12 * 3600_000).toUTCString()
    const dom = `Domain=${this.opts.host}; Path=/; Expires=${expires}`
    const cookies = [
      `wxuin=${s.uin}; ${dom}`,
      `wxsid=${s.sid}; ${dom}`,
      `wxloadtime=${Math.floor(Date.now() / 1000)}; ${dom}`,
      `mm_lang=zh_CN; ${dom}`,
      `webwx_data_ticket=${s.dataTicket}; Domain=.qq.com; Path=/; Expires=${expires}`,
      `webwxuvid=${randomHex(32)}; ${dom}`,
      `webwx_auth_ticket=${s.authTicket}; ${dom}`,
    ]
    res.writeHead(301, { 'content-type': 'text/plain', 'set-cookie': cookies })
    res.end(`<error><ret>0</ret><message></message><skey>${s.skey}</skey><wxsid>${s.sid}</wxsid><wxuin>${s.uin}</wxuin><pass_ticket>${s.passTicket}</pass_ticket><isgrayscale>1</isgrayscale></error>`)
  }

  /** The session a BaseRequest names, when it is live and its keys match. */
  private sessionFromBase(body: any): Session | undefined {
    const b = body?.BaseRequest
    const s = b ? this.sessionsBySid.get(String(b.Sid)) : undefined
    if (!s || !s.alive || Number(b.Uin) !== s.uin || String(b.Skey) !== s.skey) return undefined
    return s
  }

  private withSession(body: any, res: http.ServerResponse, f: (s: Session) => unknown): void {
    const s = this.sessionFromBase(body)
    if (!s) return sendJson(res, { BaseResponse: baseResponse(1101) })
    sendJson(res, f(s))
  }

  private webwxinit(body: any, res: http.ServerResponse): void {
    this.withSession(body, res, s => {
      const now = Date.now()
      const recent = this.world.groupsOf(s.account)
        .filter(g => g.lastActive > 0 && now - g.lastActive < this.opts.recentWindowMs)
        .sort((x, y) => y.lastActive - x.lastActive)
        .slice(0, 30)
        .map(g => this.groupEntry(s, g, true))
      const chatSet = [FILEHELPER, ...recent.map(c => c.UserName as string)].join(',')
      return {
        BaseResponse: baseResponse(), Count: recent.length, ContactList: recent,
        SyncKey: syncKey(s.acked, s.base), User: this.userRecord(s), ChatSet: chatSet, SKey: s.skey,
        ClientVersion: 1661534006, SystemTime: Math.floor(now / 1000), GrayScale: 1, InviteStartCount: 40,
        MPSubscribeMsgCount: 0, MPSubscribeMsgList: [], ClickReportInterval: 600000,
      }
    })
  }

  private sessionFromCookies(req: http.IncomingMessage, skey: string | null): Session | undefined {
    const c = parseCookies(headerOf(req, 'cookie'))
    const s = c.wxsid ? this.sessionsBySid.get(c.wxsid) : undefined
    if (!s || !s.alive || String(s.uin) !== c.wxuin) return undefined
    if (skey !== null && skey !== s.skey) return undefined
    return s
  }

  private getcontact(req: http.IncomingMessage, q: URLSearchParams, res: http.ServerResponse): void {
    const s = this.sessionFromCookies(req, q.get('skey') ?? '')
    if (!s) return sendJson(res, { BaseResponse: baseResponse(1101), MemberCount: 0, MemberList: [], Seq: 0 })
    const all: string[] = [
      FILEHELPER,
      ...this.world.friendsOf(s.account),
      ...this.world.savedGroupsOf(s.account).map(g => g.key),
    ]
    const from = Math.max(0, Number(q.get('seq') ?? 0) || 0)
    const size = this.opts.contactPageSize
    const page = all.slice(from, from + size).map(k => this.entryFor(s, k, this.opts.fullGroupsInContactList))
    const next = from + size < all.length ? from + size : 0
    sendJson(res, { BaseResponse: baseResponse(), MemberCount: page.length, MemberList: page, Seq: next })
  }

  private batchgetcontact(body: any, res: http.ServerResponse): void {
    this.withSession(body, res, s => {
      const list: { UserName?: string }[] = Array.isArray(body?.List) ? body.List : []
      const out: Record<string, unknown>[] = []
      for (const item of list) {
        const name = String(item?.UserName ?? '')
        const key = name === FILEHELPER ? FILEHELPER : s.keys.get(name)
        if (key) out.push(this.entryFor(s, key, true))
      }
      return { BaseResponse: baseResponse(), Count: out.length, ContactList: out }
    })
  }

  private syncRet(res: http.ServerResponse, retcode: number, selector: number): void {
    const r = this.opts.numericSyncRetcode ? `retcode:${retcode},selector:${selector}` : `retcode:"${retcode}",selector:"${selector}"`
    sendJs(res, `window.synccheck={${r}}`)
  }

  private async synccheck(q: URLSearchParams, res: http.ServerResponse): Promise<void> {
    const s = this.sessionsBySid.get(q.get('sid') ?? '')
    if (!s || String(s.uin) !== q.get('uin') || s.skey !== q.get('skey')) return this.syncRet(res, 1101, 0)
    if (!s.alive) return this.syncRet(res, 1101, 0)
    const st = this.accountState(s.account)
    if (st.failSyncs > 0) {
      st.failSyncs--
      throw new HttpFail(500)
    }
    const clientVal = parseFormattedSyncKey(q.get('synckey'))
    const clientSeq = clientVal === undefined ? s.acked : clientVal - s.base
    const pending = (): boolean => s.events.some(e => e.seq > clientSeq)
    await this.hold(s.waiters, this.opts.syncHoldMs, () => !s.alive || pending())
    if (!s.alive) return this.syncRet(res, 1101, 0)
    this.syncRet(res, 0, pending() ? 2 : 0)
  }

  private webwxsync(body: any, res: http.ServerResponse): void {
    const s = this.sessionFromBase(body)
    if (!s) return sendJson(res, { BaseResponse: baseResponse(1101) })
    const st = this.accountState(s.account)
    if (st.failSyncs > 0) {
      st.failSyncs--
      throw new HttpFail(500)
    }
    const v = parseSyncKeyObject(body?.SyncKey)
    const clientSeq = v === undefined ? s.acked : v - s.base
    if (clientSeq > s.acked) s.acked = Math.min(clientSeq, s.seq)
    s.events = s.events.filter(e => e.seq > s.acked)
    const batch = s.events.filter(e => e.seq > clientSeq).slice(0, 100)
    const newSeq = batch.length ? batch[batch.length - 1]!.seq : Math.max(clientSeq, s.acked)
    s.sent = Math.max(s.sent, newSeq)
    const msgs = batch.filter(e => e.msg).map(e => e.msg!)
    const contacts = batch.filter(e => e.contact).map(e => e.contact!)
    const key = syncKey(newSeq, s.base)
    sendJson(res, {
      BaseResponse: baseResponse(), AddMsgCount: msgs.length, AddMsgList: msgs,
      ModContactCount: contacts.length, ModContactList: contacts, DelContactCount: 0, DelContactList: [],
      ModChatRoomMemberCount: 0, ModChatRoomMemberList: [],
      Profile: {
        BitFlag: 0, UserName: { Buff: '' }, NickName: { Buff: '' }, BindUin: 0, BindEmail: { Buff: '' },
        BindMobile: { Buff: '' }, Status: 0, Sex: 0, PersonalCard: 0, Alias: '', HeadImgUpdateFlag: 0, HeadImgUrl: '', Signature: '',
      },
      ContinueFlag: 0, SyncKey: key, SKey: '', SyncCheckKey: key,
    })
  }

  private sendmsg(body: any, res: http.ServerResponse): void {
    const s = this.sessionFromBase(body)
    if (!s) return sendJson(res, { BaseResponse: baseResponse(1101), MsgID: '', LocalID: '' })
    const st = this.accountState(s.account)
    const msg = body?.Msg ?? {}
    const localId = String(msg.LocalID ?? msg.ClientMsgId ?? '')
    const to = String(msg.ToUserName ?? '')
    const toKey = to === FILEHELPER ? FILEHELPER : s.keys.get(to)
    const text = String(msg.Content ?? '')
    if (st.hangNext) {
      const { deliver } = st.hangNext
      st.hangNext = undefined
      if (deliver && toKey) this.deliverFromClient(s, toKey, text)
      this.hung.add(res)
      res.on('close', () => this.hung.delete(res))
      return
    }
    if (st.tooFrequent > 0) {
      st.tooFrequent--
      return sendJson(res, { BaseResponse: baseResponse(1205), MsgID: '', LocalID: '' })
    }
    if (!toKey) return sendJson(res, { BaseResponse: baseResponse(1), MsgID: '', LocalID: '' })
    const msgId = this.deliverFromClient(s, toKey, text)
    if (!msgId) return sendJson(res, { BaseResponse: baseResponse(1), MsgID: '', LocalID: '' })
    sendJson(res, { BaseResponse: baseResponse(), MsgID: msgId, LocalID: localId })
  }

  private deliverFromClient(s: Session, toKey: string, text: string): string | undefined {
    if (this.world.isGroup(toKey) && !this.world.group(toKey).members.includes(s.account)) return undefined
    return this.deliver(s.account, toKey, text)
  }

  private logout(req: http.IncomingMessage, q: URLSearchParams, res: http.ServerResponse): void {
    const s = this.sessionFromCookies(req, q.get('skey'))
    if (s) this.endSession(s, 'logout')
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('')
  }

  private oplog(body: any, res: http.ServerResponse): void {
    this.withSession(body, res, s => {
      const key = s.keys.get(String(body?.UserName ?? ''))
      if (!key) return { BaseResponse: baseResponse(1) }
      if (Number(body?.CmdId) === 2 && this.remarksStored) {
        this.world.setRemark(s.account, key, String(body?.RemarkName ?? ''))
        this.push(s, { contact: this.entryFor(s, key, true) })
      }
      return { BaseResponse: baseResponse() }
    })
  }
}

function sessionInfo(s: Session, server: WebWxServer): SessionInfo {
  return {
    account: s.account, generation: s.generation, alive: s.alive, ended: s.ended,
    userName: server.userNameIn(s, s.account), createdAt: s.createdAt,
    undelivered: s.events.filter(e => e.seq > s.sent).length,
  }
}

function wake(waiters: Set<() => void>): void {
  for (const w of [...waiters]) w()
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms))
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function parseCookies(h: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (h ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim()
  }
  return out
}

async function readJson(req: http.IncomingMessage): Promise<any> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  if (!chunks.length) return undefined
  const text = Buffer.concat(chunks).toString('utf8')
  try { return JSON.parse(text) } catch { return undefined }
}

function sendJs(res: http.ServerResponse, js: string): void {
  res.writeHead(200, { 'content-type': 'text/javascript' })
  res.end(js)
}

function sendJson(res: http.ServerResponse, o: unknown): void {
  const text = JSON.stringify(o)
  res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
