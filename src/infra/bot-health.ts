/**
 * What ops need to know about each bot account, kept in Redis by the account's own process
 * (`cascade run`) and read by `cascade serve` (`/status`, `/api/bots/:id/qrcode`, `/metrics`):
 * last send, last login / logout, what was not found at login, the latest login QR code and
 * the "too frequent" back-off. One hash per account: `{ns}:ops:bot:<id>`.
 *
 * Whether an account is logged in right now is its heartbeat (`alive:<bot>`, with a TTL), not
 * this hash: a killed process stops beating, it cannot write "logged out".
 */
import type { Store } from '../store/store.ts'

/** A login QR code is worth showing for this long (WeChat's expire after a few minutes). */
export const QR_TTL_MS = 5 * 60_000

export interface BotHealthRecord {
  /** Epoch ms of the last successful send (any target). */
  lastSendAt?: number
  loginAt?: number
  logoutAt?: number
  logoutReason?: string
  /** When its process stopped it (cascade shutdown, SIGTERM): not WeChat's doing. */
  stoppedAt?: number
  /** The process cannot reach WeChat: since when, last seen failing, why (src/chat/wechat-reach.ts). */
  unreachable?: { since: number; at: number; why: string }
  /** Configured group topics not found at the last login. */
  missingGroups: string[]
  /** Person ids bound to this account whose contact was not found at the last login. */
  missingPeople: string[]
  /** The outbox waits until then after WeChat said "too frequent". */
  backoffUntil?: number
  /** "Too frequent" answers in a row (reset by a successful send). */
  strikes: number
  /** Last time the account was seen at work (messages since then are not dropped at a restart). */
  seenAt?: number
  /** Times the client re-initialised its session by itself, and the last time. */
  relogins: number
  reloginAt?: number
  /** The last failure the process survived, and when. */
  fault?: { at: number; what: string }
  /** The latest login QR payload, while it is fresh. */
  qr?: { payload: string; status: number; at: number }
  /** WeChat refused this account web login (ret 1203 …), in the server's words. */
  barred?: { at: number; why: string }
  /** The session is kept but not working: being resumed after a failure, or its sync stalled. */
  trouble?: { state: 'reconnecting' | 'sync stalled'; since: number; why: string; nextAt?: number }
  /** The contact list has not loaded (since, why, attempts so far). */
  contacts?: { since: number; why: string; attempts: number }
}

export class BotHealth {
  constructor(private readonly store: Store) {}

  key(bot: string): string { return `${this.store.keys.base}ops:bot:${bot}` }

  private async set(bot: string, fields: Record<string, string | number>): Promise<void> {
    await this.store.redis.hset(this.key(bot), fields)
  }

  async recordSend(bot: string, at: number): Promise<void> { await this.set(bot, { lastSendAt: at }) }

  async recordLogin(bot: string, at: number, missing: { groups: string[]; people: string[] }): Promise<void> {
    await this.store.redis.multi()
      .hset(this.key(bot), { loginAt: at, missingGroups: JSON.stringify(missing.groups), missingPeople: JSON.stringify(missing.people) })
      .hdel(this.key(bot), 'qr', 'qrStatus', 'qrAt', 'barredAt', 'barredWhy')
      .exec()
  }

  /** What is still missing since the last login (a group found late, a person re-bound). */
  async recordMissing(bot: string, missing: { groups?: string[]; people?: string[] }): Promise<void> {
    const fields: Record<string, string> = {}
    if (missing.groups) fields.missingGroups = JSON.stringify(missing.groups)
    if (missing.people) fields.missingPeople = JSON.stringify(missing.people)
    if (Object.keys(fields).length) await this.set(bot, fields)
  }

  /** The client re-initialised its session by itself (a resume, not a new login). */
  async recordRelogin(bot: string, at: number): Promise<void> {
    await this.store.redis.hincrby(this.key(bot), 'relogins', 1)
    await this.set(bot, { reloginAt: at })
  }

  /** A failure the process survived (an unhandled rejection in the client library, …). */
  async recordFault(bot: string, at: number, what: string): Promise<void> {
    await this.set(bot, { faultAt: at, fault: what.slice(0, 300) })
  }

