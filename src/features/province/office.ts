/**
 * The province office (issue 28): one notice published once, handed to every district of
 * config/province.yaml as a job in that district's own `timers` queue (src/features/province/handoff.ts
 * takes it there), retracted everywhere, and its state read back from each district.
 *
 * On a Redis Cluster every district is its own hash tag, so its records, queue and scripts stay in
 * its slot: the office talks to each district in turn with single-slot commands (a BullMQ add in
 * `{district}:bull`, reads of `{district}:…`), never one command over two namespaces. Its own records
 * live under the province's id: `{<province>}:province:notice:<code>` (JSON) and
 * `{<province>}:province:notices` (codes by time).
 *
 * Handing out is idempotent at both ends: the job id is the province code (BullMQ keeps one job per
 * id) and the district publishes once per province code, so `resend` only reaches districts that
 * missed it (a district whose Redis node was down, a district added to the file later).
 */
import type { Redis } from 'ioredis'
import type { ConnectionOptions } from 'bullmq'
import { newAnnouncementCode, type AnnouncementStatus, type RelayState, type Severity } from '../../domain/announcement.ts'
import { isBlank, wellFormed } from '../../domain/text.ts'
import type { ProvinceConfig, ProvinceDistrict } from '../../config/province.ts'
import { Timers } from '../../queue/timers.ts'
import { Keys } from '../../store/keys.ts'
import { ONCE_CALLED_OFF, Store } from '../../store/store.ts'
import type { Logger } from '../../infra/log.ts'
import { handoffKey, PROVINCE_TIMER, type CancelData, type HandoffData, type ProvinceNoticeText } from './handoff.ts'

export interface ProvinceNotice extends ProvinceNoticeText {
  createdAt: number
  author: string
  /** The districts it was handed to (their ids), and when it was retracted, with why. */
  districts: string[]
  cancelledAt?: number
  reason?: string
}

export interface PublishProvinceInput {
  text: string
  severity?: Severity
  category?: string
  status?: AnnouncementStatus
  ackRequired?: boolean
  /** Hours until it expires everywhere (default 72). */
  expiresInHours?: number
  author: string
}

/** One district's answer to a hand-off: put in its queue, or why not. */
export interface HandOut { district: string; ok: boolean; error?: string }

/** Where a province notice stands in one district. */
export interface DistrictState {
  district: ProvinceDistrict
  /**
   * `waiting`: handed, not taken yet (its timers run nowhere?); `refused`: the district's process
   * refused it (the reason says why); `called-off`: retracted before it arrived; otherwise the
   * state of the district's root relay, its own tier's decision.
   */
  state: 'not-handed' | 'waiting' | 'refused' | 'called-off' | RelayState
  /** The district's own code for it (its curators approve with 通过 <code>). */
  localCode?: string
  retracted?: boolean
  reason?: string
  groups?: { confirmed: number; total: number }
}

const DEFAULT_EXPIRY_HOURS = 72

export class ProvinceOffice {
  private readonly base: string
  private readonly timers = new Map<string, Timers>()
  private readonly stores = new Map<string, Store>()

  constructor(
    readonly cfg: ProvinceConfig,
    private readonly redis: Redis,
    private readonly connection: ConnectionOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.base = new Keys(cfg.id).base
  }

  private noticeKey(code: string) { return `${this.base}province:notice:${code}` }
  private listKey() { return `${this.base}province:notices` }

  private timersOf(d: ProvinceDistrict): Timers {
    let t = this.timers.get(d.ns)
    if (!t) this.timers.set(d.ns, t = new Timers(this.connection, new Keys(d.ns).bullPrefix, this.log, this.now))
    return t
  }

  private storeOf(d: ProvinceDistrict): Store {
    let s = this.stores.get(d.ns)
    if (!s) this.stores.set(d.ns, s = new Store(this.redis, d.ns))
    return s
  }

