/**
 * Acknowledgment coverage at district scale: `npx tsx bench/acks-bench.ts [households] [baseline]`.
 *
 * 1. Throughput: one bot process (one BotRuntime on the mock puppet, sitting in every village
 *    group of the demo district) receives `households` (default 70,000) acknowledgments, one per
 *    household, through Wechaty → handleInbound → recordAck → the coverage listener; reported as
 *    acknowledgments per second. Baseline in the same process: the same pipeline with no
 *    households configured (the spine's acknowledgments only): the bot contacts read per message
 *    (as before this issue) vs cached, over `baseline` (default 20,000), then over all.
 * 2. A whole-district coverage query (`Coverage.tree`) after all of them: median and max.
 * 3. Redis memory per 10,000 households: INFO used_memory before/after recording 10,000
 *    households' acknowledgments (spine + coverage keys) in a fresh namespace.
 * Everything runs in fresh namespaces that are deleted at the end. Needs Redis (REDIS_URL).
 */
import { performance } from 'node:perf_hooks'
import { mock, PuppetMock } from 'wechaty-puppet-mock'
import { compose, type Composed } from '../src/app/compose.ts'
import { coverageOf } from '../src/features/coverage/coverage.ts'
import { bullConnection, redisUrlFromEnv } from '../src/infra/redis.ts'
import { BotRuntime } from '../src/chat/bot-runtime.ts'
import { loadConfig } from '../src/config/load.ts'
import type { BotConfig, CascadeConfig } from '../src/config/types.ts'
import type { Announcement } from '../src/domain/announcement.ts'
import { householdKey, type Grid, type HouseholdsConfig } from '../src/domain/households.ts'

const HOUSEHOLDS = Number(process.argv[2] ?? 70_000)
const BASELINE = Number(process.argv[3] ?? 20_000)
const GRIDS_PER_VILLAGE = 10
/** Acknowledgments in flight at once (sent by villagers, not yet recorded). */
const WINDOW = 2_000
const QUERY_RUNS = 15
/** Acknowledgments fed before measuring (JIT, connections). */
const WARM_UP = 2_000
const MEMORY_HOUSEHOLDS = 10_000
const REDIS_URL = redisUrlFromEnv()
const BOT = 'bench-bot'

const ns = (what: string) => `bench-acks-${what}-${Date.now().toString(36)}`

/** The demo district with a synthetic roster: `n` one-member households over its villages. */
function withRoster(base: CascadeConfig, n: number): CascadeConfig {
  const villages = [...base.nodes.values()].filter(v => v.level === 'village')
  const cfg: HouseholdsConfig = { deadlines: {}, villages: new Map() }
  villages.forEach((v, vi) => {
    const grids: Grid[] = Array.from({ length: GRIDS_PER_VILLAGE }, (_, g) => ({ id: String(g + 1), name: `${g + 1}组`, workers: [], households: [] }))
    for (let i = vi; i < n; i += villages.length) {
      const grid = grids[Math.floor(i / villages.length) % GRIDS_PER_VILLAGE]
      const name = memberName(i)
      grid.households.push({ key: householdKey(grid.id, `${name}户`), name: `${name}户`, grid: grid.id, members: [name] })
    }
    cfg.villages.set(v.id, { village: v.id, grids })
  })
  return { ...base, households: cfg }
}

function memberName(i: number): string { return `村民${String(i).padStart(6, '0')}` }

function benchBot(cfg: CascadeConfig): BotConfig {
  const villages = [...cfg.nodes.values()].filter(v => v.level === 'village').map(v => v.id)
  return { id: BOT, name: '压测值守号', nickname: '压测值守号', puppet: 'wechaty-puppet-mock', session: `.sessions/${BOT}`, nodes: villages, pacing: { perMinute: 6000, jitterMs: 0, dailyBudget: 1e9 }, file: 'bench' }
}

/** The village public groups, each with its villagers (`first`..`first+n` spread over them). */
function groupsOf(cfg: CascadeConfig, first: number, n: number): { topic: string; members: string[] }[] {
  const villages = [...cfg.nodes.values()].filter(v => v.level === 'village')
  const groups = villages.map(v => ({ topic: v.groups.find(g => g.kind === 'public')!.topic, members: [] as string[] }))
  for (let i = first; i < first + n; i++) groups[i % villages.length].members.push(`wxid_bench_${i}`)
  return groups
}

interface Run { composed: Composed; rt: BotRuntime; mocker: InstanceType<typeof mock.Mocker>; groups: { topic: string; members: string[]; roomId: string }[] }

