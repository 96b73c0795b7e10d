/**
 * The production puppet, wechaty-puppet-wechat4u, made fit to keep an account logged in.
 *
 * The puppet and its client library (wechat4u) run unmodified; this module adjusts one puppet
 * instance where they would hurt an account in production (docs/ARCHITECTURE.md, "The real
 * WeChat client"):
 * - **A stop keeps the session.** The puppet's stop calls wechat4u's `stop()`, which logs the
 *   account out on WeChat's side (webwxlogout) and then restarts a QR login on an object already
 *   gone. Here a stop saves the session (cookies, sync key) to the memory card and just ends the
 *   polling: the next start resumes it without a scan, with the same contact ids.
 * - **The client's own re-login is not fatal.** After failing syncs wechat4u re-initialises and
 *   emits `login` again; the puppet's `login()` then throws "must logout first". Here a second
 *   login of the same user is a resume (counted, reported to `onRelogin`).
 * - **Messages sent while the process was down are kept.** The puppet drops every message older
 *   than its own start; here the floor is the time the account was last seen working
 *   (`messagesSince`), so a curator's answer sent during a restart still arrives.
 * - **The contact list is known when it has loaded.** `login` fires before wechat4u has fetched
 *   the saved contacts and groups; `contactsLoaded()` resolves once it has.
 * - **Lookups read the loaded list once** (`directory()`), instead of per-id puppet calls that
 *   retry for ~51 s when an id is stale.
 */
import type { Puppet } from 'wechaty-puppet'
import type { Logger } from '../infra/log.ts'
import { decodeWebText } from './echo.ts'

/** The memory-card slot where wechaty-puppet-wechat4u keeps the login session. */
const SESSION_SLOT = 'PUPPET-WECHAT4U'

/** A member of a group as the loaded contact list has it. */
export interface DirectoryMember { id: string; name: string; groupAlias?: string }
export interface DirectoryRoom { id: string; topic: string; members: DirectoryMember[] }
export interface DirectoryContact { id: string; name: string; remark?: string }

/** The account's contacts and groups as loaded by the client (one pass, no network). */
export interface Directory {
  rooms: DirectoryRoom[]
  contacts: Map<string, DirectoryContact>
}

/** What a puppet adjusted here offers beyond the Wechaty puppet interface. */
export interface LoadedContacts {
  /** Resolves true once the contact list of the current login has loaded, false after `timeoutMs`. */
  contactsLoaded(timeoutMs: number): Promise<boolean>
  /** The account's groups and contacts as loaded now. */
  directory(): Directory
  /** One group as loaded now. */
  room(id: string): DirectoryRoom | undefined
  /** Whether a contact id is among the loaded contacts (a stale id is not: no lookup, no wait). */
  knows(id: string): boolean
}

export function hasLoadedContacts(puppet: unknown): puppet is LoadedContacts {
  return typeof (puppet as Partial<LoadedContacts>).contactsLoaded === 'function'
}

export interface Wechat4uOptions {
  log: Logger
  /** Epoch ms: messages created at or after this are delivered even if older than the process. */
  messagesSince?: () => number | undefined
  /** The client logged in again by itself (after failing syncs) and the session resumed. */
  onRelogin?: () => void
}

/** The parts of wechat4u's client object this module uses. */
interface Wechat4uClient {
  state: string
  CONF: { STATE: { login: string; logout: string } }
  PROP: { uin?: string | number; formatedSyncKey?: string }
  botData: unknown
  contacts: Record<string, RawContact>
  user?: { UserName?: string }
  checkPollingId?: NodeJS.Timeout
  retryPollingId?: NodeJS.Timeout
  syncPollingId: number
  _getContact(seq?: number): Promise<unknown>
  start(): Promise<unknown>
  restart(): Promise<unknown>
  logout(): Promise<unknown>
  stop(): void
  on(event: string, listener: (...args: unknown[]) => void): void
  removeAllListeners(): void
}

interface RawContact {
  UserName: string
  NickName?: string
  RemarkName?: string
  DisplayName?: string
  MemberList?: RawContact[]
}

