/**
 * The fault suite of issue 15 ("No notice lost to a crash"): `npm run faults -- [--quick] [--json] [--only id,id] [--keep]`.
 *
 * Each fault is injected into real fan-outs on a generated network (src/sim/network.ts: 300
 * public groups, 6 townships, 150 villages, 6 accounts in 2 bot processes of 3 accounts, every
 * village served by one account of each process) with every part in its own process
 * (scripts/faults/proc.ts): two bot processes on the mock puppet, the relay step (publish /
 * approve through `compose()`), and the timers worker that `cascade serve` runs; all on a
 * redis-server of this suite's own (loopback, port 6390–6399, AOF everysec, `--dir` a temp dir;
 * see redis-server.ts). Nothing of a run is shared with the next but the network's files: the
 * Redis is flushed and every process started afresh.
 *
 * Runtime options shortened so that a run takes about a minute (BotRuntimeOptions):
 *   sendTimeoutMs 30 s → 3 s, settleAfterMs 90 s → 10 s, stopWaitMs 5 s → 1 s,
 *   heartbeatSeconds 10 → 2 (a heartbeat lapses after 6 s). Not shortened (not an option):
 *   BullMQ's job lock (30 s) and stall check (every 30 s), the take-over lock, the claim TTL.
 * Pacing: 240 posts/minute per account (a fan-out of ≈ 13 s), jitter 0.
 *
 * Measured per fault, once a run has settled (outboxes empty and nothing changing, or the
 * notice complete, or 150 s after the fault):
 *   lost     a public group of an approved node (approved in Redis, or forwarded by policy below
 *            an approved parent: what Redis forgot does not excuse a loss) with no post at all
 *   doubled  a group with more than one post, except …
 *   doubled_in_crash_window  … two posts of which the second is marked 【补发】 (the rule's one
 *            allowed extra post after a crash between a send and its echo), counted apart
 *   stuck    a delivery not confirmed / sent / withdrawn / failed at the end, a relay approved
 *            whose children were never opened or whose groups were never queued (its forward
 *            did not finish), a relay left pending that its policy forwards
 *   max_recovery_s  fault → the notice complete again (every group posted, every delivery
 *            final), the worst run; "never" when a run did not get there
 * Posts are what the mock WeChat saw: each bot process appends every post of its accounts to a
 * log with a synchronous write before the post's echo is handled, so a kill -9 loses none.
 *
 * stdout: the table (and with --json, one last line of JSON). Progress on stderr. Exit 0 whatever
 * was measured (losses are figures, not failures); 1 only when the suite itself breaks.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { compose, type Composed } from '../../src/app/compose.ts'
import { silentLogger } from '../../src/infra/log.ts'
import { policyFor } from '../../src/config/policies.ts'
import { loadConfig } from '../../src/config/load.ts'
import type { CascadeConfig } from '../../src/config/types.ts'
import type { Delivery, Relay } from '../../src/domain/announcement.ts'
import { writeNetwork, type NetworkFiles } from '../../src/sim/network.ts'
import type { FaultMsg, FromProc, Role, RuntimeOptions, ToProc } from './protocol.ts'
import { RedisServer } from './redis-server.ts'
import { SentinelSet } from './sentinel-set.ts'
import { ClusterSet } from './cluster-set.ts'
import { newRedis } from '../../src/infra/redis.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PROC = fileURLToPath(new URL('./proc.ts', import.meta.url))
const TEMPLATES = path.join(ROOT, 'config', 'templates.yaml')

const argv = process.argv.slice(2)
const JSON_OUT = argv.includes('--json')
const QUICK = argv.includes('--quick')
const KEEP = argv.includes('--keep')
const ONLY = (argv.find(a => a.startsWith('--only='))?.slice(7) ?? (argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : ''))
  .split(',').filter(Boolean)

/** --defaults: the runtime and the recovery loop as in production (nothing shortened), to measure recovery times as they are. */
const DEFAULTS = argv.includes('--defaults')
const TRACE = argv.includes('--trace')
const RUNTIME: RuntimeOptions = DEFAULTS ? {} : { sendTimeoutMs: 3_000, settleAfterMs: 10_000, stopWaitMs: 1_000, heartbeatSeconds: 2 }
/** The timers process's recovery loop (15 s / 20 s by default). */
const RECOVERY = DEFAULTS ? undefined : { intervalMs: 5_000, graceMs: 5_000 }
const PACING = { perMinute: 240, jitterMs: 0, dailyBudget: 1_000_000 }
const NET = { townships: 6, villages: 150, groups: 300, accounts: 6 }
const PROCESS_BOTS = [['bot-0', 'bot-1', 'bot-2'], ['bot-3', 'bot-4', 'bot-5']]
/** A run that has not settled this long after its fault is measured as it stands. */
const DEADLINE_MS = 150_000
/** Outboxes empty and nothing changed for this long: settled (incomplete). Shorter with --quick, to stay under 3 minutes. */
const QUIET_MS = QUICK ? 12_000 : 15_000
const RESEND = '【补发】'
const NOTICE = '【疫情防控】自今晚20时起，全区暂停一切聚集性活动，红白喜事一律从简、暂缓操办；外地返乡人员请在到达后24小时内向所在村（社区）报备。'

const log = (line: string) => console.error(line)
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

// ── networks ────────────────────────────────────────────────────────────────

type NetKind = 'auto' | 'review' | 'timed'
interface Net { kind: NetKind; files: NetworkFiles; cfg: CascadeConfig }

const townshipIds = Array.from({ length: NET.townships }, (_, t) => `t${t + 1}`)
const villageIds = Array.from({ length: NET.villages }, (_, v) => `v${String(v + 1).padStart(3, '0')}`)

/** auto: every node forwards at once (policy 0). review: townships wait for a curator. timed: townships auto-forward by timer after 3 s. */
function policies(kind: NetKind): string {
  const all = `defaults:\n${['urgent', 'normal', 'info'].map(s => `  ${s}: { autoForwardAfter: 0, remindAfter: 60, escalateAfter: 120, expiresAfterHours: 24 }`).join('\n')}\n`
  if (kind === 'auto') return all
  if (kind === 'review') return `${all}nodes:\n${townshipIds.map(t => `  ${t}: { urgent: { autoForwardAfter: null } }`).join('\n')}\n`
  return `${all}nodes:\n${townshipIds.map(t => `  ${t}: { urgent: { remindAfter: 0.05, escalateAfter: 60, autoForwardAfter: 0.05 } }`).join('\n')}\n`
}

