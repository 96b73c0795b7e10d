/**
 * Login cost of one real-client account at district scale:
 *
 *   node --expose-gc --import tsx bench/webwx-login-bench.ts [--groups 500] [--people 100]
 *        [--villagers 10] [--settle 20] [--baseline-settle 8] [--no-mock] [--log]
 *
 * One account runs the production stack (BotRuntime + createWechat4uPuppet: wechaty,
 * wechaty-puppet-wechat4u and wechat4u as installed) against a simulated web-WeChat server
 * (src/sim/webwx/) holding `--groups` saved groups (members: the account, `--villagers`
 * villagers, the node's curator) and the curators as the account's friends; `--people` of them
 * are bound. Real Redis, in a namespace of its own that is deleted afterwards.
 *
 * The server runs in a child process (this file with --serve-child, driven over IPC), so that
 * the memory figures of this process are the account's alone; wechat4u's HTTP reaches it
 * through redirectWechat4u().
 *
 * Measured:
 *   (a) first login: QR scanned → `login` → contact list loaded (webwxgetcontact pages and the
 *       webwxbatchgetcontact of the groups, observed by the puppet's contactsLoaded()) → BotRuntime
 *       ready (groups resolved, bound people checked, heartbeat, outbox running). Goal: ready
 *       within 10 s of the contact list having loaded.
 *   (b) a resumed login: the account stopped (as SIGTERM does), a new puppet and runtime started
 *       on the stored session: no QR; same phases.
 *   (c) a re-login with new ids: server.kick (numeric synccheck retcodes, so wechat4u notices at
 *       once), a fresh scan; every bound id is stale. Half of the people carry the remark
 *       `cascade-<person>` on the server (re-bound by the login's one pass over the loaded
 *       list), the other half send their personal code in a DM afterwards (timed until all are
 *       bound again).
 *   (d) RSS and V8 heap (after gc) of this process: baseline before the account exists, after
 *       each login, and while the puppet's background member-detail fetch (40 contacts per
 *       webwxbatchgetcontact every 2 s) runs; how long that fetch would take to finish.
 *   (e) for comparison, the same network on one mock-puppet account (SimWorld) in this process.
 *
 * Progress goes to stderr; stdout gets the table and, last, one JSON line with every figure.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { log as wechatyLog } from 'wechaty'
import { compose, type Composed } from '../src/app/compose.ts'
import { createLogger, silentLogger } from '../src/infra/log.ts'
import { bullConnection, ensureRedis } from '../src/infra/redis.ts'
import { BotRuntime } from '../src/chat/bot-runtime.ts'
import { createWechat4uPuppet } from '../src/chat/wechat4u.ts'
import { loadConfig } from '../src/config/load.ts'
import type { BotConfig, CascadeConfig } from '../src/config/types.ts'
import { newPersonalCode } from '../src/domain/announcement.ts'
import { writeNetwork } from '../src/sim/network.ts'
import { personContactId, SimWorld } from '../src/sim/world.ts'
import { redirectWechat4u } from '../src/sim/webwx/redirect.ts'
import { WebWxServer, type WebWxServerOptions } from '../src/sim/webwx/server.ts'

const SELF = fileURLToPath(import.meta.url)
const ROOT = fileURLToPath(new URL('..', import.meta.url))

// ─────────────────────────────── the server process ───────────────────────────────

type Call = [method: string, ...args: unknown[]]
interface RpcRequest { id: number; calls: Call[] }
interface RpcAnswer { id: number; results?: unknown[]; error?: string }

/** The WebWxServer in a child process: runs every call of a batch in order, answers with the results. */
async function serveChild(opts: WebWxServerOptions): Promise<void> {
  const server = await WebWxServer.start(opts)
  const extra: Record<string, (...a: any[]) => unknown> = {
    memory: () => process.memoryUsage(),
    /** Keys of the world a viewer sees under `ids` (one call for many). */
    idsOf: (viewer: string, keys: string[]) => keys.map(k => server.idOf(viewer, k)),
  }
  process.on('message', (m: RpcRequest | { type: 'stop' }) => {
    if ('type' in m) {
      void server.stop().then(() => process.exit(0))
      return
    }
    const results: unknown[] = []
    try {
      for (const [method, ...args] of m.calls) {
        const f = extra[method] ?? (server as any)[method]
        if (typeof f !== 'function') throw new Error(`no such server method: ${method}`)
        results.push(extra[method] ? f(...args) : f.apply(server, args))
      }
      process.send!({ id: m.id, results } satisfies RpcAnswer)
    } catch (err) {
      process.send!({ id: m.id, results, error: err instanceof Error ? err.message : String(err) } satisfies RpcAnswer)
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send!({ type: 'url', url: server.url })
}

/** The parent's handle on the server process. */
class RemoteServer {
  private next = 1
  private readonly waiting = new Map<number, { resolve: (r: unknown[]) => void; reject: (e: Error) => void }>()
  private constructor(readonly child: ChildProcess, readonly url: string) {
    child.on('message', (m: RpcAnswer) => {
      const w = this.waiting.get(m.id)
      if (!w) return
      this.waiting.delete(m.id)
      if (m.error) w.reject(new Error(`server: ${m.error}`))
      else w.resolve(m.results ?? [])
    })
    child.on('exit', code => {
      for (const w of this.waiting.values()) w.reject(new Error(`server process exited (${code})`))
      this.waiting.clear()
    })
  }

  static async start(opts: WebWxServerOptions): Promise<RemoteServer> {
    const child = fork(SELF, ['--serve-child', JSON.stringify(opts)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    const url = await new Promise<string>((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', code => reject(new Error(`server process exited (${code}) before listening`)))
      child.on('message', (m: { type?: string; url?: string }) => { if (m.type === 'url') resolve(m.url!) })
    })
    return new RemoteServer(child, url)
  }

  batch(calls: Call[]): Promise<unknown[]> {
    const id = this.next++
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      this.child.send({ id, calls } satisfies RpcRequest)
    })
  }

  async call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return (await this.batch([[method, ...args]]))[0] as T
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const gone = new Promise(r => this.child.once('exit', r))
    this.child.send({ type: 'stop' })
    await Promise.race([gone, sleep(5_000)])
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}

// ─────────────────────────────── options ───────────────────────────────

const argv = process.argv.slice(2)
const option = (name: string): string | undefined =>
  argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : undefined)
const intOption = (name: string, dflt: number, min: number): number => {
  const raw = option(name)
  const v = raw === undefined ? dflt : Number(raw)
  if (!Number.isInteger(v) || v < min) {
    console.error(`--${name} must be a whole number ≥ ${min} (got "${raw}")`)
    process.exit(2)
  }
  return v
}

function sleep(ms: number): Promise<void> { return new Promise(r => setTimeout(r, ms)) }

if (argv[0] === '--serve-child') {
  await serveChild(JSON.parse(argv[1] ?? '{}'))
} else {
  await main()
}

// ─────────────────────────────── the bench ───────────────────────────────

interface Mem { rss: number; heapUsed: number; external: number; arrayBuffers: number }

function memory(): Mem {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) { gc(); gc() }
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
}

/** One login, timed from its start (the runtime's start, or the kick). */
interface Phase {
  label: string
  autoScan: boolean
  t0: number
  scans: number
  qrAt?: number
  scanAt?: number
  loginAt?: number
  contactsAt?: number
  contactsLoadedInTime?: boolean
  roomsStart?: number
  roomsEnd?: number
  peopleStart?: number
  peopleEnd?: number
  readyAt?: number
  /** Members queued for the background detail fetch when the contact list had loaded. */
  memberQueue?: number
}

interface PhaseReport {
  label: string
  scans: number
  /** QR shown → scanned (our scan is immediate); undefined without a QR. */
  qrAfterMs?: number
  /** From the scan (or, without one, from start) to the `login` event. */
  toLoginMs: number
  /** `login` → contact list loaded (contactsLoaded resolved). */
  contactListMs: number
  /** contact list loaded → BotRuntime ready. */
  usableAfterListMs: number
  /** Inside that: resolving the groups (after the list), checking the bound people. */
  resolveRoomsMs: number
  resolvePeopleMs: number
  /** From the scan (or start) to ready. */
  totalMs: number
  groupsFound: number
  missingGroups: number
  boundChecked: number
  missingPeople: number
  /** Contacts in wechat4u's map at ready (groups, friends, group members). */
  clientContacts: number
  memberQueue: number
  requests: Record<string, number>
}

async function main(): Promise<void> {
  const GROUPS = intOption('groups', 500, 3)
  const PEOPLE_WANTED = intOption('people', 100, 0)
  const VILLAGERS = intOption('villagers', 10, 0)
  const SETTLE_S = intOption('settle', 20, 0)
  const SETTLE_BASELINE_MS = intOption('baseline-settle', 8, 0) * 1000
  const WITH_MOCK = !argv.includes('--no-mock')
  const log = argv.includes('--log') ? createLogger({ bench: 'webwx-login' }) : silentLogger
  const T_START = Date.now()
  const say = (line: string): void => { console.error(`[${((Date.now() - T_START) / 1000).toFixed(1)}s] ${line}`) }
  const watchdog = setTimeout(() => { console.error('webwx-login-bench: gave up after 5 minutes'); process.exit(1) }, 5 * 60_000)
  watchdog.unref()
  wechatyLog.level('silent')
  if (!(globalThis as { gc?: unknown }).gc) say('note: run with node --expose-gc for steady memory figures')

  // The puppet module, loaded before the baseline (code is not the account's cost). Importing
  // wechat4u installs a crash handler that swallows everything: taken away again.
  const before = new Set(process.listeners('uncaughtException'))
  await import('wechaty-puppet-wechat4u')
  for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.off('uncaughtException', l)

  const redis = await ensureRedis()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-webwx-login-'))
  const ns = `bench-webwx-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
  const mockNs = `${ns}-mock`
  const cleanups: (() => Promise<unknown>)[] = []
  const results: Record<string, unknown> = { groups: GROUPS, villagersPerGroup: VILLAGERS }
  let server: RemoteServer | undefined
  try {
    // ── the network: one district, townships, villages; one account serving every node ──
    const T = Math.max(1, Math.round(GROUPS / 42))
    const V = Math.max(1, Math.ceil((GROUPS - 1 - T) / 2))
    const files = await writeNetwork(dir, {
      townships: T, villages: V, groups: GROUPS, accounts: 1, districtAccounts: 1, townshipAccounts: 1, villageAccounts: 1,
      pacing: { perMinute: 6000, jitterMs: 0, dailyBudget: 1_000_000 },
    })
    const cfg = await loadConfig({ configDir: files.configDir, botsDir: files.botsDir, templatesFile: path.join(ROOT, 'config', 'templates.yaml') })
    const bot = files.bots[0]
    const botCfg: BotConfig = { ...cfg.bots.get(bot)!, puppet: 'wechaty-puppet-wechat4u', session: path.join(dir, 'sessions', bot) }
    await mkdir(path.dirname(botCfg.session), { recursive: true })
    const publicGroups = [...cfg.nodes.values()].flatMap(n => n.groups.filter(g => g.kind === 'public').map(g => g.topic))
    const people = [...cfg.people.keys()]
    const bound = people.slice(0, PEOPLE_WANTED)
    if (bound.length < PEOPLE_WANTED) say(`only ${bound.length} people in this network: binding them all`)
    Object.assign(results, { townships: T, villages: V, people: people.length, bound: bound.length })

    // ── the server and its world ──
    server = await RemoteServer.start({ numericSyncRetcode: true })
    redirectWechat4u(server.url)
    const world = worldCalls(cfg, bot, botCfg.nickname || botCfg.name, VILLAGERS)
    await server.batch(world.calls)
    say(`world: ${publicGroups.length} groups, ${world.villagers} villagers, ${people.length} staff (friends of the account), server at ${server.url}`)

    const composed = compose({ cfg, redisUrl: redis.url, ns, log })
    cleanups.push(async () => { await composed.app.store.clearNamespace(); await composed.close() })
    const { app } = composed

    // ── (d) the baseline: modules loaded, app composed, no account. V8 hands freed pages back
    // to the system some seconds after allocation slows down (its memory reducer): the baseline
    // waits for that, as the figures taken later after idle moments do.
    await sleep(SETTLE_BASELINE_MS)
    const baseline = memory()
    results.baseline = baseline

    // ── the account ──
    let phase: Phase = newPhase('first login', true)
    function newPhase(label: string, autoScan: boolean): Phase { return { label, autoScan, t0: Date.now(), scans: 0 } }

    interface Acc { rt: BotRuntime; puppet: Awaited<ReturnType<typeof createWechat4uPuppet>> }
    async function createAccount(): Promise<Acc> {
      let rt: BotRuntime | undefined
      const puppet = await createWechat4uPuppet({ log, onRelogin: () => rt?.noteRelogin() })
      rt = new BotRuntime({ app, bot: botCfg, puppet, connection: bullConnection(redis.url), log, contactsWaitMs: 120_000 })
      const r = rt
      r.wechaty.on('scan', (qrcode, status) => {
        if (status !== 2) return // ScanStatus.Waiting: a new QR code
        phase.scans++
        phase.qrAt ??= Date.now()
        if (!phase.autoScan) return
        phase.scanAt = Date.now()
        server!.call('scan', qrcode, bot).catch(err => say(`scan failed: ${err.message}`))
      })
      r.wechaty.on('login', () => {
        const p = phase
        p.loginAt = Date.now()
        void puppet.contactsLoaded(120_000).then(ok => {
          p.contactsAt = Date.now()
          p.contactsLoadedInTime = ok
          p.memberQueue = internals(puppet).unknownContactId?.length ?? 0
        })
      })
      const resolveRooms = r.resolveRooms.bind(r)
      r.resolveRooms = async () => { phase.roomsStart = Date.now(); await resolveRooms(); phase.roomsEnd = Date.now() }
      const resolvePeople = r.resolvePeople.bind(r)
      r.resolvePeople = async () => { phase.peopleStart = Date.now(); await resolvePeople(); phase.peopleEnd = Date.now() }
      return { rt: r, puppet }
    }

    let requestsBefore: Record<string, number> = {}
    const requestsSince = async (): Promise<Record<string, number>> => {
      const now = (await server!.call<{ requests: Record<string, number> }>('stats')).requests
      const out: Record<string, number> = {}
      for (const [k, v] of Object.entries(now)) if (v - (requestsBefore[k] ?? 0) > 0) out[k] = v - (requestsBefore[k] ?? 0)
      requestsBefore = now
      return out
    }

    const report = async (acc: Acc, p: Phase, boundChecked: number): Promise<PhaseReport> => {
      await waitUntil('the contact-list timing', () => p.contactsAt !== undefined, 10_000)
      const from = p.scanAt ?? p.t0
      const roomsFrom = Math.max(p.roomsStart!, p.contactsAt!)
      return {
        label: p.label,
        scans: p.scans,
        qrAfterMs: p.qrAt !== undefined && p.scanAt !== undefined ? p.qrAt - p.t0 : undefined,
        toLoginMs: p.loginAt! - from,
        contactListMs: p.contactsAt! - p.loginAt!,
        usableAfterListMs: p.readyAt! - p.contactsAt!,
        resolveRoomsMs: p.roomsEnd! - roomsFrom,
        resolvePeopleMs: p.peopleEnd! - p.peopleStart!,
        totalMs: p.readyAt! - from,
        groupsFound: publicGroups.length - acc.rt.missingGroups.length,
        missingGroups: acc.rt.missingGroups.length,
        boundChecked,
        missingPeople: acc.rt.missingPeople.length,
        clientContacts: Object.keys(internals(acc.puppet).wechat4u?.contacts ?? {}).length,
        memberQueue: p.memberQueue ?? 0,
        requests: await requestsSince(),
      }
    }
    const phases: PhaseReport[] = []
    const mems: { at: string; mem: Mem; contacts: number }[] = [{ at: 'baseline (no account)', mem: baseline, contacts: 0 }]
    const noteMem = (at: string, acc?: Acc): Mem => {
      const mem = memory()
      mems.push({ at, mem, contacts: acc ? Object.keys(internals(acc.puppet).wechat4u?.contacts ?? {}).length : 0 })
      return mem
    }

    // ── (a) first login ──
    say('(a) first login: scan')
    let acc = await createAccount()
    phase = newPhase('(a) first login (scan)', true)
    await acc.rt.start()
    await withTimeout(acc.rt.ready(), 120_000, 'the first login')
    phase.readyAt = Date.now()
    phases.push(await report(acc, phase, 0))
    noteMem('(a) ready after first login', acc)
    say(`(a) ready: ${fmtPhase(phases.at(-1)!)}`)

    // What one puppet contact lookup costs now (Room.find → room.ready() makes one per member of
    // every group; an inbound message one or more): contactRawPayload of a known id.
    {
      const raw = (acc.puppet as unknown as { contactRawPayload(id: string): Promise<unknown> })
      const ids = Object.keys(internals(acc.puppet).wechat4u?.contacts ?? {}).slice(0, 200)
      const t = process.hrtime.bigint()
      for (const id of ids) await raw.contactRawPayload(id)
      const perLookupMs = Number(process.hrtime.bigint() - t) / 1e6 / Math.max(1, ids.length)
      const members = publicGroups.length * (VILLAGERS + 2)
      const clientContacts = Object.keys(internals(acc.puppet).wechat4u?.contacts ?? {}).length
      results.contactLookup = { perLookupMs, clientContacts, groupMembersLoadedAtLogin: members }
      say(`one contact lookup (puppet contactRawPayload, known id): ${perLookupMs.toFixed(3)} ms with ${clientContacts} contacts loaded`)
    }

    // The people are bound under the ids this account sees now.
    const firstIds = await server.call<string[]>('idsOf', bot, bound)
    for (const [i, person] of bound.entries()) await app.store.bind(bot, firstIds[i], person)

    // ── (d) the background member-detail fetch, for a while ──
    const batchesAtReady = (await server.call<{ requests: Record<string, number> }>('stats')).requests.webwxbatchgetcontact ?? 0
    const queueAtList = phase.memberQueue ?? 0
    const fetchSamples: { s: number; queued: number; batches: number; mem: Mem }[] = []
    for (let s = 5; s <= SETTLE_S; s += 5) {
      await sleep(5_000)
      const queued = internals(acc.puppet).unknownContactId?.length ?? 0
      const batches = ((await server.call<{ requests: Record<string, number> }>('stats')).requests.webwxbatchgetcontact ?? 0) - batchesAtReady
      fetchSamples.push({ s, queued, batches, mem: noteMem(`(d) member fetch +${s} s`, acc) })
      say(`(d) +${s} s: ${queued} members still queued, ${batches} batch requests since ready, rss ${mb(fetchSamples.at(-1)!.mem.rss)}`)
    }
    const lastFetch = fetchSamples.at(-1)
    const unique = new Set((internals(acc.puppet).unknownContactId ?? []).map(x => x[0])).size
    results.memberFetch = {
      queuedWhenListLoaded: queueAtList,
      perBatch: 40, everyMs: 2000,
      wouldTakeS: Math.ceil(queueAtList / 40) * 2,
      observedS: lastFetch?.s ?? 0,
      stillQueued: lastFetch?.queued ?? queueAtList,
      stillQueuedDistinct: unique,
      remainingS: Math.ceil((lastFetch?.queued ?? queueAtList) / 40) * 2,
      samples: fetchSamples.map(f => ({ s: f.s, queued: f.queued, batches: f.batches, rss: f.mem.rss, heapUsed: f.mem.heapUsed })),
    }
    await requestsSince() // the fetch's requests are not the next login's

    // ── (b) resumed login: stop as SIGTERM does, a new puppet and runtime on the stored session ──
    say('(b) stop (session kept), start again on the stored session')
    await acc.rt.stop()
    const oldPuppet = new WeakRef(acc.puppet as object)
    const stillLoggedIn = await server.call<boolean>('isLoggedIn', bot)
    const selfBefore = (await server.call<{ userName: string }>('sessionOf', bot)).userName
    await requestsSince()
    acc = await createAccount()
    phase = newPhase('(b) resumed (no scan)', false)
    await acc.rt.start()
    await withTimeout(acc.rt.ready(), 120_000, 'the resumed login (a QR code instead?)')
    phase.readyAt = Date.now()
    phases.push(await report(acc, phase, bound.length))
    const selfAfter = (await server.call<{ userName: string }>('sessionOf', bot)).userName
    memory()
    results.resume = { sessionAliveAfterStop: stillLoggedIn, sameSelfId: selfBefore === selfAfter, stoppedPuppetStillReachable: oldPuppet.deref() !== undefined }
    noteMem('(b) ready after resumed login', acc)
    say(`(b) ready: ${fmtPhase(phases.at(-1)!)}`)

    // ── (c) kick, fresh scan, new ids ──
    const byRemark = bound.slice(0, Math.ceil(bound.length / 2))
    const byCode = bound.slice(byRemark.length)
    const codes = new Map<string, string>()
    for (const person of byCode) {
      const code = newPersonalCode(randomBytes(12))
      codes.set(person, code)
      await app.store.personalCodes.set(person, code)
    }
    await server.batch(byRemark.map(p => ['setRemark', bot, p, `cascade-${p}`] as Call))
    const oldIds = await server.call<string[]>('idsOf', bot, bound)
    say(`(c) kick; ${byRemark.length} people carry their remark on the server, ${byCode.length} will send their personal code`)
    await sleep(300) // the remarks' ModContactList reach the live session first
    await requestsSince()
    phase = newPhase('(c) new ids (kick, scan)', true)
    const kickAt = Date.now()
    await server.call('kick', bot)
    await waitUntil('the logout after the kick', () => !acc.rt.isLoggedIn, 30_000)
    const logoutMs = Date.now() - kickAt
    const ready = acc.rt.ready()
    await withTimeout(ready, 120_000, 'the re-login after the kick')
    phase.readyAt = Date.now()
    phases.push(await report(acc, phase, bound.length))
    const newIds = await server.call<string[]>('idsOf', bot, bound)
    const boundNow = async (): Promise<number> => {
      const b = await Promise.all(bound.map(p => app.store.bindingsOf(p)))
      return bound.filter((_, i) => b[i][bot] === newIds[i]).length
    }
    const reboundAtLogin = await boundNow()
    say(`(c) ready: ${fmtPhase(phases.at(-1)!)}; ${reboundAtLogin} re-bound by remark at login`)
    const dmAt = Date.now()
    await server.batch(byCode.map(p => ['say', p, bot, codes.get(p)!] as Call))
    await waitUntil('every person re-bound', async () => await boundNow() === bound.length, 60_000)
    const rebindByCodeMs = Date.now() - dmAt
    await waitUntil('the rebind replies', async () => (await server!.batch(byCode.map(p => ['dmsTo', p] as Call)) as unknown[][])
      .every(list => list.some((m: any) => m.from === bot && m.text.includes('身份已恢复'))), 30_000).catch(() => undefined)
    const repliesMs = Date.now() - dmAt
    results.relogin = {
      logoutNoticedMs: logoutMs,
      idsChanged: oldIds.filter((id, i) => id !== newIds[i]).length,
      reboundByRemarkAtLogin: reboundAtLogin,
      missingAfterLogin: acc.rt.missingPeople.length,
      byCode: byCode.length,
      allReboundAfterCodesMs: rebindByCodeMs,
      repliesDoneMs: repliesMs,
      missingAtEnd: acc.rt.missingPeople.length,
    }
    noteMem('(c) ready after re-login, people re-bound', acc)
    say(`(c) all ${bound.length} re-bound ${rebindByCodeMs} ms after the codes were sent; missing now ${acc.rt.missingPeople.length}`)
    const serverMem = await server.call<NodeJS.MemoryUsage>('memory')

    await acc.rt.stop()
    results.phases = phases

    // ── (e) the same network on one mock-puppet account ──
    let mock: Record<string, unknown> | undefined
    if (WITH_MOCK) {
      say('(e) mock puppet: the same network on one account')
      const m = await mockAccount(cfg, bot, bound, redis.url, mockNs, VILLAGERS, log, SETTLE_BASELINE_MS)
      mock = m
      say(`(e) mock: first login ${m.firstReadyMs} ms, with ${bound.length} bound ${m.boundReadyMs} ms, +${mb(m.memAfterLogin.rss - m.baseline.rss)} rss`)
    }
    results.mock = mock ?? { skipped: 'run without --no-mock' }
    results.memory = mems.map(x => ({ at: x.at, rss: x.mem.rss, heapUsed: x.mem.heapUsed, external: x.mem.external, clientContacts: x.contacts }))
    results.serverProcessRss = serverMem.rss
    results.goal = { usableAfterListUnder10s: phases.every(p => p.usableAfterListMs < 10_000) }

    printTable(phases, mems, baseline, results, mock)
    results.totalBenchMs = Date.now() - T_START
    process.stdout.write(JSON.stringify(results) + '\n')
  } finally {
    for (const c of cleanups.reverse()) await c().catch(err => console.error('cleanup:', err))
    await server?.stop()
    await rm(dir, { recursive: true, force: true })
    await redis.stop()
  }
  // wechaty's and the puppet's timers (waitStable, …) would keep the process up for a while.
  process.exit(0)
}

/** The world as server calls: the account, every person (friends of it), villagers, the groups. */
function worldCalls(cfg: CascadeConfig, bot: string, nickname: string, villagersPerGroup: number): { calls: Call[]; villagers: number } {
  const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗'
  const GIVEN = ['建国', '秀英', '志强', '桂兰', '德明', '玉梅', '海燕', '国华', '春生', '翠英', '长顺', '淑珍']
  const calls: Call[] = [['addAccount', { key: bot, nickname }]]
  for (const p of cfg.people.values()) calls.push(['addUser', { key: p.id, nickname: p.name }])
  let n = 0
  for (const node of cfg.nodes.values()) {
    const staff = [...new Set([...node.curators, ...node.backups, ...node.publishers])]
    for (const g of node.groups) {
      const villagers: string[] = []
      for (let i = 0; i < villagersPerGroup; i++, n++) {
        const key = `v${n}`
        calls.push(['addUser', { key, nickname: SURNAMES[n % SURNAMES.length] + GIVEN[(n * 7) % GIVEN.length] }])
        villagers.push(key)
      }
      calls.push(['addGroup', { key: g.topic, topic: g.topic, members: [bot, ...staff, ...villagers] }])
    }
  }
  for (const p of cfg.people.keys()) calls.push(['befriend', bot, p])
  return { calls, villagers: n }
}

/** One mock-puppet account (SimWorld) on the same network, in its own namespace: logins and memory. */
async function mockAccount(cfg: CascadeConfig, bot: string, bound: string[], redisUrl: string, ns: string, villagers: number, log: typeof silentLogger, settleMs: number) {
  const mockCfg: CascadeConfig = { ...cfg, bots: new Map([[bot, { ...cfg.bots.get(bot)!, puppet: 'wechaty-puppet-mock', session: `${cfg.bots.get(bot)!.session}-mock` }]]) }
  const composed: Composed = compose({ cfg: mockCfg, redisUrl, ns, log })
  try {
    await sleep(settleMs)
    const baseline = memory()
    let t = Date.now()
    const world = new SimWorld(mockCfg, { bots: [bot], villagersPerGroup: [villagers, villagers], residentsPerGroup: villagers })
    const worldMs = Date.now() - t
    const run = async (puppet = world.puppet(bot)): Promise<{ rt: BotRuntime; ms: number; roomsMs: number; peopleMs: number }> => {
      const rt = new BotRuntime({ app: composed.app, bot: mockCfg.bots.get(bot)!, puppet, connection: bullConnection(redisUrl), log })
      const times: number[] = []
      const resolveRooms = rt.resolveRooms.bind(rt)
      rt.resolveRooms = async () => { const s = Date.now(); await resolveRooms(); times[0] = Date.now() - s }
      const resolvePeople = rt.resolvePeople.bind(rt)
      rt.resolvePeople = async () => { const s = Date.now(); await resolvePeople(); times[1] = Date.now() - s }
      const s = Date.now()
      await rt.start()
      const ready = rt.ready()
      world.login(bot)
      await withTimeout(ready, 120_000, 'the mock login')
      return { rt, ms: Date.now() - s, roomsMs: times[0] ?? 0, peopleMs: times[1] ?? 0 }
    }
    t = Date.now()
    const first = await run()
    await sleep(settleMs)
    const memAfterLogin = memory()
    const missingGroups = first.rt.missingGroups.length
    for (const person of bound) await composed.app.store.bind(bot, personContactId(person), person)
    await first.rt.stop()
    const second = await run(world.buildMocker(bot)) // a restart: a fresh puppet, people bound
    const missingPeople = second.rt.missingPeople.length
    await second.rt.stop()
    return {
      worldMs, firstReadyMs: first.ms, firstResolveRoomsMs: first.roomsMs, firstResolvePeopleMs: first.peopleMs,
      boundReadyMs: second.ms, boundResolveRoomsMs: second.roomsMs, boundResolvePeopleMs: second.peopleMs,
      missingGroups, missingPeople, baseline, memAfterLogin,
    }
  } finally {
    await composed.app.store.clearNamespace()
    await composed.close()
  }
}

// ─────────────────────────────── output ───────────────────────────────

function mb(bytes: number): string { return `${(bytes / 1048576).toFixed(1)} MB` }
function s(ms: number | undefined): string { return ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s` }

function fmtPhase(p: PhaseReport): string {
  return `login ${s(p.toLoginMs)}, contact list ${s(p.contactListMs)}, usable after list ${s(p.usableAfterListMs)} (groups ${s(p.resolveRoomsMs)}, people ${s(p.resolvePeopleMs)}), total ${s(p.totalMs)}; ${p.groupsFound} groups, ${p.missingPeople}/${p.boundChecked} people missing, ${p.scans} QR`
}

function printTable(phases: PhaseReport[], mems: { at: string; mem: Mem; contacts: number }[], baseline: Mem, results: Record<string, any>, mock?: Record<string, any>): void {
  const out: string[] = []
  const row = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])).join('  ')
  out.push('', `webwx login bench: one wechat4u account, ${results.groups} groups (${results.townships} townships, ${results.villages} villages; ${results.villagersPerGroup} villagers each), ${results.people} staff friends, ${results.bound} bound`, '')
  const w = [26, 6, 9, 13, 13, 9, 9, 9, 8, 10]
  out.push(row(['login', 'QRs', '→ login', 'contact list', 'usable after', 'groups', 'people', 'total', 'missing', 'requests'], w))
  out.push(row(['', '', '', '(login→loaded)', '(loaded→ready)', '', '', '', 'ppl', 'getcontact'], w))
  for (const p of phases) {
    out.push(row([p.label, p.scans, s(p.toLoginMs), s(p.contactListMs), s(p.usableAfterListMs), s(p.resolveRoomsMs), s(p.resolvePeopleMs), s(p.totalMs), `${p.missingPeople}/${p.boundChecked}`, `${p.requests.webwxgetcontact ?? 0}+${p.requests.webwxbatchgetcontact ?? 0}b`], w))
  }
  out.push(`goal (usable < 10 s after the contact list): ${results.goal.usableAfterListUnder10s ? 'met' : 'NOT met'} in every login`)
  const r = results.resume
  out.push(`resume: session alive after stop ${r.sessionAliveAfterStop}, same self id ${r.sameSelfId}, QR codes shown ${phases[1]?.scans}; the stopped account's puppet still reachable after gc: ${r.stoppedPuppetStillReachable}`)
  const c = results.relogin
  out.push(`re-login: kick noticed in ${s(c.logoutNoticedMs)}; ${c.idsChanged}/${results.bound} ids changed; ${c.reboundByRemarkAtLogin} re-bound by remark during the login, ${c.missingAfterLogin} missing; the other ${c.byCode} sent their personal code: all re-bound ${s(c.allReboundAfterCodesMs)} later (replies done ${s(c.repliesDoneMs)})`)
  const l = results.contactLookup
  out.push(`one puppet contact lookup (contactRawPayload of a known id): ${l.perLookupMs.toFixed(3)} ms with ${l.clientContacts} contacts in the client's map; resolving the groups looks up every member of every group (≈${l.groupMembersLoadedAtLogin})`)
  const f = results.memberFetch
  out.push(`member-detail fetch: ${f.queuedWhenListLoaded} members queued at login (40 per webwxbatchgetcontact every 2 s ⇒ ${Math.round(f.wouldTakeS)} s to finish); after ${f.observedS} s: ${f.stillQueued} still queued (${f.stillQueuedDistinct} distinct), ≈${f.remainingS} s to go`)
  out.push('')
  const mw = [40, 11, 11, 11, 11, 9]
  out.push(row(['memory of this process (after gc)', 'rss', 'Δ rss', 'heap', 'Δ heap', 'contacts'], mw))
  for (const m of mems) out.push(row([m.at, mb(m.mem.rss), mb(m.mem.rss - baseline.rss), mb(m.mem.heapUsed), mb(m.mem.heapUsed - baseline.heapUsed), m.contacts], mw))
  out.push(`(the server runs in its own process: ${mb(results.serverProcessRss)} rss there. RSS moves with V8 handing pages back some seconds after`)
  out.push(` allocation slows down; the heap after gc is the steadier per-account figure.)`)
  if (mock) {
    out.push('')
    out.push(`mock puppet, same network, same process: world ${s(mock.worldMs)}; first login → ready ${s(mock.firstReadyMs)} (groups ${s(mock.firstResolveRoomsMs)}, people ${s(mock.firstResolvePeopleMs)}); restart with ${results.bound} bound → ready ${s(mock.boundReadyMs)} (groups ${s(mock.boundResolveRoomsMs)}, people ${s(mock.boundResolvePeopleMs)}); ${mock.missingGroups} groups / ${mock.missingPeople} people missing`)
    out.push(`mock account memory: +${mb(mock.memAfterLogin.rss - mock.baseline.rss)} rss, +${mb(mock.memAfterLogin.heapUsed - mock.baseline.heapUsed)} heap (baseline taken after the wechat4u account stopped; both after a settle)`)
  }
  out.push('')
  process.stdout.write(out.join('\n') + '\n')
}

// ─────────────────────────────── helpers ───────────────────────────────

/** The puppet's private parts the bench reads (the member-detail queue, the client's contact map). */
function internals(puppet: unknown): { unknownContactId?: [string, string][]; wechat4u?: { contacts: Record<string, unknown> } } {
  return puppet as { unknownContactId?: [string, string][]; wechat4u?: { contacts: Record<string, unknown> } }
}

async function waitUntil(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}
