/**
 * Fan-out at district and province scale: `npm run bench -- [--json] [--scale district|province|all] [--quick]`.
 *
 * Builds a synthetic network (src/sim/network.ts: YAML files in a temp dir, read by the real
 * `loadConfig`), runs its accounts on the mock puppet in bot processes (bench/fanout/bot-process.ts)
 * on real Redis + BullMQ, publishes one urgent notice from the district (this process) and waits
 * until every public group has it confirmed (the account saw its own post come back). Every node
 * takes notices unreviewed (policy autoForwardAfter 0), so what is measured is Cascade's own cost
 * and the pacing, not people.
 *
 * Per scale, two runs, each with fresh bot processes and its own namespace (deleted afterwards):
 *   pacing off  perMinute 60000, jitter 0: Cascade's own cost; before publishing, the baseline:
 *               `for (const room of rooms) await room.say(text)` over every group (each through
 *               one account sitting in it, in the bot process that holds that account).
 *   pacing on   60 messages/minute per account, jitter 0: how close to the ideal
 *               groups / (accounts × 1/s) the fan-out planner and take-over get.
 *
 * The table goes to stdout; with --json the last line of stdout is one JSON object with every
 * figure. --quick: a tenth of the groups (for development). --province-members N: members per
 * group at province scale (default 140). --pacing off|on: only one of the two runs (development).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'
import { compose, type Composed } from '../src/app/compose.ts'
import { silentLogger } from '../src/infra/log.ts'
import { ensureRedis } from '../src/infra/redis.ts'
import { loadConfig } from '../src/config/load.ts'
import type { CascadeConfig, PacingConfig } from '../src/config/types.ts'
import type { Delivery, Relay } from '../src/domain/announcement.ts'
import { writeNetwork, type NetworkFiles } from '../src/sim/network.ts'
import type { WorldOptions } from '../src/sim/world.ts'
import type { BaselineDoneMsg, FromBotProcess, ReadyMsg, StatsDoneMsg, ToBotProcess } from './fanout/protocol.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BOT_PROCESS = fileURLToPath(new URL('./fanout/bot-process.ts', import.meta.url))
const TEMPLATES = path.join(ROOT, 'config', 'templates.yaml')

// ── options ─────────────────────────────────────────────────────────────────

const argv = process.argv.slice(2)
const JSON_OUT = argv.includes('--json')
const QUICK = argv.includes('--quick')
const scaleArg = argv.find(a => a.startsWith('--scale='))?.slice(8) ?? (argv.includes('--scale') ? argv[argv.indexOf('--scale') + 1] : 'all')
const option = (name: string) => argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : undefined)
/** For development: only one of the two runs (the table then shows dashes for the other). */
const PACING = option('pacing') ?? 'both'
/** Members per group at province scale (default 140, as at district scale; 20 for a smaller machine: ≈1 GB less RSS per bot process). */
const PROVINCE_MEMBERS = Number(option('province-members') ?? 140)
if (!['district', 'province', 'all'].includes(scaleArg)) {
  console.error(`--scale must be district, province or all (got "${scaleArg}")`)
  process.exit(2)
}
if (!['off', 'on', 'both'].includes(PACING)) {
  console.error(`--pacing must be off or on (got "${PACING}"); without it both runs are made`)
  process.exit(2)
}
if (!Number.isInteger(PROVINCE_MEMBERS) || PROVINCE_MEMBERS < 1) {
  console.error(`--province-members must be a whole number ≥ 1 (got "${option('province-members')}")`)
  process.exit(2)
}

interface Scale {
  name: 'district' | 'province'
  townships: number
  villages: number
  groups: number
  accounts: number
  processes: number
  /** Villagers per village group (min, max) and residents per district/township group. */
  villagers: [number, number]
  residents: number
  /** Why the members per group differ from the seed's ≈140, if they do. */
  membersNote?: string
}