  /** The account was at work at this time (each heartbeat, and at a stop). */
  async recordSeen(bot: string, at: number): Promise<void> { await this.set(bot, { seenAt: at }) }

  async recordLogout(bot: string, at: number, reason: string): Promise<void> {
    await this.set(bot, { logoutAt: at, logoutReason: reason })
  }

  /** The process cannot reach WeChat (since, last failure, its reason). */
  async recordUnreachable(bot: string, since: number, at: number, why: string): Promise<void> {
    await this.set(bot, { unreachableSince: since, unreachableAt: at, unreachableWhy: why })
  }

  async clearUnreachable(bot: string): Promise<void> {
    await this.store.redis.hdel(this.key(bot), 'unreachableSince', 'unreachableAt', 'unreachableWhy')
  }

  /** The account's process stopped it on purpose. */
  async recordStop(bot: string, at: number): Promise<void> { await this.set(bot, { stoppedAt: at }) }

  /** WeChat refuses this account web login: no QR loop until an operator acts. */
  async recordBarred(bot: string, at: number, why: string): Promise<void> {
    await this.store.redis.multi().hset(this.key(bot), { barredAt: at, barredWhy: why.slice(0, 300) }).hdel(this.key(bot), 'qr', 'qrStatus', 'qrAt').exec()
  }

  /** The session is being resumed after a failure, or its sync stalled (kept since the first). */
  async recordTrouble(bot: string, state: 'reconnecting' | 'sync stalled', at: number, why: string, nextAt?: number): Promise<void> {
    await this.store.redis.hsetnx(this.key(bot), 'troubleSince', at)
    await this.set(bot, { troubleState: state, troubleWhy: why.slice(0, 300), troubleNextAt: nextAt ?? 0 })
  }

  async clearTrouble(bot: string): Promise<void> {
    await this.store.redis.hdel(this.key(bot), 'troubleSince', 'troubleState', 'troubleWhy', 'troubleNextAt')
  }

  /** Loading the contact list failed (kept since the first failure). */
  async recordContactsFailing(bot: string, at: number, why: string, attempts: number): Promise<void> {
    await this.store.redis.hsetnx(this.key(bot), 'contactsSince', at)
    await this.set(bot, { contactsWhy: why.slice(0, 300), contactsAttempts: attempts })
  }

  async clearContactsFailing(bot: string): Promise<void> {
    await this.store.redis.hdel(this.key(bot), 'contactsSince', 'contactsWhy', 'contactsAttempts')
  }

  async recordQr(bot: string, payload: string, status: number, at: number): Promise<void> {
    await this.set(bot, { qr: payload, qrStatus: status, qrAt: at })
  }

  /** Records the "too frequent" answers in a row so far and the pause they started. */
  async recordBackoff(bot: string, strikes: number, until: number): Promise<void> {
    await this.set(bot, { strikes, backoffUntil: until })
  }

  async clearStrikes(bot: string): Promise<void> { await this.set(bot, { strikes: 0 }) }

  /** The record of one account; `now` decides whether a stored QR code is still fresh. */
  async read(bot: string, now = Date.now()): Promise<BotHealthRecord> {
    const h = await this.store.redis.hgetall(this.key(bot))
    const num = (k: string) => h[k] === undefined ? undefined : Number(h[k])
    const list = (k: string): string[] => { try { return h[k] ? JSON.parse(h[k]) as string[] : [] } catch { return [] } }
    const qrAt = num('qrAt')
    return {
      lastSendAt: num('lastSendAt'), loginAt: num('loginAt'), logoutAt: num('logoutAt'), logoutReason: h.logoutReason, stoppedAt: num('stoppedAt'),
      missingGroups: list('missingGroups'), missingPeople: list('missingPeople'),
      backoffUntil: num('backoffUntil'), strikes: num('strikes') ?? 0,
      seenAt: num('seenAt'), relogins: num('relogins') ?? 0, reloginAt: num('reloginAt'),
      fault: h.fault ? { at: num('faultAt') ?? 0, what: h.fault } : undefined,
      unreachable: h.unreachableSince ? { since: num('unreachableSince')!, at: num('unreachableAt') ?? num('unreachableSince')!, why: h.unreachableWhy ?? '' } : undefined,
      // A QR code shown before WeChat refused the login is no longer worth scanning (its write may land after the refusal's).
      qr: h.qr && qrAt !== undefined && now - qrAt < QR_TTL_MS && !(num('barredAt')! >= qrAt) ? { payload: h.qr, status: num('qrStatus') ?? 0, at: qrAt } : undefined,
      barred: h.barredAt ? { at: num('barredAt')!, why: h.barredWhy ?? '' } : undefined,
      trouble: h.troubleState ? { state: h.troubleState === 'sync stalled' ? 'sync stalled' : 'reconnecting', since: num('troubleSince') ?? 0, why: h.troubleWhy ?? '', nextAt: num('troubleNextAt') || undefined } : undefined,
      contacts: h.contactsSince ? { since: num('contactsSince')!, why: h.contactsWhy ?? '', attempts: num('contactsAttempts') ?? 0 } : undefined,
    }
  }
}

