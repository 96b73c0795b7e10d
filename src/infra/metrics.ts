/**
 * Metrics for Prometheus, shared across processes.
 *
 * The events that move the metrics happen in the bot processes (`cascade run`: sends,
 * acknowledgments, curators' decisions), while `/metrics` is served by `cascade serve`. So
 * counters, gauges and histograms live in Redis — one hash `{ns}:metrics`, field
 * `<series>|<labels JSON>` — incremented where the event happens (`HINCRBY`, one round trip)
 * and read at scrape time. Queue depths and account states are read live at scrape time.
 *
 * The spine's events are counted by src/features/metrics/; features add to them through
 * `metricsOf(app)`:
 *
 *   metricsOf(app).inc(METRICS.rumorReplies, { verdict: 'rumor' })
 *   metricsOf(app).add(METRICS.openCases, { node }, +1)        // and -1 when a case closes
 *
 * and may declare metrics of their own with `defineMetric` (at install time, so that `serve`,
 * which installs the same features, knows them too).
 */
import { collectDefaultMetrics, Gauge, Registry, type Metric } from 'prom-client'
import { outboxName } from '../queue/outbox.ts'
import type { Store } from '../store/store.ts'
import { BotHealth } from './bot-health.ts'
import type { CascadeConfig } from '../config/types.ts'
import type { Outboxes } from '../queue/outbox.ts'
import type { Timers } from '../queue/timers.ts'

export type MetricKind = 'counter' | 'gauge' | 'histogram'

/** A metric kept in Redis: its Prometheus name, help text, labels and (histograms) buckets. */
export interface MetricDef {
  name: string
  help: string
  kind: MetricKind
  labels: readonly string[]
  /** Upper bounds of the buckets, for histograms (seconds, ascending). */
  buckets?: readonly number[]
}

export type Labels = Record<string, string>

/** Seconds, from a quick township to a slow evening approval at village level. */
const LATENCY_BUCKETS = [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400, 43_200] as const

/** The metrics of the spine and the slots other features fill. */
export const METRICS = {
  sends: { name: 'cascade_sends_total', kind: 'counter', labels: ['bot', 'outcome'], help: 'Sends finished by each account: sent, duplicate (claim already taken, not posted again), failed (after all retries), backoff (WeChat said "too frequent"; the message waits).' },
  publishToGroup: { name: 'cascade_publish_to_group_seconds', kind: 'histogram', labels: ['tier'], buckets: LATENCY_BUCKETS, help: 'From publication to the post leaving the account, per tier of the group (district, township, village); includes every approval on the way.' },
  approvalWait: { name: 'cascade_approval_wait_seconds', kind: 'histogram', labels: ['tier', 'decision'], buckets: LATENCY_BUCKETS, help: 'From a relay opening at a node to its curator deciding (approved, edited, rejected).' },
  acks: { name: 'cascade_acknowledgments_total', kind: 'counter', labels: ['tier'], help: 'Acknowledgments (收到) recorded, once per member and announcement, per tier of the group.' },
  rumorReplies: { name: 'cascade_rumor_replies_total', kind: 'counter', labels: ['verdict'], help: 'Rebuttals the bots posted in reply to a rumor, by verdict.' },
  openCases: { name: 'cascade_cases_open', kind: 'gauge', labels: ['node'], help: 'Villagers\' tips and help requests not yet closed, per node.' },
} as const satisfies Record<string, MetricDef>

const defined = new Map<string, MetricDef>(Object.values(METRICS).map(d => [d.name, d]))

/** Declares a feature's own Redis-backed metric (idempotent for the same definition). */
export function defineMetric<D extends MetricDef>(def: D): D {
  const known = defined.get(def.name)
  if (known && JSON.stringify(known) !== JSON.stringify(def)) throw new Error(`metric "${def.name}" is already defined differently`)
  defined.set(def.name, def)
  return def
}

/** Stored series of a histogram's per-bucket counts (not cumulative; see Metrics.observe). */
const BUCKET_IN = '_in'

function leLabel(le: number): string { return le === Infinity ? '+Inf' : String(le) }

/** Per-bucket counts → Prometheus's cumulative `le` buckets, every bound of every label set. */
function cumulative(def: MetricDef, counted: { labels: Labels; value: number }[]): { labels: Labels; value: number }[] {
  const bySet = new Map<string, { labels: Labels; counts: Map<string, number> }>()
  for (const { labels: { le, ...rest }, value } of counted) {
    const k = field('', rest)
    const set = bySet.get(k) ?? { labels: rest, counts: new Map<string, number>() }
    set.counts.set(le, (set.counts.get(le) ?? 0) + value)
    bySet.set(k, set)
  }
  const out: { labels: Labels; value: number }[] = []
  for (const { labels, counts } of bySet.values()) {
    let total = 0
    for (const le of [...def.buckets ?? [], Infinity].map(leLabel)) {
      total += counts.get(le) ?? 0
      out.push({ labels: sortedLabels({ ...labels, le }), value: total })
    }
  }
  return out
}

function sortedLabels(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))
}

function field(series: string, labels: Labels): string {
  return `${series}|${JSON.stringify(sortedLabels(labels))}`
}

/** Writes metrics to Redis; cheap enough to call on every event. */
export class Metrics {
  readonly key: string
  constructor(private readonly store: Store) { this.key = `${store.keys.base}metrics` }

  async inc(def: MetricDef, labels: Labels = {}, by = 1): Promise<void> {
    await this.store.redis.hincrbyfloat(this.key, field(def.name, labels), by)
  }

  /** Moves a gauge up or down. */
  async add(def: MetricDef, labels: Labels, by: number): Promise<void> { await this.inc(def, labels, by) }

