/**
 * Sign-in as a person (issue 24): `node --import tsx bench/signin-bench.ts [--json]`.
 *
 * The demo district simulated on the mock puppet in this process (its own Redis namespace,
 * deleted afterwards), `cascade serve`'s HTTP app on a local port. For each of five people with a
 * role: POST /cc/login/code (their id) → the one-time code arrives in their simulated WeChat
 * contact's private chat (sent through their account's outbox, like every send) → POST
 * /cc/login/verify → 303 with the session cookie. Timed from the request to the signed-in answer,
 * in two settings:
 *
 *   idle      the accounts have nothing else to send (simulation pacing, 6,000 sends/minute)
 *   busy      real pacing (60 sends/minute per account) while a district notice is being fanned
 *             out: the code is sent ahead of the waiting posts (approval priority), so it waits
 *             for the account's next send slot, not for the backlog
 *
 * The figure includes the human's part as 0 (the code is typed back at once).
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../src/config/load.ts'
import { silentLogger } from '../src/infra/log.ts'
import { createScraper } from '../src/infra/metrics-scrape.ts'
import { ensureRedis } from '../src/infra/redis.ts'
import { SimDistrict } from '../src/sim/district.ts'
import { personContactId } from '../src/sim/world.ts'
import { createHttpApp } from '../src/web/api.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const JSON_OUT = process.argv.includes('--json')
const PEOPLE = ['li-hong', 'sun-li', 'song-wei', 'zhang-guiying', 'wang-jun']
const say = (s: string) => { if (!JSON_OUT) console.log(s) }
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)] }

async function waitFor<T>(fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise(r => setTimeout(r, 5))
  }
}

async function signInTimes(d: SimDistrict, base: string): Promise<number[]> {
  const times: number[] = []
  for (const person of PEOPLE) {
    const login = await fetch(`${base}/cc/login`)
    const pre = /cc_pre=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]
    const headers = { cookie: `cc_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }
    const before = d.world.dmsTo(personContactId(person)).length
    const t0 = performance.now()
    const asked = await fetch(`${base}/cc/login/code`, { method: 'POST', headers, body: new URLSearchParams({ _csrf: csrf, who: person }) })
    if (asked.status !== 200) throw new Error(`code request for ${person}: ${asked.status}`)
    const dm = await waitFor(() => d.world.dmsTo(personContactId(person)).slice(before).find(m => m.text.includes('验证码')))
    const code = /验证码：(\d{6})/.exec(dm.text)![1]
    const done = await fetch(`${base}/cc/login/verify`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ _csrf: csrf, who: person, code }) })
    if (done.status !== 303) throw new Error(`verify for ${person}: ${done.status}`)
    times.push(performance.now() - t0)
  }
  return times
}

async function run(url: string, perMinute: number, busy: boolean): Promise<number[]> {
  const cfg = await loadConfig({ configDir: path.join(ROOT, 'config'), botsDir: path.join(ROOT, 'bots') })
  const d = await SimDistrict.start({ cfg, redisUrl: url, pacing: { perMinute, jitterMs: 0 }, world: { villagersPerGroup: [5, 8], residentsPerGroup: 4 } })
  let server: Server | undefined
  try {
    await d.bindEveryone(120_000)
    if (busy) await d.app.publish({ node: cfg.rootId, author: 'ops-cli', text: '基准测试：全区通知正在下发', severity: 'normal' })
    const http = createHttpApp({ app: d.app, token: 'bench-token', log: silentLogger, scraper: createScraper(d.app) })
    server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
    return await signInTimes(d, `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  } finally {
    server?.closeAllConnections()
    server?.close()
    await d.close()
  }
}

const redis = await ensureRedis()
try {
  const idle = await run(redis.url, 6000, false)
  const busy = await run(redis.url, 60, true)
  const fmt = (xs: number[]) => `median ${Math.round(median(xs))} ms, max ${Math.round(Math.max(...xs))} ms (${xs.length} people)`
  say(`sign-in, code request → signed in, idle accounts (6,000 sends/min): ${fmt(idle)}`)
  say(`sign-in, code request → signed in, real pacing (60 sends/min) during a district fan-out: ${fmt(busy)}`)
  if (JSON_OUT) console.log(JSON.stringify({ idleMs: idle.map(Math.round), busyMs: busy.map(Math.round) }))
} finally {
  await redis.stop()
}
