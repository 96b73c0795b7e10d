/**
 * The worker of one account's outbox queue: the only place that calls `say()`.
 *
 * - Every send takes an idempotency claim in Redis before `say()`, so a job run twice posts once.
 * - A post counts as confirmed when the account sees its own message come back in the room
 *   (matched in a way that survives web WeChat's changes to the text, see echo.ts).
 * - On WeChat's "too frequent" the whole account's outbox pauses (longer each time, capped);
 *   the refused message waits in the queue, neither lost nor counted as a failed attempt.
 * - A post for a group this account cannot see (not saved to contacts) waits, visibly: the
 *   delivery stays `queued` with the reason, and is tried again later; it never fails for that.
 */
import { Worker, DelayedError, RateLimitError, type ConnectionOptions, type Job } from 'bullmq'
import { isConnectionError } from '../infra/redis-reach.ts'
import type { BotConfig } from '../config/types.ts'
import { sendInterval } from '../domain/fanout.ts'
import { outboxName, type SendJob, type SendTarget } from '../queue/outbox.ts'
import { loadedContacts, sleep, type Account } from './account.ts'
import { echoKey, EchoWaits } from './echo.ts'
import type { AccountGroups } from './groups.ts'
import { nextBeijingMidnight, takeBudget } from './budget.ts'
import { chatBudgetOf } from '../domain/limits.ts'
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './too-frequent.ts'
import { classifySendFailure, SendTimeout } from './send-outcome.ts'
import { METRICS, metricsOf } from '../infra/metrics.ts'
import { SETTLE_AFTER_MS, takeClaim } from './send-claim.ts'
import { ReplicaAckError } from '../store/durable.ts'

export { SETTLE_AFTER_MS } from './send-claim.ts'

/** How long a post for a group this account cannot see waits before it is tried again. */
export const GROUP_MISSING_RETRY_MS = 5 * 60_000
/** A send not answered within this is of unknown outcome: the account moves on, the send is settled later. */
export const SEND_TIMEOUT_MS = 30_000
/**
 * BullMQ's job lock and stall check for the outboxes (30 s and 30 s by default): a job in flight
 * in a process that died is run again within LOCK + STALL_CHECK (35 s instead of 60 s).
 */
export const OUTBOX_LOCK_MS = 20_000
export const OUTBOX_STALL_CHECK_MS = 15_000

/** Raised when a send is impossible right now (room not found, contact not bound): retried later. */
export class SendError extends Error {}

interface Echo { delivery: { code: string; topic: string }; echoed: boolean; sent: boolean }

export interface OutboxWorkerOptions {
  connection: ConnectionOptions
  pacing?: Partial<BotConfig['pacing']>
  backoff?: BackoffPolicy
  groupMissingRetryMs?: number
  /** Longest a `say()` may take (default 30 s). */
  sendTimeoutMs?: number
  /** When a send of unknown outcome is settled (default 90 s after it was claimed). */
  settleAfterMs?: number
  /** Called right before each `say()`; throwing makes that say fail. For tests only. */
  beforeSay?: (target: SendTarget, text: string) => Promise<void> | void
  /** The outbox ran dry (the account may take over others' posts). */
  onDrained?: () => void
  /** A post for a group this account cannot see: move it to an account that can (true when it left). */
  moveElsewhere?: (job: Job<SendJob>) => Promise<boolean>
}

/** How long the outbox waits when WeChat cannot be reached at all (nothing was sent). */
const UNREACHABLE_PAUSE_MS = 5_000

export class OutboxWorker {
  private worker?: Worker<SendJob>
  private readonly echoes = new EchoWaits<Echo>()
  /** "Too frequent" answers in a row. */
  private strikes = 0

  constructor(private readonly acc: Account, private readonly groups: AccountGroups, private readonly opts: OutboxWorkerOptions) {}

  private get app() { return this.acc.app }
  private get pacing(): BotConfig['pacing'] { return { ...this.acc.bot.pacing, ...this.opts.pacing } }