const FULL: Scale[] = [
  { name: 'district', townships: 12, villages: 250, groups: 500, accounts: 10, processes: 1, villagers: [130, 150], residents: 140 },
  {
    name: 'province', townships: 120, villages: 2500, groups: 5000, accounts: 100, processes: 4,
    villagers: [Math.max(1, PROVINCE_MEMBERS - 5), PROVINCE_MEMBERS + 5], residents: PROVINCE_MEMBERS,
    ...(PROVINCE_MEMBERS < 130 ? { membersNote: `≈${PROVINCE_MEMBERS} members per group instead of ≈140, to keep 4 bot processes × 25 accounts of mock contacts within memory and start-up time on a 2-core machine` } : {}),
  },
]
const quick = (s: Scale): Scale => ({ ...s, townships: Math.max(1, Math.round(s.townships / 10)), villages: s.villages / 10, groups: s.groups / 10, accounts: Math.max(10, s.accounts / 10), processes: Math.min(2, s.processes) })
const SCALES = FULL.filter(s => scaleArg === 'all' || s.name === scaleArg).map(s => QUICK ? quick(s) : s)

/** Every severity: taken unreviewed at every node (curators are not even asked), expiry in 24 h. */
const POLICIES = `# Generated by bench/fanout-bench.ts: every node takes notices unreviewed.
defaults:
${['urgent', 'normal', 'info'].map(s => `  ${s}: { autoForwardAfter: 0, remindAfter: 60, escalateAfter: 120, expiresAfterHours: 24 }`).join('\n')}
`
const RATE_ON: PacingConfig = { perMinute: 60, jitterMs: 0, dailyBudget: 1_000_000 }
const RATE_OFF: PacingConfig = { perMinute: 60_000, jitterMs: 0, dailyBudget: 1_000_000_000 }
const NOTICE = '【疫情防控】自今晚20时起，全区暂停一切聚集性活动，红白喜事一律从简、暂缓操办；外地返乡人员请在到达后24小时内向所在村（社区）报备，并配合做好14天健康监测。请各位乡亲相互转告，不信谣、不传谣。'
const BASELINE_TEXT = `【基线】${NOTICE}`
const TIMEOUT_OFF_MS = 180_000
const TIMEOUT_ON_MS = 240_000

/** Progress goes to stderr: stdout carries the table (and the JSON line). */
const log = (line: string) => console.error(line)

// ── bot processes ─────────────────────────────────────────────────────────────

class BotProcess {
  readonly child: ChildProcess
  private waiting?: { resolve: (m: FromBotProcess) => void; reject: (e: Error) => void }
  private exited = false

  constructor(readonly index: number, readonly bots: string[]) {
    this.child = fork(BOT_PROCESS, [], { cwd: ROOT, execArgv: ['--import', 'tsx', ...(process.env.BENCH_BOT_NODE_ARGS?.split(' ').filter(Boolean) ?? [])], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    this.child.on('message', (m: FromBotProcess) => {
      const w = this.waiting
      this.waiting = undefined
      if (!w) return
      if (m.type === 'failed') w.reject(new Error(`bot process ${index}: ${m.error}`))
      else w.resolve(m)
    })
    this.child.on('exit', code => {
      this.exited = true
      this.waiting?.reject(new Error(`bot process ${index} exited (${code})`))
      this.waiting = undefined
    })
  }

  request<T extends FromBotProcess>(msg: ToBotProcess): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`bot process ${this.index} is gone`))
    return new Promise<T>((resolve, reject) => {
      this.waiting = { resolve: m => resolve(m as T), reject }
      this.child.send(msg)
    })
  }

  async stop(): Promise<void> {
    if (this.exited) return
    const gone = new Promise(r => this.child.once('exit', r))
    await this.request({ type: 'stop' }).catch(() => undefined)
    await Promise.race([gone, sleep(5_000)])
    if (!this.exited) this.child.kill('SIGKILL')
  }
}

// ── figures ─────────────────────────────────────────────────────────────────

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const MiB = 1024 * 1024

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p / 100 * s.length) - 1))]
}
const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity)
const min = (xs: number[]) => xs.reduce((a, b) => Math.min(a, b), Infinity)

interface Login { processes: number; accounts: number; memberships: number; distinctMembers: number; resolveRoomsMs: number; resolvePeopleMs: number; worldMs: number[]; loginMs: number[]; perAccountMs: number; rooms: number; contacts: number; missingGroups: number }

