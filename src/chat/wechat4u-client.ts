/**
 * The parts of wechat4u's client object (node_modules/wechat4u/lib) that the adjustments in
 * wechat4u.ts, wechat4u-session.ts and wechat4u-contacts.ts use, and what they share.
 */
import type { Logger } from '../infra/log.ts'
import type { ClientEvent } from './client-events.ts'

export interface RawContact {
  UserName: string
  NickName?: string
  RemarkName?: string
  DisplayName?: string
  MemberCount?: number
  MemberList?: RawContact[]
  EncryChatRoomId?: string
}

export interface RawMessage { MsgType: number; FromUserName: string; Content: string }

export interface Wechat4uClient {
  state: string
  CONF: { STATE: { login: string; logout: string } }
  PROP: { uin?: string | number; sid?: string; formatedSyncKey?: string }
  botData: unknown
  contacts: Record<string, RawContact>
  user?: { UserName?: string }
  rediUri?: string
  lastSyncTime: number
  syncErrorCount: number
  checkPollingId?: NodeJS.Timeout
  retryPollingId?: NodeJS.Timeout
  syncPollingId: number
  request(options: { url?: string }): Promise<{ data?: unknown }>
  getContact(seq?: number): Promise<{ MemberList?: RawContact[]; Seq?: number }>
  batchGetContact(list: { UserName: string; EncryChatRoomId?: string }[]): Promise<RawContact[]>
  updateContacts(contacts: RawContact[] | undefined): void
  sendMsg(msg: unknown, to: string): Promise<unknown>
  syncPolling(id?: number): void
  _getContact(seq?: number): Promise<RawContact[]>
  _login(): Promise<unknown>
  _init(): Promise<unknown>
  start(): Promise<unknown>
  restart(): Promise<unknown>
  logout(): Promise<unknown>
  stop(): void
  on(event: string, listener: (...args: never[]) => void): void
  emit(event: string, ...args: unknown[]): boolean
  removeAllListeners(): void
}

/** Waits and limits of the adjusted client (tests shorten them). */
export interface ClientTiming {
  /** First wait before trying a failed session resume again; doubles up to `retryMaxMs`. */
  retryBaseMs: number
  retryMaxMs: number
  /** First wait before loading a failed contact list again; doubles up to `contactsRetryMaxMs`. */
  contactsRetryBaseMs: number
  contactsRetryMaxMs: number
  /** No successful sync for this long while logged in: the sync has stalled. */
  syncStallMs: number
  /** How often the sync watchdog looks. */
  watchdogEveryMs: number
  /** Group member lists fetched per webwxbatchgetcontact. */
  memberBatch: number
}

export const DEFAULT_TIMING: ClientTiming = {
  retryBaseMs: 5_000,
  retryMaxMs: 10 * 60_000,
  contactsRetryBaseMs: 2_000,
  contactsRetryMaxMs: 60_000,
  syncStallMs: 60_000,
  watchdogEveryMs: 5_000,
  memberBatch: 50,
}

/** What one client's adjustments share: the client, whether it is still the puppet's, the way out. */
export interface ClientContext {
  readonly client: Wechat4uClient
  readonly log: Logger
  readonly timing: ClientTiming
  /** False once the puppet stopped or replaced this client: its timers and loops end. */
  current(): boolean
  emit(e: ClientEvent): void
}

/** A wait that ends early (false) when the client is no longer current. */
export async function pause(ctx: ClientContext, ms: number): Promise<boolean> {
  const step = Math.min(ms, 250)
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (!ctx.current()) return false
    await new Promise(r => setTimeout(r, Math.min(step, until - Date.now())).unref?.())
  }
  return ctx.current()
}

/** Ends the client's polling loops (a sync poll in flight ends without polling again). */
export function stopPolling(client: Wechat4uClient): void {
  clearTimeout(client.checkPollingId)
  clearTimeout(client.retryPollingId)
  client.syncPollingId++
}
