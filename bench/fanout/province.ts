/**
 * The province as many districts (`npm run bench -- --scale province --cluster`): N districts, each
 * its own namespace `{ns}` and its own copy of the district scale's network (500 groups, 10
 * accounts), each in ONE bot process that runs its accounts, its timers and its own publisher — as
 * a district's `cascade serve` would. All N publish at the same moment (`at`, sent to every process
 * beforehand). The same districts run on a local Redis Cluster (started here: 6 nodes, 3 masters,
 * no persistence, removed afterwards) and on one standalone Redis, pacing off and pacing on, so the
 * figures stand side by side. Figures per district come from bench/fanout/figures.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import type { CascadeConfig, PacingConfig } from '../../src/config/types.ts'
import { Cluster, type Redis } from 'ioredis'
import { connectRedis, newRedis } from '../../src/infra/redis.ts'
import { writeNetwork, type NetworkFiles } from '../../src/sim/network.ts'
import type { WorldOptions } from '../../src/sim/world.ts'
import { Store } from '../../src/store/store.ts'
import { ClusterSet } from '../../scripts/faults/cluster-set.ts'
import { BotProcess, MiB, NOTICE, POLICIES, RATE_OFF, RATE_ON, TEMPLATES, TIMEOUT_OFF_MS, TIMEOUT_ON_MS } from './common.ts'
import { f0, f1, f2, flowFigures, log, max, min, postsByTopic, publicTopics, textTable, waitForGroups, type FlowFigures } from './figures.ts'
import type { PublishedMsg, ReadyMsg, StatsDoneMsg } from './protocol.ts'
import { spreadOverMasters, type MasterShare, type SlotRange } from './slot-spread.ts'

export interface ProvinceOptions {
  districts: number
  /** One district's network (the district scale's, or a tenth of it with --quick). */
  district: { townships: number; villages: number; groups: number; accounts: number }
  world: WorldOptions
  pacing: 'off' | 'on' | 'both'
  /** Where the standalone Redis is (ensureRedis: REDIS_URL, 6379 or a private one). */
  standaloneUrl: string
  /** An existing cluster (`redis-cluster://h:p,…`); else one is started on clusterBase…clusterBase+5. */
  clusterUrl?: string
  clusterBase: number
}

export interface DistrictRun extends FlowFigures {
  ns: string; code: string; peakRssMiB: number; loginMs: number; worldMs: number
  /** CPU time of the district's process during publish(), and from publish() to the last group done. */
  publishCpuMs: number; cpuMs: number
}
/** Where the CPU went from the publish moment to the last group done (the machine has 2 cores and is shared). */
export interface CpuShare { wallS: number; cores: number; machineBusyPct: number; districtsCpuS: number; redisCpuS: number }
export interface BackendRun {
  backend: 'cluster' | 'standalone'
  mode: 'off' | 'on'
  districts: DistrictRun[]
  /** Every district's posts over the span from the first publish to the last post sent. */
  provinceSendsPerSecond: number
  /** os.loadavg() just before publishing (1, 5, 15 min): the machine is shared. */
  load: number[]
  cpu: CpuShare
}
export interface ProvinceResult {
  districts: number
  groupsPerDistrict: number
  accountsPerDistrict: number
  membersPerGroup: number
  cluster: string
  spread: MasterShare[]
  runs: BackendRun[]
}

/** District namespaces: the same names on both backends and in both runs, so one spread holds for all. */
export const districtNames = (n: number) => Array.from({ length: n }, (_, i) => `bench-province-d${String(i + 1).padStart(2, '0')}`)

let cluster: ClusterSet | undefined
let configDir: string | undefined
process.on('exit', () => cluster?.killNow())
/** For a signal handler: the started cluster's nodes stopped, its directory and the generated config removed. */
export async function cleanUpProvince(): Promise<void> {
  await cluster?.remove().catch(() => undefined)
  if (configDir) await rm(configDir, { recursive: true, force: true })
}

/** A district process that does not log in within this long fails the run, naming the district. */
const START_TIMEOUT_MS = 10 * 60_000
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms) })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