/** The parts of the puppet object this module adjusts (private in its typings). */
interface PuppetInternals {
  wechat4u?: Wechat4uClient
  startTime: number
  getContactInterval?: NodeJS.Timeout
  unknownContactId: [string, string][]
  contactRawPayload(id: string): Promise<unknown>
  _heartBeatTimer?: NodeJS.Timeout
  isLoggedIn: boolean
  currentUserId: string
  memory: { set(k: string, v: unknown): Promise<void>; save(): Promise<void> }
  monkeyPatch(client: Wechat4uClient): void
  login(userId: string): void
  onStop(): Promise<void>
}

/**
 * Imports wechaty-puppet-wechat4u (only when an account uses it: importing wechat4u installs a
 * process-wide handler that swallows every crash, taken away again here) and returns an adjusted
 * puppet.
 */
export async function createWechat4uPuppet(opts: Wechat4uOptions): Promise<Puppet & LoadedContacts> {
  const before = new Set(process.listeners('uncaughtException'))
  const { PuppetWechat4u } = await import('wechaty-puppet-wechat4u')
  for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.off('uncaughtException', l)
  const puppet = new PuppetWechat4u() as unknown as Puppet
  return adjust(puppet, opts)
}

function adjust(puppet: Puppet, opts: Wechat4uOptions): Puppet & LoadedContacts {
  const p = puppet as unknown as PuppetInternals
  const { log } = opts
  let loaded: { done: boolean; promise: Promise<void> } | undefined
  let waiters: (() => void)[] = []

  // Messages older than the process are dropped by the puppet (`CreateTime < startTime`); the
  // floor becomes the time this account was last seen at work, so nothing sent during a restart
  // is lost. A fresh account (nothing recorded) keeps the puppet's own start time.
  let ownStart = 0
  Object.defineProperty(p, 'startTime', {
    configurable: true,
    get: () => {
      const since = opts.messagesSince?.()
      return since ? Math.min(ownStart, Math.floor(since / 1000)) : ownStart
    },
    set: (v: number) => { ownStart = v },
  })

  // The contact list: wechat4u fetches it (webwxgetcontact, paged) after emitting `login`.
  const monkeyPatch = p.monkeyPatch.bind(p)
  p.monkeyPatch = (client: Wechat4uClient) => {
    monkeyPatch(client)
    // A fresh login (QR scan) is a new session with new ids for everyone. wechat4u keeps the
    // previous login's contacts in its map (they would pass for present) and its formatted sync
    // key (webwxinit sets it only when empty): with the old key the new session's synccheck may
    // report nothing new, ever.
    const start = client.start.bind(client)
    client.start = () => {
      client.contacts = {}
      client.PROP.formatedSyncKey = ''
      p.unknownContactId.length = 0 // ids of the old session: fetching them would take minutes, for nothing
      fetching.clear()
      return start()
    }
    const getContact = client._getContact.bind(client)
    client._getContact = (seq = 0) => {
      const result = getContact(seq)
      if (seq === 0) {
        const entry = { done: false, promise: Promise.resolve() }
        // wechat4u adds the contacts in its own continuation of this promise: wait one turn more.
        entry.promise = result.then(() => new Promise<void>(r => setImmediate(r)), () => undefined).then(() => {
          entry.done = true
          for (const w of waiters.splice(0)) w()
        })
        loaded = entry
      }
      return result
    }
  }

  // The puppet queues every member of every group for a detail fetch (40 every 2 s, each group
  // twice: ~10 minutes at 500 groups of 10, hours at real sizes). Members already come with
  // their names in the group's member list, which is all Cascade reads; only contacts looked up
  // and not known at all (room '') are fetched, each once.
  const fetching = new Set<string>()
  const queue = p.unknownContactId
  queue.push = (...items: [string, string][]) => {
    for (const item of items) {
      if (item[1] !== '' || fetching.has(item[0])) continue
      fetching.add(item[0])
      Array.prototype.push.call(queue, item)
    }
    return queue.length
  }
  // A contact already loaded is answered from the client's map at once (the puppet's own path
  // counts every loaded contact on each call: 27 ms at 71,000 contacts).
  const contactRawPayload = p.contactRawPayload.bind(p)
  p.contactRawPayload = async (id: string) => p.wechat4u?.contacts[id] ?? contactRawPayload(id)

  // A second `login` of the same user is wechat4u resuming its own session: not an error.
  const login = p.login.bind(p)
  p.login = (userId: string) => {
    if (p.isLoggedIn) {
      if (p.currentUserId === userId) {
        log.warn('wechat4u.relogin', { hint: 'the client re-initialised its session by itself (failed syncs); posting goes on' })
        opts.onRelogin?.()
        return
      }
      log.warn('wechat4u.relogin-other-user', {})
    }
    try {
      login(userId)
    } catch (err) {
      log.error('wechat4u.login-refused', { err })
    }
  }

  // A stop ends the polling and keeps the session; it never logs the account out.
  p.onStop = async () => {
    const client = p.wechat4u
    p.wechat4u = undefined
    clearTimeout(p._heartBeatTimer)
    p._heartBeatTimer = undefined
    clearInterval(p.getContactInterval)
    p.getContactInterval = undefined
    if (!client) return
    const wasLoggedIn = client.state === client.CONF.STATE.login
    clearTimeout(client.checkPollingId)
    clearTimeout(client.retryPollingId)
    client.syncPollingId++ // a sync poll in flight ends without polling again
    client.state = client.CONF.STATE.logout
    // Nothing of this client may act any more: a restart it scheduled (after failing syncs), a
    // login poll in flight, or its logout event (which the puppet would answer with a new QR
    // login on an object that is gone).
    client.removeAllListeners()
    client.on('error', () => undefined) // a request still in flight may fail: nobody needs to hear it
    client.restart = client.start = client.logout = () => Promise.resolve()
    client.stop = () => undefined
    if (wasLoggedIn && client.PROP.uin) {
      try {
        await p.memory.set(SESSION_SLOT, client.botData)
        await p.memory.save()
        log.info('wechat4u.session-kept', {})
      } catch (err) {
        log.warn('wechat4u.session-save-failed', { err })
      }
    }
  }

  const adjusted = puppet as Puppet & LoadedContacts
  adjusted.contactsLoaded = async (timeoutMs: number) => {
    if (loaded?.done) return true
    let timer: NodeJS.Timeout | undefined
    const ok = await new Promise<boolean>(resolve => {
      const waiter = () => resolve(true)
      waiters.push(waiter)
      timer = setTimeout(() => { waiters = waiters.filter(w => w !== waiter); resolve(false) }, timeoutMs)
    })
    clearTimeout(timer)
    return ok
  }
  adjusted.directory = () => directoryOf(p.wechat4u?.contacts ?? {})
  adjusted.knows = (id: string) => Boolean(p.wechat4u?.contacts[id])
  adjusted.room = (id: string) => {
    const raw = p.wechat4u?.contacts[id]
    return raw && raw.UserName.startsWith('@@') ? roomOf(raw) : undefined
  }
  return adjusted
}

/** Groups and contacts from wechat4u's contact map, names decoded as the client would show them. */
export function directoryOf(raw: Record<string, RawContact>): Directory {
  const rooms: DirectoryRoom[] = []
  const contacts = new Map<string, DirectoryContact>()
  for (const c of Object.values(raw)) {
    if (!c?.UserName) continue
    if (c.UserName.startsWith('@@')) {
      rooms.push(roomOf(c))
    } else {
      contacts.set(c.UserName, { id: c.UserName, name: decodeWebText(c.NickName ?? ''), remark: c.RemarkName ? decodeWebText(c.RemarkName) : undefined })
    }
  }
  return { rooms, contacts }
}

function roomOf(c: RawContact): DirectoryRoom {
  return {
    id: c.UserName,
    topic: decodeWebText(c.NickName ?? ''),
    members: (c.MemberList ?? []).map(m => ({ id: m.UserName, name: decodeWebText(m.NickName ?? ''), groupAlias: m.DisplayName ? decodeWebText(m.DisplayName) : undefined })),
  }
}
