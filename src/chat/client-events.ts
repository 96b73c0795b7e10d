/**
 * What the real client (wechat4u, adjusted in wechat4u.ts) tells the account's runtime beyond
 * Wechaty's own events: the session's troubles and recoveries, the contact list's loads, and the
 * groups' system messages (removed, renamed, joined). Pure parsing lives here too.
 */

/** A group's system message (MsgType 10000), as web WeChat words it. */
export type GroupEvent =
  | { kind: 'removed'; roomId: string; by: string }
  | { kind: 'renamed'; roomId: string; by: string; topic: string }
  | { kind: 'joined'; roomId: string; by: string; member: string }
  | { kind: 'member-removed'; roomId: string; by: string; member: string }
  | { kind: 'member-left'; roomId: string; member: string }

export type ClientEvent =
  /** WeChat refuses this account web login (ret 1203 …): the server's own words. */
  | { kind: 'barred'; why: string }
  /** The session could not be resumed (1205, 5xx, network): kept, tried again after `retryInMs`. */
  | { kind: 'session-retry'; why: string; attempt: number; retryInMs: number }
  /** The session works again after a retry or a stall. */
  | { kind: 'session-ok'; after: number }
  /** No successful sync for `stalledMs` while logged in: polling is being restarted. */
  | { kind: 'sync-stalled'; stalledMs: number }
  /** Loading the contact list failed; tried again after `retryInMs`. */
  | { kind: 'contacts-failed'; why: string; attempt: number; retryInMs: number }
  /** The contact list loaded (at login, after a resume, or after failures). */
  | { kind: 'contacts-loaded'; rooms: number; contacts: number }
  /** Group member lists were fetched again (after a partial or empty record, a join, a removal). */
  | { kind: 'members-refreshed'; rooms: string[] }
  /** A send was answered "logged out" (1100/1101/1102) although sync looked healthy. */
  | { kind: 'logged-out-by-send'; ret: number }
  | { kind: 'group'; event: GroupEvent }

export type ClientListener = (e: ClientEvent) => void

/** WeChat's "this session has ended" answers. */
export const LOGGED_OUT_RETS = new Set([1100, 1101, 1102])

/**
 * A group system message's meaning, from its text (the real service's wording, both quote
 * styles); undefined for one Cascade does not act on.
 */
export function parseGroupSystemText(roomId: string, text: string): GroupEvent | undefined {
  const t = text.trim()
  const q = '["“”]'
  let m = new RegExp(`^你被${q}(.+?)${q}移出群聊`).exec(t)
  if (m) return { kind: 'removed', roomId, by: m[1] }
  m = new RegExp(`^${q}?(.+?)${q}?修改群名为${q}(.*)${q}$`).exec(t)
  if (m) return { kind: 'renamed', roomId, by: m[1], topic: m[2] }
  m = new RegExp(`^${q}(.+?)${q}邀请${q}(.+?)${q}加入了群聊`).exec(t)
  if (m) return { kind: 'joined', roomId, by: m[1], member: m[2] }
  m = new RegExp(`^${q}(.+?)${q}通过扫描${q}?(.+?)${q}?分享的二维码加入群聊`).exec(t)
  if (m) return { kind: 'joined', roomId, by: m[2], member: m[1] }
  m = new RegExp(`^${q}(.+?)${q}将${q}(.+?)${q}移出了群聊`).exec(t)
  if (m) return { kind: 'member-removed', roomId, by: m[1], member: m[2] }
  return undefined
}

/** The answer code in a wechat4u request failure (BaseResponse.Ret), if WeChat answered one. */
export function retOf(err: unknown): number | undefined {
  const e = err as { response?: { data?: { BaseResponse?: { Ret?: unknown } } } }
  const ret = e?.response?.data?.BaseResponse?.Ret
  return ret === undefined || ret === null || ret === '' ? undefined : Number(ret)
}

/** The HTTP status of a failed request, when the server answered one. */
export function httpStatusOf(err: unknown): number | undefined {
  const s = (err as { response?: { status?: unknown } })?.response?.status
  return typeof s === 'number' ? s : undefined
}

/** A failure in a few words for logs and /status: the answer code, the HTTP status or the network error. */
export function describeFailure(err: unknown): string {
  const ret = retOf(err)
  if (ret !== undefined) return ret === 1205 ? 'WeChat answered 1205 (操作太频繁)' : `WeChat answered ${ret}`
  const status = httpStatusOf(err)
  if (status !== undefined && status !== 200) return `HTTP ${status}`
  const e = err as { code?: string; message?: string }
  return (e?.code ? `${e.code}: ` : '') + String(e?.message ?? err).slice(0, 160)
}

/** 1, 2, 4 … times `baseMs`, at most `maxMs`, with ±20 % jitter so accounts do not retry in step. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(raw * (0.8 + 0.4 * random()))
}