/** One bot process: the app in its own namespace and one BotRuntime on a mock puppet. */
async function start(cfg: CascadeConfig, namespace: string, first: number, n: number): Promise<Run> {
  const composed = compose({ cfg, redisUrl: REDIS_URL, ns: namespace })
  const mocker = new mock.Mocker()
  const self = mocker.createContact({ id: `wxid_bot_${BOT}`, name: '压测值守号' })
  const groups = groupsOf(cfg, first, n).map((g, k) => {
    for (const id of g.members) mocker.createContact({ id, name: memberName(Number(id.slice('wxid_bench_'.length))) })
    const room = mocker.createRoom({ id: `${k + 1}${1e7 + k}@chatroom`, topic: g.topic, memberIdList: [self.id, ...g.members] })
    return { ...g, roomId: room.id }
  })
  const rt = new BotRuntime({ app: composed.app, bot: benchBot(cfg), puppet: new PuppetMock({ mocker }), connection: bullConnection(REDIS_URL) })
  await rt.start()
  const ready = rt.ready()
  mocker.login(self)
  await ready
  return { composed, rt, mocker, groups }
}

/** An acknowledgment-required notice, as if posted in every village group. */
async function notice(run: Run, code: string): Promise<void> {
  const store = run.composed.app.store
  const now = Date.now()
  const a: Announcement = { code, version: 1, type: 'alert', originNode: run.composed.app.cfg.rootId, author: 'bench', category: '通知', severity: 'urgent', status: 'actual', text: '压测', createdAt: now, ackRequired: true }
  await store.createAnnouncement(a)
  for (const g of run.groups) await store.setLatestInGroup(g.topic, code, now)
}

/**
 * A new notice `code`, then the first `limit` villagers say 收到 in their groups (WINDOW in
 * flight); returns acknowledgments per second.
 */
async function feed(run: Run, code: string, limit = Infinity): Promise<{ n: number; seconds: number; perSecond: number }> {
  await notice(run, code)
  const says: { id: string; roomId: string }[] = []
  const longest = Math.max(...run.groups.map(g => g.members.length))
  for (let i = 0; i < longest; i++) for (const g of run.groups) if (i < g.members.length) says.push({ id: g.members[i], roomId: g.roomId })
  says.splice(limit)
  let recorded = 0
  let wake: (() => void) | undefined
  const off = run.composed.app.events.on('ack', () => { recorded++; wake?.() })
  const until = (cond: () => boolean) => new Promise<void>(resolve => {
    if (cond()) return resolve()
    wake = () => { if (cond()) { wake = undefined; resolve() } }
  })
  const t0 = performance.now()
  for (let i = 0; i < says.length; i++) {
    if (i - recorded >= WINDOW) await until(() => i - recorded < WINDOW / 2)
    run.mocker.ContactMock.load(says[i].id).say('收到').to(run.mocker.RoomMock.load(says[i].roomId))
  }
  await until(() => recorded >= says.length)
  off()
  const seconds = (performance.now() - t0) / 1000
  return { n: says.length, seconds, perSecond: says.length / seconds }
}

async function stop(run: Run): Promise<void> {
  await run.rt.stop()
  await run.composed.app.store.clearNamespace()
  await run.composed.close()
}

/** INFO used_memory once Redis has finished freeing deleted keys in the background (UNLINK). */
async function usedMemory(run: Run): Promise<number> {
  for (;;) {
    const info = await run.composed.redis.info('memory')
    if (Number(/lazyfree_pending_objects:(\d+)/.exec(info)?.[1] ?? 0) === 0) return Number(/used_memory:(\d+)/.exec(info)![1])
    await new Promise(r => setTimeout(r, 50))
  }
}

/** MEMORY USAGE summed over every key of the run's namespace (not disturbed by other clients). */
async function namespaceMemory(run: Run): Promise<number> {
  const redis = run.composed.redis
  let cursor = '0'
  let bytes = 0
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', run.composed.app.store.keys.pattern(), 'COUNT', 1000)
    cursor = next
    for (const k of keys) if (!k.includes(':bull:')) bytes += Number(await redis.memory('USAGE', k, 'SAMPLES', '0') ?? 0)
  } while (cursor !== '0')
  return bytes
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })

async function main(): Promise<void> {
  const base = await loadConfig({ configDir: 'config', botsDir: 'bots' })
  const cfg = withRoster(base, HOUSEHOLDS)
  const bots = new Map([[BOT, benchBot(cfg)]])
  console.log(`acks-bench: ${fmt(HOUSEHOLDS)} households in ${cfg.households!.villages.size} villages × ${GRIDS_PER_VILLAGE} grids; Redis ${REDIS_URL}; node ${process.version}`)

  const line = (what: string, x: { n: number; seconds: number; perSecond: number }, extra = '') =>
    console.log(`${what.padEnd(44)} ${fmt(x.n).padStart(6)} acks in ${fmt(x.seconds, 2).padStart(5)} s = ${fmt(x.perSecond).padStart(5)} acks/s per bot process${extra}`)

  // Baselines: the spine's acknowledgments only (no households configured), after a warm-up;
  // first as before this issue (the bot contacts read from Redis per message), then cached.
  // The same population of contacts as the measured run (the mock's and Wechaty's caches see the same sizes).
  const baseRun = await start({ ...base, households: undefined, bots }, ns('base'), 0, HOUSEHOLDS)
  await feed(baseRun, 'WARM', WARM_UP)
  const app = baseRun.composed.app
  const cached = app.botContacts.bind(app)
  app.botContacts = () => app.store.botContacts()
  const old = await feed(baseRun, 'BOLD', BASELINE)
  app.botContacts = cached
  const b20 = await feed(baseRun, 'B20K', BASELINE)
  const b = await feed(baseRun, 'BASE')
  await stop(baseRun)
  line('spine only, bot contacts read per message', old)
  line('spine only, bot contacts cached', b20, ` (${fmt(b20.perSecond / old.perSecond, 2)}× the former)`)
  line('spine only, bot contacts cached', b)

  const run = await start({ ...cfg, bots }, ns('cov'), 0, HOUSEHOLDS)
  await feed(run, 'WARM', WARM_UP)
  const r = await feed(run, 'B7K2')
  line('with household coverage (this issue)', r, ` (goal ≥ 2,000; ${fmt(r.perSecond / b.perSecond, 2)}× spine only)`)
  // For information: ioredis auto-pipelining (one socket write for the commands of a tick).
  ;(run.composed.app.store.redis.options as { enableAutoPipelining?: boolean }).enableAutoPipelining = true
  const p = await feed(run, 'P1P1', BASELINE)
  ;(run.composed.app.store.redis.options as { enableAutoPipelining?: boolean }).enableAutoPipelining = false
  line('… the same with ioredis enableAutoPipelining', p, ` (${fmt(p.perSecond / r.perSecond, 2)}×; not enabled in src/infra/redis.ts)`)

  const cov = coverageOf(run.composed.app)!
  const times: number[] = []
  let households = 0
  for (let i = 0; i < QUERY_RUNS; i++) {
    const t = performance.now()
    const tree = await cov.tree('B7K2')
    times.push(performance.now() - t)
    households = tree!.counts.acked
  }
  times.sort((x, y) => x - y)
  if (households !== HOUSEHOLDS) throw new Error(`coverage counted ${households} households acknowledged, expected ${HOUSEHOLDS}`)
  console.log(`whole-district coverage query: median ${fmt(times[times.length >> 1], 1)} ms, max ${fmt(times[times.length - 1], 1)} ms over ${QUERY_RUNS} runs (goal < 100 ms; ${fmt(households)} households acknowledged)`)
  const t = performance.now()
  const rows = await cov.rows('B7K2')
  console.log(`export of every household (cascade acks export): ${fmt(rows.length)} rows in ${fmt(performance.now() - t)} ms`)
  await stop(run)

  // Memory: 10,000 households' acknowledgments recorded directly (no bot needed) in a fresh namespace.
  const memRun = await start({ ...cfg, bots }, ns('mem'), 0, 0)
  const groups = groupsOf(cfg, 0, MEMORY_HOUSEHOLDS)
  await notice({ ...memRun, groups: groups.map(g => ({ ...g, roomId: '' })) }, 'M3M0')
  const before = await usedMemory(memRun)
  for (const g of groups) {
    await Promise.all(g.members.map(id => memRun.composed.app.recordAck({ bot: BOT, contactId: id, contactName: memberName(Number(id.slice(11))), topic: g.topic, text: '收到', messageId: id }, undefined)))
  }
  const after = await usedMemory(memRun)
  const keys = await namespaceMemory(memRun)
  await stop(memRun)
  console.log(`peak RSS of the bench process: ${fmt(process.resourceUsage().maxRSS / 1024)} MiB`)
  const mib = (x: number) => fmt(x / 1024 / 1024, 2)
  console.log(`Redis memory per ${fmt(MEMORY_HOUSEHOLDS)} households: ${mib(after - before)} MiB by INFO used_memory (${fmt(before)} → ${fmt(after)} bytes; other clients of this Redis add noise), ${mib(keys)} MiB by MEMORY USAGE of the namespace's keys (spine acks + coverage)`)
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
