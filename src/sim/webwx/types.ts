/**
 * Types of the simulated web-WeChat server: its options and reports (public, re-exported by
 * server.ts) and the session state its endpoint modules share.
 */
import type http from 'node:http'

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

export type ResolvedOptions = Required<Omit<WebWxServerOptions, 'port' | 'log'>>

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

export type SessionEnd = 'logout' | 'kicked' | 'replaced'

export interface QueuedEvent { seq: number; msg?: Record<string, unknown>; contact?: Record<string, unknown> }

export interface Session {
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

export interface LoginAttempt {
  uuid: string
  createdAt: number
  state: 'waiting' | 'confirmed' | 'redirected' | 'done'
  account?: string
  reportedScan: boolean
  ticket?: string
  waiters: Set<() => void>
}

export interface AccountState {
  current?: Session
  generation: number
  tooFrequent: number
  failSyncs: number
  hangNext?: { deliver: boolean }
}

/** A request as the endpoint modules see it. */
export interface Call {
  req: http.IncomingMessage
  res: http.ServerResponse
  q: URLSearchParams
  body: any
}

export const FILEHELPER = 'filehelper'
export const CGI = '/cgi-bin/mmwebwx-bin'
