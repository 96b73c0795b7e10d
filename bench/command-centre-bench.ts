/**
 * The command centre at district scale: `node --import tsx bench/command-centre-bench.ts [--json]`.
 *
 * A synthetic district of 500 public groups (src/sim/network.ts: 10 townships, 250 villages,
 * 10 accounts) simulated on the mock puppet in this process (SimDistrict, its own Redis
 * namespace, deleted afterwards). One notice is published from the district and approved at
 * every township and every village but a few, so the tree is full; then, with `cascade serve`'s
 * HTTP app on a local port:
 *
 *   data    GET /cc/n/<code> (the notice view, rendered on the server from the store), and for
 *           comparison the API's JSON status tree: median and p95 of 30 requests.
 *   paint   headless chromium (Debian's, as in the tests): first contentful paint of the notice
 *           view, signed in, fresh page each time: median of 5.
 *   change  with the view open in chromium, a village's curator approves (app.decide returns:
 *           the change is in Redis) → the village's node shows `approved` in the page:
 *           median and max of 5.
 *
 * Targets (issue 17): data < 100 ms, first paint < 1 s, a change visible < 1 s.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { CLI_AUTHOR } from '../src/spine/cascade.ts'
import { createHttpApp } from '../src/web/api.ts'
import { silentLogger } from '../src/infra/log.ts'
import { createScraper } from '../src/infra/metrics-scrape.ts'
import { ensureRedis } from '../src/infra/redis.ts'
import { loadConfig } from '../src/config/load.ts'
import { SimDistrict } from '../src/sim/district.ts'
import { writeNetwork } from '../src/sim/network.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const JSON_OUT = process.argv.includes('--json')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const TOKEN = 'bench-token'
const SPEC = { townships: 10, villages: 250, groups: 500, accounts: 10 }
/** Villages left pending, to be approved while the page watches. */
const LEFT_PENDING = 5

const say = (s: string) => { if (!JSON_OUT) console.log(s) }
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)] }
const p95 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] }
const round = (x: number) => Math.round(x * 10) / 10

