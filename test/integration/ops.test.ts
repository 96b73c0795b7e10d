/**
 * Ops: the HTTP API and its token, readiness, metrics, a graceful stop with a send in flight,
 * and failover of a logged-out account's posts to the other account in shared groups.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { postsByBot, publicTopics as topicsOf, startDistrict, waitFor } from '../helpers.ts'
import { hasSeries, metricValue, startApi, startRuntime, type Api } from './ops-helpers.ts'
import { createScraper, ProcessMetrics } from '../../src/infra/metrics-scrape.ts'
import { accountFigures } from '../../src/chat/bot-metrics.ts'
import { createHealthApp } from '../../src/web/api.ts'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const TOKEN = 'test-token-7f3a'
let d: SimDistrict
let api: Api | undefined
afterEach(async () => {
  await api?.close()
  api = undefined
  await d?.close()
})

const auth = { authorization: `Bearer ${TOKEN}` }
const json = { 'content-type': 'application/json' }
function publicTopics(node: string): string[] { return topicsOf(d, node) }

describe('HTTP API', () => {
  it('publishes and shows status only with the token', async () => {
    d = await startDistrict()
    api = await startApi(d, TOKEN)
    const body = JSON.stringify({ node: 'chaotian', text: '测试：通过接口发布', severity: 'normal' })
    expect((await fetch(`${api.url}/api/announcements`, { method: 'POST', headers: json, body })).status).toBe(401)
    expect((await fetch(`${api.url}/api/announcements`, { method: 'POST', headers: { ...json, authorization: 'Bearer wrong' }, body })).status).toBe(401)
    const bad = await fetch(`${api.url}/api/announcements`, { method: 'POST', headers: { ...json, ...auth }, body: JSON.stringify({ node: 'nowhere', text: '' }) })
    expect(bad.status).toBe(400)
    expect((await bad.json() as { problems: string[] }).problems).toHaveLength(2)
    expect(await d.store.recentCodes()).toEqual([])

    const ok = await fetch(`${api.url}/api/announcements`, { method: 'POST', headers: { ...json, ...auth }, body })
    expect(ok.status).toBe(201)
    const { code } = await ok.json() as { code: string }
    const a = await d.store.announcement(code)
    expect(a).toMatchObject({ author: 'ops-api', severity: 'normal', originNode: 'chaotian' })

    expect((await fetch(`${api.url}/api/announcements/${code}`)).status).toBe(401)
    const status = await fetch(`${api.url}/api/announcements/${code.toLowerCase()}`, { headers: auth })
    expect(status.status).toBe(200)
    expect(await status.json()).toMatchObject({ announcement: { code }, root: { node: 'chaotian' } })
    expect((await fetch(`${api.url}/api/announcements/ZZZZ`, { headers: auth })).status).toBe(404)

    const board = await fetch(`${api.url}/admin/queues`)
    expect(board.status).toBe(401)
    expect(board.headers.get('www-authenticate')).toMatch(/^Basic/)
    const basic = `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}`
    expect((await fetch(`${api.url}/admin/queues`, { headers: { authorization: basic } })).status).toBe(200)
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200)
    const icon = await fetch(`${api.url}/favicon.ico`) // no 404 in the browser's console (issue 26 item 6)
    expect(icon.status).toBe(200)
    expect(icon.headers.get('content-type')).toBe('image/x-icon')
    expect(Buffer.from(await icon.arrayBuffer()).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]))
  })

  it('answers 503 on protected routes when no token is configured', async () => {
    d = await startDistrict()
    api = await startApi(d, undefined)
    expect((await fetch(`${api.url}/api/announcements/ABCD`, { headers: { authorization: 'Bearer ' } })).status).toBe(503)
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200)
  })
})

describe('readiness and logout', () => {
  it('shows a logged-out account, tells the ops group through another account, and serves its QR code', async () => {
    d = await startDistrict()
    api = await startApi(d, TOKEN)
    const ready = await fetch(`${api.url}/status`)
    expect(ready.status).toBe(200)
    expect((await ready.json() as { bots: { loggedIn: boolean }[] }).bots.every(b => b.loggedIn)).toBe(true)

    await d.runtimes.get('bot-south')!.wechaty.logout()
    const staff = d.cfg.nodes.get('chaotian')!.groups.find(g => g.kind === 'staff')!.topic
    const notice = await waitFor('the ops notice', () => d.world.postsIn(staff, 'bot-south')[0])
    expect(notice.text).toContain('朝天南片值守号')
    // Still ready (issue 26 item 2): serve, whose page shows the QR code, stays in its Service.
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200)
    const res = await fetch(`${api.url}/status`)
    expect(res.status).toBe(200)
    const r = await res.json() as { redis: boolean; accountsReady: boolean; bots: { id: string; loggedIn: boolean; logoutAt: string | null; backlog: number }[] }
    expect(r).toMatchObject({ redis: true, accountsReady: false })
    const m = await (await fetch(`${api.url}/metrics`)).text()
    expect(metricValue(m, 'cascade_bot_state{bot="bot-south",state="logged_out"}')).toBe(1)
    expect(metricValue(m, 'cascade_bot_state{bot="bot-south"}')).toBe(1) // one state at a time
    expect(metricValue(m, 'cascade_bot_logged_in{bot="bot-south"}')).toBe(0)
    expect(r.bots.find(b => b.id === 'bot-south')).toMatchObject({ loggedIn: false, backlog: 0, state: 'logged out' })
    expect(r.bots.find(b => b.id === 'bot-south')!.logoutAt).not.toBeNull()
    expect(r.bots.filter(b => b.loggedIn).map(b => b.id).sort()).toEqual(['bot-district', 'bot-north'])

    const noQr = await fetch(`${api.url}/api/bots/bot-south/qrcode`, { headers: auth })
    expect(noQr.status).toBe(404)
    const { BotHealth } = await import('../../src/infra/bot-health.ts')
    await new BotHealth(d.store).recordQr('bot-south', 'https://login.weixin.qq.com/l/test', 2, Date.now())
    const qr = await fetch(`${api.url}/api/bots/bot-south/qrcode`, { headers: auth })
    expect(qr.status).toBe(200)
    expect(qr.headers.get('content-type')).toBe('image/png')
    expect((await fetch(`${api.url}/api/bots/bot-south/qrcode`)).status).toBe(401)
  })
})

describe('what an API client and ops are told (issue 14, item 11)', () => {
  it('an unknown /api route is a JSON 404; a stopped account is "stopped" with when and why, not a bare loggedIn:false', async () => {
    d = await startDistrict()
    api = await startApi(d, TOKEN)
    for (const [method, path] of [['GET', '/api/nothing'], ['POST', '/api/announcements/A7K2/x'], ['GET', '/api']]) {
      const res = await fetch(`${api.url}${path}?q=1`, { method, headers: auth })
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/)
      expect(await res.json(), path).toMatchObject({ error: `no such API route: ${method} ${path}`, routes: expect.arrayContaining(['POST /api/announcements']) })
    }

    const before = Date.now()
    await d.stopBot('bot-south')
    const res = await fetch(`${api.url}/status`)
    expect(res.status).toBe(200)
    const bots = (await res.json() as { bots: { id: string; state: string; since: string | null; why: string | null }[] }).bots
    const south = bots.find(b => b.id === 'bot-south')!
    expect(south).toMatchObject({ state: 'stopped', why: expect.stringMatching(/^its process was stopped/) })
    expect(Date.parse(south.since!)).toBeGreaterThanOrEqual(before - 1000)
    expect(bots.find(b => b.id === 'bot-north')).toMatchObject({ state: 'logged in', why: null })
  })
})

describe('metrics', () => {
  it('move after a publish, an approval and an acknowledgment; standard process names; no empty family', async () => {
    d = await startDistrict()
    api = await startApi(d, TOKEN)
    const scrape = async () => (await fetch(`${api!.url}/metrics`)).text()
    const before = await scrape()
    expect(before).toContain('# TYPE cascade_publish_to_group_seconds histogram')
    // prom-client's defaults under their standard names, the process told apart by a label.
    expect(hasSeries(before, 'process_cpu_seconds_total{role="serve"}')).toBe(true)
    expect(before).toMatch(/^nodejs_heap_size_used_bytes\{role="serve"\} \d/m)
    expect(before).not.toMatch(/cascade_serve_/)
    // Families with a sample before their first event.
    expect(hasSeries(before, 'cascade_cases_open{node="zhongzi-xicun"}')).toBe(true)
    for (const tier of ['district', 'township', 'village']) expect(hasSeries(before, `cascade_acknowledgments_total{tier="${tier}"}`), tier).toBe(true)
    expect(hasSeries(before, 'cascade_approval_wait_seconds_count{tier="village",decision="rejected"}')).toBe(true)
    expect(metricValue(before, 'cascade_redis_up')).toBe(1)
    expect(metricValue(before, 'cascade_district_exporter')).toBe(1)
    const sentBefore = metricValue(before, 'cascade_sends_total{outcome="sent"}')

    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：指标' })
    await d.idle()
    const relay = (await d.store.relay(a.code, 'zhongzi'))!
    const waiting = await scrape()
    expect(metricValue(waiting, 'cascade_approvals_waiting{node="zhongzi",tier="township"}')).toBe(1)
    expect(metricValue(waiting, 'cascade_approvals_overdue{node="zhongzi"}')).toBe(0)
    // Opened 11 minutes ago: an urgent notice past autoForwardAfter (10 min) is past its policy.
    await d.store.transitionRelay(a.code, 'zhongzi', ['pending'], { openedAt: Date.now() - 11 * 60_000 })
    expect(metricValue(await scrape(), 'cascade_approvals_overdue{node="zhongzi",tier="township"}')).toBe(1)
    await d.app.decide(a, 'zhongzi', d.cfg.nodes.get('zhongzi')!.curators[0], { action: 'approve' })
    await d.idle()
    const [topic] = publicTopics('chaotian')
    d.world.sayInGroup(d.world.villagersOf(topic)[0], topic, '收到')
    await waitFor('the acknowledgment', async () => (await d.store.acks(a.code)).size === 1)

    const after = await scrape()
    expect(metricValue(after, 'cascade_sends_total{outcome="sent"}')).toBeGreaterThan(sentBefore)
    expect(metricValue(after, 'cascade_publish_to_group_seconds_count{tier="district"}')).toBe(1)
    expect(metricValue(after, 'cascade_publish_to_group_seconds_count{tier="township"}')).toBe(1)
    // Buckets are cumulative: the post took well under 10 s, so it is in every bucket from le=10 up.
    for (const le of ['10', '30', '43200', '+Inf']) expect(metricValue(after, `cascade_publish_to_group_seconds_bucket{le="${le}",tier="district"}`), le).toBe(1)
    expect(metricValue(after, 'cascade_approval_wait_seconds_count{decision="approved",tier="township"}')).toBe(1)
    expect(relay.state).toBe('pending')
    expect(metricValue(after, 'cascade_approvals_waiting{node="zhongzi"}')).toBe(0)
    expect(metricValue(after, 'cascade_acknowledgments_total{tier="district"}')).toBe(1)
    expect(metricValue(after, `cascade_notice_acknowledgments{code="${a.code}",severity="urgent"}`)).toBe(1)
    expect(metricValue(after, `cascade_notice_members{code="${a.code}"}`)).toBeGreaterThan(1)
    expect(metricValue(after, `cascade_notice_groups{code="${a.code}"}`)).toBe((await d.store.deliveries(a.code)).length)
    expect(metricValue(after, 'cascade_bot_logged_in{bot="bot-north"}')).toBe(1)
    expect(metricValue(after, 'cascade_bot_backlog{bot="bot-north"}')).toBe(0)
    expect(hasSeries(after, 'cascade_queue_depth{queue="outbox-bot-north",state="waiting"}')).toBe(true)
    expect(metricValue(after, 'cascade_bot_last_send_timestamp_seconds{bot="bot-district"}')).toBeGreaterThan(0)

    // Every cascade_ metric the alert rules and the Grafana dashboard use is one serve exports.
    const families = new Set([...after.matchAll(/^# TYPE (\S+) /gm)].map(m => m[1]))
    for (const file of ['monitoring/alerts.yml', 'monitoring/grafana-dashboard.json']) {
      const used = new Set([...readFileSync(file, 'utf8').matchAll(/\bcascade_[a-z_]*[a-z]\b(?!_\*)/g)].map(m => m[0].replace(/_(bucket|sum|count)$/, '')))
      expect(used.size, file).toBeGreaterThan(5)
      for (const name of used) expect(families.has(name), `${file}: ${name}`).toBe(true)
    }
  })

  it('two serve replicas: the district-wide gauges are exported by one, so a sum() does not double them', async () => {
    d = await startDistrict()
    const firstScraper = createScraper(d.app)
    api = await startApi(d, TOKEN, firstScraper)
    const first = await (await fetch(`${api.url}/metrics`)).text()
    const second = createScraper(d.app)
    const other = await second.text()
    expect(metricValue(first, 'cascade_district_exporter')).toBe(1)
    expect(metricValue(other, 'cascade_district_exporter')).toBe(0)
    const both = first + other
    expect(metricValue(both, 'cascade_bot_logged_in')).toBe(d.cfg.bots.size)
    expect(metricValue(both, 'cascade_cases_open')).toBe(0)
    expect(hasSeries(other, 'cascade_bot_backlog')).toBe(false)
    // Per-process families are in both (each its own events), the district gauges in one.
    expect(hasSeries(other, 'cascade_acknowledgments_total{tier="village"}')).toBe(true)
    // The exporter stops (serve's SIGTERM closes its scraper): the other takes over at its next scrape.
    await firstScraper.close()
    const lease = `${d.store.keys.base}metrics:exporter`
    expect(metricValue(await second.text(), 'cascade_district_exporter')).toBe(1)
    await second.close()
    expect(await d.store.redis.exists(lease)).toBe(0)
  })
})

describe('a bot process\'s own /metrics', () => {
  it('its sends and its account: login, outbox, echo waits; no district gauges', async () => {
    d = await startDistrict()
    const rt = d.runtimes.get('bot-north')!
    const proc = new ProcessMetrics({ role: 'bot', bot: 'bot-north' })
    const scraper = createScraper(d.app, { process: proc, district: false, own: () => accountFigures(rt, proc.labels) })
    const http = createHealthApp({ metrics: () => scraper.text(), contentType: proc.contentType, ready: async () => undefined })
    const server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：值守号指标' })
      await d.idle()
      const text = await (await fetch(`${url}/metrics`)).text()
      expect(text).toMatch(/^cascade_account_logged_in\{role="bot",bot="bot-north"\} 1$/m)
      expect(hasSeries(text, 'cascade_account_outbox_depth{bot="bot-north",state="waiting"}')).toBe(true)
      expect(hasSeries(text, 'cascade_account_echo_waiting{bot="bot-north"}')).toBe(true)
      expect(hasSeries(text, 'process_cpu_seconds_total{role="bot",bot="bot-north"}')).toBe(true)
      expect(metricValue(text, 'cascade_redis_up')).toBe(1)
      expect(hasSeries(text, 'cascade_bot_logged_in')).toBe(false) // the district's view is serve's
      expect(hasSeries(text, 'cascade_district_exporter')).toBe(false)
      expect(metricValue(text, 'cascade_sends_total{outcome="sent"}')).toBeGreaterThan(0)
      expect((await d.store.deliveries(a.code)).length).toBeGreaterThan(0)
      expect((await fetch(`${url}/readyz`)).status).toBe(200)
    } finally {
      server.closeAllConnections()
      await new Promise(r => server.close(r))
    }
  })
})

describe('graceful stop', () => {
  it('finishes the send in flight, leaves the rest queued, and a new process posts each group once', async () => {
    d = await startDistrict({ pacing: { perMinute: 600, jitterMs: 0 } })
    let release!: () => void
    const gate = new Promise<void>(r => { release = r })
    let held: string | undefined
    const rt = await startRuntime(d, 'bot-north', {
      // The third group post of bot-north hangs in say() until the stop has begun.
      beforeSay: async (target, text) => {
        if (target.kind !== 'group' || held || !text.includes('中途停止')) return
        if (d.world.transcript.filter(m => m.from === 'wxid_bot_bot-north' && m.text.includes('中途停止')).length < 2) return
        held = target.topic
        await gate
      },
    })
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：发送中途停止' })
    for (const node of ['zhongzi', 'yangmu']) await d.app.decide(a, node, d.cfg.nodes.get(node)!.curators[0], { action: 'approve' })
    const villages = [...d.cfg.nodes.values()].filter(n => n.level === 'village' && (n.parent === 'zhongzi' || n.parent === 'yangmu'))
    for (const v of villages) await d.app.decide(a, v.id, v.curators[0], { action: 'approve' })
    await waitFor('a send in flight', () => held)
    const stopped = rt.stop()
    await new Promise(r => setTimeout(r, 50))
    release()
    await stopped
    d.runtimes.delete('bot-north')
    // The post that was in flight went out once and is recorded as sent.
    expect(d.world.postsIn(held!, a.code)).toHaveLength(1)
    expect((await d.store.delivery(a.code, held!))?.state).toMatch(/sent|confirmed/)
    expect(await d.outboxes.backlog('bot-north')).toBeGreaterThan(0)

    await d.startBot('bot-north')
    await d.idle(60_000)
    const topics = ['chaotian', 'zhongzi', 'yangmu', ...villages.map(v => v.id)].flatMap(publicTopics)
    for (const topic of topics) expect(d.world.postsIn(topic, a.code), topic).toHaveLength(1)
  })
})

describe('failover', () => {
  it('moves a logged-out account\'s waiting posts to the other account in the shared groups, posting each once', async () => {
    d = await startDistrict()
    await d.stopBot('bot-south') // so that every yangmu village post goes to bot-north first
    const rt = await startRuntime(d, 'bot-north', { pacing: { perMinute: 30, jitterMs: 0 } }) // one send per 2 s
    const yangmu = ['yangmu-qinggang', 'yangmu-shimen', 'yangmu-heping']
    const codes: string[] = []
    for (const node of yangmu) codes.push((await d.app.publish({ node, author: CLI_AUTHOR, text: `测试：切换值守号 ${node}` })).code)
    const topics = yangmu.flatMap(publicTopics)
    expect(await d.outboxes.backlog('bot-north')).toBeGreaterThan(topics.length - 2)
    await d.startBot('bot-south')

    await waitFor('bot-north\'s first post', () => d.world.transcript.some(m => m.from === 'wxid_bot_bot-north' && m.text.includes('切换值守号')))
    await rt.wechaty.logout()
    await d.idle(30_000)
    const byBot = await postsByBot(d, yangmu, codes, async (_post, code, topic) => {
      expect((await d.store.delivery(code, topic))?.state).toMatch(/sent|confirmed/)
    })
    expect(byBot.get('wxid_bot_bot-south')).toBeGreaterThan(0)
    expect(await d.outboxes.backlog('bot-north')).toBe(0)
  })
})

describe('a move that meets a post its account has just taken', () => {
  it('leaves that post with its account (no copy elsewhere, nothing waiting on a claim) and moves the rest', async () => {
    d = await startDistrict()
    await d.stopBot('bot-south') // every yangmu village post goes to bot-north
    let open = false
    let held = 0
    let release!: () => void
    const gate = new Promise<void>(r => { release = r })
    // bot-north's first post hangs in say(): the others wait in its outbox behind it.
    const north = await startRuntime(d, 'bot-north', { beforeSay: async (target, text) => {
      if (open || target.kind !== 'group' || !text.includes('接手竞态')) return
      held++
      await gate
    } })
    const yangmu = ['yangmu-qinggang', 'yangmu-shimen', 'yangmu-heping']
    const codes: string[] = []
    for (const node of yangmu) codes.push((await d.app.publish({ node, author: CLI_AUTHOR, text: `测试：接手竞态 ${node}` })).code)
    await waitFor('a post in flight', () => held === 1)
    const queue = d.outboxes.queue('bot-north')
    const waiting = await queue.getJobs(['prioritized', 'waiting'])
    expect(waiting.length).toBeGreaterThanOrEqual(2)
    // The worker picks one up at the moment of the move: BullMQ's moveToActive takes the job's lock
    // (taken here by hand, before the worker reads the delivery; the worker is busy with the first).
    const taken = waiting[0]
    await d.store.redis.set(`${queue.toKey(taken.id!)}:lock`, 'a-worker-token', 'PX', 30_000)
    await d.store.heartbeat('bot-south', 60) // bot-south counts as live: failover moves posts there

    const moved = await north.failover()

    expect(moved).toBe(waiting.length - 1)
    expect(await d.outboxes.queue('bot-south').getJob(taken.id!)).toBeUndefined()
    expect(await queue.getJob(taken.id!)).toBeDefined()
    const { code, topic } = taken.data.delivery!
    expect(await d.store.delivery(code, topic)).toMatchObject({ state: 'queued', bot: 'bot-north' })
    for (const j of waiting.slice(1)) expect((await d.store.delivery(j.data.delivery!.code, j.data.delivery!.topic))?.bot).toBe('bot-south')

    await d.store.redis.del(`${queue.toKey(taken.id!)}:lock`)
    open = true
    release()
    await d.startBot('bot-south')
    await d.idle(30_000)
    await postsByBot(d, yangmu, codes) // each group once (accounts may take posts over from each other meanwhile)
    expect(d.world.postsIn(topic, code).map(m => m.from)).toEqual(['wxid_bot_bot-north'])
    // No copy waited for a send claim to settle: nothing was delayed in either outbox.
    for (const bot of ['bot-north', 'bot-south']) expect((await d.outboxes.queue(bot).getJobCounts('delayed')).delayed, bot).toBe(0)
    expect(await (await queue.getJob(taken.id!))!.returnvalue).toBe('sent')
  })
})
