/**
 * Redis connections, for every process (serve, run, the CLI, the demo, benches, the fault suite),
 * chosen by the environment in one place (`redisUrlFromEnv`):
 *
 * - `REDIS_URL=redis://[:password@]host:port[/db]` one Redis (default redis://127.0.0.1:6379);
 * - `REDIS_SENTINELS=host:port,host:port,…` + `REDIS_MASTER=<name>` (default `cascade`): Redis
 *   Sentinel; every client asks the sentinels for the master and follows a failover by itself;
 * - `REDIS_CLUSTER=host:port,…` (some of the nodes): Redis Cluster. Every key of a namespace
 *   carries its hash tag (`{ns}:…`, BullMQ's prefix too), so a district lives in one slot.
 *
 * With sentinels or a cluster, REDIS_URL's password (and db, for sentinels) still apply. Inside the
 * code the choice travels as one string: `redis-sentinel://[:pw@]h:p,h:p/<master>[/db]` or
 * `redis-cluster://[:pw@]h:p,h:p` (also accepted in REDIS_URL).
 * BullMQ workers need `maxRetriesPerRequest: null`; we use it everywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import type { ConnectionOptions } from 'bullmq'
import { Cluster, Redis, SentinelConnector, type RedisOptions } from 'ioredis'

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

export interface HostPort { host: string; port: number }
export type RedisTarget =
  | { kind: 'single'; options: RedisOptions }
  | { kind: 'sentinel'; sentinels: HostPort[]; master: string; password?: string; username?: string; db: number }
  | { kind: 'cluster'; nodes: HostPort[]; password?: string; username?: string }

/** The connection the environment names (see the top of this file), as one string. */
export function redisUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.REDIS_URL && /^rediss?:\/\//.test(env.REDIS_URL) ? new URL(env.REDIS_URL) : undefined
  const auth = base && (base.username || base.password) ? `${base.username}:${base.password}@` : ''
  if (env.REDIS_CLUSTER) return `redis-cluster://${auth}${hostList(env.REDIS_CLUSTER, 'REDIS_CLUSTER').map(h => `${h.host}:${h.port}`).join(',')}`
  if (env.REDIS_SENTINELS) {
    const master = env.REDIS_MASTER || 'cascade'
    if (!/^[\w.-]+$/.test(master)) throw new Error(`REDIS_MASTER "${master}": a master group name as the sentinels know it (letters, digits, _ . -)`)
    const db = base && base.pathname.length > 1 ? base.pathname : ''
    return `redis-sentinel://${auth}${hostList(env.REDIS_SENTINELS, 'REDIS_SENTINELS').map(h => `${h.host}:${h.port}`).join(',')}/${master}${db}`
  }
  return env.REDIS_URL ?? DEFAULT_REDIS_URL
}

/** `host:port,host:port`, each checked; the error names the variable and the form it takes. */
function hostList(list: string, what: string): HostPort[] {
  const out = list.split(',').map(s => s.trim()).filter(Boolean).map(item => {
    const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(item)
    const port = m ? Number(m[2]) : 0
    if (!m || port < 1 || port > 65535) throw new Error(`${what}: "${item}" is not host:port (expected host:port,host:port,…)`)
    return { host: m[1].replace(/^\[|\]$/g, ''), port }
  })
  if (out.length === 0) throw new Error(`${what} is empty (expected host:port,host:port,…)`)
  return out
}

/** What a connection string names: one Redis, sentinels and a master group, or cluster nodes. */
export function redisTarget(url: string): RedisTarget {
  const m = /^redis-(sentinel|cluster):\/\/(?:([^:@/]*):([^@/]*)@)?([^/]+)(?:\/([^/]*))?(?:\/(\d+))?$/.exec(url)
  if (!m) return { kind: 'single', options: singleOptions(url) }
  const [, kind, user, pass, hosts, master, db] = m
  const auth = { username: user ? decodeURIComponent(user) : undefined, password: pass ? decodeURIComponent(pass) : undefined }
  if (kind === 'cluster') return { kind: 'cluster', nodes: hostList(hosts, 'REDIS_CLUSTER'), ...auth }
  return { kind: 'sentinel', sentinels: hostList(hosts, 'REDIS_SENTINELS'), master: master || 'cascade', db: Number(db ?? 0), ...auth }
}

function singleOptions(url: string): RedisOptions {
  const u = new URL(url)
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    db: u.pathname && u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    maxRetriesPerRequest: null,
  }
}

type Detector = { cleanup(): void; sentinels: { client: Redis }[] }