interface RunResult {
  mode: 'off' | 'on'
  pacing: PacingConfig
  code: string
  login: Login
  /** How long app.publish() took: the whole tree planned and every send enqueued (this process). */
  publishCallMs: number
  /** Publish → the last group confirmed / sent. */
  lastConfirmedMs: number
  lastSentMs: number
  lastVillageConfirmedMs: number
  lastVillageSentMs: number
  /** Last relay decided (the last "approval") → last village group confirmed. */
  lastApprovalToVillagesMs: number
  hopMs: { p50: number; p95: number; max: number; byLevel: Record<string, { n: number; p50: number; p95: number }> }
  approvalFreeHopMs: { p50: number; p95: number; max: number }
  /**
   * A hop split in two: the relay step (parent decided → this node's posts all queued: opening
   * the relay, the policy's decision, planning, queueing — Cascade's own work per tier) and the
   * send wait (last post queued → last post confirmed: the accounts' turn, i.e. their capacity).
   */
  relayStepMs: { p50: number; p95: number; max: number }
  sendWaitMs: { p50: number; p95: number; max: number }
  sendsPerSecond: { overall: number; perProcess: number[] }
  postsPerAccount: { max: number; min: number; accounts: number }
  ideal?: { seconds: number; efficiency: number }
  baseline?: { groups: number; processes: number; loopMs: number; echoedMs: number; echoed: number; perProcessLoopMs: number[] }
  memory: { peakRssBotProcessMiB: number[]; peakRssPublisherMiB: number; redisUsedMemoryDeltaMiB: number; redisNamespaceMiB: { spine: number; bullmq: number; keys: number } }
  correctness: { groups: number; confirmed: number; failed: number; duplicatePosts: number; groupsWithoutPost: number; relays: number; relaysNotForwarded: number; timedOut: boolean; missing: string[] }
}

/** INFO used_memory once Redis has finished freeing deleted keys in the background. */
async function usedMemory(redis: Redis): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const info = await redis.info('memory')
    if (Number(/lazyfree_pending_objects:(\d+)/.exec(info)?.[1] ?? 0) === 0) return Number(/used_memory:(\d+)/.exec(info)![1])
    await sleep(50)
  }
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1])
}

/** MEMORY USAGE summed over the namespace's keys: the spine's and BullMQ's apart. */
async function namespaceMemory(c: Composed): Promise<{ spine: number; bullmq: number; keys: number }> {
  const redis = c.redis
  let cursor = '0'
  let spine = 0
  let bullmq = 0
  let keys = 0
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', c.app.store.keys.pattern(), 'COUNT', 1000)
    cursor = next
    if (!batch.length) continue
    const p = redis.pipeline()
    for (const k of batch) p.memory('USAGE', k, 'SAMPLES', '0')
    const res = await p.exec()
    batch.forEach((k, i) => {
      const bytes = Number(res?.[i]?.[1] ?? 0)
      if (k.includes(':bull:')) bullmq += bytes
      else spine += bytes
    })
    keys += batch.length
  } while (cursor !== '0')
  return { spine: spine / MiB, bullmq: bullmq / MiB, keys }
}

/** Polls the deliveries until every group's post is confirmed (or failed), or the timeout. */
async function waitForGroups(c: Composed, code: string, total: number, timeoutMs: number, everyMs: number): Promise<{ deliveries: Delivery[]; timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs
  let lastShown = Date.now()
  for (;;) {
    const deliveries = await c.app.store.deliveries(code)
    const done = deliveries.filter(d => d.state === 'confirmed' || d.state === 'failed').length
    if (deliveries.length === total && done === total) return { deliveries, timedOut: false }
    if (Date.now() > deadline) return { deliveries, timedOut: true }
    if (Date.now() - lastShown > 10_000) {
      lastShown = Date.now()
      log(`    … ${done}/${total} groups confirmed`)
    }
    await sleep(everyMs)
  }
}

// ── one run ───────────────────────────────────────────────────────────────────

