/**
 * Keeping one wechat4u session alive through WeChat's faults (docs/ARCHITECTURE.md, "The real
 * WeChat client"). As installed, the client ends the session on its own after a fault it could
 * have waited out: a 1205 or a 5xx on webwxinit during its restart, or a minute without network,
 * make it call `stop()` (webwxlogout: a new QR code, new ids for everyone); after a restart that
 * failed on the network it never polls again until its 5-minute check; and an account barred from
 * web login gets a new QR code after every scan, forever. Here:
 *
 * - **Only WeChat ends a session.** A resume (`restart`) that fails is tried again with back-off
 *   (5 s doubling to 10 min: hours of 1205 included) and keeps the session; only an answer that
 *   says the session is over (1100/1101/1102, or 1 on init) logs out. The same after a QR scan:
 *   a failing webwxinit is tried again, not answered with a new QR code.
 * - **A sync watchdog.** No successful sync for 60 s while logged in: said (`sync-stalled`) and the
 *   session resumed, polling restarted; messages queued meanwhile on WeChat's side are fetched then.
 * - **Barred from web login** (`<ret>1203</ret>` from webwxnewloginpage): said once with the
 *   server's words (`barred`), and no new QR code until an operator restarts the account.
 * - **A send answered "logged out"** (1100/1101/1102) while sync looks healthy: the account is
 *   logged out (the puppet's logout path: failover, ops told, a new QR code).
 */
import { describeFailure, LOGGED_OUT_RETS, retOf, retryDelay } from './client-events.ts'
import { pause, stopPolling, type ClientContext } from './wechat4u-client.ts'

/** The words of a refused web login (`<ret>1203</ret><message>…</message>`), if the page is one. */
export function loginRefusal(page: unknown): string | undefined {
  if (typeof page !== 'string') return undefined
  const ret = /<ret>\s*(\d+)\s*<\/ret>/.exec(page)?.[1]
  if (ret === undefined || ret === '0') return undefined
  const message = /<message>([\s\S]*?)<\/message>/.exec(page)?.[1]?.replace(/<!\[CDATA\[|\]\]>/g, '').trim()
  return `ret ${ret}${message ? `: ${message}` : ''}`
}

/** Whether a failed webwxinit says the session is over (rather than "not now"). */
function sessionOver(err: unknown): boolean {
  if ((err as { constructor?: { name?: string } })?.constructor?.name === 'AlreadyLogoutError') return true
  const ret = retOf(err)
  return ret !== undefined && (LOGGED_OUT_RETS.has(ret) || ret === 1)
}

export class SessionKeeper {
  private resuming?: Promise<void>
  private watchdog?: NodeJS.Timeout
  private loginPage: unknown
  /** Since when the session has been in trouble (a failed resume, a stalled sync), if it is. */
  private troubleSince?: number
  /** QR logins that failed in a row (WeChat unreachable: each starts over after a longer wait). */
  private loginFailures = 0
  /** When a resume last worked. */
  private resumedAt = 0

  constructor(private readonly ctx: ClientContext) {}

  /** Adjusts the client: start, restart, sends, and the watchdog. */
  install(): void {
    const { client } = this.ctx
    const request = client.request
    client.request = (options: { url?: string }) => {
      const answer = request(options)
      // The login page's answer is dropped by the client unless it is a redirect: keep it.
      if (options?.url && options.url === client.rediUri) answer.then(res => { this.loginPage = res?.data }, () => undefined)
      return answer
    }
    const stop = client.stop.bind(client)
    client.start = () => this.start(stop)
    client.restart = () => this.resume('resume')
    const sendMsg = client.sendMsg.bind(client)
    client.sendMsg = async (msg: unknown, to: string) => {
      try {
        return await sendMsg(msg, to)
      } catch (err) {
        const ret = retOf(err)
        if (ret !== undefined && LOGGED_OUT_RETS.has(ret) && this.ctx.current() && client.state === client.CONF.STATE.login) {
          this.ctx.log.warn('wechat4u.send-logged-out', { ret, hint: 'WeChat says this session has ended although sync looked healthy: logging out' })
          this.ctx.emit({ kind: 'logged-out-by-send', ret })
          stop()
        }
        throw err
      }
    }
    this.watchdog = setInterval(() => this.watch(), this.ctx.timing.watchdogEveryMs)
    this.watchdog.unref()
  }