/**
 * ioredis 6.0.0's sentinel connector, with its failover detector closed with the connection:
 * after `quit()` (ours, BullMQ's) 6.0.0 leaves the detector's sentinel subscriptions open and
 * reconnecting (redis/ioredis#1362; the fix was merged after 6.0.0), so a finished process would not
 * exit and a stopped sentinel deployment would log errors. Their errors (a sentinel away) are
 * dropped: the other sentinels still tell, and the connection itself reports what matters.
 */
class SentinelConnectorClosingDetector extends SentinelConnector {
  override async connect(...args: Parameters<SentinelConnector['connect']>): ReturnType<SentinelConnector['connect']> {
    const stream = await super.connect(...args)
    const detector = () => (this as unknown as { failoverDetector: Detector | null }).failoverDetector
    // After ioredis's own 'connect' listener, which has made this stream's detector.
    stream.once('connect', () => { for (const s of detector()?.sentinels ?? []) s.client.on('error', () => undefined) })
    stream.once('close', () => detector()?.cleanup())
    return stream
  }
}

/**
 * How a sentinel-managed connection follows a failover. Without these, a connection to a master
 * that stops answering without closing (cut off the network, or frozen) waits for it however long
 * that takes, while the sentinels have long promoted a replica (seen: the fan-out stood still
 * ≈ 26 s of a 15 s freeze). With ioredis's failover detector every connection also subscribes to
 * `+switch-master` on the sentinels and, at the election, drops its connection (ended, destroyed
 * after `disconnectTimeout` if the old master does not answer the close) and asks the sentinels
 * again; commands it was waiting on are sent again to the new master (ioredis resends unanswered
 * single commands; a write the old master may have done meanwhile is lost with it, and what must
 * not be lost waits for a replica: store/durable.ts). No command timeout: BullMQ's workers block
 * in BZPOPMIN (up to 10 s, with a watchdog of their own) and a timeout would cut them.
 */
export const SENTINEL_FAILOVER = {
  Connector: SentinelConnectorClosingDetector as unknown as NonNullable<RedisOptions['Connector']>,
  failoverDetector: true,
  // The detector's own sentinel connections, when a sentinel goes away (ioredis's default: 60 s).
  sentinelReconnectStrategy: (times: number) => Math.min(500 * times, 5_000),
  disconnectTimeout: 1_000,
  // A dead master's address (its container gone) does not refuse a connection: the attempt hangs
  // until this (ioredis's default 10 s). Measured on the ha compose profile: processes followed the
  // new master 10.2–10.8 s after the kill with 10 s, 7.2–8.0 s with 2 s (docs/REDIS-HA.md).
  connectTimeout: 2_000,
  // Reconnecting asks a sentinel first: a short wait finds the new master soon after the election.
  // (BullMQ's own default grows to 20 s: once, a master dead 23 s before its election left the
  // fan-out waiting ≈ 18 s more after it.)
  retryStrategy: (times: number) => Math.min(100 * times, 1_000),
} satisfies RedisOptions

/** ioredis options for one Redis or a sentinel-managed master (not for a cluster: see `newRedis`). */
export function redisOptions(url: string): RedisOptions {
  const t = redisTarget(url)
  if (t.kind === 'single') return t.options
  if (t.kind === 'sentinel') return { sentinels: t.sentinels, name: t.master, password: t.password, username: t.username, db: t.db, maxRetriesPerRequest: null, ...SENTINEL_FAILOVER }
  // A cluster client is not made from options alone; its first node stands for "where".
  return { host: t.nodes[0].host, port: t.nodes[0].port, password: t.password, username: t.username, maxRetriesPerRequest: null }
}

/**
 * A client for the connection string: a `Redis` (one Redis, or a master found through the
 * sentinels) or, for a cluster, an ioredis `Cluster` (typed as Redis: it answers the same
 * commands; every command and script of a namespace stays in its slot).
 */
export function newRedis(url: string, extra: RedisOptions = {}): Redis {
  const t = redisTarget(url)
  if (t.kind !== 'cluster') return new Redis({ ...redisOptions(url), ...extra })
  const { enableAutoPipelining, lazyConnect, ...node } = extra
  return new Cluster(t.nodes, {
    redisOptions: { password: t.password, username: t.username, maxRetriesPerRequest: null, ...node },
    enableAutoPipelining, lazyConnect,
    ...(node.retryStrategy ? { clusterRetryStrategy: () => null } : {}),
  }) as unknown as Redis
}