async function run(scale: Scale, files: NetworkFiles, cfg: CascadeConfig, redisUrl: string, mode: 'off' | 'on'): Promise<RunResult> {
  const pacing = mode === 'off' ? RATE_OFF : RATE_ON
  const ns = `bench-fanout-${scale.name}-${mode}-${Date.now().toString(36)}`
  const composed = compose({ cfg, redisUrl, ns, log: silentLogger })
  cleanups.add(composed)
  const { app } = composed
  app.timers.start() // expiry timers (24 h): this process runs the namespace's timers
  let peakParent = 0
  const sampler = setInterval(() => { peakParent = Math.max(peakParent, process.memoryUsage().rss) }, 200)

  // Accounts in contiguous blocks, one block per bot process.
  const per = Math.ceil(files.bots.length / scale.processes)
  const procs = Array.from({ length: scale.processes }, (_, i) => new BotProcess(i, files.bots.slice(i * per, (i + 1) * per)))
  const procOf = new Map(procs.flatMap(p => p.bots.map(b => [b, p.index] as const)))
  const world: WorldOptions = { seed: 20200128, villagersPerGroup: scale.villagers, residentsPerGroup: scale.residents }
  try {
    log(`  [${scale.name}, pacing ${mode}] starting ${procs.length} bot process(es) × ${per} accounts …`)
    const ready = await Promise.all(procs.map(p => p.request<ReadyMsg>({
      type: 'start', configDir: files.configDir, botsDir: files.botsDir, templatesFile: TEMPLATES, redisUrl, ns, bots: p.bots, pacing, world,
    })))
    const login: Login = {
      processes: procs.length, accounts: files.bots.length, memberships: ready[0].memberships, distinctMembers: ready[0].distinctMembers,
      resolveRoomsMs: max(ready.map(r => r.resolveRoomsMs)), resolvePeopleMs: max(ready.map(r => r.resolvePeopleMs)),
      worldMs: ready.map(r => r.worldMs), loginMs: ready.map(r => r.loginMs),
      perAccountMs: ready.reduce((a, r) => a + r.loginMs, 0) / files.bots.length,
      rooms: ready.reduce((a, r) => a + r.rooms, 0), contacts: ready.reduce((a, r) => a + r.contacts, 0),
      missingGroups: ready.reduce((a, r) => a + r.missingGroups, 0),
    }
    log(`    logged in: ${ready.map(r => `${r.accounts} accounts in ${(r.loginMs / 1000).toFixed(1)} s (world ${(r.worldMs / 1000).toFixed(1)} s)`).join('; ')}`)

    let baseline: RunResult['baseline']
    if (mode === 'off') {
      // Each group through the first account sitting in it, in the process that holds that account.
      const posts = procs.map(() => [] as { bot: string; topic: string }[])
      for (const node of cfg.nodes.values()) {
        const bot = app.router.botsServing(node.id)[0]
        for (const g of node.groups) if (g.kind === 'public') posts[procOf.get(bot)!].push({ bot, topic: g.topic })
      }
      const done = await Promise.all(procs.map((p, i) => p.request<BaselineDoneMsg>({ type: 'baseline', posts: posts[i], text: BASELINE_TEXT })))
      baseline = {
        groups: done.reduce((a, d) => a + d.n, 0), processes: procs.length,
        loopMs: max(done.map(d => d.loopMs)), echoedMs: max(done.map(d => d.echoedMs)), echoed: done.reduce((a, d) => a + d.echoed, 0),
        perProcessLoopMs: done.map(d => d.loopMs),
      }
      log(`    baseline: ${baseline.groups} groups in ${baseline.loopMs} ms (all echoed after ${baseline.echoedMs} ms)`)
      await sleep(1_000) // the other accounts finish reading the baseline posts
    }

    const redisBefore = await usedMemory(composed.redis)
    const total = [...cfg.nodes.values()].reduce((n, node) => n + node.groups.filter(g => g.kind === 'public').length, 0)
    const t0 = Date.now()
    const a = await app.publish({ node: files.rootId, author: files.publisher, text: NOTICE, severity: 'urgent' })
    const publishCallMs = Date.now() - t0
    log(`    published ${a.code}: publish() returned after ${publishCallMs} ms; waiting for ${total} groups …`)
    const { deliveries, timedOut } = await waitForGroups(composed, a.code, total, mode === 'off' ? TIMEOUT_OFF_MS : TIMEOUT_ON_MS, mode === 'off' ? 200 : 1_000)
    const relays = await app.store.relays(a.code)
    const redisAfter = await usedMemory(composed.redis)
    const nsMemory = await namespaceMemory(composed)
    const stats = await Promise.all(procs.map(p => p.request<StatsDoneMsg>({ type: 'stats', code: a.code })))
    clearInterval(sampler)

    // ── figures of this run
    const publishAt = relays.get(files.rootId)?.decidedAt ?? t0
    const levelOf = (node: string) => cfg.nodes.get(node)?.level ?? 'unknown'
    const confirmed = deliveries.filter(d => d.confirmedAt !== undefined)
    const sent = deliveries.filter(d => d.sentAt !== undefined)
    const lastByNode = new Map<string, number>()
    for (const d of confirmed) lastByNode.set(d.node, Math.max(lastByNode.get(d.node) ?? 0, d.confirmedAt!))
    const queuedByNode = new Map<string, number>()
    for (const d of deliveries) queuedByNode.set(d.node, Math.max(queuedByNode.get(d.node) ?? 0, d.queuedAt))
    const hops: { level: string; ms: number }[] = []
    const approvalFree: number[] = []
    const relaySteps: number[] = []
    const sendWaits: number[] = []
    for (const r of relays.values()) {
      const parentDecided = r.parent ? relays.get(r.parent)?.decidedAt : r.decidedAt
      const last = lastByNode.get(r.node)
      const queued = queuedByNode.get(r.node)
      if (parentDecided !== undefined && last !== undefined) hops.push({ level: levelOf(r.node), ms: last - parentDecided })
      if (parentDecided !== undefined && queued !== undefined && last !== undefined) {
        relaySteps.push(queued - parentDecided)
        sendWaits.push(last - queued)
      }
      if (r.parent && r.decidedAt !== undefined) approvalFree.push(r.decidedAt - r.openedAt)
    }
    const byLevel: RunResult['hopMs']['byLevel'] = {}
    for (const level of ['district', 'township', 'village']) {
      const xs = hops.filter(h => h.level === level).map(h => h.ms)
      byLevel[level] = { n: xs.length, p50: pct(xs, 50), p95: pct(xs, 95) }
    }
    const village = deliveries.filter(d => levelOf(d.node) === 'village')
    const span = (ds: Delivery[]) => {
      const at = ds.filter(d => d.sentAt !== undefined).map(d => d.sentAt!)
      return at.length > 1 ? at.length / ((max(at) - min(at)) / 1000) : NaN
    }
    const perBot = new Map(files.bots.map(b => [b, 0]))
    for (const d of sent) perBot.set(d.bot, (perBot.get(d.bot) ?? 0) + 1)
    const posts = new Map<string, number>()
    for (const s of stats) for (const [topic, n] of Object.entries(s.posts)) posts.set(topic, (posts.get(topic) ?? 0) + n)
    const topics = [...cfg.nodes.values()].flatMap(n => n.groups.filter(g => g.kind === 'public').map(g => g.topic))
    const lastDecided = max([...relays.values()].map(r => r.decidedAt ?? 0))
    const lastConfirmedMs = max(confirmed.map(d => d.confirmedAt!)) - publishAt
    const idealSeconds = total / (files.bots.length * pacing.perMinute / 60)
    const missing = topics.filter(t => !deliveries.some(d => d.topic === t && d.state === 'confirmed'))

    const result: RunResult = {
      mode, pacing, code: a.code, login, publishCallMs,
      lastConfirmedMs,
      lastSentMs: max(sent.map(d => d.sentAt!)) - publishAt,
      lastVillageConfirmedMs: max(village.filter(d => d.confirmedAt).map(d => d.confirmedAt!)) - publishAt,
      lastVillageSentMs: max(village.filter(d => d.sentAt).map(d => d.sentAt!)) - publishAt,
      lastApprovalToVillagesMs: max(village.filter(d => d.confirmedAt).map(d => d.confirmedAt!)) - lastDecided,
      hopMs: { p50: pct(hops.map(h => h.ms), 50), p95: pct(hops.map(h => h.ms), 95), max: max(hops.map(h => h.ms)), byLevel },
      approvalFreeHopMs: { p50: pct(approvalFree, 50), p95: pct(approvalFree, 95), max: max(approvalFree) },
      relayStepMs: { p50: pct(relaySteps, 50), p95: pct(relaySteps, 95), max: max(relaySteps) },
      sendWaitMs: { p50: pct(sendWaits, 50), p95: pct(sendWaits, 95), max: max(sendWaits) },
      sendsPerSecond: { overall: span(deliveries), perProcess: procs.map(p => span(deliveries.filter(d => procOf.get(d.bot) === p.index))) },
      postsPerAccount: { max: max([...perBot.values()]), min: min([...perBot.values()]), accounts: perBot.size },
      ...(mode === 'on' ? { ideal: { seconds: idealSeconds, efficiency: idealSeconds * 1000 / lastConfirmedMs } } : {}),
      baseline,
      memory: {
        peakRssBotProcessMiB: stats.map(s => s.peakRss / MiB),
        peakRssPublisherMiB: peakParent / MiB,
        redisUsedMemoryDeltaMiB: (redisAfter - redisBefore) / MiB,
        redisNamespaceMiB: nsMemory,
      },
      correctness: {
        groups: total,
        confirmed: deliveries.filter(d => d.state === 'confirmed').length,
        failed: deliveries.filter(d => d.state === 'failed').length,
        duplicatePosts: [...posts.values()].reduce((n, k) => n + Math.max(0, k - 1), 0),
        groupsWithoutPost: topics.filter(t => !posts.get(t)).length,
        relays: relays.size,
        relaysNotForwarded: [...relays.values()].filter(r => r.state !== 'approved' && r.state !== 'edited').length,
        timedOut, missing: missing.slice(0, 10),
      },
    }
    if (timedOut) log(`    TIMED OUT: ${missing.length} groups not confirmed, e.g. ${missing.slice(0, 5).join(', ')}; states ${JSON.stringify(countBy(deliveries.map(d => d.state)))}`)
    log(`    last group confirmed ${lastConfirmedMs} ms after publish`)
    return result
  } finally {
    clearInterval(sampler)
    await Promise.all(procs.map(p => p.stop()))
    await composed.app.store.clearNamespace()
    await composed.close()
    cleanups.delete(composed)
  }
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const x of xs) out[x] = (out[x] ?? 0) + 1
  return out
}