async function signIn(base: string): Promise<string> {
  const login = await fetch(`${base}/cc/login`)
  const pre = /cc_pre=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]
  const res = await fetch(`${base}/cc/login`, { method: 'POST', redirect: 'manual', headers: { cookie: `cc_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, token: TOKEN }) })
  return /cc_sid=([^;]+)/.exec(res.headers.getSetCookie().join('\n'))![1]
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM} (apt-get install -y chromium)`)
  const redis = await ensureRedis()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-bench-'))
  const userDir = mkdtempSync(path.join(os.tmpdir(), 'cc-bench-chromium-'))
  let d: SimDistrict | undefined
  let server: Server | undefined
  try {
    const files = await writeNetwork(dir, { ...SPEC, pacing: { perMinute: 60000, jitterMs: 0, dailyBudget: 100000 } })
    const cfg = await loadConfig({ configDir: files.configDir, botsDir: files.botsDir, templatesFile: path.join(ROOT, 'config', 'templates.yaml') })
    say(`district: ${SPEC.groups} public groups, ${SPEC.townships} townships, ${SPEC.villages} villages, ${SPEC.accounts} accounts (mock puppet, one process)`)
    d = await SimDistrict.start({
      cfg, redisUrl: redis.url, ns: `ccbench-${Date.now().toString(36)}`,
      pacing: { perMinute: 60000, jitterMs: 0 }, world: { villagersPerGroup: [4, 8], residentsPerGroup: 6 },
    })
    const app = d.app
    const a = await app.publish({ node: files.rootId, author: CLI_AUTHOR, text: '压测：指挥中心页面', severity: 'normal' })
    const townships = app.children(files.rootId)
    for (const t of townships) await app.decide(a, t, cfg.nodes.get(t)!.curators[0], { action: 'approve' })
    const villages = townships.flatMap(t => app.children(t))
    const pending = villages.slice(0, LEFT_PENDING)
    for (const v of villages.slice(LEFT_PENDING)) await app.decide(a, v, cfg.nodes.get(v)!.curators[0], { action: 'approve' })
    await d.idle(120_000)
    const deliveries = await app.store.deliveries(a.code)
    say(`notice ${a.code}: ${deliveries.length} group posts, ${deliveries.filter(x => x.state === 'confirmed').length} confirmed; ${pending.length} villages left pending`)

    const http = createHttpApp({ app, token: TOKEN, log: silentLogger, scraper: createScraper(app) })
    server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const sid = await signIn(base)

    // ── data ──
    const timeGet = async (url: string, headers: Record<string, string>) => {
      const t0 = performance.now()
      const r = await fetch(url, { headers })
      const body = await r.text()
      if (!r.ok) throw new Error(`${url}: ${r.status}`)
      return { ms: performance.now() - t0, bytes: Buffer.byteLength(body) }
    }
    for (let i = 0; i < 3; i++) await timeGet(`${base}/cc/n/${a.code}`, { cookie: `cc_sid=${sid}` }) // warm up
    const page: number[] = []
    let pageBytes = 0
    for (let i = 0; i < 30; i++) { const r = await timeGet(`${base}/cc/n/${a.code}`, { cookie: `cc_sid=${sid}` }); page.push(r.ms); pageBytes = r.bytes }
    const api: number[] = []
    for (let i = 0; i < 30; i++) api.push((await timeGet(`${base}/api/announcements/${a.code}`, { authorization: `Bearer ${TOKEN}` })).ms)
    say(`data: notice view GET /cc/n/${a.code} median ${round(median(page))} ms, p95 ${round(p95(page))} ms (${Math.round(pageBytes / 1024)} KB); API JSON median ${round(median(api))} ms, p95 ${round(p95(api))} ms`)

    // ── first paint ──
    const ctx = await chromium.launchPersistentContext(userDir, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 800 } })
    await ctx.addCookies([{ name: 'cc_sid', value: sid, url: `${base}/cc/`, httpOnly: true, sameSite: 'Strict' }])
    const paints: number[] = []
    for (let i = 0; i < 6; i++) {
      const p = await ctx.newPage()
      await p.goto(`${base}/cc/n/${a.code}`, { waitUntil: 'load' })
      const fcp = await p.evaluate(() => new Promise<number>(resolve => {
        const have = performance.getEntriesByName('first-contentful-paint')[0]
        if (have) { resolve(have.startTime); return }
        new PerformanceObserver(list => resolve(list.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true })
      }))
      if (i > 0) paints.push(fcp) // the first run warms the browser's caches
      await p.close()
    }
    say(`first paint: first contentful paint of the notice view median ${round(median(paints))} ms, max ${round(Math.max(...paints))} ms`)

    // ── a change visible ──
    const p = await ctx.newPage()
    await p.goto(`${base}/cc/n/${a.code}`)
    await p.waitForFunction(() => document.body.dataset.live === 'on')
    const changes: number[] = []
    for (const v of pending) {
      await p.waitForSelector(`#live [data-node="${v}"][data-state="pending"]`, { state: 'attached' })
      const t0 = Date.now()
      await app.decide(a, v, cfg.nodes.get(v)!.curators[0], { action: 'approve' })
      const decidedMs = Date.now() - t0
      await p.waitForSelector(`#live [data-node="${v}"][data-state="approved"]`, { state: 'attached', timeout: 10_000 })
      changes.push(Date.now() - t0 - decidedMs)
    }
    say(`change visible: a village approved → shown approved in the open page: median ${round(median(changes))} ms, max ${round(Math.max(...changes))} ms (the page follows Redis by re-rendering every 250 ms)`)
    await ctx.close()

    const ok = median(page) < 100 && Math.max(...paints) < 1000 && Math.max(...changes) < 1000
    say(ok ? 'all within the targets (data < 100 ms, first paint < 1 s, change < 1 s)' : 'NOT within the targets')
    if (JSON_OUT) {
      console.log(JSON.stringify({
        groups: deliveries.length, code: a.code,
        dataMs: { median: round(median(page)), p95: round(p95(page)), bytes: pageBytes }, apiMs: { median: round(median(api)), p95: round(p95(api)) },
        firstPaintMs: { median: round(median(paints)), max: round(Math.max(...paints)) },
        changeVisibleMs: { median: round(median(changes)), max: round(Math.max(...changes)) }, ok,
      }))
    }
  } finally {
    if (server) { server.closeAllConnections(); server.close() }
    await d?.close()
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
    rmSync(userDir, { recursive: true, force: true })
  }
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