  /** Sets a gauge. */
  async set(def: MetricDef, labels: Labels, value: number): Promise<void> {
    await this.store.redis.hset(this.key, field(def.name, labels), value)
  }

  /**
   * Records one observation of a histogram: only the one bucket it falls in is counted
   * (`<name>_in`), and `snapshot` makes the buckets cumulative, as Prometheus wants them — three
   * fields written per observation instead of one per bucket (this runs on every post).
   */
  async observe(def: MetricDef, labels: Labels, value: number): Promise<void> {
    const le = [...def.buckets ?? [], Infinity].find(b => value <= b)!
    await this.store.redis.multi()
      .hincrby(this.key, field(`${def.name}${BUCKET_IN}`, { ...labels, le: leLabel(le) }), 1)
      .hincrbyfloat(this.key, field(`${def.name}_sum`, labels), value)
      .hincrby(this.key, field(`${def.name}_count`, labels), 1)
      .exec()
  }

  /** Every stored series: series name → label sets with their values (histogram buckets cumulative). */
  async snapshot(): Promise<Map<string, { labels: Labels; value: number }[]>> {
    const out = new Map<string, { labels: Labels; value: number }[]>()
    for (const [f, v] of Object.entries(await this.store.redis.hgetall(this.key))) {
      const bar = f.indexOf('|')
      if (bar < 0) continue
      let labels: Labels
      try { labels = JSON.parse(f.slice(bar + 1)) as Labels } catch { continue }
      const series = f.slice(0, bar)
      out.set(series, [...out.get(series) ?? [], { labels, value: Number(v) }])
    }
    for (const def of defined.values()) {
      const counted = out.get(`${def.name}${BUCKET_IN}`)
      out.delete(`${def.name}${BUCKET_IN}`)
      if (def.kind === 'histogram' && counted) out.set(`${def.name}_bucket`, cumulative(def, counted))
    }
    return out
  }
}

const perApp = new WeakMap<object, Metrics>()

/** The metrics writer of an app (one per app, shared by its features). */
export function metricsOf(app: { store: Store }): Metrics {
  let m = perApp.get(app)
  if (!m) perApp.set(app, m = new Metrics(app.store))
  return m
}

const SECOND = 1000

// ── scraping (in `cascade serve`) ─────────────────────────────────────────────

/** Job states shown as queue depth. */
const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const

/** A prom-client metric whose values come from the last Redis snapshot. */
function redisBacked(def: MetricDef, values: () => Map<string, { labels: Labels; value: number }[]>): Metric {
  const series = def.kind === 'histogram' ? ['_bucket', '_sum', '_count'].map(s => def.name + s) : [def.name]
  return {
    name: def.name, help: def.help, type: def.kind, aggregator: 'sum',
    get: async () => ({
      name: def.name, help: def.help, type: def.kind, aggregator: 'sum',
      values: series.flatMap(s => (values().get(s) ?? []).map(v => ({ ...v, metricName: s }))),
    }),
  } as unknown as Metric
}

/** What the scraper reads: the accounts of the config, the store, the queues. */
export interface ScrapeSource { cfg: CascadeConfig; store: Store; outboxes: Outboxes; timers: Timers; now: () => number }

export interface Scraper {
  registry: Registry
  /** Reads Redis and the queues; call before `registry.metrics()`. */
  refresh(): Promise<void>
}

/**
 * The registry `cascade serve` exposes: the Redis-backed metrics, live queue depths and
 * account states, and this process's own Node.js metrics.
 */
export function createScraper(app: ScrapeSource): Scraper {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'cascade_serve_' })
  const m = metricsOf(app)
  const health = new BotHealth(app.store)
  let snapshot = new Map<string, { labels: Labels; value: number }[]>()
  for (const def of defined.values()) registry.registerMetric(redisBacked(def, () => snapshot))
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry] })
  const depth = gauge('cascade_queue_depth', 'Jobs in each queue (outbox-<bot>, timers) by state.', ['queue', 'state'])
  const loggedIn = gauge('cascade_bot_logged_in', '1 while the account is logged in (its heartbeat is fresh), else 0.', ['bot'])
  const lastSend = gauge('cascade_bot_last_send_timestamp_seconds', 'When the account last sent anything (Unix time).', ['bot'])
  const backoff = gauge('cascade_bot_backoff_remaining_seconds', 'Seconds the account\'s outbox still waits after WeChat said "too frequent".', ['bot'])
  const missing = gauge('cascade_bot_groups_missing', 'Configured groups the account did not find at its last login.', ['bot'])

  async function refresh(): Promise<void> {
    const bots = [...app.cfg.bots.keys()]
    const now = app.now()
    const [snap, alive, records] = await Promise.all([m.snapshot(), app.store.aliveBots(bots), Promise.all(bots.map(b => health.read(b, now)))])
    snapshot = snap
    for (const g of [depth, loggedIn, lastSend, backoff, missing]) g.reset()
    const queues = [...bots.map(b => ({ name: outboxName(b), q: app.outboxes.queue(b) })), { name: 'timers', q: app.timers.queue }]
    const counts = await Promise.all(queues.map(({ q }) => q.getJobCounts(...QUEUE_STATES)))
    queues.forEach(({ name }, i) => { for (const s of QUEUE_STATES) depth.set({ queue: name, state: s }, counts[i][s] ?? 0) })
    bots.forEach((bot, i) => {
      const r = records[i]
      loggedIn.set({ bot }, alive.has(bot) ? 1 : 0)
      if (r.lastSendAt !== undefined) lastSend.set({ bot }, r.lastSendAt / SECOND)
      backoff.set({ bot }, Math.max(0, ((r.backoffUntil ?? 0) - now) / SECOND))
      missing.set({ bot }, r.missingGroups.length)
    })
  }
  return { registry, refresh }
}