  /** Starts (or resumes) taking jobs. */
  run(): void {
    if (this.worker) {
      this.worker.resume()
      return
    }
    const worker = new Worker<SendJob>(outboxName(this.acc.id), (job, token) => this.process(job, token), {
      connection: this.opts.connection,
      prefix: this.app.store.keys.bullPrefix,
      concurrency: 1,
      lockDuration: OUTBOX_LOCK_MS,
      stalledInterval: OUTBOX_STALL_CHECK_MS,
      // Evenly spaced, not bursts: one send per (60 s / perMinute), as WeChat tolerates.
      limiter: { max: 1, duration: sendInterval(this.pacing.perMinute) },
    })
    worker.on('failed', (job, err) => { void this.onFailed(job, err) })
    worker.on('drained', () => this.opts.onDrained?.())
    worker.on('error', err => { if (!isConnectionError(err)) this.acc.log.error('outbox.error', { err }) })
    this.worker = worker
  }

  /** Stops taking jobs once the one in flight is done (or after `maxWaitMs`). */
  async pause(maxWaitMs: number): Promise<void> {
    await Promise.race([this.worker?.pause(), sleep(maxWaitMs)])
  }

  async close(): Promise<void> {
    await this.worker?.close()
    this.worker = undefined
  }

  /** The account saw one of its own messages in a room: the post it confirms, if any. */
  onOwnMessage(topic: string, text: string): void {
    // Kept in Redis too: a send whose process died before its result was recorded is settled by it.
    void this.app.store.sends.recordEcho(topic, echoKey(text), Date.now()).catch(err => this.acc.log.warn('echo.record-failed', { err }))
    const wait = this.echoes.take(topic, text)
    if (!wait) return
    void metricsOf(this.app).observe(METRICS.echoConfirmed, { bot: this.acc.id }, Math.max(0, Date.now() - wait.at) / 1000)
    wait.value.echoed = true
    if (wait.value.sent) void this.confirm(wait.value)
  }

  get pendingEchoes(): number { return this.echoes.size }

  private async confirm(echo: Echo): Promise<void> {
    const { code, topic } = echo.delivery
    if (await this.app.deliveries.confirm(code, topic)) this.acc.log.debug('delivery.confirmed', { code, topic })
  }


  private async onFailed(job: Job<SendJob> | undefined, err: Error): Promise<void> {
    if (!job || err instanceof DelayedError) return
    const final = job.attemptsMade >= (job.opts.attempts ?? 1)
    this.acc.log.warn('send.failed', { idem: job.data.idem, attempt: job.attemptsMade, final, err: err.message })
    if (final && job.data.delivery) {
      const { code, topic } = job.data.delivery
      await this.app.store.patchDelivery(code, topic, ['queued'], { state: 'failed', error: err.message })
      await this.app.store.audit(code, { kind: 'delivery-failed', at: Date.now(), topic, bot: this.acc.id, error: err.message })
      await this.app.events.emit('send-failed', { code, topic, bot: this.acc.id, error: err.message })
    }
    if (final && job.data.secretKey) await this.app.store.redis.del(job.data.secretKey)
    if (final) await this.app.events.emit('send-done', { bot: this.acc.id, outcome: 'failed' })
  }

  /** A secret's send with its text (kept apart, see SendJob.secretKey); undefined once it expired. */
  private async withSecret(data: SendJob): Promise<SendJob | undefined> {
    const text = await this.app.store.redis.get(data.secretKey!)
    return text === null ? undefined : { ...data, text }
  }

