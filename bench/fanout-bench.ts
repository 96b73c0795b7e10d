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
 *
 * Without --cluster the province is ONE tree of 5,000 groups in one namespace. With
 * `--scale province --cluster` it is 10 districts of the district scale's size, each its own
 * namespace and bot process, publishing at once — on a local Redis Cluster and on one standalone
 * Redis, side by side (bench/fanout/province.ts). --districts N (default 10; 3 with --quick, at
 * 50 groups each); --cluster-port-base P (default 7200: the cluster's 6 nodes on P…P+5, started
 * and removed by the bench); BENCH_REDIS_CLUSTER=host:port,… uses an existing cluster instead.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Redis } from 'ioredis'
import { compose, type Composed } from '../src/app/compose.ts'
import { silentLogger } from '../src/infra/log.ts'
import { ensureRedis, redisUrlFromEnv } from '../src/infra/redis.ts'
import { loadConfig } from '../src/config/load.ts'
import type { CascadeConfig, PacingConfig } from '../src/config/types.ts'
import { writeNetwork, type NetworkFiles } from '../src/sim/network.ts'
import type { WorldOptions } from '../src/sim/world.ts'
import type { BaselineDoneMsg, ReadyMsg, StatsDoneMsg } from './fanout/protocol.ts'
import { provinceGoals, provinceReport, cleanUpProvince, runProvince } from './fanout/province.ts'
import { BASELINE_TEXT, BotProcess, MiB, NOTICE, POLICIES, RATE_OFF, RATE_ON, TEMPLATES, TIMEOUT_OFF_MS, TIMEOUT_ON_MS } from './fanout/common.ts'
import { countBy, f0, f1, f2, flowFigures, log, max, postsByTopic, publicTopics, sleep, textTable, waitForGroups, type FlowFigures } from './fanout/figures.ts'

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
/** The province as many districts on a Redis Cluster, against one Redis (bench/fanout/province.ts). */
const CLUSTER = argv.includes('--cluster')
const DISTRICTS = Number(option('districts') ?? (QUICK ? 3 : 10))
const CLUSTER_BASE = Number(option('cluster-port-base') ?? 7200)
if (CLUSTER && scaleArg !== 'province') {
  console.error(`--cluster runs the province as many districts: use it with --scale province (got "${scaleArg}")`)
  process.exit(2)
}
if (!Number.isInteger(DISTRICTS) || DISTRICTS < 1 || !Number.isInteger(CLUSTER_BASE) || CLUSTER_BASE < 1 || CLUSTER_BASE > 65530) {
  console.error(`--districts must be a whole number ≥ 1 and --cluster-port-base a port (got "${option('districts')}", "${option('cluster-port-base')}")`)
  process.exit(2)
}
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

// ── figures ─────────────────────────────────────────────────────────────────

interface Login { processes: number; accounts: number; memberships: number; distinctMembers: number; resolveRoomsMs: number; resolvePeopleMs: number; worldMs: number[]; loginMs: number[]; perAccountMs: number; rooms: number; contacts: number; missingGroups: number }

interface RunResult extends FlowFigures {
  mode: 'off' | 'on'
  pacing: PacingConfig
  code: string
  login: Login
  baseline?: { groups: number; processes: number; loopMs: number; echoedMs: number; echoed: number; perProcessLoopMs: number[] }
  memory: { peakRssBotProcessMiB: number[]; peakRssPublisherMiB: number; redisUsedMemoryDeltaMiB: number; redisNamespaceMiB: { spine: number; bullmq: number; keys: number } }
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
    const total = publicTopics(cfg).length
    const t0 = Date.now()
    const a = await app.publish({ node: files.rootId, author: files.publisher, text: NOTICE, severity: 'urgent' })
    const publishCallMs = Date.now() - t0
    log(`    published ${a.code}: publish() returned after ${publishCallMs} ms; waiting for ${total} groups …`)
    const { deliveries, timedOut } = await waitForGroups(app.store, a.code, total, mode === 'off' ? TIMEOUT_OFF_MS : TIMEOUT_ON_MS, mode === 'off' ? 200 : 1_000)
    const relays = await app.store.relays(a.code)
    const redisAfter = await usedMemory(composed.redis)
    const nsMemory = await namespaceMemory(composed)
    const stats = await Promise.all(procs.map(p => p.request<StatsDoneMsg>({ type: 'stats', code: a.code })))
    clearInterval(sampler)