/** True for a connection string that names a cluster. */
export function isCluster(url: string): boolean { return redisTarget(url).kind === 'cluster' }

/**
 * The app's own connection (store, features). Auto-pipelining sends the commands issued in one
 * tick in one write: a send's records, a fan-out's posts, a histogram's fields. It never
 * reorders them, and nothing here uses blocking commands (BullMQ keeps its own connections).
 */
export function connectRedis(url: string): Redis {
  return newRedis(url, { enableAutoPipelining: true })
}

/** True when a Redis answers PING at the URL within the timeout. */
export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const r = newRedis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: timeoutMs })
  r.on('error', () => undefined)
  try {
    await r.connect()
    return (await r.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    r.disconnect()
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      s.close(() => typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')))
    })
  })
}

export interface RedisHandle { url: string; stop(): Promise<void>; private: boolean }

/**
 * The Redis to use: REDIS_URL when set; else one answering on 127.0.0.1:6379; else a private
 * `redis-server` from PATH on a free port (no persistence), stopped by `stop()`.
 */
export async function ensureRedis(env = process.env): Promise<RedisHandle> {
  if (env.REDIS_URL || env.REDIS_SENTINELS || env.REDIS_CLUSTER) return { url: redisUrlFromEnv(env), stop: async () => undefined, private: false }
  if (await redisAnswers(DEFAULT_REDIS_URL)) return { url: DEFAULT_REDIS_URL, stop: async () => undefined, private: false }
  const port = await freePort()
  let child: ChildProcess
  try {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject) })
  } catch {
    throw new Error('Cascade needs Redis: no REDIS_URL is set, nothing answers on 127.0.0.1:6379 and there is no redis-server on PATH — install one with `sudo apt-get install -y redis-server` (or set REDIS_URL).')
  }
  const url = `redis://127.0.0.1:${port}`
  for (let i = 0; i < 50 && !await redisAnswers(url, 200); i++) await new Promise(r => setTimeout(r, 100))
  return {
    url, private: true,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise(r => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

const bullClusters = new Map<string, { client: Redis; users: number }>()

/**
 * Connection options for BullMQ queues and workers (BullMQ opens its own clients from them). For a
 * cluster BullMQ takes a client, not options: one `Cluster` per process and connection string,
 * shared by its queues and workers (each worker still opens its own blocking client from it), and
 * closed by the last `holdBullConnection` released.
 */
export function bullConnection(url: string): ConnectionOptions {
  const t = redisTarget(url)
  if (t.kind === 'cluster') {
    let held = bullClusters.get(url)
    if (!held) bullClusters.set(url, held = { client: newRedis(url), users: 0 })
    return held.client as unknown as ConnectionOptions
  }
  const { host, port, password, username, db, sentinels, name } = redisOptions(url)
  return { host, port, password, username, db, sentinels, name, maxRetriesPerRequest: null, ...(sentinels ? SENTINEL_FAILOVER : {}) }
}

/** The BullMQ connection of a composed process, with its release (closes a shared cluster client once unused). */
export function holdBullConnection(url: string): { connection: ConnectionOptions; release(): Promise<void> } {
  const connection = bullConnection(url)
  const held = bullClusters.get(url)
  if (held) held.users++
  return {
    connection,
    release: async () => {
      if (!held || --held.users > 0) return
      bullClusters.delete(url)
      await held.client.quit().catch(() => undefined)
    },
  }
}

/**
 * With sentinels, the writes that must survive a failover wait for a replica (store/durable.ts):
 * `REDIS_WAIT_REPLICAS` (default 1; 0 turns it off) within `REDIS_WAIT_TIMEOUT_MS` (default 1000).
 * Not with one Redis (no replica) nor on a cluster (WAIT carries no key to route it by).
 */
export function replicaAckFor(url: string, env: NodeJS.ProcessEnv = process.env): { replicas: number; timeoutMs: number } | undefined {
  if (redisTarget(url).kind !== 'sentinel') return undefined
  const replicas = Number(env.REDIS_WAIT_REPLICAS ?? 1)
  const timeoutMs = Number(env.REDIS_WAIT_TIMEOUT_MS ?? 1000)
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`REDIS_WAIT_REPLICAS "${env.REDIS_WAIT_REPLICAS}": a whole number of replicas, 0 to not wait`)
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new Error(`REDIS_WAIT_TIMEOUT_MS "${env.REDIS_WAIT_TIMEOUT_MS}": milliseconds, at least 1`)
  return replicas > 0 ? { replicas, timeoutMs } : undefined
}