/** What an account is doing, in one word, since when, and why (in ops' words, never a raw error). */
export interface AccountState {
  state: 'logged in' | 'reconnecting' | 'sync stalled' | 'loading contacts' | 'waiting for a QR scan' | 'barred from web WeChat'
    | 'cannot reach WeChat' | 'stopped' | 'logged out' | 'not responding' | 'not started'
  since: number | undefined
  why: string | null
}

/**
 * The account's state from its record and heartbeat: the latest of login, logout and stop wins;
 * logged in before without a stop or logout and no heartbeat now is a process gone silent.
 */
export function accountState(r: BotHealthRecord, alive: boolean): AccountState {
  const latestEvent = Math.max(r.loginAt ?? -1, r.logoutAt ?? -1, r.stoppedAt ?? -1)
  if (r.barred && r.barred.at >= latestEvent) {
    return { state: 'barred from web WeChat', since: r.barred.at, why: `WeChat refuses this account web login (${r.barred.why}). Log in once on the phone or the PC client (or use another account), then restart this account's process: no QR code is shown until then` }
  }
  if (alive) {
    const t = r.trouble
    if (t?.state === 'reconnecting') return { state: 'reconnecting', since: t.since, why: `the session is kept and resumed again${t.nextAt ? ` at ${new Date(t.nextAt).toISOString()}` : ''} (${t.why}); no QR scan is needed` }
    if (t) return { state: 'sync stalled', since: t.since, why: `no message fetched since then (${t.why}); the polling is being restarted` }
    if (r.contacts) return { state: 'loading contacts', since: r.contacts.since, why: `the contact list has not loaded (${r.contacts.why}, ${r.contacts.attempts} tries); it is loaded again until it comes, groups are resolved then` }
    return { state: 'logged in', since: r.loginAt, why: null }
  }
  // Failing to reach WeChat after its last login, logout or stop: that is what it is doing now.
  const u = r.unreachable
  if (u && u.at >= Math.max(r.loginAt ?? -1, r.logoutAt ?? -1, r.stoppedAt ?? -1)) {
    return { state: 'cannot reach WeChat', since: u.since, why: `cannot reach WeChat (${u.why}): check this process's network, DNS or proxy; it keeps retrying` }
  }
  if (r.qr) return { state: 'waiting for a QR scan', since: r.qr.at, why: 'scan the QR code (/api/bots/<id>/qrcode) with the account\'s phone' }
  const latest = Math.max(r.loginAt ?? -1, r.logoutAt ?? -1, r.stoppedAt ?? -1)
  if (latest < 0) return { state: 'not started', since: undefined, why: 'no process has run this account yet (cascade run bots/<id>.yaml)' }
  if (r.stoppedAt === latest) return { state: 'stopped', since: r.stoppedAt, why: 'its process was stopped (cascade shutdown, SIGTERM or docker stop); start it again with cascade run' }
  if (r.logoutAt === latest) return { state: 'logged out', since: r.logoutAt, why: 'WeChat ended the session; log in again by scanning the QR code' }
  return { state: 'not responding', since: r.seenAt ?? r.loginAt, why: 'its heartbeat stopped without a stop or logout: the process died or lost Redis' }
}
