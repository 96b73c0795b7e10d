/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null`; we use it everywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import type { ConnectionOptions } from 'bullmq'
import { Redis, type RedisOptions } from 'ioredis'

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

export function redisOptions(url: string): RedisOptions {
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

/**
 * The app's own connection (store, features). Auto-pipelining sends the commands issued in one
 * tick in one write: a send's records, a fan-out's posts, a histogram's fields. It never
 * reorders them, and nothing here uses blocking commands (BullMQ keeps its own connections).
 */
export function connectRedis(url: string): Redis {
  return new Redis({ ...redisOptions(url), enableAutoPipelining: true })
}

/** True when a Redis answers PING at the URL within the timeout. */
export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const r = new Redis({ ...redisOptions(url), lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: timeoutMs })
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
  if (env.REDIS_URL) return { url: env.REDIS_URL, stop: async () => undefined, private: false }
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

/** Connection options for BullMQ queues and workers (BullMQ opens its own clients from them). */
export function bullConnection(url: string): ConnectionOptions {
  const { host, port, password, username, db } = redisOptions(url)
  return { host, port, password, username, db, maxRetriesPerRequest: null }
}
