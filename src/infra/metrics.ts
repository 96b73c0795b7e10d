/**
 * Metrics for Prometheus (issue 26, item 2). Two kinds, never both for one figure:
 *
 * - **Per process**: counters and histograms of the events *this process* saw (sends, refusals,
 *   1205 back-offs, acknowledgments it recorded, decisions it handled). Kept in memory (prom-client),
 *   exported by that process only, labelled `role` (serve | bot) and, in a bot process, `bot`. A
 *   `sum()` over all processes is the district's figure since they started; a restart starts at 0,
 *   which `rate()` / `increase()` handle.
 * - **District-wide**: gauges of the district's state read from Redis (queue depths, accounts'
 *   states, backlogs, approvals waiting, open cases, each recent notice's fan-out and coverage).
 *   Exported once: only by the one `serve` that holds the exporter lease (src/infra/metrics-scrape.ts),
 *   so two `serve` replicas never double them. `cascade_cases_open` is kept in Redis (HINCRBY in
 *   the hash `{ns}:metrics`) because every process opens and closes cases.
 *
 * Features add to them through `metricsOf(app)`:
 *
 *   metricsOf(app).inc(METRICS.rumorReplies, { verdict: 'rumor' })   // a counter: this process
 *   metricsOf(app).add(METRICS.openCases, { node }, +1)              // a gauge: Redis, the district
 *
 * and may declare metrics of their own with `defineMetric` (at install time).
 */
import { Counter, Histogram, Registry } from 'prom-client'
import type { Store } from '../store/store.ts'

export type MetricKind = 'counter' | 'gauge' | 'histogram'

/** A metric: its Prometheus name, help text, labels and (histograms) buckets. */
export interface MetricDef {
  name: string
  help: string
  kind: MetricKind
  labels: readonly string[]
  /** Upper bounds of the buckets, for histograms (seconds, ascending). */
  buckets?: readonly number[]
  /** Label sets shown at 0 before the first event, so that a family never appears empty. */
  initial?: readonly Labels[]
}

export type Labels = Record<string, string>

/** Seconds, from a quick township to a slow evening approval at village level. */
const LATENCY_BUCKETS = [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400, 43_200] as const
/** Seconds from a post leaving the account to its echo in the group. */
const ECHO_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 300, 600] as const

export const TIERS = ['district', 'township', 'village'] as const
const DECISIONS = ['approved', 'edited', 'rejected'] as const
const cross = <A extends string, B extends string>(ka: string, as: readonly A[], kb: string, bs: readonly B[]): Labels[] => as.flatMap(a => bs.map(b => ({ [ka]: a, [kb]: b })))

/** The metrics of the spine and the slots other features fill. */
export const METRICS = {
  sends: { name: 'cascade_sends_total', kind: 'counter', labels: ['bot', 'outcome'], help: 'Sends this process finished: sent, duplicate (claim already taken, not posted again), failed (after all retries), backoff (WeChat said "too frequent" (1205); the message waits).' },
  refusals: { name: 'cascade_send_refusals_total', kind: 'counter', labels: ['bot', 'reason'], help: 'say() attempts that failed in this process, by reason: too_frequent (1205), refused (nothing posted; retried), unreachable, logged_out, unknown (outcome settled later).' },
  echoConfirmed: { name: 'cascade_echo_seconds', kind: 'histogram', labels: ['bot'], buckets: ECHO_BUCKETS, help: 'From a post leaving this process\'s account to its echo seen in the group (the post confirmed).' },
  publishToGroup: { name: 'cascade_publish_to_group_seconds', kind: 'histogram', labels: ['tier'], buckets: LATENCY_BUCKETS, initial: TIERS.map(tier => ({ tier })), help: 'From publication to the post leaving the account (posts sent by this process), per tier of the group; includes every approval on the way.' },
  approvalWait: { name: 'cascade_approval_wait_seconds', kind: 'histogram', labels: ['tier', 'decision'], buckets: LATENCY_BUCKETS, initial: cross('tier', TIERS, 'decision', DECISIONS), help: 'From a relay opening at a node to its curator deciding (approved, edited, rejected), decisions handled by this process.' },
  acks: { name: 'cascade_acknowledgments_total', kind: 'counter', labels: ['tier'], initial: TIERS.map(tier => ({ tier })), help: 'Acknowledgments (收到) this process recorded, once per member and announcement, per tier of the group.' },
  rumorReplies: { name: 'cascade_rumor_replies_total', kind: 'counter', labels: ['verdict'], initial: [{ verdict: 'matched' }, { verdict: 'curator' }], help: 'Rebuttals this process posted in reply to a rumor, by verdict.' },
  openCases: { name: 'cascade_cases_open', kind: 'gauge', labels: ['node'], help: 'District-wide: villagers\' tips and help requests not yet closed, per node (0 for every node without one).' },
} as const satisfies Record<string, MetricDef>

