/**
 * What `/metrics` answers, in every process (issue 26, item 2):
 *
 * - the process's own Node.js metrics under their standard names (`process_cpu_seconds_total`,
 *   `nodejs_heap_size_used_bytes`, …), told apart by labels: `role` (serve | bot) and, in a bot
 *   process, `bot`;
 * - `cascade_redis_up` (1 when this process's last look at Redis got an answer) — answered even
 *   while Redis is down, before anything else works;
 * - the counters and histograms of the events this process saw (src/infra/metrics.ts);
 * - in `serve` only, and only in the one that holds the exporter lease (`{ns}:metrics:exporter`,
 *   renewed at every scrape, taken over by another `serve` within LEASE_MS when it stops), the
 *   district-wide gauges (src/infra/district-figures.ts); `cascade_district_exporter` says which.
 */
import { randomUUID } from 'node:crypto'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { DISTRICT_HELP, readDistrict, type Figures, type ScrapeSource } from './district-figures.ts'
import { metricsOf, type Labels } from './metrics.ts'

export type { ScrapeSource } from './district-figures.ts'

/** How long a `serve` stays the exporter of the district's gauges without scraping. */
export const LEASE_MS = 60_000
/** How long a scrape waits for Redis before calling it down. */
const PING_MS = 1_000

/** The process's own metrics: Node.js defaults and whether Redis answers. Made before Redis is reached. */
export class ProcessMetrics {
  readonly registry = new Registry()
  private readonly redisUp: Gauge
  constructor(readonly labels: Labels) {
    this.registry.setDefaultLabels(labels)
    collectDefaultMetrics({ register: this.registry })
    this.redisUp = new Gauge({ name: 'cascade_redis_up', help: 'Per process: 1 when this process\'s last look at Redis got an answer, else 0.', registers: [this.registry] })
    this.redisUp.set(0)
  }

  setRedisUp(up: boolean): void { this.redisUp.set(up ? 1 : 0) }

  get contentType(): string { return this.registry.contentType }

  text(): Promise<string> { return this.registry.metrics() }
}

export interface Scraper {
  contentType: string
  /** The whole Prometheus text: reads Redis and the queues (district gauges when this process exports them). */
  text(): Promise<string>
  /** Gives up the exporter lease (serve stopping), so that another `serve` takes it at once. */
  close(): Promise<void>
}

async function answers(src: { store: ScrapeSource['store'] }): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>(resolve => { timer = setTimeout(() => resolve(false), PING_MS) })
  try {
    return await Promise.race([src.store.redis.ping().then(p => p === 'PONG', () => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Takes or renews the lease when free or ours: 1, else 0. */
const LEASE_LUA = `local v = redis.call('GET', KEYS[1])
if (not v) or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

/** Prometheus text of gauges (figures read at scrape time), with `extra` labels on every sample. */
export function gaugesText(figures: Figures, help: Record<string, string>, extra: Labels = {}): string {
  const lines: string[] = []
  for (const [name, samples] of figures) {
    lines.push(`# HELP ${name} ${(help[name] ?? name).replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} gauge`)
    for (const s of samples) {
      const labels = Object.entries({ ...extra, ...s.labels }).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')
      lines.push(`${name}${labels ? `{${labels}}` : ''} ${Number.isFinite(s.value) ? s.value : 0}`)
    }
  }
  return lines.length ? lines.join('\n') + '\n' : ''
}

/**
 * `/metrics` of a process with an app. `district: true` (serve) competes for the exporter lease;
 * bot processes pass `own` for the figures of their own account.
 */
export function createScraper(app: ScrapeSource, opts: { process?: ProcessMetrics; district?: boolean; own?: () => Promise<string> } = {}): Scraper {
  const proc = opts.process ?? new ProcessMetrics({ role: 'serve' })
  const events = metricsOf(app)
  events.registry.setDefaultLabels(proc.labels)
  const district = opts.district ?? true
  const id = randomUUID()
  const leaseKey = `${app.store.keys.base}metrics:exporter`
  const exporter = district ? new Gauge({ name: 'cascade_district_exporter', help: 'Per serve process: 1 while this process exports the district-wide gauges (one serve does), else 0.', registers: [proc.registry] }) : undefined
  exporter?.set(0)
  return {
    contentType: proc.contentType,
    async text() {
      const up = await answers(app)
      proc.setRedisUp(up)
      let lead = false
      if (up && district) lead = Number(await app.store.redis.eval(LEASE_LUA, 1, leaseKey, id, LEASE_MS)) === 1
      exporter?.set(lead ? 1 : 0)
      const parts = [await events.registry.metrics()]
      if (lead) parts.push(gaugesText(await readDistrict(app), DISTRICT_HELP))
      if (opts.own && up) parts.push(await opts.own())
      return await proc.text() + parts.join('')
    },
    async close() {
      if (!district) return
      let timer: NodeJS.Timeout | undefined
      const released = app.store.redis.eval(RELEASE_LUA, 1, leaseKey, id).catch(() => undefined)
      await Promise.race([released, new Promise(resolve => { timer = setTimeout(resolve, PING_MS) })]) // Redis down: the lease expires by itself
      clearTimeout(timer)
    },
  }
}