  /** Publishes once at the province and hands it to every district. */
  async publish(input: PublishProvinceInput): Promise<{ notice: ProvinceNotice; handed: HandOut[] }> {
    const text = wellFormed(input.text).trim()
    if (isBlank(text)) throw new Error('the notice\'s text is empty')
    const createdAt = this.now()
    let notice: ProvinceNotice
    for (;;) {
      notice = {
        code: newAnnouncementCode(this.random), text, severity: input.severity ?? 'urgent', category: input.category ?? '通知',
        status: input.status ?? 'actual', ackRequired: input.ackRequired ?? true, createdAt,
        expiresAt: createdAt + (input.expiresInHours ?? DEFAULT_EXPIRY_HOURS) * 3600_000, author: input.author,
        districts: this.cfg.districts.map(d => d.id),
      }
      if (await this.redis.set(this.noticeKey(notice.code), JSON.stringify(notice), 'NX')) break
    }
    await this.redis.zadd(this.listKey(), createdAt, notice.code)
    this.log.info('province.published', { province: this.cfg.id, code: notice.code, districts: notice.districts.length })
    return { notice, handed: await this.handOut(notice) }
  }

  async notice(code: string): Promise<ProvinceNotice | undefined> {
    const raw = await this.redis.get(this.noticeKey(code))
    return raw ? JSON.parse(raw) as ProvinceNotice : undefined
  }

  /** The newest notices, newest first. */
  async recent(limit = 20): Promise<ProvinceNotice[]> {
    const codes = await this.redis.zrevrange(this.listKey(), 0, limit - 1)
    return (await Promise.all(codes.map(c => this.notice(c)))).filter((n): n is ProvinceNotice => n !== undefined)
  }

  /**
   * Hands the notice (or, once retracted, its retraction) to every district of the file: the ones
   * that have it already change nothing. One district's Redis not answering does not stop the others.
   */
  async handOut(notice: ProvinceNotice): Promise<HandOut[]> {
    const province = { id: this.cfg.id, name: this.cfg.name }
    return Promise.all(this.cfg.districts.map(async d => {
      try {
        if (notice.cancelledAt !== undefined) {
          const data: CancelData = { province, code: notice.code, reason: notice.reason ?? '' }
          await this.timersOf(d).schedule(PROVINCE_TIMER.cancel, `${this.cfg.id}-${notice.code}`, this.now(), { ...data })
        } else {
          const { code, text, severity, category, status, ackRequired, expiresAt } = notice
          const data: HandoffData = { province, code, text, severity, category, status, ackRequired, expiresAt }
          await this.timersOf(d).schedule(PROVINCE_TIMER.handoff, `${this.cfg.id}-${notice.code}`, this.now(), { ...data })
        }
        return { district: d.id, ok: true }
      } catch (err) {
        this.log.warn('province.hand-out-failed', { province: this.cfg.id, code: notice.code, district: d.id, err: (err as Error).message })
        return { district: d.id, ok: false, error: (err as Error).message }
      }
    }))
  }

  /** Retracts it at the province (once) and in every district. */
  async cancel(code: string, reason: string): Promise<{ notice: ProvinceNotice; handed: HandOut[]; already: boolean } | undefined> {
    const n = await this.notice(code)
    if (!n) return undefined
    const already = n.cancelledAt !== undefined
    const notice = already ? n : { ...n, cancelledAt: this.now(), reason }
    if (!already) await this.redis.set(this.noticeKey(code), JSON.stringify(notice))
    this.log.info('province.cancelled', { province: this.cfg.id, code, already })
    return { notice, handed: await this.handOut(notice), already }
  }

  /** Where the notice stands in each district, read from the district's own records. */
  async status(notice: ProvinceNotice): Promise<DistrictState[]> {
    return Promise.all(this.cfg.districts.map(d => this.districtState(notice, d)))
  }

  private async districtState(notice: ProvinceNotice, d: ProvinceDistrict): Promise<DistrictState> {
    const store = this.storeOf(d)
    const held = await store.redis.get(store.keys.once(handoffKey(this.cfg.id, notice.code)))
    if (held === ONCE_CALLED_OFF) return { district: d, state: 'called-off' }
    if (!held) {
      const job = await this.timersOf(d).state(PROVINCE_TIMER.handoff, `${this.cfg.id}-${notice.code}`)
      if (!job) return { district: d, state: 'not-handed' }
      return job.state === 'failed' ? { district: d, state: 'refused', reason: job.failedReason } : { district: d, state: 'waiting', reason: job.failedReason }
    }
    const a = await store.announcement(held)
    const root = a && await store.relay(held, a.originNode)
    const deliveries = await store.deliveries(held)
    return {
      district: d, localCode: held, state: root?.state ?? 'waiting', retracted: !!await store.cancelledBy(held), reason: root?.reason,
      groups: { confirmed: deliveries.filter(x => x.state === 'confirmed').length, total: deliveries.length },
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.timers.values()].map(t => t.close()))
  }
}