export async function runProvince(o: ProvinceOptions): Promise<ProvinceResult> {
  const dir = configDir = await mkdtemp(path.join(os.tmpdir(), 'cascade-fanout-province-'))
  try {
    const files = await writeNetwork(dir, { ...o.district, pacing: RATE_ON, policies: POLICIES })
    const cfg = await loadConfig({ configDir: files.configDir, botsDir: files.botsDir, templatesFile: TEMPLATES })
    let clusterUrl = o.clusterUrl
    if (!clusterUrl) {
      cluster = await ClusterSet.create({ base: o.clusterBase, fsync: 'off' })
      clusterUrl = cluster.url
      log(`province: started a Redis Cluster on ${cluster.ports[0]}–${cluster.ports.at(-1)} (3 masters, 3 replicas, no persistence) in ${cluster.dir}`)
    }
    const names = districtNames(o.districts)
    const spread = await slotSpread(clusterUrl, names)
    for (const s of spread) log(`  master ${s.master} (${f0(s.slots)} slots): ${s.districts.map(d => `${d.name} (slot ${d.slot})`).join(', ') || 'no district'}`)
    log(`province: ${o.districts} districts × ${o.district.groups} groups, ${o.district.accounts} accounts each, one bot process per district; config in ${dir}`)
    const runs: BackendRun[] = []
    let members = NaN
    for (const mode of (['off', 'on'] as const).filter(m => o.pacing === 'both' || o.pacing === m)) {
      for (const backend of ['cluster', 'standalone'] as const) {
        const run = await runDistricts(backend, backend === 'cluster' ? clusterUrl : o.standaloneUrl, mode, names, files, cfg, o.world)
        runs.push(run.result)
        members = run.membersPerGroup
      }
    }
    return { districts: o.districts, groupsPerDistrict: o.district.groups, accountsPerDistrict: o.district.accounts, membersPerGroup: members, cluster: clusterUrl, spread, runs }
  } finally {
    await cluster?.remove()
    cluster = undefined
    await rm(dir, { recursive: true, force: true })
  }
}

/** CLUSTER KEYSLOT of each district's hash tag, and the master serving it (CLUSTER SLOTS). */
async function slotSpread(url: string, names: string[]): Promise<MasterShare[]> {
  const redis = newRedis(url)
  try {
    const slotOf = new Map<string, number>()
    for (const ns of names) slotOf.set(ns, Number(await redis.call('CLUSTER', 'KEYSLOT', `{${ns}}`)))
    return spreadOverMasters(slotOf, await redis.call('CLUSTER', 'SLOTS') as SlotRange[])
  } finally {
    redis.disconnect()
  }
}

/** The machine's CPU counters, summed over its cores (ms). */
function machineCpu(): { busy: number; total: number } {
  let busy = 0
  let total = 0
  for (const c of os.cpus()) {
    const t = c.times
    busy += t.user + t.nice + t.sys + t.irq
    total += t.user + t.nice + t.sys + t.irq + t.idle
  }
  return { busy, total }
}

/** CPU seconds used so far by every Redis node behind the client (INFO cpu: used_cpu_user + used_cpu_sys). */
async function redisCpu(redis: Redis): Promise<number> {
  const r: unknown = redis
  const nodes = r instanceof Cluster ? r.nodes('all') as unknown as Redis[] : [redis]
  const infos = await Promise.all(nodes.map(n => n.info('cpu')))
  return infos.reduce((sum, info) => sum + Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0), 0)
}