    // ── figures of this run
    const result: RunResult = {
      mode, pacing, code: a.code, login, baseline,
      ...flowFigures({ cfg, rootId: files.rootId, bots: files.bots, mode, pacing, t0, publishCallMs, relays, deliveries, posts: postsByTopic(stats), procOf, processes: procs.length, timedOut }),
      memory: {
        peakRssBotProcessMiB: stats.map(s => s.peakRss / MiB),
        peakRssPublisherMiB: peakParent / MiB,
        redisUsedMemoryDeltaMiB: (redisAfter - redisBefore) / MiB,
        redisNamespaceMiB: nsMemory,
      },
    }
    if (timedOut) log(`    TIMED OUT: ${total - result.correctness.confirmed} groups not confirmed, e.g. ${result.correctness.missing.slice(0, 5).join(', ')}; states ${JSON.stringify(countBy(deliveries.map(d => d.state)))}`)
    log(`    last group confirmed ${result.lastConfirmedMs} ms after publish`)
    return result
  } finally {
    clearInterval(sampler)
    await Promise.all(procs.map(p => p.stop()))
    await composed.app.store.clearNamespace()
    await composed.close()
    cleanups.delete(composed)
  }
}

// ── report ────────────────────────────────────────────────────────────────────

interface ScaleResult { scale: Scale; members: { memberships: number; distinct: number; perGroup: number }; off: RunResult; on: RunResult }


function table(results: ScaleResult[]): string {
  const rows: [string, ...string[]][] = []
  const both = results.length === 2
  const head: [string, ...string[]] = ['', ...results.map(r => (r.scale.name === 'province' ? 'province (one tree)' : r.scale.name) + (QUICK ? ' (quick)' : '')), ...(both ? ['province ÷ district'] : [])]
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

  return textTable(head, rows)
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
  if (CLUSTER) return mainProvince()
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

/** `--scale province --cluster`: the districts on a cluster and on one Redis. */
async function mainProvince(): Promise<void> {
  const redis = await ensureRedis()
  const started = Date.now()
  const district = FULL.find(s => s.name === 'district')!
  const shape = QUICK ? quick(district) : district
  log(`fanout-bench: province as ${DISTRICTS} districts; standalone Redis ${redis.url}${redis.private ? ' (private redis-server)' : ''}; node ${process.version}; ${os.cpus().length} cores${QUICK ? '; QUICK' : ''}`)
  try {
    const result = await runProvince({
      districts: DISTRICTS, district: shape, pacing: PACING as 'off' | 'on' | 'both', standaloneUrl: redis.url, clusterBase: CLUSTER_BASE,
      clusterUrl: process.env.BENCH_REDIS_CLUSTER ? redisUrlFromEnv({ REDIS_CLUSTER: process.env.BENCH_REDIS_CLUSTER }) : undefined,
      // Members per group as the district scale's (130–150), unless --province-members says otherwise.
      world: option('province-members') === undefined
        ? { seed: 20200128, villagersPerGroup: district.villagers, residentsPerGroup: district.residents }
        : { seed: 20200128, villagersPerGroup: [Math.max(1, PROVINCE_MEMBERS - 5), PROVINCE_MEMBERS + 5], residentsPerGroup: PROVINCE_MEMBERS },
    })
    console.log(provinceReport(result, QUICK))
    const g = provinceGoals(result)
    console.log(`goals: ${JSON.stringify(g)}`)
    if (JSON_OUT) console.log(JSON.stringify({ bench: 'fanout-province', quick: QUICK, node: process.version, cores: os.cpus().length, standalone: redis.url, elapsedMs: Date.now() - started, province: result, goals: g }))
  } finally {
    await redis.stop()
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void Promise.all([...[...cleanups].map(c => c.app.store.clearNamespace().catch(() => undefined)), cleanUpProvince()]).finally(() => process.exit(130))
  })
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
