/**
 * Recovery: the work a decision implies is finished even if the process doing it died.
 *
 * A relay that forwards (the origin, approved, edited) records `forwardedAt` once its forward has
 * run to the end. A pass — at the start of whichever process runs timers, then every 15 s —
 * re-runs `forward` for every such relay of a live announcement that has none 20 s after its
 * decision, and queues again every post still `queued` a while on whose send job is gone (a
 * crash between writing the delivery and adding the job). Every step is idempotent, so a pass
 * that runs twice, or beside the original work, posts nothing twice.
 */
import type { Announcement, Delivery } from '../domain/announcement.ts'
import { forwards } from '../domain/announcement.ts'
import type { Logger } from '../infra/log.ts'
import type { Outboxes } from '../queue/outbox.ts'
import type { Timers } from '../queue/timers.ts'
import type { Store } from '../store/store.ts'
import { postIdem, type Deliveries } from './deliveries.ts'
import type { Relays } from './relays.ts'
import type { Texts } from './texts.ts'

const TIMER = 'recover'
/**
 * How often a pass runs. A record left stuck is recovered at most GRACE + INTERVAL after it was
 * left (35 s; it was 60 + 60 s, and 120.7 s was measured), within a minute.
 */
export const RECOVERY_INTERVAL_MS = 15_000
/**
 * Work younger than this may still be under way in another process: left alone. Running a step
 * beside the original work is harmless (every step is idempotent); the grace only saves work.
 */
export const RECOVERY_GRACE_MS = 20_000
/** Announcements looked at per pass (newest first; older ones have expired). */
const RECENT = 200

export interface RecoveryDeps {
  store: Store
  outboxes: Outboxes
  timers: Timers
  relays: Relays
  deliveries: Deliveries
  texts: Texts
  now: () => number
  log: Logger
}

export class Recovery {
  constructor(private readonly d: RecoveryDeps, private readonly intervalMs = RECOVERY_INTERVAL_MS, private readonly graceMs = RECOVERY_GRACE_MS) {
    d.timers.handle(TIMER, async () => {
      try {
        await this.pass()
      } finally {
        await this.scheduleNext()
      }
    })
    d.timers.whenStarted(() => { void this.scheduleNext(0).catch(err => d.log.warn('recovery.schedule-failed', { err })) })
  }

  /** One timer per interval slot: processes that schedule the same slot schedule it once. */
  private async scheduleNext(delay = this.intervalMs): Promise<void> {
    const at = this.d.now() + delay
    await this.d.timers.schedule(TIMER, String(Math.floor(at / this.intervalMs)), at, {})
  }

  /** Finishes what crashed processes left; returns how many forwards were re-run and posts re-queued. */
  async pass(): Promise<{ forwards: number; requeued: number }> {
    const { store } = this.d
    const now = this.d.now()
    let forwarded = 0
    let requeued = 0
    for (const code of await store.recentCodes(RECENT)) {
      const a = await store.announcement(code)
      if (!a || !a.released || (a.expiresAt !== undefined && a.expiresAt <= now) || await store.cancelledBy(code)) continue
      for (const relay of (await store.relays(code)).values()) {
        if (!forwards(relay.state) || relay.forwardedAt || (relay.decidedAt ?? relay.openedAt) > now - this.graceMs) continue
        this.d.log.warn('recovery.forward', { code, node: relay.node })
        await this.d.relays.forward(a, relay)
        forwarded++
      }
      requeued += await this.requeueLost(a, now)
    }
    if (forwarded || requeued) this.d.log.warn('recovery.done', { forwards: forwarded, requeued })
    return { forwards: forwarded, requeued }
  }

  /**
   * Posts `queued` for a while whose send job no outbox holds are queued again; posts `sent` for a
   * while whose echo was recorded in Redis (the process that waited for it died) are confirmed.
   */
  private async requeueLost(a: Announcement, now: number): Promise<number> {
    let n = 0
    for (const d of await this.d.store.deliveries(a.code)) {
      if (d.state === 'sent' && (d.sentAt ?? now) <= now - this.graceMs) await this.confirmFromEcho(a, d)
      if (d.state !== 'queued' || d.queuedAt > now - this.graceMs) continue
      const job = await this.d.outboxes.queue(d.bot).getJob(postIdem(a, d.topic))
      if (job && !['completed', 'failed'].includes(await job.getState())) continue
      if (job) await job.remove().catch(() => undefined) // a finished job of the same id would keep the new one out
      const relay = await this.d.store.relay(a.code, d.node)
      if (!relay) continue
      this.d.log.warn('recovery.requeue', { code: a.code, bot: d.bot })
      await this.d.deliveries.post(a, relay, d.topic, relay.finalText ?? relay.text, d.bot)
      n++
    }
    return n
  }

  private async confirmFromEcho(a: Announcement, d: Delivery): Promise<void> {
    const relay = await this.d.store.relay(a.code, d.node)
    if (!relay || !await this.d.deliveries.seenInGroup(d.topic, this.d.texts.postText(a, relay.finalText ?? relay.text, relay), d.sentAt ?? 0)) return
    if (await this.d.deliveries.confirm(a.code, d.topic)) this.d.log.info('recovery.confirmed', { code: a.code })
  }

}
