/**
 * Series: recurring bulletins carried every day (docs/SERIES.md). Each series has one BullMQ job
 * scheduler on the timers queue (`upsertJobScheduler('series-<id>', { pattern, tz })`), upserted
 * from the config at start and removed with the series; every firing, a run made late after a
 * process was down (`catchUp`), a run started by hand (`cascade series run`) and the tests' clock
 * go through the same `runSlot`, which claims the slot once (SET NX): a run is never made twice.
 */
import type { Cascade } from '../../spine/cascade.ts'
import { dateAndClock } from '../../domain/status.ts'
import {
  afterQuietHours, contentHash, DEFAULT_SERIES_SETTINGS, fillTemplate, localParts, nextSlot, runKey, slotAtOrBefore,
  type SeriesDef, type SeriesRun, type SeriesSettings, type SkipWhy,
} from '../../domain/series.ts'
import { SeriesStore } from './store.ts'

export type SeriesHost = Pick<Cascade, 'cfg' | 'store' | 'timers' | 'publish' | 'tell' | 't' | 'now' | 'log' | 'relays' | 'decide'
  | 'approvesFor' | 'rolesOf' | 'nodeName' | 'personName' | 'use' | 'addHelp' | 'command' | 'events'>

/** The timer kind every series scheduler fires. */
export const SERIES_TIMER = 'series-run'
/** Job scheduler ids: `series-<id>`. */
export const SCHEDULER_PREFIX = 'series-'
/** A firing is read as the slot at or before this long after it (clocks of Redis and the process differ a little). */
const FIRING_SLACK_MS = 60_000

export class SeriesEngine {
  readonly st: SeriesStore
  readonly settings: SeriesSettings
  private readonly configDefs: SeriesDef[]

  constructor(readonly app: SeriesHost) {
    this.st = new SeriesStore(app.store)
    this.settings = app.cfg.series?.settings ?? DEFAULT_SERIES_SETTINGS
    this.configDefs = app.cfg.series?.series ?? []
  }

  /** Every series: the config's, then those made in the command centre (a config id wins). */
  async defs(): Promise<SeriesDef[]> {
    const ids = new Set(this.configDefs.map(d => d.id))
    return [...this.configDefs, ...(await this.st.webDefs()).filter(d => !ids.has(d.id))]
  }
  async def(id: string): Promise<SeriesDef | undefined> { return (await this.defs()).find(d => d.id === id.toUpperCase()) }
  hash(def: SeriesDef): string { return contentHash(def.source) }

  // ── scheduling ────────────────────────────────────────────────────────────