const defined = new Map<string, MetricDef>(Object.values(METRICS).map(d => [d.name, d]))

/** Declares a feature's own metric (idempotent for the same definition). */
export function defineMetric<D extends MetricDef>(def: D): D {
  const known = defined.get(def.name)
  if (known && JSON.stringify(known) !== JSON.stringify(def)) throw new Error(`metric "${def.name}" is already defined differently`)
  defined.set(def.name, def)
  return def
}

/** Every defined metric (the gauges are the district-wide ones kept in Redis). */
export function definedMetrics(): MetricDef[] { return [...defined.values()] }

function sortedLabels(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))
}

/** Field of a Redis-kept gauge in the `{ns}:metrics` hash. */
export function gaugeField(series: string, labels: Labels): string {
  return `${series}|${JSON.stringify(sortedLabels(labels))}`
}

export type Snapshot = Map<string, { labels: Labels; value: number }[]>

/** The metrics of one app: this process's counters and histograms, and the district's gauges in Redis. */
export class Metrics {
  /** Redis hash of the district-wide gauges. */
  readonly key: string
  /** This process's counters and histograms. */
  readonly registry = new Registry()
  private readonly counters = new Map<string, Counter>()
  private readonly histograms = new Map<string, Histogram>()

  constructor(private readonly store: Store) {
    this.key = `${store.keys.base}metrics`
    for (const def of defined.values()) this.ensure(def)
  }

  /** The prom-client metric of a counter or histogram, made (and its initial label sets zeroed) once. */
  private ensure(def: MetricDef): Counter | Histogram | undefined {
    if (def.kind === 'counter') {
      let c = this.counters.get(def.name)
      if (!c) {
        c = new Counter({ name: def.name, help: def.help, labelNames: [...def.labels], registers: [this.registry] })
        for (const l of def.initial ?? []) c.inc(l, 0)
        this.counters.set(def.name, c)
      }
      return c
    }
    if (def.kind === 'histogram') {
      let h = this.histograms.get(def.name)
      if (!h) {
        h = new Histogram({ name: def.name, help: def.help, labelNames: [...def.labels], buckets: [...def.buckets ?? []], registers: [this.registry] })
        for (const l of def.initial ?? []) h.zero(l)
        this.histograms.set(def.name, h)
      }
      return h
    }
    return undefined
  }

  /** Counts an event this process saw (a counter). */
  async inc(def: MetricDef, labels: Labels = {}, by = 1): Promise<void> {
    if (def.kind === 'gauge') return this.add(def, labels, by)
    ;(this.ensure(def) as Counter).inc(labels, by)
  }

  /** Moves a district-wide gauge up or down (in Redis: every process shares it). */
  async add(def: MetricDef, labels: Labels, by: number): Promise<void> {
    await this.store.redis.hincrbyfloat(this.key, gaugeField(def.name, labels), by)
  }

  /** Sets a district-wide gauge. */
  async set(def: MetricDef, labels: Labels, value: number): Promise<void> {
    await this.store.redis.hset(this.key, gaugeField(def.name, labels), value)
  }

  /** Records one observation of a histogram (this process). */
  async observe(def: MetricDef, labels: Labels, value: number): Promise<void> {
    ;(this.ensure(def) as Histogram).observe(labels, value)
  }

  /** The district-wide gauges kept in Redis: series → label sets with their values. */
  async gauges(): Promise<Snapshot> {
    const out: Snapshot = new Map()
    const gaugeNames = new Set([...defined.values()].filter(d => d.kind === 'gauge').map(d => d.name))
    for (const [f, v] of Object.entries(await this.store.redis.hgetall(this.key))) {
      const bar = f.indexOf('|')
      if (bar < 0 || !gaugeNames.has(f.slice(0, bar))) continue // counters of before issue 26 are no longer read
      let labels: Labels
      try { labels = JSON.parse(f.slice(bar + 1)) as Labels } catch { continue }
      const series = f.slice(0, bar)
      out.set(series, [...out.get(series) ?? [], { labels, value: Number(v) }])
    }
    return out
  }

  /** Every series of this process's counters and histograms (`_bucket` cumulative), and the district's gauges. */
  async snapshot(): Promise<Snapshot> {
    const out = await this.gauges()
    for (const m of await this.registry.getMetricsAsJSON()) {
      for (const v of m.values) {
        const series = (v as { metricName?: string }).metricName ?? m.name
        out.set(series, [...out.get(series) ?? [], { labels: v.labels as Labels, value: v.value }])
      }
    }
    return out
  }
}

const perApp = new WeakMap<object, Metrics>()

/** The metrics of an app (one per app, shared by its features). */
export function metricsOf(app: { store: Store }): Metrics {
  let m = perApp.get(app)
  if (!m) perApp.set(app, m = new Metrics(app.store))
  return m
}