  dispose(): void {
    clearInterval(this.watchdog)
  }

  /** A fresh login (QR scan), then the session's first init, tried until it works or is refused. */
  private async start(stop: () => void): Promise<void> {
    const { client, log } = this.ctx
    this.loginPage = undefined
    try {
      await client._login()
      this.loginFailures = 0
    } catch (err) {
      // As the client does: a QR login that failed starts over with a new code — after a wait that
      // grows, so that an unreachable WeChat is not asked for new codes in a tight loop.
      client.emit('error', err)
      this.loginFailures++
      if (await pause(this.ctx, retryDelay(this.loginFailures, 1000, 60_000))) stop()
      return
    }
    const refusal = loginRefusal(this.loginPage)
    if (refusal) {
      client.state = client.CONF.STATE.logout
      log.error('wechat4u.barred', { why: refusal, hint: 'WeChat refuses this account web login: log in on the phone or the PC client, ask WeChat to allow web login, then restart this account\'s process' })
      this.ctx.emit({ kind: 'barred', why: refusal })
      return
    }
    await this.resume('login')
  }

  /**
   * webwxinit until it works (the session resumes, polling starts, `login` is emitted) or WeChat
   * says the session is over (then `logout`, as the client would). One at a time.
   */
  resume(why: 'resume' | 'login' | 'stalled'): Promise<void> {
    // The client's own restart, timed before a resume that has since worked, has nothing to do.
    if (!this.resuming && why === 'resume' && Date.now() - this.resumedAt < 10_000 && this.ctx.client.state === this.ctx.client.CONF.STATE.login) return Promise.resolve()
    this.resuming ??= this.resumeLoop(why).finally(() => { this.resuming = undefined })
    return this.resuming
  }

  private async resumeLoop(why: 'resume' | 'login' | 'stalled'): Promise<void> {
    const { client, log, timing } = this.ctx
    for (let attempt = 0; this.ctx.current(); ) {
      stopPolling(client)
      try {
        await client._init()
        this.resumedAt = Date.now()
        client.syncErrorCount = 0
        if (this.troubleSince !== undefined) {
          const after = Date.now() - this.troubleSince
          this.troubleSince = undefined
          log.info('wechat4u.session-ok', { after: `${Math.round(after / 1000)} s`, attempts: attempt + 1 })
          this.ctx.emit({ kind: 'session-ok', after })
        }
        return
      } catch (err) {
        if (!this.ctx.current()) return
        if (sessionOver(err)) {
          log.warn('wechat4u.session-ended', { why: describeFailure(err) })
          client.state = client.CONF.STATE.logout
          client.emit('logout')
          return
        }
        attempt++
        this.troubleSince ??= Date.now()
        const retryInMs = retryDelay(attempt, timing.retryBaseMs, timing.retryMaxMs)
        const failure = describeFailure(err)
        // One line for the first failure and then at each doubling, not one per try.
        if ((attempt & (attempt - 1)) === 0) log.warn('wechat4u.resume-failed', { why: failure, attempt, retryInS: Math.round(retryInMs / 1000), during: why, hint: 'the session is kept and tried again; no new QR code is needed' })
        this.ctx.emit({ kind: 'session-retry', why: failure, attempt, retryInMs })
        if (!await pause(this.ctx, retryInMs)) return
      }
    }
  }

  /** No successful sync for too long while logged in: resume the session (polling restarts). */
  private watch(): void {
    const { client, timing } = this.ctx
    if (!this.ctx.current()) return this.dispose()
    if (this.resuming || client.state !== client.CONF.STATE.login) return
    const stalledMs = Date.now() - client.lastSyncTime
    if (stalledMs < timing.syncStallMs) return
    this.troubleSince ??= client.lastSyncTime
    this.ctx.log.warn('wechat4u.sync-stalled', { stalledS: Math.round(stalledMs / 1000), hint: 'no message has been fetched for a minute: restarting the polling (messages waiting on WeChat\'s side are fetched then)' })
    this.ctx.emit({ kind: 'sync-stalled', stalledMs })
    void this.resume('stalled')
  }
}
