/**
 * What waiting for a replica (WAIT, store/durable.ts) costs per post: the durable writes of one
 * post (delivery queued → sending, claim, claim saying, claim sent, delivery sent, delivery
 * confirmed, plus the delivery record itself: 7 writes, each followed by WAIT 1 in Sentinel mode) on a master with one replica,
 * both started here (loopback ports 7130/7131, AOF as given), with and without WAIT.
 *
 *   node --import tsx bench/replica-wait-bench.ts [--posts 2000] [--concurrency 1,10] [--fsync everysec|always]
 *
 * Prints ms per post (sequential: one account's sends one after another; concurrent: several
 * accounts at once on one process's connection). A figure, not a test.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { Store } from '../src/store/store.ts'
import type { Delivery } from '../src/domain/announcement.ts'

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt }
const POSTS = Number(arg('posts', '2000'))
const CONCURRENCY = arg('concurrency', '1,10').split(',').map(Number)
const FSYNC = arg('fsync', 'everysec')
const [MASTER, REPLICA] = [7130, 7131]
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

async function node(port: number, dir: string, replicaOf?: number): Promise<ChildProcess> {
  const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', FSYNC,
    ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : [])], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    const r = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    r.on('error', () => undefined)
    const ok = await r.connect().then(() => r.ping()).then(p => p === 'PONG', () => false)
    r.disconnect()
    if (ok) return c
    await sleep(50)
  }
  throw new Error(`redis on ${port} did not start`)
}

async function onePost(store: Store, code: string, i: number): Promise<void> {
  const topic = `群${i}`
  const idem = `${code}-${i}`
  const d: Delivery = { code, node: 'n', topic, bot: 'b', state: 'queued', queuedAt: Date.now() } as Delivery
  await store.queueDelivery(d)
  await store.beginPost(code, topic, Date.now())
  const claim = (await store.sends.claimSend(idem, 'b'))!
  await store.sends.markSaying(idem, claim, 'b')
  await Promise.all([store.sends.markSent(idem, 'b'), store.patchDelivery(code, topic, ['sending'], { state: 'sent', sentAt: Date.now() })])
  await store.patchDelivery(code, topic, ['sent'], { state: 'confirmed', confirmedAt: Date.now() })
}

async function run(wait: boolean, concurrency: number): Promise<{ msPerPost: number; waits: number; shortfalls: number }> {
  const redis = new Redis({ port: MASTER, enableAutoPipelining: true, maxRetriesPerRequest: null })
  const store = new Store(redis, `bench-wait-${Date.now()}`, wait ? { replicas: 1, timeoutMs: 1000 } : undefined)
  const code = `W${Math.random().toString(36).slice(2, 7)}`
  let next = 0
  const t0 = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < POSTS; i = next++) await onePost(store, code, i)
  }))
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  await store.clearNamespace()
  await redis.quit()
  return { msPerPost: ms / POSTS * concurrency, waits: store.durability.waits, shortfalls: store.durability.shortfalls }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-wait-bench-'))
  const procs: ChildProcess[] = []
  try {
    for (const d of ['m', 'r']) await mkdir(path.join(dir, d))
    procs.push(await node(MASTER, path.join(dir, 'm')))
    procs.push(await node(REPLICA, path.join(dir, 'r'), MASTER))
    await sleep(1000)
    console.log(`replica-wait-bench: ${POSTS} posts, 7 durable writes each; master :${MASTER} + replica :${REPLICA}, AOF ${FSYNC}; node ${process.version}, ${os.cpus().length} cores`)
    // One write, and one write + WAIT 1, round trips (sequential): what each durable write adds.
    const r = new Redis({ port: MASTER, maxRetriesPerRequest: null })
    const times = async (wait: boolean) => {
      const out: number[] = []
      for (let i = 0; i < 3000; i++) {
        const t = process.hrtime.bigint()
        await r.set(`{bench-wait}:k${i % 100}`, String(i))
        if (wait) await r.call('WAIT', '1', '1000')
        out.push(Number(process.hrtime.bigint() - t) / 1e3)
      }
      out.sort((a, b) => a - b)
      return `p50 ${out[1500].toFixed(0)} µs, p99 ${out[2970].toFixed(0)} µs`
    }
    console.log(`SET alone: ${await times(false)}; SET + WAIT 1: ${await times(true)}; again: SET ${await times(false)}; SET + WAIT ${await times(true)}`)
    await r.del(...Array.from({ length: 100 }, (_, i) => `{bench-wait}:k${i}`))
    await r.quit()
    console.log('concurrency  WAIT  ms/post (per account)  posts/s (process)  WAITs  short')
    for (const c of CONCURRENCY) {
      for (const wait of [false, true, false, true]) {
        const r = await run(wait, c)
        console.log(`${String(c).padStart(11)}  ${wait ? ' yes' : '  no'}  ${r.msPerPost.toFixed(3).padStart(21)}  ${(c * 1000 / r.msPerPost).toFixed(0).padStart(17)}  ${String(r.waits).padStart(5)}  ${String(r.shortfalls).padStart(5)}`)
      }
    }
  } finally {
    for (const p of procs) p.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
}

void main()
