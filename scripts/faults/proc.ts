/**
 * One process of the fault suite (scripts/faults/run.ts), in one of three roles, driven over IPC
 * (protocol.ts) in the style of bench/fanout/bot-process.ts:
 *
 * - `bots`    a bot process: some of the accounts on the mock puppet (a SimDistrict of its own),
 *             with the runtime options the suite shortens. Every post one of its accounts makes
 *             is appended to a posts log with a synchronous write before anything else sees it:
 *             the log stands for what WeChat's server saw, and survives a kill -9 of this process.
 * - `relay`   the relay step: `compose()` on the namespace, then publish (or approve some
 *             pending relays), as `cascade publish` / a curator's approval would; then idles.
 * - `timers`  what `cascade serve` does for the spine: the timers worker.
 *
 * A fault may be armed in the start message: the process kills itself (SIGKILL, no clean-up)
 * at an exact point — after its k-th send claim, after its k-th post went out (before its
 * echo), at its k-th enqueue or delivery record (inside forward), or makes its k-th say() hang
 * or fail after posting. Everything else (kill -9 from outside, SIGSTOP, Redis faults) is
 * done by run.ts.
 */
import { closeSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs'
import path from 'node:path'
import { compose, type Composed } from '../../src/app/compose.ts'
import { createLogger } from '../../src/infra/log.ts'
import type { Cascade } from '../../src/spine/cascade.ts'
import { loadConfig } from '../../src/config/load.ts'
import type { CascadeConfig } from '../../src/config/types.ts'
import { SimDistrict } from '../../src/sim/district.ts'
import type { FaultMsg, FromProc, StartMsg, ToProc } from './protocol.ts'

let district: SimDistrict | undefined
let composed: Composed | undefined
let postsFd: number | undefined
let cfg: CascadeConfig | undefined
const log = createLogger({ role: process.env.FAULTS_ROLE ?? 'proc' }, (process.env.LOG_LEVEL ?? 'warn') as 'warn')

function send(msg: FromProc): Promise<void> {
  return new Promise(resolve => {
    if (!process.connected) return resolve()
    process.send!(msg, undefined, {}, () => resolve())
  })
}

/** kill -9 of this very process, at an exact point of its work. */
function die(why: string): never {
  if (postsFd !== undefined) writeSync(postsFd, JSON.stringify({ kind: 'killed', why, at: Date.now(), pid: process.pid }) + '\n')
  process.kill(process.pid, 'SIGKILL')
  throw new Error('unreachable')
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Counts calls of one method of an object and runs `at` around the k-th (instance patch; no src/ change). */
function around<T extends object>(obj: T, name: keyof T, k: number, when: 'before' | 'after', at: (result: unknown) => void, only: (result: unknown, args: unknown[]) => boolean = () => true): void {
  const orig = (obj[name] as (...a: unknown[]) => Promise<unknown>).bind(obj)
  let n = 0
  ;(obj as Record<string, unknown>)[name as string] = async (...args: unknown[]) => {
    if (when === 'before' && only(undefined, args) && ++n === k) at(undefined)
    const result = await orig(...args)
    if (when === 'after' && only(result, args) && ++n === k) at(result)
    return result
  }
}

/** Faults inside forward (relay and timers roles): kill at the k-th send job added or delivery recorded. */
function armForward(app: Cascade, fault: FaultMsg | undefined): void {
  if (!fault) return
  if (fault.kind === 'kill-at-enqueue') around(app.outboxes, 'enqueue', fault.k, 'before', () => die(`before enqueue #${fault.k}`))
  if (fault.kind === 'kill-after-delivery') around(app.store, 'queueDelivery', fault.k, 'after', () => die(`after delivery record #${fault.k}, before its job`), r => r === true)
}

/**
 * The accounts of the other bot processes sit in the same groups: their posts (read from those
 * processes' posts logs, from now on) are shown to this process's accounts, as WeChat shows every
 * member a group's messages. Checked every 200 ms.
 */
function mirrorPeers(d: SimDistrict, dir: string, own: string): void {
  const read = new Map<string, number>()
  const logs = () => readdirSync(dir).filter(f => f.startsWith('posts-') && path.join(dir, f) !== own).map(f => path.join(dir, f))
  for (const f of logs()) read.set(f, statSync(f).size)
  const tick = () => {
    for (const f of logs()) {
      const size = statSync(f).size
      const from = read.get(f) ?? 0
      if (size <= from) continue
      const buf = Buffer.alloc(size - from)
      const fd = openSync(f, 'r')
      readSync(fd, buf, 0, buf.length, from)
      closeSync(fd)
      const text = buf.toString('utf8')
      const end = text.lastIndexOf('\n') + 1 // a line still being written waits for the next tick
      read.set(f, from + Buffer.byteLength(text.slice(0, end)))
      for (const line of text.slice(0, end).split('\n')) {
        if (!line) continue
        const rec = JSON.parse(line) as { kind: string; bot?: string; topic?: string; text?: string }
        if (rec.kind === 'post' && rec.bot && rec.topic && rec.text) d.world.mirrorPost(rec.bot, rec.topic, rec.text)
      }
    }
  }
  setInterval(() => { try { tick() } catch (err) { log.warn('mirror.failed', { err }) } }, 200).unref()
}

async function start(msg: StartMsg): Promise<void> {
  cfg = await loadConfig({ configDir: msg.configDir, botsDir: msg.botsDir, templatesFile: msg.templatesFile })
  if (msg.role === 'bots') {
    postsFd = openSync(msg.postsLog!, 'a')
    const fault = msg.fault
    let says = 0
    district = await SimDistrict.start({ cfg, redisUrl: msg.redisUrl, ns: msg.ns, bots: [], pacing: msg.pacing, world: msg.world, timers: false, log })
    const d = district
    // Every post of this process's accounts, written before the echo is handled.
    let posts = 0
    d.world.onMessage(m => {
      if (!m.room || !m.from.startsWith('wxid_bot_')) return
      writeSync(postsFd!, JSON.stringify({ kind: 'post', at: m.at, bot: m.from.slice('wxid_bot_'.length), topic: m.room, text: m.text }) + '\n')
      posts++
      if (fault?.kind === 'kill-after-post' && posts === fault.k) die(`after post #${fault.k}, before its echo`)
    })
    if (fault?.kind === 'kill-after-claim') around(d.app.store.sends, 'claimSend', fault.k, 'after', () => die(`after claim #${fault.k}, before say()`), r => typeof r === 'string')
    // say() faults: the k-th group say of this process hangs, or posts and then fails as a cut connection would.
    const beforeSay = async (target: { kind: string; topic?: string }, text: string) => {
      if (target.kind !== 'group' || !fault) return
      const n = ++says
      if (fault.kind === 'hang-say' && n === fault.k) {
        await send({ type: 'event', what: 'say-hanging', at: Date.now() })
        await sleep(fault.hangMs ?? 3_600_000)
      }
      if (fault.kind === 'post-then-fail' && n === fault.k) {
        const room = [...d.runtimes.values()].map(rt => rt.room(target.topic!)).find(r => r !== undefined)
        await room!.say(text)
        throw Object.assign(new Error('socket hang up (after the message went out)'), { code: 'ECONNRESET' })
      }
    }
    if (msg.mirrorDir) mirrorPeers(d, msg.mirrorDir, msg.postsLog!)
    // One fresh mock puppet per account, with the runtime options of this suite.
    for (const bot of msg.bots!) await d.startBot(bot, true, { ...msg.runtime, beforeSay })
    await send({ type: 'ready', pid: process.pid })
    return
  }
  // Recovery shortened like the runtime options (60 s / 60 s by default), so a run sees it act.
  composed = compose({ cfg, redisUrl: msg.redisUrl, ns: msg.ns, log, recovery: msg.recovery })
  const app = composed.app
  armForward(app, msg.fault)
  if (msg.role === 'timers') {
    app.timers.start()
    await send({ type: 'ready', pid: process.pid })
    return
  }
  // relay: publish, or approve
  await send({ type: 'ready', pid: process.pid })
}

async function act(msg: ToProc): Promise<void> {
  const app = composed!.app
  if (msg.type === 'publish') {
    // The code is told before forward runs: the process may die inside it.
    const orig = app.store.createAnnouncement.bind(app.store)
    app.store.createAnnouncement = async a => {
      const ok = await orig(a)
      if (ok) await send({ type: 'code', code: a.code })
      return ok
    }
    const t0 = Date.now()
    const a = await app.publish({ node: msg.node, author: msg.author, text: msg.text, severity: 'urgent', ackRequired: false })
    await send({ type: 'done', code: a.code, ms: Date.now() - t0 })
    return
  }
  if (msg.type === 'approve') {
    const a = await app.store.announcement(msg.code)
    if (!a) throw new Error(`no announcement ${msg.code}`)
    const t0 = Date.now()
    await Promise.all(msg.nodes.map(node => app.decide(a, node, cfg!.nodes.get(node)!.curators[0], { action: 'approve' })))
    await send({ type: 'done', code: msg.code, ms: Date.now() - t0 })
  }
}

async function stop(): Promise<void> {
  await district?.close({ keepKeys: true })
  await composed?.close()
  if (postsFd !== undefined) closeSync(postsFd)
}

process.on('message', (msg: ToProc) => {
  const step = msg.type === 'start' ? start(msg) : msg.type === 'stop' ? stop().then(() => send({ type: 'stopped' })).then(() => process.exit(0)) : act(msg)
  step.catch(async err => {
    await send({ type: 'failed', error: err instanceof Error ? err.stack ?? err.message : String(err) })
    process.exit(1)
  })
})
// SIGTERM: a graceful stop, as `cascade run` does (stop waits stopWaitMs for a send in flight).
process.once('SIGTERM', () => {
  const force = setTimeout(() => process.exit(1), 8_000)
  force.unref()
  stop().then(() => process.exit(0), () => process.exit(1))
})
process.on('disconnect', () => process.exit(0))
