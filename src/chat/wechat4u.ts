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
 * - **WeChat's faults are waited out, not turned into logouts** (wechat4u-session.ts: resume with
 *   back-off, sync watchdog, barred accounts said once; wechat4u-contacts.ts: the contact list
 *   and member lists loaded until they come), and groups' system messages (removed, renamed,
 *   joined) are told to the runtime. All of it reaches the runtime as `ClientEvent`s.
 */
import type { Puppet } from 'wechaty-puppet'
import type { Logger } from '../infra/log.ts'
import { parseGroupSystemText, type ClientEvent, type ClientListener } from './client-events.ts'
import { decodeWebText } from './echo.ts'
import { DEFAULT_TIMING, type ClientContext, type ClientTiming, type RawContact, type RawMessage, type Wechat4uClient } from './wechat4u-client.ts'
import { ContactLoader } from './wechat4u-contacts.ts'
import { SessionKeeper } from './wechat4u-session.ts'

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
  /** Whether the current session's contact list has loaded (else a group not found may just not be there yet). */
  contactListLoaded(): boolean
  /** Listens to the client's troubles, recoveries and groups' system messages; returns the way to stop. */
  onClientEvent(listener: ClientListener): () => void
  /** Fetches a group's member list again. */
  refreshMembers(roomId: string): void
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
  /** Waits and limits of the client's recovery (tests shorten them). */
  timing?: Partial<ClientTiming>
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
  const timing: ClientTiming = { ...DEFAULT_TIMING, ...opts.timing }
  const listeners = new Set<ClientListener>()
  const emit = (e: ClientEvent): void => {
    for (const l of listeners) {
      try { l(e) } catch (err) { log.warn('wechat4u.listener-failed', { err }) }
    }
  }
  let session: SessionKeeper | undefined
  let contacts: ContactLoader | undefined

  // Messages older than the process are dropped by the puppet (`CreateTime < startTime`); the
  // floor becomes the time this account was last seen at work, so nothing sent during a restart
  // is lost. A fresh account (nothing recorded) keeps the puppet's own start time. The puppet moves
  // its start to "now" at every login event, resumes included: a villager's 收到 said while the
  // network was down would then be dropped when it arrives after the resume. Only the first counts.
  let ownStart = 0
  Object.defineProperty(p, 'startTime', {
    configurable: true,
    get: () => {
      const since = opts.messagesSince?.()
      return since ? Math.min(ownStart, Math.floor(since / 1000)) : ownStart
    },
    set: (v: number) => { if (!ownStart) ownStart = v },
  })

  const monkeyPatch = p.monkeyPatch.bind(p)
  p.monkeyPatch = (client: Wechat4uClient) => {
    monkeyPatch(client)
    session?.dispose()
    const ctx: ClientContext = { client, log, timing, current: () => p.wechat4u === client, emit }
    session = new SessionKeeper(ctx)
    session.install()
    contacts = new ContactLoader(ctx)
    contacts.install()
    // A fresh login (QR scan) is a new session with new ids for everyone. wechat4u keeps the
    // previous login's contacts in its map (they would pass for present) and its formatted sync
    // key (webwxinit sets it only when empty): with the old key the new session's synccheck may
    // report nothing new, ever.
    const start = client.start
    client.start = () => {
      client.contacts = {}
      client.PROP.formatedSyncKey = ''
      p.unknownContactId.length = 0 // ids of the old session: fetching them would take minutes, for nothing
      fetching.clear()
      return start()
    }
    // Groups' system messages: removed, renamed, someone joined or was removed.
    const loader = contacts
    client.on('message', (msg: RawMessage) => {
      if (Number(msg?.MsgType) !== 10000 || !msg.FromUserName?.startsWith('@@')) return
      const event = parseGroupSystemText(msg.FromUserName, decodeWebText(String(msg.Content ?? '')))
      if (!event) return
      if (event.kind !== 'removed') loader.refresh(event.roomId)
      emit({ kind: 'group', event })
    })
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
    session?.dispose()
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
  adjusted.contactsLoaded = (timeoutMs: number) => contacts ? contacts.loaded(timeoutMs) : Promise.resolve(false)
  adjusted.contactListLoaded = () => contacts?.isLoaded ?? false
  adjusted.onClientEvent = (listener: ClientListener) => {
    listeners.add(listener)
    return () => { listeners.delete(listener) }
  }
  adjusted.refreshMembers = (roomId: string) => contacts?.refresh(roomId)
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
