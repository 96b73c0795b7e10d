/**
 * An account whose process cannot reach WeChat (DNS, proxy, firewall, WeChat down): the client
 * library fails and retries many times a minute, and Wechaty emits each failure as an `error`.
 * Here that becomes one clear line when it starts, one line a minute while it lasts (how many
 * failures, the latest reason) and one when WeChat answers again — no stack traces — and the
 * account's health record says so, for /status (`state: cannot reach WeChat`, since, why).
 * Other client errors are logged too, each distinct message at most once a minute.
 */
import type { BotHealth } from '../infra/bot-health.ts'
import type { Logger } from '../infra/log.ts'

/** One line a minute at most while it lasts. */
export const REPORT_EVERY_MS = 60_000

/** Failures of the network, not of WeChat's answer: the account cannot reach WeChat. */
const NETWORK = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNABORTED|EPIPE)\b|socket hang up|Network Error|timeout of \d+ms exceeded/i

export function isNetworkFailure(err: unknown): boolean {
  return NETWORK.test(messageOf(err))
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : typeof err === 'object' && err !== null && 'message' in err ? String((err as { message: unknown }).message) : String(err)
}

export class WechatReach {
  /** Since when WeChat has not been reachable, the failures since the last line, the latest reason. */
  private down?: { since: number; failures: number; lastLine: number; why: string }
  private readonly otherErrors = new Map<string, { lastLine: number; repeats: number }>()

  constructor(private readonly d: { bot: string; log: Logger; health: BotHealth; now?: () => number }) {}

  private now(): number { return this.d.now?.() ?? Date.now() }

  /** A Wechaty `error`. */
  onError(err: unknown): void {
    const now = this.now()
    const why = messageOf(err).slice(0, 200)
    if (!isNetworkFailure(err)) return this.otherError(err, why, now)
    if (!this.down) {
      this.down = { since: now, failures: 1, lastLine: now, why }
      this.d.log.warn('wechat.unreachable', { reason: why, hint: 'this process cannot reach WeChat (DNS, proxy, firewall or WeChat down); it keeps retrying and says so once a minute' })
      void this.d.health.recordUnreachable(this.d.bot, now, now, why).catch(() => undefined)
      return
    }
    this.down.failures++
    this.down.why = why
    if (now - this.down.lastLine < REPORT_EVERY_MS) return
    this.d.log.warn('wechat.still-unreachable', { since: new Date(this.down.since).toISOString(), minutes: Math.round((now - this.down.since) / 60_000), failures: this.down.failures, reason: why })
    this.down.lastLine = now
    this.down.failures = 0
    void this.d.health.recordUnreachable(this.d.bot, this.down.since, now, why).catch(() => undefined)
  }

  /** WeChat answered (a QR code, a login): reachable again. */
  onReached(): void {
    if (!this.down) return
    const { since } = this.down
    this.down = undefined
    this.d.log.info('wechat.reachable', { after: `${Math.round((this.now() - since) / 1000)} s` })
    void this.d.health.clearUnreachable(this.d.bot).catch(() => undefined)
  }

  private otherError(err: unknown, why: string, now: number): void {
    const seen = this.otherErrors.get(why)
    if (seen && now - seen.lastLine < REPORT_EVERY_MS) {
      seen.repeats++
      return
    }
    // The first time with its stack; a repeat a minute later as one line with its count.
    this.d.log.error('wechaty.error', seen ? { reason: why, repeats: seen.repeats } : { err })
    this.otherErrors.set(why, { lastLine: now, repeats: 0 })
  }
}
