/**
 * The simulated server's shared state and the operations every endpoint module uses: accounts
 * and their sessions, per-session event queues (what webwxsync hands over), message delivery,
 * long-poll holds, and how a fault decided by faults.ts is answered.
 */
import type http from 'node:http'
import { World } from './world.ts'
import { addMsgRecord, encodeWebText, msgIdFrom, newSid, newSkey, newTicket, randomHex } from './protocol.ts'
import { entryFor, userNameIn, type MemberListing } from './records.ts'
import type { Fault, WebWxFaults } from './faults.ts'
import { parseCookies, headerOf, sendJs, sendJson, wake } from './http.ts'
import {
  FILEHELPER, type AccountState, type LoginAttempt, type QueuedEvent, type ResolvedOptions, type Session, type SessionEnd,
  type SessionInfo,
} from './types.ts'

export class WebWxCore {
  readonly world = new World()
  readonly accounts = new Map<string, AccountState>()
  readonly sessionsBySid = new Map<string, Session>()
  readonly attempts = new Map<string, LoginAttempt>()
  readonly holds = new Set<() => void>()
  readonly hung = new Set<http.ServerResponse>()
  echo = true
  remarksStored = false
  stopped = false
  private msgCounter = BigInt(Date.now()) * 1000n + 4_000_000_000_000_000_000n

  constructor(readonly opts: ResolvedOptions, readonly log: (...a: unknown[]) => void, readonly faults: WebWxFaults) {}

  accountState(key: string): AccountState {
    const a = this.accounts.get(key)
    if (!a) throw new Error(`no such account: ${key}`)
    return a
  }

  userNameIn(s: Session, key: string): string { return userNameIn(this.world, s, key) }

  /** The record of `key` for session `s`; groups listed as the member-list mode says, unless `listing` is given. */
  entryFor(s: Session, key: string, listing?: MemberListing): Record<string, unknown> {
    const l = listing ?? (this.world.isGroup(key) ? this.faults.memberMode(s.account, key) : 'full')
    return entryFor(this.world, s, key, l)
  }

  sessionInfo(s: Session): SessionInfo {
    return {
      account: s.account, generation: s.generation, alive: s.alive, ended: s.ended,
      userName: this.userNameIn(s, s.account), createdAt: s.createdAt,
      undelivered: s.events.filter(e => e.seq > s.sent).length,
    }
  }

  // ───────────────────────────── sessions ─────────────────────────────

  newSession(account: string): Session {
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

  endSession(s: Session, why: SessionEnd): void {
    if (!s.alive) return
    s.alive = false
    s.ended = why
    s.events = []
    this.log('webwx: session ended', s.account, why)
    wake(s.waiters)
  }

  liveSession(account: string): Session | undefined {
    const s = this.accounts.get(account)?.current
    return s?.alive ? s : undefined
  }

  /** The session a BaseRequest names, when it is live and its keys match. */
  sessionFromBase(body: any): Session | undefined {
    const b = body?.BaseRequest
    const s = b ? this.sessionsBySid.get(String(b.Sid)) : undefined
    if (!s || !s.alive || Number(b.Uin) !== s.uin || String(b.Skey) !== s.skey) return undefined
    return s
  }

  /** The session the wxsid/wxuin cookies name (and `skey`, unless null), when live. */
  sessionFromCookies(req: http.IncomingMessage, skey: string | null): Session | undefined {
    const c = parseCookies(headerOf(req, 'cookie'))
    const s = c.wxsid ? this.sessionsBySid.get(c.wxsid) : undefined
    if (!s || !s.alive || String(s.uin) !== c.wxuin) return undefined
    if (skey !== null && skey !== s.skey) return undefined
    return s
  }

  // ───────────────────────────── events ─────────────────────────────

  push(s: Session, ev: Omit<QueuedEvent, 'seq'>): void {
    s.seq++
    s.events.push({ seq: s.seq, ...ev })
    if (s.events.length > this.opts.maxQueuedEvents) s.events.splice(0, s.events.length - this.opts.maxQueuedEvents)
    wake(s.waiters)
  }

  /** Tells `account`'s live session (if any) the current record of `key` (ModContactList). */
  pushContact(account: string, key: string): void {
    if (!this.accounts.has(account)) return
    const s = this.liveSession(account)
    if (!s) return
    this.push(s, { contact: this.entryFor(s, key) })
  }

  /** A system message (MsgType 10000) in group `groupKey` to `account`'s live session: plain text, no sender. */
  pushSystem(account: string, groupKey: string, text: string): void {
    const s = this.accounts.has(account) ? this.liveSession(account) : undefined
    if (!s) return
    this.push(s, {
      msg: addMsgRecord({
        msgId: this.nextMsgId(), from: this.userNameIn(s, groupKey), to: this.userNameIn(s, account),
        content: encodeWebText(text), createTime: Math.floor(Date.now() / 1000), msgType: 10000,
      }),
    })
  }

  nextMsgId(): string {
    this.msgCounter += BigInt(1 + Math.floor(Math.random() * 1000))
    return msgIdFrom(this.msgCounter)
  }

  /** Records and delivers a text from `from` to a group or a person; returns the MsgId. */
  deliver(from: string, to: string, text: string): string {
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

  /** A send by session `s`: delivered unless `toKey` is a group the account is not in. */
  deliverFromClient(s: Session, toKey: string, text: string): string | undefined {
    if (this.world.isGroup(toKey) && !this.world.group(toKey).members.includes(s.account)) return undefined
    return this.deliver(s.account, toKey, text)
  }

  // ───────────────────────────── HTTP-side helpers ─────────────────────────────

  /** Waits until `ready()`, `ms` passes, or the server stops (a long poll). */
  hold(waiters: Set<() => void>, ms: number, ready: () => boolean): Promise<void> {
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

  /** Leaves `res` unanswered until the server stops (or its socket goes). */
  hang(res: http.ServerResponse): void {
    this.hung.add(res)
    res.on('close', () => this.hung.delete(res))
  }

  /** synccheck's answer, quoted or numeric as configured. */
  syncRet(res: http.ServerResponse, retcode: number, selector: number): void {
    const r = this.opts.numericSyncRetcode ? `retcode:${retcode},selector:${selector}` : `retcode:"${retcode}",selector:"${selector}"`
    sendJs(res, `window.synccheck={${r}}`)
  }

  /**
   * Answers `fault` the generic way: `ret` as `retAnswer(ret, errMsg)` (JSON) or through
   * `retOther`; http, reset and hang as such. Not for delivered-error nor hang with deliver,
   * which the send handler does itself.
   */
  answerFault(res: http.ServerResponse, f: Fault, retAnswer: (ret: number, errMsg: string) => unknown): void {
    switch (f.kind) {
      case 'ret': return sendJson(res, retAnswer(f.ret, f.errMsg ?? ''))
      case 'http':
        res.writeHead(f.status, { 'content-type': 'text/plain' })
        res.end()
        return
      case 'reset':
        res.socket?.destroy()
        res.destroy()
        return
      case 'hang': return this.hang(res)
      case 'delivered-error': return sendJson(res, retAnswer(f.ret, ''))
    }
  }
}
