/**
 * What a scrape of `serve`'s /metrics costs at district scale: `npm run bench:metrics` (or
 * `node --import tsx bench/metrics-bench.ts [--json]`). A synthetic district of 500 public groups
 * (src/sim/network.ts: 10 townships, 250 villages, 10 accounts) on the mock puppet, 5 notices
 * fanned out (the district gauges show each notice of the last day), 5 villages left pending;
 * then 30 scrapes of the district exporter's text: time per scrape (median, p95), size, series.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../src/config/load.ts'
import { createScraper } from '../src/infra/metrics-scrape.ts'
import { ensureRedis } from '../src/infra/redis.ts'
import { SimDistrict } from '../src/sim/district.ts'
import { writeNetwork } from '../src/sim/network.ts'
import { CLI_AUTHOR } from '../src/spine/cascade.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const JSON_OUT = process.argv.includes('--json')
const SPEC = { townships: 10, villages: 250, groups: 500, accounts: 10 }
const NOTICES = 5
const SCRAPES = 30
const say = (s: string) => { if (!JSON_OUT) console.log(s) }
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const round = (x: number) => Math.round(x * 10) / 10

const redis = await ensureRedis()
const dir = mkdtempSync(path.join(os.tmpdir(), 'metrics-bench-'))
let d: SimDistrict | undefined
try {
  const files = await writeNetwork(dir, { ...SPEC, pacing: { perMinute: 60000, jitterMs: 0, dailyBudget: 100000 } })
  const cfg = await loadConfig({ configDir: files.configDir, botsDir: files.botsDir, templatesFile: path.join(ROOT, 'config', 'templates.yaml') })
  d = await SimDistrict.start({ cfg, redisUrl: redis.url, ns: `metricsbench-${Date.now().toString(36)}`, pacing: { perMinute: 60000, jitterMs: 0 }, world: { villagersPerGroup: [4, 8], residentsPerGroup: 6 } })
  const app = d.app
  for (let i = 0; i < NOTICES; i++) {
    const a = await app.publish({ node: files.rootId, author: CLI_AUTHOR, text: `压测：指标 ${i}`, severity: 'urgent' })
    for (const t of app.children(files.rootId)) {
      await app.decide(a, t, cfg.nodes.get(t)!.curators[0], { action: 'approve' })
      for (const v of app.children(t).slice(i === 0 ? 1 : 0)) await app.decide(a, v, cfg.nodes.get(v)!.curators[0], { action: 'approve' })
    }
  }
  await d.idle(300_000)
  const scraper = createScraper(app)
  const times: number[] = []
  let text = ''
  for (let i = 0; i < SCRAPES; i++) {
    const t = performance.now()
    text = await scraper.text()
    times.push(performance.now() - t)
  }
  await scraper.close()
  const s = sorted(times)
  const series = text.split('\n').filter(l => l && !l.startsWith('#')).length
  const out = { groups: SPEC.groups, nodes: cfg.nodes.size, accounts: SPEC.accounts, notices: NOTICES, scrapes: SCRAPES, median_ms: round(s[Math.floor((s.length - 1) / 2)]), p95_ms: round(s[Math.ceil(s.length * 0.95) - 1]), bytes: Buffer.byteLength(text), series }
  say(`district: ${SPEC.groups} groups, ${cfg.nodes.size} nodes, ${SPEC.accounts} accounts; ${NOTICES} notices fanned out`)
  say(`serve /metrics (the district exporter): median ${out.median_ms} ms, p95 ${out.p95_ms} ms over ${SCRAPES} scrapes; ${out.bytes} bytes, ${series} series`)
  if (JSON_OUT) console.log(JSON.stringify(out))
} finally {
  await d?.close()
  rmSync(dir, { recursive: true, force: true })
  await redis.stop()
}
process.exit(0)