  /** One send: claim, say, record. */
  private async process(job: Job<SendJob>, token?: string): Promise<string> {
    const data = job.data.secretKey ? await this.withSecret(job.data) : job.data
    if (!data) {
      this.acc.log.info('send.skipped', { idem: job.data.idem, reason: 'secret expired' })
      return 'expired'
    }
    const pacing = this.pacing
    if (data.target.kind === 'group' && !this.groups.has(data.target.topic) && !await this.groups.refind(data.target.topic)) {
      return this.waitForGroup(job, data.target.topic, token)
    }
    if (!await this.withinDailyBudget(pacing, data.chat === true)) {
      await job.moveToDelayed(nextBeijingMidnight(), token)
      throw new DelayedError()
    }
    if (pacing.jitterMs > 0) await sleep(Math.random() * pacing.jitterMs)
    const announcement = data.delivery ? await this.app.takePost(data.delivery.code, data.delivery.topic) : undefined
    if (data.delivery && !announcement) {
      this.acc.log.info('send.skipped', { idem: data.idem, reason: 'no longer to be posted' })
      return 'skipped'
    }
    const store = this.app.store
    const claim = await this.unlessUnreplicated(data.idem, takeClaim(this.acc, job, this.opts.settleAfterMs ?? SETTLE_AFTER_MS, token))
    if (typeof claim === 'string') return claim
    // A send of unknown outcome that was not seen in the group goes again, marked as such.
    const text = claim.resend && data.target.kind === 'group' ? this.app.t('label_resend') + data.text : data.text
    // From here on a post may go out; a worker frozen since its claim finds it taken over and stops.
    if (!await this.unlessUnreplicated(data.idem, store.sends.markSaying(data.idem, claim.value, this.acc.id))) {
      this.acc.log.warn('send.taken-over', { idem: data.idem })
      return 'duplicate'
    }
    let members: number | undefined
    let echo: Echo | undefined
    let wait: ReturnType<EchoWaits<Echo>['add']> | undefined
    try {
      if (data.delivery && data.target.kind === 'group') {
        echo = { delivery: data.delivery, echoed: false, sent: false }
        wait = this.echoes.add(data.target.topic, text, echo)
      }
      members = await withTimeout(this.say(data.target, text), this.opts.sendTimeoutMs ?? SEND_TIMEOUT_MS)
    } catch (err) {
      if (wait) this.echoes.remove(wait)
      const failure = classifySendFailure(err)
      await metricsOf(this.app).inc(METRICS.refusals, { bot: this.acc.id, reason: failure.replace('-', '_') })
      if (failure === 'unknown') return this.unknownOutcome(job, err, token)
      // say() failed before anything was posted: give the claim back so the retry may send.
      await store.sends.releaseSend(data.idem)
      if (data.delivery) await this.app.postNotSent(data.delivery.code, data.delivery.topic)
      if (failure === 'too-frequent') {
        await this.backOff(data.idem)
        throw new RateLimitError() // back to waiting, not counted as an attempt
      }
      if (failure === 'unreachable' || failure === 'logged-out') {
        // Nothing went out: wait (network) or let the logout move it; not counted as an attempt.
        this.acc.log.warn('send.not-now', { idem: data.idem, why: failure })
        await this.app.outboxes.queue(this.acc.id).rateLimit(UNREACHABLE_PAUSE_MS)
        throw new RateLimitError()
      }
      throw err
    }
    // The records of a send are independent of each other: written together, not one after another.
    const at = Date.now()
    const records: Promise<unknown>[] = [store.sends.markSent(data.idem, this.acc.id), this.acc.health.recordSend(this.acc.id, at)]
    if (data.secretKey) records.push(store.redis.del(data.secretKey)) // sent: not kept until it expires
    if (this.strikes) {
      this.strikes = 0
      records.push(this.acc.health.clearStrikes(this.acc.id))
    }
    if (data.delivery && announcement) {
      const { code, topic } = data.delivery
      records.push(store.patchDelivery(code, topic, ['sending', 'queued'], { state: 'sent', sentAt: at, members, bot: this.acc.id, error: '' }))
      if (announcement.ackRequired) records.push(store.setLatestInGroup(topic, code, announcement.createdAt))
    }
    await Promise.all(records)
    if (data.delivery && announcement) {
      const { code, topic } = data.delivery
      const node = this.app.groupOf(topic)?.node ?? ''
      await this.app.events.emit('sent', { announcement, code, topic, node, bot: this.acc.id, at, members })
      if (echo) {
        echo.sent = true
        if (echo.echoed) await this.confirm(echo)
      }
    }
    this.acc.log.info('send.ok', { idem: data.idem, target: data.target.kind })
    await this.app.events.emit('send-done', { bot: this.acc.id, outcome: 'sent' })
    return 'sent'
  }


  /**
   * say() ended without telling whether the message went out (a timeout, a connection cut):
   * the claim stays, the delivery stays `sending` with the reason, and the send is settled later.
   */
  private async unknownOutcome(job: Job<SendJob>, err: unknown, token?: string): Promise<never> {
    const { data } = job
    const why = err instanceof Error ? err.message : String(err)
    if (data.delivery) await this.app.store.patchDelivery(data.delivery.code, data.delivery.topic, ['sending'], { error: `发送结果未知（${why}），稍后核对` })
    this.acc.log.warn('send.unknown-outcome', { idem: data.idem, err: why })
    await job.moveToDelayed(Date.now() + (this.opts.settleAfterMs ?? SETTLE_AFTER_MS), token)
    throw new DelayedError()
  }