// ── report ────────────────────────────────────────────────────────────────────

interface ScaleResult { scale: Scale; members: { memberships: number; distinct: number; perGroup: number }; off: RunResult; on: RunResult }

const f0 = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'
const f1 = (n: number) => Number.isFinite(n) ? n.toFixed(1) : '–'
const f2 = (n: number) => Number.isFinite(n) ? n.toFixed(2) : '–'

function table(results: ScaleResult[]): string {
  const rows: [string, ...string[]][] = []
  const both = results.length === 2
  const head: [string, ...string[]] = ['', ...results.map(r => r.scale.name + (QUICK ? ' (quick)' : '')), ...(both ? ['province ÷ district'] : [])]
  // A cell of a run left out (--pacing on|off) shows a dash.
  const safe = <T,>(fn: () => T, otherwise: T): T => { try { return fn() } catch { return otherwise } }
  const row = (label: string, cell: (r: ScaleResult) => string, ratio?: (r: ScaleResult) => number) => {
    const growth = ratio ? safe(() => `${f1(ratio(results[1]) / ratio(results[0]))}×`, '–') : ''
    rows.push([label, ...results.map(r => safe(() => cell(r), '–')), ...(both ? [growth] : [])])
  }
  const section = (title: string) => rows.push([title])
  section('network')
  row('groups / accounts / bot processes', r => `${f0(r.scale.groups)} / ${r.scale.accounts} / ${r.scale.processes}`, r => r.scale.groups)
  row('members per group (memberships / distinct)', r => `${f0(r.members.perGroup)} (${f0(r.members.memberships)} / ${f0(r.members.distinct)})`, r => r.members.memberships)
  const login = (r: ScaleResult) => (r.off ?? r.on).login
  row('build mock WeChat per process (s, max)', r => f1(max(login(r).worldMs) / 1000))
  row('log in all accounts (s, slowest process)', r => f1(max(login(r).loginMs) / 1000), r => max(login(r).loginMs))
  row('log in, per account (ms)', r => f0(login(r).perAccountMs), r => login(r).perAccountMs)
  row('  of which resolveRooms / resolvePeople (ms)', r => `${f0(login(r).resolveRoomsMs)} / ${f0(login(r).resolvePeopleMs)}`, r => login(r).resolvePeopleMs)
  section('pacing off (perMinute 60000, jitter 0): Cascade\'s own cost')
  row('publish() call: plan + enqueue all (ms)', r => f0(r.off.publishCallMs), r => r.off.publishCallMs)
  row('publish → last group confirmed (ms)', r => f0(r.off.lastConfirmedMs), r => r.off.lastConfirmedMs)
  row('hop p50 / p95 / max (ms)', r => `${f0(r.off.hopMs.p50)} / ${f0(r.off.hopMs.p95)} / ${f0(r.off.hopMs.max)}`, r => r.off.hopMs.p95)
  row('  village hops p50 / p95 (ms)', r => `${f0(r.off.hopMs.byLevel.village.p50)} / ${f0(r.off.hopMs.byLevel.village.p95)}`)
  row('  township hops p50 / p95 (ms)', r => `${f0(r.off.hopMs.byLevel.township.p50)} / ${f0(r.off.hopMs.byLevel.township.p95)}`)
  row('  relay step: parent decided → posts queued p50 / p95 (ms)', r => `${f0(r.off.relayStepMs.p50)} / ${f0(r.off.relayStepMs.p95)}`, r => r.off.relayStepMs.p95)
  row('  send wait: last post queued → confirmed p50 / p95 (ms)', r => `${f0(r.off.sendWaitMs.p50)} / ${f0(r.off.sendWaitMs.p95)}`, r => r.off.sendWaitMs.p95)
  row('approval-free hop opened→decided p50 / p95 (ms)', r => `${f1(r.off.approvalFreeHopMs.p50)} / ${f1(r.off.approvalFreeHopMs.p95)}`)
  row('sends/s overall', r => f0(r.off.sendsPerSecond.overall), r => r.off.sendsPerSecond.overall)
  row('sends/s per bot process', r => r.off.sendsPerSecond.perProcess.map(f0).join(' '))
  row('baseline say() loop (ms)', r => `${f0(r.off.baseline!.loopMs)}${r.off.baseline!.processes > 1 ? ` (${r.off.baseline!.processes} loops at once)` : ''}`, r => r.off.baseline!.loopMs)
  row('baseline until every echo (ms)', r => f0(r.off.baseline!.echoedMs))
  row('Cascade ÷ baseline loop', r => f1(r.off.lastConfirmedMs / r.off.baseline!.loopMs))
  section('pacing on (60/min per account, jitter 0)')
  row('publish → last village group sent (s)', r => f1(r.on.lastVillageSentMs / 1000))
  row('publish → last village group confirmed (s)', r => f1(r.on.lastVillageConfirmedMs / 1000))
  row('ideal: groups ÷ (accounts × 1/s) (s)', r => f1(r.on.ideal!.seconds))
  row('efficiency ideal ÷ actual (goal ≥ 0.9)', r => f2(r.on.ideal!.efficiency))
  row('posts per account max / min', r => `${r.on.postsPerAccount.max} / ${r.on.postsPerAccount.min}`)
  row('last approval → every village group (s, goal < 60)', r => f1(r.on.lastApprovalToVillagesMs / 1000))
  section('memory (pacing-off run)')
  row('peak RSS per bot process (MiB, max)', r => f0(max(r.off.memory.peakRssBotProcessMiB)), r => max(r.off.memory.peakRssBotProcessMiB))
  row('peak RSS publisher process (MiB)', r => f0(r.off.memory.peakRssPublisherMiB), r => r.off.memory.peakRssPublisherMiB)
  row('Redis MEMORY USAGE, namespace: spine (MiB)', r => f2(r.off.memory.redisNamespaceMiB.spine), r => r.off.memory.redisNamespaceMiB.spine)
  row('Redis MEMORY USAGE, namespace: BullMQ (MiB)', r => f2(r.off.memory.redisNamespaceMiB.bullmq), r => r.off.memory.redisNamespaceMiB.bullmq)
  row('Redis INFO used_memory, publish → end (MiB)', r => f2(r.off.memory.redisUsedMemoryDeltaMiB), r => r.off.memory.redisUsedMemoryDeltaMiB)
  section('correctness (both runs)')
  const runs = (r: ScaleResult) => [r.off, r.on].filter(x => x !== undefined)
  row('groups confirmed', r => runs(r).map(x => `${x.correctness.confirmed}/${x.correctness.groups}`).join(', '))
  row('duplicate posts / failed / groups without post', r => runs(r).map(x => `${x.correctness.duplicatePosts}/${x.correctness.failed}/${x.correctness.groupsWithoutPost}`).join(', '))

  const widths = head.map((_, i) => Math.max(...[head, ...rows].map(r => (r[i] ?? '').length)))
  const line = (r: string[]) => r.length === 1 ? `── ${r[0]}` : r.map((c, i) => i === 0 ? c.padEnd(widths[0]) : c.padStart(widths[i])).join('  ').trimEnd()
  return [line(head), ...rows.map(line)].join('\n')
}