async function runDistricts(backend: BackendRun['backend'], url: string, mode: 'off' | 'on', names: string[], files: NetworkFiles, cfg: CascadeConfig, world: WorldOptions): Promise<{ result: BackendRun; membersPerGroup: number }> {
  const pacing: PacingConfig = mode === 'off' ? RATE_OFF : RATE_ON
  const redis = connectRedis(url)
  const stores = names.map(ns => new Store(redis, ns))
  const procs = names.map((_, i) => new BotProcess(i, files.bots))
  const procOf = new Map(files.bots.map(b => [b, 0]))
  const total = publicTopics(cfg).length
  try {
    await Promise.all(stores.map(s => s.clearNamespace()))
    log(`  [${backend}, pacing ${mode}] starting ${procs.length} district processes × ${files.bots.length} accounts …`)
    const ready = await Promise.all(procs.map((p, i) => within(p.request<ReadyMsg>({
      type: 'start', configDir: files.configDir, botsDir: files.botsDir, templatesFile: TEMPLATES, redisUrl: url, ns: names[i], bots: files.bots, pacing, world, timers: true,
    }), START_TIMEOUT_MS, `${names[i]} (${backend}, pacing ${mode}): start and log in`)))
    log(`    logged in: slowest district ${f1(max(ready.map(r => r.loginMs)) / 1000)} s (world ${f1(max(ready.map(r => r.worldMs)) / 1000)} s)`)
    const load = os.loadavg()
    // Every district publishes at the same moment, in its own process.
    const at = Date.now() + 500
    const cpu0 = { machine: machineCpu(), redis: await redisCpu(redis) }
    const published = await Promise.all(procs.map(p => p.request<PublishedMsg>({ type: 'publish', at, node: files.rootId, author: files.publisher, text: NOTICE })))
    log(`    ${names.length} districts published (load ${load.map(f2).join(' ')}); publish() ${f0(min(published.map(p => p.publishCallMs)))}–${f0(max(published.map(p => p.publishCallMs)))} ms; waiting for ${total} groups each …`)
    const waited = await Promise.all(stores.map((s, i) => waitForGroups(s, published[i].code, total, mode === 'off' ? TIMEOUT_OFF_MS : TIMEOUT_ON_MS, mode === 'off' ? 500 : 2_000, `${names[i]}: `)))
    const machine1 = machineCpu()
    const redis1 = await redisCpu(redis)
    const stats = await Promise.all(procs.map((p, i) => p.request<StatsDoneMsg>({ type: 'stats', code: published[i].code })))
    const cpu: CpuShare = {
      wallS: (Date.now() - at) / 1000, cores: os.cpus().length,
      machineBusyPct: 100 * (machine1.busy - cpu0.machine.busy) / (machine1.total - cpu0.machine.total),
      districtsCpuS: stats.reduce((a, s) => a + (s.cpuSincePublishMs ?? NaN), 0) / 1000,
      redisCpuS: redis1 - cpu0.redis,
    }
    const districts: DistrictRun[] = []
    for (const [i, ns] of names.entries()) {
      const relays = await stores[i].relays(published[i].code)
      const { deliveries, timedOut } = waited[i]
      districts.push({
        ns, code: published[i].code, peakRssMiB: stats[i].peakRss / MiB, loginMs: ready[i].loginMs, worldMs: ready[i].worldMs,
        publishCpuMs: published[i].publishCpuMs, cpuMs: stats[i].cpuSincePublishMs ?? NaN,
        ...flowFigures({ cfg, rootId: files.rootId, bots: files.bots, mode, pacing, t0: published[i].t0, publishCallMs: published[i].publishCallMs, relays, deliveries, posts: postsByTopic([stats[i]]), procOf, processes: 1, timedOut }),
      })
    }
    const sentAt = waited.flatMap(w => w.deliveries.filter(d => d.sentAt !== undefined).map(d => d.sentAt!))
    const provinceSendsPerSecond = sentAt.length / ((max(sentAt) - min(published.map(p => p.t0))) / 1000)
    log(`    last group confirmed ${f0(max(districts.map(d => d.lastConfirmedMs)))} ms after publish (slowest district)`)
    log(`    CPU over ${f1(cpu.wallS)} s: machine ${f0(cpu.machineBusyPct)} % busy (${cpu.cores} cores); district processes ${f1(cpu.districtsCpuS)} s, Redis ${f1(cpu.redisCpuS)} s`)
    return { result: { backend, mode, districts, provinceSendsPerSecond, load, cpu }, membersPerGroup: ready[0].memberships / total }
  } finally {
    await Promise.all(procs.map(p => p.stop()))
    await Promise.all(stores.map(s => s.clearNamespace().catch(() => undefined)))
    await redis.quit()
  }
}

// ── report ────────────────────────────────────────────────────────────────────

const runOf = (r: ProvinceResult, backend: BackendRun['backend'], mode: 'off' | 'on') => r.runs.find(x => x.backend === backend && x.mode === mode)
const range = (xs: number[], f: (n: number) => string) => xs.length ? `${f(min(xs))} – ${f(max(xs))}` : '–'