  /** One job scheduler per series, as the series are now; schedulers of removed series go. */
  async syncSchedulers(): Promise<{ upserted: string[]; removed: string[] }> {
    const q = this.app.timers.queue
    const defs = await this.defs()
    for (const d of defs) {
      await this.st.since(d.id, this.app.now())
      await q.upsertJobScheduler(`${SCHEDULER_PREFIX}${d.id}`, { pattern: d.cron, tz: d.tz }, {
        name: SERIES_TIMER, data: { kind: SERIES_TIMER, data: { series: d.id } },
        opts: { removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 30 * 24 * 3600 } },
      })
    }
    const wanted = new Set(defs.map(d => `${SCHEDULER_PREFIX}${d.id}`))
    const removed: string[] = []
    for (const s of await q.getJobSchedulers(0, -1)) {
      const key = s.key ?? ''
      if (key.startsWith(SCHEDULER_PREFIX) && !wanted.has(key) && await q.removeJobScheduler(key)) removed.push(key)
    }
    if (removed.length) this.app.log.info('series.schedulers-removed', { removed })
    return { upserted: defs.map(d => d.id), removed }
  }

  /**
   * Deletes a series made in the command centre: its definition and its job scheduler go (the
   * next job with it), and what a later series of the same id must not inherit (SeriesStore.forget);
   * the deletion is kept in the series' log. Runs already made stay, as notices. A series of
   * config/series.yaml is not deleted here ('config': it goes when the file no longer has it).
   */
  async deleteWebSeries(id: string, by: string): Promise<'deleted' | 'config' | 'unknown'> {
    const def = await this.def(id)
    if (def?.from === 'config') return 'config'
    if (!def || !await this.st.removeWebDef(def.id)) return 'unknown'
    await this.app.timers.queue.removeJobScheduler(`${SCHEDULER_PREFIX}${def.id}`)
    await this.st.forget(def.id)
    await this.st.log(def.id, { kind: 'deleted', by, at: this.app.now(), hash: this.hash(def) })
    this.app.log.info('series.deleted', { series: def.id, by })
    return 'deleted'
  }

  /** At start: the latest slot of each series, if no process made it, is made now (or said skipped). */
  async catchUp(): Promise<SeriesRun[]> {
    const out: SeriesRun[] = []
    const now = this.app.now()
    for (const d of await this.defs()) {
      const slot = slotAtOrBefore(d.cron, d.tz, now)
      if (slot === undefined || slot < await this.st.since(d.id, now)) continue
      if (await this.st.run(d.id, runKey(slot, d.tz))) continue
      const run = await this.runSlot(d.id, slot)
      if (run) out.push(run)
    }
    return out
  }

  /** What a scheduler's job does: the slot it fired for is the latest one at or before now. */
  async onTimer(data: Record<string, unknown>): Promise<void> {
    const def = await this.def(String(data.series))
    if (!def) return // removed since; its scheduler goes at the next sync
    const slot = slotAtOrBefore(def.cron, def.tz, this.app.now() + FIRING_SLACK_MS)
    if (slot !== undefined) await this.runSlot(def.id, slot)
  }

  /**
   * Makes the run of `slot` once: claimed atomically, then published, held for quiet hours,
   * or skipped with the reason (the publisher told). Returns the run, or undefined when it was
   * already made (by another firing, the catch-up, or a second process).
   */
  async runSlot(id: string, slot: number, opts: { byHand?: boolean } = {}): Promise<SeriesRun | undefined> {
    const def = await this.def(id)
    if (!def) throw new Error(`no series "${id}"`)
    const now = this.app.now()
    const key = runKey(slot, def.tz)
    const base: SeriesRun = { series: def.id, key, slot, at: now, state: 'running' }
    const late = now - slot > this.settings.catchUpMinutes * 60_000 && !opts.byHand
    if (!await this.st.claimRun(late ? { ...base, state: 'skipped', why: 'missed' } : base)) return undefined
    if (late) return this.skip(def, base, 'missed')
    const paused = await this.st.pauses(def.id)
    if (paused.has(def.origin)) return this.skip(def, base, 'paused')
    const { date } = localParts(slot, def.tz)
    if (def.skipDates.includes(date)) return this.skip(def, base, 'skip-date')
    const src = def.source
    let text: string | undefined
    let item: number | undefined
    if (src.kind === 'list') {
      item = await this.st.takeItem(def.id)
      if (item >= src.items.length && !src.repeat) return this.skip(def, { ...base, state: 'ended' }, 'ended')
      text = src.items[item % src.items.length]
    } else if (src.kind === 'template') {
      const filled = fillTemplate(src.template, await this.st.figures(def.id, date), date)
      if (filled.missing.length) return this.skip(def, base, 'no-figures', filled.missing)
      text = filled.text
    } else {
      text = (await this.st.takeTyped(def.id))?.text
      if (!text) {
        const run = { ...base, state: 'awaiting-text' as const }
        await this.st.saveRun(run)
        await this.app.tell(def.publisher, def.origin, `series-${def.id}-${key}-remind`, this.app.t('series_typed_reminder', { id: def.id, title: def.title, time: dateAndClock(slot) }))
        return run
      }
    }
    return this.publishRun(def, { ...base, item }, text)
  }

  /** Publishes a run's text now, or at the end of quiet hours when it is not urgent. */
  async publishRun(def: SeriesDef, run: SeriesRun, text: string): Promise<SeriesRun> {
    const now = this.app.now()
    const at = def.severity === 'urgent' ? now : afterQuietHours(now, def.tz, this.settings.quietHours)
    const a = await this.app.publish({
      node: def.origin, author: def.publisher, text, severity: def.severity, category: def.category, ackRequired: def.ackRequired,
      at: at > now ? at : undefined, series: { id: def.id, hash: this.hash(def), run: run.key },
    })
    await this.app.store.audit(a.code, { kind: 'series-run', actor: def.publisher, at: now, series: def.id, run: run.key, scheduledAt: at > now ? at : undefined })
    const done: SeriesRun = { ...run, at: now, state: at > now ? 'held' : 'published', code: a.code, ...(at > now ? { heldUntil: at } : {}) }
    await this.st.saveRun(done)
    this.app.log.info('series.run', { series: def.id, run: run.key, code: a.code, held: at > now })
    return done
  }

  private async skip(def: SeriesDef, run: SeriesRun, why: SkipWhy, missing: string[] = []): Promise<SeriesRun> {
    const done: SeriesRun = { ...run, state: run.state === 'ended' ? 'ended' : 'skipped', why }
    await this.st.saveRun(done)
    this.app.log.info('series.skipped', { series: def.id, run: run.key, why })
    const idem = `series-${def.id}-${run.key}-${why}`
    const vars = { id: def.id, title: def.title }
    if (why === 'no-figures' && def.source.kind === 'template') {
      const example = `通报 ${def.id} ${def.source.fields.map(f => `${f}0`).join(' ')}`
      await this.app.tell(def.publisher, def.origin, idem, this.app.t('series_no_figures', { ...vars, date: localParts(run.slot, def.tz).date, missing: missing.join('、'), example }))
    }
    if (why === 'missed') await this.app.tell(def.publisher, def.origin, idem, this.app.t('series_missed', { ...vars, time: dateAndClock(run.slot) }))
    if (why === 'ended' && def.source.kind === 'list') {
      await this.app.tell(def.publisher, def.origin, idem, this.app.t('series_ended', { ...vars, count: def.source.items.length }))
      await this.app.timers.queue.removeJobScheduler(`${SCHEDULER_PREFIX}${def.id}`)
    }
    return done
  }

  // ── what the publisher supplies ───────────────────────────────────────────

  /** The next slot of a series from now. */
  next(def: SeriesDef): number { return nextSlot(def.cron, def.tz, this.app.now()) }

  /**
   * The local date figures are for: today's when today's run is still to come, or was skipped for
   * want of them (figures handed in late for a run by hand, until one is made); else the next run's.
   */
  async figuresDate(def: SeriesDef): Promise<string> {
    const now = this.app.now()
    const today = slotAtOrBefore(def.cron, def.tz, now)
    if (today !== undefined && localParts(today, def.tz).date === localParts(now, def.tz).date) {
      const date = localParts(today, def.tz).date
      const run = await this.st.run(def.id, runKey(today, def.tz))
      const madeSince = (await this.st.recentRuns(def.id, 5)).some(r => r.key.startsWith(date) && (r.state === 'published' || r.state === 'held'))
      if (run?.state === 'skipped' && run.why === 'no-figures' && !madeSince) return date
    }
    return localParts(this.next(def), def.tz).date
  }

  /** Figures for the next run; returns the date they are for. */
  async submitFigures(def: SeriesDef, figures: Record<string, string>, by: string): Promise<string> {
    const date = await this.figuresDate(def)
    await this.st.setFigures(def.id, date, figures)
    await this.st.log(def.id, { kind: 'figures', by, date, at: this.app.now(), figures: JSON.stringify(figures) })
    return date
  }

  /**
   * A typed run: published at once for a run that waits for it (held by quiet hours when not
   * urgent), else kept for the next run.
   */
  async submitTyped(def: SeriesDef, text: string, by: string): Promise<{ run?: SeriesRun; savedFor?: number }> {
    const waiting = (await this.st.recentRuns(def.id, 3)).find(r => r.state === 'awaiting-text')
    if (waiting) {
      // Claim the waiting run by moving it on first, so that a second 系列 S3 does not publish it twice.
      const claimed = await this.app.store.redis.set(`${this.app.store.keys.base}series:typed-claim:${def.id}:${waiting.key}`, by, 'EX', 100 * 86400, 'NX')
      if (claimed === 'OK') return { run: await this.publishRun(def, waiting, text) }
    }
    await this.st.setTyped(def.id, text, by)
    return { savedFor: this.next(def) }
  }
}

const INSTANCES = new WeakMap<object, SeriesEngine>()
/** The app's series engine (installed by install.ts). */
export function seriesOf(app: object): SeriesEngine | undefined { return INSTANCES.get(app) }
export function setSeriesOf(app: object, e: SeriesEngine): void { INSTANCES.set(app, e) }