function goals(results: ScaleResult[]) {
  const d = results.find(r => r.scale.name === 'district')
  return {
    districtHopP95Under1s: d?.off ? d.off.hopMs.p95 < 1000 : null,
    districtRelayStepP95Under1s: d?.off ? d.off.relayStepMs.p95 < 1000 : null,
    pacingEfficiencyAtLeast90: Object.fromEntries(results.filter(r => r.on).map(r => [r.scale.name, r.on.ideal!.efficiency >= 0.9])),
    districtVillagesWithin60sOfLastApproval: d?.on ? d.on.lastApprovalToVillagesMs < 60_000 : null,
    noDuplicatesNoFailures: results.every(r => [r.off, r.on].filter(x => x !== undefined).every(x => x.correctness.duplicatePosts === 0 && x.correctness.failed === 0 && x.correctness.groupsWithoutPost === 0 && !x.correctness.timedOut)),
  }
}

// ── main ──────────────────────────────────────────────────────────────────────

const cleanups = new Set<Composed>()

async function main(): Promise<void> {
  const redis = await ensureRedis()
  const started = Date.now()
  log(`fanout-bench: Redis ${redis.url}${redis.private ? ' (private redis-server)' : ''}; node ${process.version}; ${os.cpus().length} cores${QUICK ? '; QUICK (1/10 size)' : ''}`)
  const results: ScaleResult[] = []
  try {
    for (const scale of SCALES) {
      const dir = await mkdtemp(path.join(os.tmpdir(), `cascade-fanout-${scale.name}-`))
      try {
        const files = await writeNetwork(dir, { townships: scale.townships, villages: scale.villages, groups: scale.groups, accounts: scale.accounts, pacing: RATE_ON, policies: POLICIES })
        const cfg = await loadConfig({ configDir: files.configDir, botsDir: files.botsDir, templatesFile: TEMPLATES })
        log(`${scale.name}: ${cfg.nodes.size} nodes, ${scale.groups} groups, ${cfg.bots.size} accounts in ${scale.processes} bot process(es); config in ${dir}`)
        const off = PACING === 'on' ? undefined : await run(scale, files, cfg, redis.url, 'off')
        const on = PACING === 'off' ? undefined : await run(scale, files, cfg, redis.url, 'on')
        const login = (off ?? on)!.login
        results.push({ scale, members: { memberships: login.memberships, distinct: login.distinctMembers, perGroup: login.memberships / scale.groups }, off: off!, on: on! })
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    }
  } finally {
    await redis.stop()
  }
  const out = table(results)
  console.log(out)
  for (const r of results) if (r.scale.membersNote) console.log(`note (${r.scale.name}): ${r.scale.membersNote}.`)
  console.log(`baseline at province scale: one say() loop per bot process, all at once, over the groups of that process's accounts; the figure is the slowest loop.`)
  const g = goals(results)
  console.log(`goals: ${JSON.stringify(g)}`)
  if (JSON_OUT) {
    console.log(JSON.stringify({
      bench: 'fanout', quick: QUICK, node: process.version, cores: os.cpus().length, redis: redis.url, elapsedMs: Date.now() - started,
      scales: Object.fromEntries(results.map(r => [r.scale.name, r])), goals: g,
    }))
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void Promise.all([...cleanups].map(c => c.app.store.clearNamespace().catch(() => undefined))).finally(() => process.exit(130))
  })
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