/** Per district, one backend: both runs' figures side by side, then min and max over the districts. */
function districtTable(r: ProvinceResult, backend: BackendRun['backend']): string {
  const off = runOf(r, backend, 'off')
  const on = runOf(r, backend, 'on')
  const masterOf = new Map(r.spread.flatMap(s => s.districts.map(d => [d.name, s.master.replace(/^127\.0\.0\.1:/, ':')] as const)))
  const head = ['district', ...(backend === 'cluster' ? ['master'] : []), 'efficiency (on)', 'relay step p50/p95 on', 'relay step p50/p95 off', 'hop p95 off', 'publish() off/on', 'last confirmed off (ms) / on (s)', 'dup/failed/missing off; on', 'peak RSS MiB']
  const cells = (i: number): string[] => {
    const a = off?.districts[i]
    const b = on?.districts[i]
    const ns = (a ?? b)!.ns
    const c = (d: DistrictRun | undefined) => d ? `${d.correctness.duplicatePosts}/${d.correctness.failed}/${d.correctness.groups - d.correctness.confirmed}` : '–'
    return [
      ns.replace('bench-province-', ''), ...(backend === 'cluster' ? [masterOf.get(ns) ?? '?'] : []),
      b?.ideal ? f2(b.ideal.efficiency) : '–',
      b ? `${f0(b.relayStepMs.p50)} / ${f0(b.relayStepMs.p95)}` : '–',
      a ? `${f0(a.relayStepMs.p50)} / ${f0(a.relayStepMs.p95)}` : '–',
      a ? f0(a.hopMs.p95) : '–',
      `${a ? f0(a.publishCallMs) : '–'} / ${b ? f0(b.publishCallMs) : '–'}`,
      `${a ? f0(a.lastConfirmedMs) : '–'} / ${b ? f1(b.lastConfirmedMs / 1000) : '–'}`,
      `${c(a)}; ${c(b)}`,
      f0(max([a?.peakRssMiB ?? NaN, b?.peakRssMiB ?? NaN].filter(Number.isFinite))),
    ]
  }
  const n = (off ?? on)!.districts.length
  const rows = Array.from({ length: n }, (_, i) => cells(i))
  const pick = (run: BackendRun | undefined, f: (d: DistrictRun) => number) => run ? run.districts.map(f) : []
  const agg = (label: string, g: (xs: number[]) => number): string[] => {
    const v = (run: BackendRun | undefined, f: (d: DistrictRun) => number, fmt: (x: number) => string) => run ? fmt(g(pick(run, f))) : '–'
    return [label, ...(backend === 'cluster' ? [''] : []),
      v(on, d => d.ideal?.efficiency ?? NaN, f2),
      `${v(on, d => d.relayStepMs.p50, f0)} / ${v(on, d => d.relayStepMs.p95, f0)}`,
      `${v(off, d => d.relayStepMs.p50, f0)} / ${v(off, d => d.relayStepMs.p95, f0)}`,
      v(off, d => d.hopMs.p95, f0),
      `${v(off, d => d.publishCallMs, f0)} / ${v(on, d => d.publishCallMs, f0)}`,
      `${v(off, d => d.lastConfirmedMs, f0)} / ${v(on, d => d.lastConfirmedMs / 1000, f1)}`,
      '', '']
  }
  return textTable(head, [...rows, agg('min', min), agg('max', max)])
}