  /**
   * The group is not among this account's groups (web WeChat lists only groups saved to
   * contacts): the post waits in the queue, its delivery `queued` with the reason; no attempt used.
   */
  private async waitForGroup(job: Job<SendJob>, topic: string, token?: string): Promise<string> {
    if (await this.opts.moveElsewhere?.(job)) return 'moved'
    // A contact list still loading is retried soon; a group really not listed, every few minutes.
    const retryMs = Math.min(this.opts.groupMissingRetryMs ?? GROUP_MISSING_RETRY_MS, this.groups.listLoaded ? Infinity : 10_000)
    const why = this.groups.whyMissing(topic)
    if (job.data.delivery) await this.app.store.patchDelivery(job.data.delivery.code, topic, ['queued'], { error: why })
    this.acc.log.warn('send.group-missing', { idem: job.data.idem, topic, retryInMs: retryMs, hint: why })
    await job.moveToDelayed(Date.now() + retryMs, token)
    throw new DelayedError()
  }

  /**
   * Sentinel mode: a send claim no replica confirmed in time (the master may be about to be
   * replaced) is not acted on — nothing is said; the outbox waits a few seconds, not counting an attempt.
   */
  private async unlessUnreplicated<T>(idem: string, step: Promise<T>): Promise<T> {
    try {
      return await step
    } catch (err) {
      if (!(err instanceof ReplicaAckError)) throw err
      this.acc.log.warn('send.not-now', { idem, why: 'claim not confirmed by a replica', err: err.message })
      await this.app.outboxes.queue(this.acc.id).rateLimit(UNREACHABLE_PAUSE_MS)
      throw new RateLimitError()
    }
  }

  /** WeChat said "too frequent": the whole outbox waits, longer each time in a row. */
  private async backOff(idem: string): Promise<void> {
    this.strikes++
    const pauseMs = backoffDelay(this.strikes, this.opts.backoff ?? DEFAULT_BACKOFF)
    await this.app.outboxes.queue(this.acc.id).rateLimit(pauseMs)
    await this.acc.health.recordBackoff(this.acc.id, this.strikes, Date.now() + pauseMs)
    this.acc.log.warn('send.too-frequent', { idem, strikes: this.strikes, pauseMs })
    await this.app.events.emit('send-done', { bot: this.acc.id, outcome: 'backoff' })
  }

  /** Says the text to the target; for a group, returns its member count (bots excluded). */
  private async say(target: SendTarget, text: string): Promise<number | undefined> {
    if (!this.acc.isLoggedIn()) throw new SendError('account is not logged in')
    await this.opts.beforeSay?.(target, text)
    const { wechaty } = this.acc
    switch (target.kind) {
      case 'group': {
        const room = this.groups.get(target.topic)
        if (!room) throw new SendError(`group "${target.topic}" not found in this account`)
        await room.say(text)
        return this.groups.memberCount(room)
      }
      case 'person': {
        const contactId = (await this.app.store.bindingsOf(target.person))[this.acc.id]
        if (!contactId) throw new SendError(`person "${target.person}" is not bound to this account`)
        if (loadedContacts(this.acc)?.knows(contactId) === false) throw new SendError(`person "${target.person}" must re-bind on this account (new WeChat ids)`)
        const contact = await wechaty.Contact.find({ id: contactId })
        if (!contact) throw new SendError(`contact of "${target.person}" not found in this account`)
        await contact.say(text)
        return undefined
      }
      case 'contact': {
        if (loadedContacts(this.acc)?.knows(target.contactId) === false) throw new SendError(`contact ${target.contactId} not found`)
        const contact = await wechaty.Contact.find({ id: target.contactId })
        if (!contact) throw new SendError(`contact ${target.contactId} not found`)
        await contact.say(text)
        return undefined
      }
    }
  }

  /** Takes one send of today's budget (chat on its own smaller share: see budget.ts). */
  private async withinDailyBudget(pacing: BotConfig['pacing'], chat: boolean): Promise<boolean> {
    const spent = await takeBudget(this.app.store.redis, this.app.store.keys.base, this.acc.id, pacing, chat)
    if (spent !== 'ok') this.acc.log.warn('send.budget-exhausted', { budget: spent === 'chat' ? chatBudgetOf(pacing) : pacing.dailyBudget, chat })
    return spent === 'ok'
  }
}


function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new SendTimeout(`no answer from WeChat within ${ms / 1000} s`)), ms) })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