async function makeNet(dir: string, kind: NetKind): Promise<Net> {
  const files = await writeNetwork(path.join(dir, kind), { ...NET, pacing: PACING, policies: policies(kind) })
  const cfg = await loadConfig({ configDir: files.configDir, botsDir: files.botsDir, templatesFile: TEMPLATES })
  if (cfg.nodes.size !== 1 + NET.townships + NET.villages) throw new Error('unexpected network')
  for (const t of townshipIds) if (!cfg.nodes.has(t)) throw new Error(`no township ${t}`)
  for (const v of [villageIds[0], villageIds[villageIds.length - 1]]) if (!cfg.nodes.has(v)) throw new Error(`no village ${v}`)
  return { kind, files, cfg }
}

// ── processes ───────────────────────────────────────────────────────────────

class Proc {
  readonly child: ChildProcess
  private listeners: ((m: FromProc) => void)[] = []
  exitedAt?: number
  readonly exit: Promise<void>

  constructor(readonly name: string, role: Role, errFile: string) {
    const fd = openSync(errFile, 'a')
    this.child = fork(PROC, [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', fd, 'ipc'], env: { ...process.env, FAULTS_ROLE: `${role}:${name}` } })
    closeSync(fd)
    this.exit = new Promise(resolve => this.child.once('exit', () => { this.exitedAt = Date.now(); resolve() }))
    this.child.on('message', (m: FromProc) => { for (const fn of [...this.listeners]) fn(m) })
    this.child.on('error', () => undefined)
  }

  get alive(): boolean { return this.exitedAt === undefined }

  send(msg: ToProc): void { if (this.alive && this.child.connected) this.child.send(msg) }

  on(fn: (m: FromProc) => void): void { this.listeners.push(fn) }

  /** The next message of a type (rejects on `failed`; resolves undefined when the process exits first). */
  next<T extends FromProc['type']>(type: T, timeoutMs = 120_000): Promise<Extract<FromProc, { type: T }> | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { done(); reject(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`)) }, timeoutMs)
      const fn = (m: FromProc) => {
        if (m.type === type) { done(); resolve(m as Extract<FromProc, { type: T }>) }
        if (m.type === 'failed') { done(); reject(new Error(`${this.name}: ${m.error}`)) }
      }
      const done = () => { clearTimeout(timer); this.listeners.splice(this.listeners.indexOf(fn), 1) }
      this.listeners.push(fn)
      void this.exit.then(() => { if (this.listeners.includes(fn)) { done(); resolve(undefined) } })
    })
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void { if (this.alive) this.child.kill(signal) }

  /** Graceful stop, then kill -9 if it takes too long. */
  async stop(): Promise<void> {
    if (!this.alive) return
    this.child.kill('SIGCONT')
    this.kill('SIGTERM')
    await Promise.race([this.exit, sleep(10_000)])
    this.kill('SIGKILL')
    await this.exit
  }
}

// ── one run ─────────────────────────────────────────────────────────────────

interface RunResult {
  fault: string
  moment: string
  lost: number
  doubled: number
  doubledInCrashWindow: number
  stuck: number
  /** Fault → notice complete again (s); undefined: never within the run. */
  recoveryS?: number
  /** Extra detail: stuck by kind, posts, states, unconfirmed sends, error lines in logs. */
  detail: Record<string, unknown>
}

interface Ctx {
  net: Net
  redis: RedisServer | SentinelSet | ClusterSet
  dir: string
  ns: string
  composed: Composed
  procs: Proc[]
  postsLogs: string[]
  code?: string
  faultAt?: number
  /** The run may not settle before this (a fault still under way: a frozen process not yet resumed). */
  holding?: Promise<void>
  /** Nodes the test decided to approve (review network). */
  approvedByTest: Set<string>
  n: number
  /** On a cluster: a second district, on another master, that the fault should leave alone. */
  neighbour?: Ctx
}

let runNo = 0

function startProc(ctx: Ctx, name: string, role: Role, extra: { bots?: string[]; fault?: FaultMsg } = {}): Proc {
  const p = new Proc(name, role, path.join(ctx.dir, `${name}-${++ctx.n}.err`))
  ctx.procs.push(p)
  const postsLog = path.join(ctx.dir, `posts-${name}-${ctx.n}.log`)
  if (role === 'bots') ctx.postsLogs.push(postsLog)
  p.send({
    type: 'start', role, configDir: ctx.net.files.configDir, botsDir: ctx.net.files.botsDir, templatesFile: TEMPLATES,
    redisUrl: ctx.redis.url, ns: ctx.ns, bots: extra.bots, pacing: PACING, runtime: RUNTIME, world: { seed: 7 }, postsLog, fault: extra.fault,
    mirrorDir: role === 'bots' ? ctx.dir : undefined, recovery: RECOVERY,
  })
  return p
}

async function started(p: Proc): Promise<Proc> {
  const m = await p.next('ready', 120_000)
  if (!m) throw new Error(`${p.name} exited while starting`)
  return p
}

const botsProc = (ctx: Ctx, i: 0 | 1, fault?: FaultMsg) => started(startProc(ctx, i === 0 ? 'A' : 'B', 'bots', { bots: PROCESS_BOTS[i], fault }))

interface Post { at: number; bot: string; topic: string; text: string }

function readPosts(ctx: Ctx): Post[] {
  const out: Post[] = []
  for (const f of ctx.postsLogs) {
    if (!existsSync(f)) continue
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line) continue
      try {
        const p = JSON.parse(line) as Post & { kind: string }
        if (p.kind === 'post') out.push(p)
      } catch { /* a line cut by a kill */ }
    }
  }
  return out
}

/** Public groups that must get the notice: of nodes approved in Redis, or forwarded by policy (0 or a timer) below an approved parent. */
function expectedTopics(ctx: Ctx, relays: Map<string, Relay>): { topics: Set<string>; approved: Set<string> } {
  const { cfg } = ctx.net
  const approved = new Set<string>()
  const visit = (node: string) => {
    approved.add(node)
    for (const child of cfg.children.get(node) ?? []) {
      const r = relays.get(child)
      const p = policyFor(cfg.policies, child, 'urgent').autoForwardAfter
      if (r?.state === 'approved' || r?.state === 'edited' || p !== null || ctx.approvedByTest.has(child) && r?.state !== 'pending') visit(child)
    }
  }
  visit(cfg.rootId)
  const topics = new Set<string>()
  for (const n of approved) for (const g of cfg.nodes.get(n)!.groups) if (g.kind === 'public') topics.add(g.topic)
  return { topics, approved }
}

interface Snapshot { complete: boolean; backlog: number; signature: string; deliveries: Delivery[]; relays: Map<string, Relay>; posts: Post[] }

async function snapshot(ctx: Ctx): Promise<Snapshot> {
  const { app } = ctx.composed
  const code = ctx.code!
  const [deliveries, relays, backlogs, timers] = await Promise.all([
    app.store.deliveries(code), app.store.relays(code),
    Promise.all(ctx.net.files.bots.map(b => app.outboxes.backlog(b))),
    app.timers.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']),
  ])
  const soonTimers = timers.filter(j => j && j.data.kind === 'auto-forward' && j.timestamp + (j.opts.delay ?? 0) < Date.now() + 60_000).length
  const posts = readPosts(ctx).filter(p => p.text.includes(code))
  const { topics } = expectedTopics(ctx, relays)
  const posted = new Set(posts.map(p => p.topic))
  const final = new Set(['confirmed', 'sent', 'withdrawn', 'failed'])
  const complete = [...topics].every(t => posted.has(t)) && deliveries.every(d => final.has(d.state)) && stuckRelays(ctx, relays, deliveries).length === 0
  const states = deliveries.map(d => d.state[0]).sort().join('')
  return { complete, backlog: backlogs.reduce((a, b) => a + b, 0) + soonTimers, signature: `${posts.length}|${states}|${relays.size}|${[...relays.values()].map(r => r.state[0]).join('')}`, deliveries, relays, posts }
}

function stuckRelays(ctx: Ctx, relays: Map<string, Relay>, deliveries: Delivery[]): string[] {
  const { cfg } = ctx.net
  const out: string[] = []
  const recorded = new Set(deliveries.map(d => d.topic))
  for (const r of relays.values()) {
    const kids = cfg.children.get(r.node) ?? []
    const forwarding = r.state === 'approved' || r.state === 'edited'
    if (forwarding && kids.some(k => !relays.has(k))) out.push(`${r.node}: ${r.state}, ${kids.filter(k => !relays.has(k)).length} of ${kids.length} children never opened`)
    // forward() did not finish: a group of the approved node never got its delivery record.
    const unrecorded = cfg.nodes.get(r.node)!.groups.filter(g => g.kind === 'public' && !recorded.has(g.topic)).length
    if (forwarding && unrecorded) out.push(`${r.node}: ${r.state}, ${unrecorded} group(s) never queued`)
    if (r.state === 'pending' && policyFor(cfg.policies, r.node, 'urgent').autoForwardAfter !== null) out.push(`${r.node}: pending, forwarded by policy`)
  }
  return out
}

/** Waits until the run has settled; returns the last snapshot and when the notice was complete again. */
async function settle(ctx: Ctx): Promise<{ snap: Snapshot; completeAt?: number }> {
  const deadline = (ctx.faultAt ?? Date.now()) + DEADLINE_MS
  let last = ''
  let changedAt = Date.now()
  let completeAt: number | undefined
  for (;;) {
    const snap = await snapshot(ctx)
    if (snap.signature !== last) {
      last = snap.signature
      changedAt = Date.now()
      // --trace: what keeps the notice from being complete, at each change.
      if (TRACE) {
        const states: Record<string, number> = {}
        for (const d of snap.deliveries) states[d.state] = (states[d.state] ?? 0) + 1
        const posted = new Set(snap.posts.map(p => p.topic))
        const missing = [...expectedTopics(ctx, snap.relays).topics].filter(t => !posted.has(t)).length
        log(`      +${((Date.now() - (ctx.faultAt ?? Date.now())) / 1000).toFixed(1)} s complete=${snap.complete} backlog=${snap.backlog} posts=${snap.posts.length} unposted=${missing} ${JSON.stringify(states)} stuckRelays=${stuckRelays(ctx, snap.relays, snap.deliveries).length}`)
      }
    }
    if (snap.complete) completeAt ??= Date.now()
    else completeAt = undefined
    let held = false
    if (ctx.holding) held = await Promise.race([ctx.holding.then(() => false), sleep(0).then(() => true)])
    // Complete and nothing left to run (a 补发 could still come from a job waiting to settle).
    if (held) { /* the fault is still under way */ } else if (snap.complete && snap.backlog === 0) return { snap, completeAt }
    if (!held && !snap.complete && snap.backlog === 0 && Date.now() - changedAt > QUIET_MS) return { snap, completeAt }
    if (Date.now() > deadline) return { snap, completeAt }
    await sleep(500)
  }
}

function measure(ctx: Ctx, snap: Snapshot, completeAt: number | undefined): Omit<RunResult, 'fault' | 'moment'> {
  const { topics } = expectedTopics(ctx, snap.relays)
  const byTopic = new Map<string, Post[]>()
  for (const p of snap.posts) byTopic.set(p.topic, [...byTopic.get(p.topic) ?? [], p])
  const lostTopics = [...topics].filter(t => !byTopic.has(t))
  let doubled = 0
  let crash = 0
  const doubledTopics: string[] = []
  for (const [topic, ps] of byTopic) {
    if (ps.length < 2) continue
    ps.sort((a, b) => a.at - b.at)
    const extra = ps.slice(1)
    if (ps.length === 2 && extra.every(p => p.text.startsWith(RESEND))) crash++
    else { doubled++; doubledTopics.push(topic) }
  }
  const final = new Set(['confirmed', 'sent', 'withdrawn', 'failed'])
  const stuckDeliveries = snap.deliveries.filter(d => !final.has(d.state))
  const relaysStuck = stuckRelays(ctx, snap.relays, snap.deliveries)
  const count = (xs: string[]) => xs.reduce<Record<string, number>>((o, x) => ({ ...o, [x]: (o[x] ?? 0) + 1 }), {})
  const recorded = new Set(snap.deliveries.map(d => d.topic))
  return {
    lost: lostTopics.length,
    doubled, doubledInCrashWindow: crash,
    stuck: stuckDeliveries.length + relaysStuck.length,
    recoveryS: completeAt !== undefined && ctx.faultAt !== undefined ? Math.max(0, completeAt - ctx.faultAt) / 1000 : undefined,
    detail: {
      code: ctx.code, groupsExpected: topics.size, posts: snap.posts.length,
      resends: snap.posts.filter(p => p.text.startsWith(RESEND)).length,
      deliveryStates: count(snap.deliveries.map(d => d.state)),
      lostWithoutDeliveryRecord: lostTopics.filter(t => !recorded.has(t)).length,
      stuckDeliveries: count(stuckDeliveries.map(d => `${d.state}${d.error ? ` (${d.error.slice(0, 40)})` : ''}`)),
      stuckRelays: relaysStuck.slice(0, 5), stuckRelayCount: relaysStuck.length,
      sentNotConfirmed: snap.deliveries.filter(d => d.state === 'sent').length,
      doubledTopics: doubledTopics.slice(0, 5),
    },
  }
}

/** Lines of raw Redis error output in the processes' stderr (ioredis's unhandled "error" events). */
async function errorLines(dir: string): Promise<{ unhandled: number; lines: number }> {
  let unhandled = 0
  let lines = 0
  for (const f of await readdir(dir)) {
    if (!f.endsWith('.err')) continue
    const text = readFileSync(path.join(dir, f), 'utf8')
    unhandled += (text.match(/Unhandled error event/g) ?? []).length
    lines += text.split('\n').filter(l => l.trim() !== '' && !l.startsWith('{')).length
  }
  return { unhandled, lines }
}

/** Waits until `n` posts of the notice have been seen. */
async function untilPosts(ctx: Ctx, n: number, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (ctx.code && readPosts(ctx).filter(p => p.text.includes(ctx.code!)).length >= n) return
    await sleep(50)
  }
  throw new Error(`fewer than ${n} posts within ${timeoutMs} ms`)
}

interface Setup { A: Proc; B: Proc; timers: Proc; relay?: Proc }

/** The standing system: timers ("serve"), two bot processes; faults armed where asked. */
async function standUp(ctx: Ctx, faults: { A?: FaultMsg; B?: FaultMsg; timers?: FaultMsg } = {}): Promise<Setup> {
  const [timers, A, B] = await Promise.all([
    started(startProc(ctx, 'serve', 'timers', { fault: faults.timers })),
    botsProc(ctx, 0, faults.A), botsProc(ctx, 1, faults.B),
  ])
  return { A, B, timers }
}

/** Publishes from a relay-step process; returns once the code is known (and, unless `dieOk`, the publish call returned). */
async function publish(ctx: Ctx, fault?: FaultMsg): Promise<Proc> {
  const relay = await started(startProc(ctx, 'publish', 'relay', { fault }))
  const code = relay.next('code', 60_000)
  const done = relay.next('done', 120_000)
  relay.send({ type: 'publish', node: ctx.net.files.rootId, author: ctx.net.files.publisher, text: NOTICE })
  const c = await code
  if (!c) throw new Error('publish process died before the announcement existed')
  ctx.code = c.code
  if (fault) {
    await Promise.race([relay.exit, done])
    if (!relay.alive) ctx.faultAt = relay.exitedAt
  } else {
    await done
  }
  return relay
}

type Scenario = {
  id: string
  label: string
  net: NetKind
  fsync?: 'everysec' | 'always'
  /** Runs on a Sentinel deployment of its own (sentinel-set.ts) instead of the suite's redis-server. */
  ha?: boolean
  /** Runs on a Redis Cluster of its own (cluster-set.ts). */
  cluster?: boolean
  /** Moments (one run each) of the full suite; those marked quick also run with --quick. */
  runs: { moment: string; quick?: boolean; go: (ctx: Ctx) => Promise<void> }[]
}

const TOTAL = NET.groups

/** kill -9 bot process B once `at` posts are out; restart after `restartMs` (none: undefined). */
function killBotAt(at: number, restartMs?: number) {
  return async (ctx: Ctx) => {
    const s = await standUp(ctx)
    await publish(ctx)
    await untilPosts(ctx, at)
    s.B.kill('SIGKILL')
    await s.B.exit
    ctx.faultAt = Date.now()
    if (restartMs !== undefined) {
      await sleep(restartMs)
      await botsProc(ctx, 1)
    }
  }
}

/** SIGSTOP of bot process B once `at` posts are out (frozen, not dead: no logout, no exit), SIGCONT `ms` later. */
function freezeBotAt(at: number, ms: number) {
  return async (ctx: Ctx) => {
    const s = await standUp(ctx)
    await publish(ctx)
    await untilPosts(ctx, at)
    s.B.kill('SIGSTOP')
    ctx.faultAt = Date.now()
    // The run is watched during the freeze (recovery by the peers), and settles only after SIGCONT (a post B makes then counts).
    ctx.holding = sleep(ms).then(async () => { s.B.kill('SIGCONT'); await sleep(5_000) })
  }
}

/** B kills itself at an exact point (armed fault), and is restarted 2 s later. */
function selfKill(fault: FaultMsg, restart = true) {
  return async (ctx: Ctx) => {
    const s = await standUp(ctx, { B: fault })
    await publish(ctx)
    await s.B.exit
    ctx.faultAt = s.B.exitedAt
    if (restart) {
      await sleep(2_000)
      await botsProc(ctx, 1)
    }
  }
}

/** A say() fault in B without a kill (a hang past the send timeout, a failure after posting). */
function sayFault(fault: FaultMsg) {
  return async (ctx: Ctx) => {
    const s = await standUp(ctx, { B: fault })
    const hanging = fault.kind === 'hang-say' ? s.B.next('event', 120_000) : undefined
    await publish(ctx)
    if (fault.kind === 'hang-say') ctx.faultAt = (await hanging)?.at
    else {
      await untilPosts(ctx, fault.k)
      ctx.faultAt = Date.now()
    }
  }
}

/** SIGTERM to B while one of its say() hangs; restart 2 s after it exited. */
async function sigtermHung(ctx: Ctx): Promise<void> {
  const s = await standUp(ctx, { B: { kind: 'hang-say', k: 20 } })
  const hanging = s.B.next('event', 120_000)
  await publish(ctx)
  await hanging
  await sleep(500)
  ctx.faultAt = Date.now()
  s.B.kill('SIGTERM')
  await s.B.exit
  log(`      B stopped ${((s.B.exitedAt! - ctx.faultAt) / 1000).toFixed(1)} s after SIGTERM`)
  await sleep(2_000)
  await botsProc(ctx, 1)
}

/** kill -9 of the publishing process inside forward(). */
function killPublish(fault: FaultMsg) {
  return async (ctx: Ctx) => {
    await standUp(ctx)
    await publish(ctx, fault)
    ctx.faultAt ??= Date.now()
  }
}

/** Townships wait for review; a curator's process approves all six at once and is killed inside forward(). */
function killApproval(k: number) {
  return async (ctx: Ctx) => {
    await standUp(ctx)
    await publish(ctx)
    for (const t of townshipIds) ctx.approvedByTest.add(t)
    const approver = await started(startProc(ctx, 'approve', 'relay', { fault: { kind: 'kill-at-enqueue', k } }))
    approver.send({ type: 'approve', code: ctx.code!, nodes: townshipIds })
    await Promise.race([approver.exit, approver.next('done')])
    ctx.faultAt = approver.exitedAt ?? Date.now()
    if (approver.alive) log('      (the approver finished before its k-th enqueue)')
  }
}

/** The timers process (serve) is killed inside the auto-forward handler of a township; restarted 2 s later. */
function killTimers(k: number) {
  return async (ctx: Ctx) => {
    const s = await standUp(ctx, { timers: { kind: 'kill-at-enqueue', k } })
    await publish(ctx)
    await s.timers.exit
    ctx.faultAt = s.timers.exitedAt
    await sleep(2_000)
    await started(startProc(ctx, 'serve', 'timers'))
  }
}

/** With sentinels: kill -9 the master once `at` posts are out; the sentinels promote a replica. */
function killMasterAt(at: number) {
  return async (ctx: Ctx) => {
    await standUp(ctx)
    await publish(ctx)
    await untilPosts(ctx, at)
    const ha = ctx.redis as SentinelSet
    const { killed, promoted } = await ha.killMaster()
    ctx.faultAt = ha.killedAt
    log(`      master ${killed} killed; ${promoted} promoted after ${((ha.electedAt! - ha.killedAt!) / 1000).toFixed(1)} s`)
  }
}

/**
 * On a cluster: kill -9 the master serving the namespace's slot once `at` posts are out; its
 * replica takes over. With `neighbour`, a second district on another master publishes at the same time.
 */
function killClusterMasterAt(at: number, neighbour = false) {
  return async (ctx: Ctx) => {
    const n = neighbour ? await neighbourOf(ctx) : undefined
    await Promise.all([standUp(ctx), n && standUp(n)])
    await Promise.all([publish(ctx), n && publish(n)])
    await untilPosts(ctx, at)
    const cl = ctx.redis as ClusterSet
    const { killed, promoted } = await cl.killMasterOf(ctx.ns)
    ctx.faultAt = cl.killedAt
    log(`      cluster master ${killed} killed; replica ${promoted} serves the slot after ${((cl.electedAt! - cl.killedAt!) / 1000).toFixed(1)} s`)
  }
}

/**
 * On a cluster: a second district (namespace) whose slot another master serves, with processes of
 * its own (timers, two bot processes), the same network and notice.
 */
async function neighbourOf(ctx: Ctx): Promise<Ctx> {
  const cl = ctx.redis as ClusterSet
  const mine = await cl.masterOf(`{${ctx.ns}}:x`)
  let ns = ''
  for (let i = 0; i < 100; i++) if (await cl.masterOf(`{${ns = `${ctx.ns}-next-${i}`}}:x`) !== mine) break
  const composed = compose({ cfg: ctx.net.cfg, redisUrl: cl.url, ns, log: silentLogger })
  composed.redis.on('error', () => undefined)
  for (const b of ctx.net.files.bots) composed.app.outboxes.queue(b).on('error', () => undefined)
  composed.app.timers.queue.on('error', () => undefined)
  const dir = path.join(ctx.dir, 'neighbour')
  await mkdir(dir, { recursive: true })
  ctx.neighbour = { net: ctx.net, redis: ctx.redis, dir, ns, composed, procs: [], postsLogs: [], approvedByTest: new Set(), n: 0 }
  log(`      neighbour district ${ns} on master ${await cl.masterOf(`{${ns}}:x`)} (the run's: ${mine})`)
  return ctx.neighbour
}

/** The neighbour's posts around the fault: did they go on while the other master failed over? */
async function neighbourFigures(ctx: Ctx, n: Ctx, killedAt: number, electedAt?: number): Promise<Record<string, unknown>> {
  const { snap } = await settle(n)
  const m = measure(n, snap, undefined)
  const at = snap.posts.map(p => p.at).sort((a, b) => a - b)
  let gap = 0
  for (let i = 1; i < at.length; i++) gap = Math.max(gap, at[i] - at[i - 1])
  const end = electedAt ?? killedAt
  const window = Math.max(1, end - killedAt)
  const before = at.filter(t => t >= killedAt - window && t < killedAt).length
  return {
    ns: n.ns, lost: m.lost, doubled: m.doubled, doubledInCrashWindow: m.doubledInCrashWindow, stuck: m.stuck, posts: snap.posts.length,
    firstPostS: at.length ? (at[0] - killedAt) / 1000 : null, lastPostS: at.length ? (at[at.length - 1] - killedAt) / 1000 : null,
    postsKillToElected: at.filter(t => t >= killedAt && t <= end).length, postsSameSpanBefore: before,
    longestGapS: gap / 1000,
  }
}

/**
 * With sentinels: once `at` posts are out, freeze the master (SIGSTOP, SIGCONT `ms` later) or cut
 * it off the network (its proxy blackholes, mended `ms` later); the run settles only after it is back.
 */
function masterOutageAt(at: number, ms: number, how: 'pause' | 'partition') {
  return async (ctx: Ctx) => {
    await standUp(ctx)
    await publish(ctx)
    await untilPosts(ctx, at)
    const ha = ctx.redis as SentinelSet
    const o = how === 'pause'
      ? await ha.pauseMaster(ms).then(r => ({ node: r.paused, promoted: r.promoted, back: r.resumed, what: 'paused', during: 'while paused' }))
      : await ha.partitionMaster(ms).then(r => ({ node: r.cut, promoted: r.promoted, back: r.healed, what: 'cut off', during: 'while cut off' }))
    ctx.faultAt = ha.killedAt
    ctx.holding = o.back.then(async () => { await sleep(5_000) })
    log(`      master ${o.node} ${o.what} for ${ms / 1000} s; ${o.promoted ? `${o.promoted} promoted after ${((ha.electedAt! - ha.killedAt!) / 1000).toFixed(1)} s` : `no failover ${o.during}`}`)
  }
}

/** A Redis fault once `at` posts are out. */
function redisFault(at: number, what: 'shutdown' | 'kill9' | 'pause' | 'down10' | 'loss') {
  return async (ctx: Ctx) => {
    await standUp(ctx)
    await publish(ctx)
    await untilPosts(ctx, at)
    ctx.faultAt = Date.now()
    const r = ctx.redis as RedisServer
    if (what === 'shutdown') { await r.shutdown(); await sleep(2_000); await r.start() }
    if (what === 'kill9') { await r.kill9(); await sleep(1_000); await r.start() }
    if (what === 'pause') { r.pause(); await sleep(5_000); r.resume() }
    if (what === 'down10') { await r.kill9(); await sleep(10_000); await r.start() }
    if (what === 'loss') {
      const cut = await r.powerLoss(r.fsync === 'always' ? 0 : 1_000)
      log(`      power loss: ${cut} bytes of AOF cut (${r.fsync})`)
      await sleep(1_000)
      await r.start()
    }
  }
}

const SCENARIOS: Scenario[] = [
  { id: 'none', label: 'no fault (control)', net: 'auto', runs: [{ moment: '–', go: async ctx => { await standUp(ctx); await publish(ctx); ctx.faultAt = Date.now() } }] },
  {
    id: 'bot-kill', label: 'kill -9 a bot process, restart 2 s later', net: 'auto', runs: [
      { moment: 'early (5 posts)', go: killBotAt(5, 2_000) },
      { moment: 'burst (75 posts)', go: killBotAt(75, 2_000) },
      { moment: 'middle (150 posts)', quick: true, go: killBotAt(150, 2_000) },
      { moment: 'late (270 posts)', go: killBotAt(270, 2_000) },
    ],
  },
  {
    id: 'bot-kill-claim', label: 'kill -9 a bot process after the claim, before say()', net: 'auto', runs: [
      { moment: 'claim #3', go: selfKill({ kind: 'kill-after-claim', k: 3 }) },
      { moment: 'claim #60', go: selfKill({ kind: 'kill-after-claim', k: 60 }) },
    ],
  },
  {
    id: 'bot-kill-echo', label: 'kill -9 a bot process after the post, before its echo', net: 'auto', runs: [
      { moment: 'post #3', go: selfKill({ kind: 'kill-after-post', k: 3 }) },
      { moment: 'post #60', go: selfKill({ kind: 'kill-after-post', k: 60 }) },
    ],
  },
  {
    id: 'bot-kill-peers', label: 'kill -9 a bot process, no restart (peers only)', net: 'auto', runs: [
      { moment: 'early (5 posts)', go: killBotAt(5) },
      { moment: 'middle (150 posts)', go: killBotAt(150) },
    ],
  },
  { id: 'bot-freeze', label: 'SIGSTOP a bot process for 90 s, then SIGCONT', net: 'auto', runs: [{ moment: 'burst (75 posts)', go: freezeBotAt(75, 90_000) }] },
  { id: 'sigterm-hung', label: 'SIGTERM while say() hangs, restart 2 s later', net: 'auto', runs: [{ moment: 'say #20 hangs', go: sigtermHung }] },
  {
    id: 'say-timeout', label: 'say() hangs past the send timeout', net: 'auto', runs: [
      { moment: 'never answers', go: sayFault({ kind: 'hang-say', k: 20 }) },
      { moment: 'posts 6 s late', go: sayFault({ kind: 'hang-say', k: 20, hangMs: 6_000 }) },
    ],
  },
  { id: 'say-fails-after-post', label: 'say() fails after the message went out', net: 'auto', runs: [{ moment: 'say #20', go: sayFault({ kind: 'post-then-fail', k: 20 }) }] },
  {
    id: 'publish-kill', label: 'kill -9 the publishing process inside forward()', net: 'auto', runs: [
      { moment: 'enqueue #1', go: killPublish({ kind: 'kill-at-enqueue', k: 1 }) },
      { moment: 'enqueue #100', quick: true, go: killPublish({ kind: 'kill-at-enqueue', k: 100 }) },
      { moment: 'enqueue #250', go: killPublish({ kind: 'kill-at-enqueue', k: 250 }) },
      { moment: 'delivery #50 recorded, before its job', go: killPublish({ kind: 'kill-after-delivery', k: 50 }) },
    ],
  },
  {
    id: 'approve-kill', label: 'kill -9 the approving process inside forward()', net: 'review', runs: [
      { moment: 'enqueue #10', go: killApproval(10) },
      { moment: 'enqueue #150', go: killApproval(150) },
    ],
  },
  {
    id: 'timer-kill', label: 'kill -9 serve inside the auto-forward handler, restart 2 s', net: 'timed', runs: [
      { moment: 'enqueue #5', go: killTimers(5) },
      { moment: 'enqueue #120', go: killTimers(120) },
    ],
  },
  {
    id: 'ha-master-kill', label: 'kill -9 the Redis master (Sentinel promotes a replica), no restart', net: 'auto', ha: true,
    runs: [5, 20, 40, 75, 100, 130, 150, 180, 220, 260].map(at => ({ moment: `${at} posts`, go: killMasterAt(at) })),
  },
  {
    id: 'ha-master-pause', label: 'Redis master (Sentinel) frozen 15 s (SIGSTOP), then back', net: 'auto', ha: true,
    runs: [75, 150].map(at => ({ moment: `${at} posts`, go: masterOutageAt(at, 15_000, 'pause') })),
  },
  {
    id: 'ha-master-partition', label: 'Redis master (Sentinel) cut off the network 15 s (its proxy blackholes), then back', net: 'auto', ha: true,
    runs: [75, 150].map(at => ({ moment: `${at} posts`, go: masterOutageAt(at, 15_000, 'partition') })),
  },
  {
    id: 'cluster-master-kill', label: "kill -9 the cluster master holding the district's slot, no restart", net: 'auto', cluster: true,
    runs: [
      ...[75, 150].map(at => ({ moment: `${at} posts`, go: killClusterMasterAt(at) })),
      { moment: '75 posts, a second district on another master publishing too', go: killClusterMasterAt(75, true) },
    ],
  },
  { id: 'redis-shutdown', label: 'Redis SHUTDOWN, restart 2 s later', net: 'auto', runs: [{ moment: 'middle (150 posts)', go: redisFault(150, 'shutdown') }] },
  {
    id: 'redis-kill', label: 'Redis kill -9, restart 1 s later', net: 'auto', runs: [
      { moment: 'burst (75 posts)', go: redisFault(75, 'kill9') },
      { moment: 'middle (150 posts)', go: redisFault(150, 'kill9') },
    ],
  },
  { id: 'redis-pause', label: 'Redis paused 5 s (SIGSTOP / SIGCONT)', net: 'auto', runs: [{ moment: 'middle (150 posts)', go: redisFault(150, 'pause') }] },
  { id: 'redis-down', label: 'Redis down 10 s', net: 'auto', runs: [{ moment: 'middle (150 posts)', go: redisFault(150, 'down10') }] },
  {
    id: 'redis-loss', label: 'Redis loses its last second (power loss, everysec)', net: 'auto', runs: [
      { moment: 'early (10 posts)', go: redisFault(10, 'loss') },
      { moment: 'burst (75 posts)', quick: true, go: redisFault(75, 'loss') },
      { moment: 'middle (150 posts)', go: redisFault(150, 'loss') },
    ],
  },
  { id: 'redis-loss-always', label: 'power loss under appendfsync always', net: 'auto', fsync: 'always', runs: [{ moment: 'burst (75 posts)', go: redisFault(75, 'loss') }] },
]

async function runOne(sc: Scenario, run: Scenario['runs'][number], net: Net, redis: RedisServer | SentinelSet | ClusterSet, root: string): Promise<RunResult> {
  const dir = path.join(root, `run-${String(++runNo).padStart(2, '0')}-${sc.id}`)
  await mkdir(dir, { recursive: true })
  await flush(redis)
  const ns = `faults-${runNo}`
  const composed = compose({ cfg: net.cfg, redisUrl: redis.url, ns, log: silentLogger })
  composed.redis.on('error', () => undefined)
  for (const b of net.files.bots) composed.app.outboxes.queue(b).on('error', () => undefined)
  composed.app.timers.queue.on('error', () => undefined)
  const ctx: Ctx = { net, redis, dir, ns, composed, procs: [], postsLogs: [], approvedByTest: new Set(), n: 0 }
  const t0 = Date.now()
  try {
    // A run whose steps break (say, no post ever comes) is measured as far as it got: a figure, not a crash.
    let error: string | undefined
    await run.go(ctx).catch(err => {
      error = err instanceof Error ? err.message : String(err)
      log(`    run error: ${error}`)
      ctx.faultAt ??= Date.now()
    })
    if (!ctx.code) return { fault: sc.id, moment: run.moment, lost: 0, doubled: 0, doubledInCrashWindow: 0, stuck: 0, detail: { error: error ?? 'no announcement was created' } }
    const { snap, completeAt } = await settle(ctx)
    const m = measure(ctx, snap, completeAt)
    const errs = await errorLines(dir)
    m.detail = { ...m.detail, ...(error ? { error } : {}), runSeconds: Math.round((Date.now() - t0) / 1000), redisErrorLines: errs.lines, unhandledRedisErrors: errs.unhandled }
    if ((redis instanceof SentinelSet || redis instanceof ClusterSet) && redis.killedAt) {
      // The first post confirmed after the kill was necessarily written to the new master.
      const after = snap.deliveries.map(d => d.confirmedAt ?? 0).filter(at => at > redis.killedAt!)
      const electedS = redis.electedAt ? (redis.electedAt - redis.killedAt) / 1000 : null
      m.detail.failover = {
        electedS,
        firstConfirmedViaNewMasterS: after.length ? (Math.min(...after) - redis.killedAt) / 1000 : null,
        completeAfterElectionS: m.recoveryS !== undefined && electedS !== null ? Math.round((m.recoveryS - electedS) * 10) / 10 : null,
        confirmedAfterKill: after.length,
        ...(redis instanceof SentinelSet ? { oldMaster: await redis.oldMaster().catch(() => undefined) } : {}),
      }
      if (ctx.neighbour) m.detail.neighbour = await neighbourFigures(ctx, ctx.neighbour, redis.killedAt, redis.electedAt)
    }
    return { fault: sc.id, moment: run.moment, ...m }
  } finally {
    await Promise.all([...ctx.procs, ...ctx.neighbour?.procs ?? []].map(p => p.stop()))
    await ctx.neighbour?.composed.close().catch(() => undefined)
    redis.resume()
    if (!redis.running) await redis.start().catch(() => undefined)
    await composed.close().catch(() => undefined)
  }
}

async function flush(redis: RedisServer | SentinelSet | ClusterSet): Promise<void> {
  // A fresh cluster or Sentinel deployment per run (FLUSHALL would reach one cluster node only).
  if (redis instanceof ClusterSet || redis instanceof SentinelSet) return
  const r = newRedis(redis.url, { maxRetriesPerRequest: 3 })
  r.on('error', () => undefined)
  await r.flushall()
  await r.quit()
}

// ── report ──────────────────────────────────────────────────────────────────

interface FaultRow { id: string; label: string; runs: number; errors: number; lost: number; doubled: number; doubled_in_crash_window: number; stuck: number; max_recovery_s: number | null; never_recovered: number; results: RunResult[] }

function rows(results: RunResult[]): FaultRow[] {
  const out: FaultRow[] = []
  for (const sc of SCENARIOS) {
    const rs = results.filter(r => r.fault === sc.id)
    if (!rs.length) continue
    const rec = rs.filter(r => r.recoveryS !== undefined).map(r => r.recoveryS!)
    out.push({
      id: sc.id, label: sc.label, runs: rs.length, errors: rs.filter(r => r.detail.error !== undefined).length,
      lost: rs.reduce((n, r) => n + r.lost, 0), doubled: rs.reduce((n, r) => n + r.doubled, 0),
      doubled_in_crash_window: rs.reduce((n, r) => n + r.doubledInCrashWindow, 0), stuck: rs.reduce((n, r) => n + r.stuck, 0),
      max_recovery_s: rec.length === rs.length ? Math.round(Math.max(...rec) * 10) / 10 : null,
      never_recovered: rs.length - rec.length, results: rs,
    })
  }
  return out
}

function table(fr: FaultRow[]): string {
  const head = ['fault', 'runs', 'lost', 'doubled', 'doubled_in_crash_window', 'stuck', 'max_recovery_s']
  const body = fr.map(r => [r.label + (r.errors ? ` (${r.errors} run(s) broke off: see stderr)` : ''), String(r.runs), String(r.lost), String(r.doubled), String(r.doubled_in_crash_window), String(r.stuck),
    r.max_recovery_s !== null ? r.max_recovery_s.toFixed(1) : `never (${r.never_recovered} of ${r.runs})`])
  const w = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => i === 0 ? c.padEnd(w[i]) : c.padStart(w[i])).join(' | ')} |`
  return [line(head), `|${w.map((n, i) => (i === 0 ? '-' : '') + '-'.repeat(n + (i === 0 ? 1 : 1)) + (i === 0 ? '' : ':')).join('|')}|`, ...body.map(line)].join('\n')
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  const started = Date.now()
  const root = await mkdtemp(path.join(os.tmpdir(), 'cascade-faults-'))
  const chosen = SCENARIOS
    .filter(s => ONLY.length === 0 || ONLY.includes(s.id))
    .map(s => ({ ...s, runs: s.runs.filter(r => !QUICK || r.quick) }))
    .filter(s => s.runs.length)
  if (!chosen.length) { console.error(`no fault matches --only ${ONLY.join(',')}; ids: ${SCENARIOS.map(s => s.id).join(', ')}`); return 2 }
  const nets = new Map<NetKind, Net>()
  for (const kind of new Set(chosen.map(s => s.net))) nets.set(kind, await makeNet(root, kind))
  const servers = new Map<string, RedisServer>()
  const results: RunResult[] = []
  log(`faults: ${chosen.reduce((n, s) => n + s.runs.length, 0)} runs${QUICK ? ' (quick)' : ''}; ${NET.groups} groups, ${NET.accounts} accounts in 2 bot processes; work dir ${root}`)
  try {
    for (const sc of chosen) {
      const fsync = sc.fsync ?? 'everysec'
      let redis = servers.get(fsync)
      // Sentinel and cluster runs bring their own Redis.
      if (!redis && !sc.ha && !sc.cluster) {
        redis = await RedisServer.create(fsync, undefined, root)
        servers.set(fsync, redis)
        log(`  redis-server ${redis.url} (AOF ${fsync}, dir ${redis.dir})`)
      }
      for (const run of sc.runs) {
        const t = Date.now()
        log(`  ${sc.id} · ${run.moment} …`)
        // A Sentinel deployment of its own per run (the killed master stays dead).
        const ha = sc.ha ? await SentinelSet.create(root) : sc.cluster ? await ClusterSet.create({ parentDir: root }) : undefined
        if (ha instanceof SentinelSet) log(`    sentinels ${ha.url} (AOF always, master down after ${ha.downAfterMs / 1000} s)`)
        if (ha instanceof ClusterSet) log(`    cluster ${ha.url} (6 nodes, AOF always, node timeout ${ha.nodeTimeoutMs / 1000} s)`)
        const r = await runOne(sc, run, nets.get(sc.net)!, ha ?? redis!, root).finally(() => ha?.remove())
        results.push(r)
        log(`    lost ${r.lost}, doubled ${r.doubled}, in crash window ${r.doubledInCrashWindow}, stuck ${r.stuck}, recovery ${r.recoveryS?.toFixed(1) ?? 'never'} s (${Math.round((Date.now() - t) / 1000)} s) ${JSON.stringify(r.detail)}`)
      }
      // Each fsync setting's server is needed only by its scenarios.
      if (redis && !chosen.slice(chosen.indexOf(sc) + 1).some(s => (s.fsync ?? 'everysec') === fsync && !s.ha && !s.cluster)) {
        await redis.remove()
        servers.delete(fsync)
      }
    }
  } finally {
    for (const s of servers.values()) await s.remove().catch(() => undefined)
    if (!KEEP) await rm(root, { recursive: true, force: true })
    else log(`kept ${root}`)
  }
  const fr = rows(results)
  console.log(table(fr))
  console.log(`${DEFAULTS ? 'production defaults (--defaults): nothing shortened' : `shortened: sendTimeoutMs ${RUNTIME.sendTimeoutMs}, settleAfterMs ${RUNTIME.settleAfterMs}, stopWaitMs ${RUNTIME.stopWaitMs}, heartbeatSeconds ${RUNTIME.heartbeatSeconds}, recovery every ${RECOVERY!.intervalMs / 1000} s with ${RECOVERY!.graceMs / 1000} s grace`}; pacing ${PACING.perMinute}/min per account; ${((Date.now() - started) / 60_000).toFixed(1)} min`)
  if (JSON_OUT) {
    console.log(JSON.stringify({
      suite: 'faults', quick: QUICK, node: process.version, cores: os.cpus().length, network: NET, pacing: PACING, runtime: RUNTIME,
      elapsedMs: Date.now() - started,
      faults: Object.fromEntries(fr.map(r => [r.id, { label: r.label, runs: r.runs, errors: r.errors, lost: r.lost, doubled: r.doubled, doubled_in_crash_window: r.doubled_in_crash_window, stuck: r.stuck, max_recovery_s: r.max_recovery_s, runs_detail: r.results }])),
    }))
  }
  return 0
}

process.once('SIGINT', () => process.exit(130))
main().then(code => process.exit(code), err => { console.error(err); process.exit(1) })