/** The province on the cluster against one Redis: min – max over the districts, and the ratio of the worst. */
function sideBySide(r: ProvinceResult): string {
  const rows: string[][] = []
  const row = (label: string, mode: 'off' | 'on', f: (d: DistrictRun) => number, fmt: (n: number) => string, worst: 'max' | 'min' = 'max') => {
    const c = runOf(r, 'cluster', mode)
    const s = runOf(r, 'standalone', mode)
    const xs = (run?: BackendRun) => run ? run.districts.map(f) : []
    const w = worst === 'max' ? max : min
    const ratio = c && s ? f2(w(xs(c)) / w(xs(s))) : '–'
    rows.push([label, range(xs(c), fmt), range(xs(s), fmt), ratio])
  }
  /** A figure of the whole run (not per district), the runs of `modes` joined by "; ". */
  const whole = (label: string, modes: ('off' | 'on')[], f: (run: BackendRun) => string) =>
    rows.push([label, ...(['cluster', 'standalone'] as const).map(b => modes.map(m => runOf(r, b, m)).filter(x => x !== undefined).map(f).join('; ') || '–'), ''])
  rows.push(['pacing on (60/min per account, jitter 0)'])
  row('efficiency ideal ÷ actual (goal ≥ 0.97)', 'on', d => d.ideal?.efficiency ?? NaN, f2, 'min')
  row('relay step p50 (ms)', 'on', d => d.relayStepMs.p50, f0)
  row('relay step p95 (ms, goal < 1,000)', 'on', d => d.relayStepMs.p95, f0)
  row('hop p95 (s)', 'on', d => d.hopMs.p95 / 1000, f1)
  row('publish() call (ms)', 'on', d => d.publishCallMs, f0)
  row('  of which the process on CPU (ms)', 'on', d => d.publishCpuMs, f0)
  row('publish → last group confirmed (s)', 'on', d => d.lastConfirmedMs / 1000, f1)
  row('posts per account, max', 'on', d => d.postsPerAccount.max, f0)
  rows.push(['pacing off (perMinute 60000, jitter 0): Cascade\'s own cost, all districts at once'])
  row('relay step p50 (ms)', 'off', d => d.relayStepMs.p50, f0)
  row('relay step p95 (ms)', 'off', d => d.relayStepMs.p95, f0)
  row('send wait p95 (ms)', 'off', d => d.sendWaitMs.p95, f0)
  row('hop p95 (ms)', 'off', d => d.hopMs.p95, f0)
  row('publish() call (ms)', 'off', d => d.publishCallMs, f0)
  row('  of which the process on CPU (ms)', 'off', d => d.publishCpuMs, f0)
  row('publish → last group confirmed (ms)', 'off', d => d.lastConfirmedMs, f0)
  whole('sends/s, all districts together', ['off'], run => f0(run.provinceSendsPerSecond))
  rows.push(['all runs'])
  row('peak RSS per district process (MiB)', 'off', d => d.peakRssMiB, f0)
  whole('duplicates / failed / missing, all districts (off; on)', ['off', 'on'], run => {
    const sum = (f: (d: DistrictRun) => number) => run.districts.reduce((a, d) => a + f(d), 0)
    return `${sum(d => d.correctness.duplicatePosts)}/${sum(d => d.correctness.failed)}/${sum(d => d.correctness.groups - d.correctness.confirmed)}`
  })
  whole('load average 1/5/15 min at publish (off; on)', ['off', 'on'], run => run.load.map(f1).join(' '))
  whole('machine CPU busy, publish → done (%; off; on)', ['off', 'on'], run => f0(run.cpu.machineBusyPct))
  whole('  CPU s: district processes + Redis of wall × cores', ['off', 'on'], run => `${f0(run.cpu.districtsCpuS)} + ${f0(run.cpu.redisCpuS)} of ${f0(run.cpu.wallS * run.cpu.cores)}`)
  return textTable(['', 'cluster (min – max)', 'standalone (min – max)', 'cluster ÷ standalone (worst)'], rows)
}

export function provinceReport(r: ProvinceResult, quick: boolean): string {
  const lines = [
    `province: ${r.districts} districts × ${f0(r.groupsPerDistrict)} groups × ${r.accountsPerDistrict} accounts (${f0(r.districts * r.groupsPerDistrict)} groups, ${r.districts * r.accountsPerDistrict} accounts), ≈${f0(r.membersPerGroup)} members per group, one bot process per district${quick ? ' (quick)' : ''}`,
    `cluster ${r.cluster}: which master serves which district (CLUSTER KEYSLOT of the hash tag {ns})`,
    ...r.spread.map(s => `  ${s.master} (${f0(s.slots)} slots): ${s.districts.length} — ${s.districts.map(d => `${d.name.replace('bench-province-', '')}@${d.slot}`).join(' ') || 'none'}`),
    '',
    sideBySide(r),
    '',
    '── per district, cluster (relay step and hop in ms)',
    districtTable(r, 'cluster'),
    '',
    '── per district, standalone Redis',
    districtTable(r, 'standalone'),
  ]
  return lines.join('\n')
}

export function provinceGoals(r: ProvinceResult) {
  const every = (backend: BackendRun['backend'], mode: 'off' | 'on', ok: (d: DistrictRun) => boolean) => {
    const run = runOf(r, backend, mode)
    return run ? run.districts.every(ok) : null
  }
  return Object.fromEntries((['cluster', 'standalone'] as const).map(b => [b, {
    everyDistrictEfficiencyAtLeast97: every(b, 'on', d => (d.ideal?.efficiency ?? 0) >= 0.97),
    everyDistrictRelayStepP95Under1sPacingOn: every(b, 'on', d => d.relayStepMs.p95 < 1000),
    everyDistrictRelayStepP95Under1sPacingOff: every(b, 'off', d => d.relayStepMs.p95 < 1000),
    noDuplicatesNoFailures: r.runs.filter(x => x.backend === b).every(x => x.districts.every(d => d.correctness.duplicatePosts === 0 && d.correctness.failed === 0 && d.correctness.groupsWithoutPost === 0 && !d.correctness.timedOut)),
  }]))
}
