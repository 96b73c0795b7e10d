/**
 * Whether Redis can be reached, said in one sentence. One-shot commands check before they start
 * and give up after a few seconds (`requireRedis`); the long-running processes wait with back-off,
 * saying so once (`waitForRedis`), and log a lost connection once per outage (`watchRedis`).
 */
import { Redis } from 'ioredis'
import type { Logger } from './log.ts'
import { newRedis, redisTarget } from './redis.ts'

/** How long a one-shot command tries before it gives up. */
export const ONE_SHOT_REDIS_TIMEOUT_MS = 3_000
/** Longest pause between two tries of a waiting process. */
const MAX_BACKOFF_MS = 30_000

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString().replace(/\/$/, '')
  } catch {
    // redis-sentinel:// and redis-cluster:// name several hosts: no URL to the parser (its port
    // "26379,h2:26379" is refused), so the password is cut out by its place in the string.
    return url.replace(/^([a-z][\w+.-]*:\/\/[^:@/]*:)[^@/]+@/i, '$1***@')
  }
}

/** Redis could not be reached: the message is the one sentence to show. */
export class RedisUnreachable extends Error {
  constructor(readonly url: string, readonly why: string) {
    super(`Cannot reach Redis at ${redactUrl(url)}: ${why}. Check that Redis runs there and that REDIS_URL names it (redis://[:password@]host:port[/db]); the default is 127.0.0.1:6379.`)
    this.name = 'RedisUnreachable'
  }
}

/** What went wrong, in words, from a connection error. */
export function describeRedisError(err: unknown, timeoutMs: number): string {
  const e = err as { code?: string; message?: string } | undefined
  const msg = e?.message ?? String(err)
  if (e?.code === 'ECONNREFUSED') return 'nothing listens there (connection refused)'
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return 'the host name is not known'
  if (e?.code === 'EHOSTUNREACH' || e?.code === 'ENETUNREACH') return 'the host cannot be reached from here'
  if (e?.code === 'ETIMEDOUT' || /timed? ?out/i.test(msg)) return `no answer within ${Math.round(timeoutMs / 100) / 10} s`
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(msg)) return 'it refused the password (set it in REDIS_URL as redis://:password@host:port)'
  if (/LOADING/.test(msg)) return 'it is still loading its data'
  return msg.split('\n')[0]
}

/** One try: undefined when Redis answers PING within the timeout, else what went wrong. */
export async function probeRedis(url: string, timeoutMs = 1_500): Promise<string | undefined> {
  try {
    redisTarget(url)
  } catch (err) {
    return `"${url}" is not a Redis URL${err instanceof Error && /REDIS_/.test(err.message) ? ` (${err.message})` : ''}`
  }
  const r = newRedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, commandTimeout: timeoutMs, enableOfflineQueue: false })
  let lastError: unknown
  r.on('error', err => { lastError = err })
  try {
    await r.connect()
    return (await r.ping()) === 'PONG' ? undefined : 'it does not answer PING'
  } catch (err) {
    return describeRedisError(lastError ?? err, timeoutMs)
  } finally {
    r.disconnect()
  }
}

/** For one-shot commands: resolves once Redis answers, or throws RedisUnreachable after `timeoutMs`. */
export async function requireRedis(url: string, timeoutMs = ONE_SHOT_REDIS_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const left = deadline - Date.now()
    const why = await probeRedis(url, Math.max(250, Math.min(1_500, left)))
    if (why === undefined) return
    if (Date.now() + 250 >= deadline) throw new RedisUnreachable(url, why)
    await new Promise(r => setTimeout(r, 250))
  }
}

/**
 * For long-running processes: resolves true once Redis answers, false when `signal` aborts first.
 * Says once that Redis is unreachable (and why), then tries again after 1, 2, 4 … 30 s, and says
 * when it answers again. `onState` hears every try's outcome (for /readyz).
 */
export async function waitForRedis(url: string, log: Logger, signal?: AbortSignal, onState?: (why: string | undefined) => void, firstDelayMs = 1_000): Promise<boolean> {
  let delay = firstDelayMs
  let said = false
  const since = Date.now()
  while (!signal?.aborted) {
    const why = await probeRedis(url)
    onState?.(why)
    if (why === undefined) {
      if (said) log.info('redis.reachable', { url: redactUrl(url), waitedMs: Date.now() - since })
      return true
    }
    if (!said) {
      log.error('redis.unreachable', { url: redactUrl(url), why, hint: 'check that Redis runs there and that REDIS_URL names it; retrying with back-off up to 30 s' })
      said = true
    }
    await new Promise<void>(resolve => {
      const t = setTimeout(resolve, delay)
      signal?.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
    })
    delay = Math.min(delay * 2, MAX_BACKOFF_MS)
  }
  return false
}

/** A lost or refused connection (reported once by `watchRedis`, not by every client that sees it). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code
  return ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'].includes(code ?? '')
    // ioredis's sentinel connector, between a master's death and the election (it retries by itself)
    || /Connection is closed|connect ETIMEDOUT|All sentinels are unreachable/.test((err as Error | undefined)?.message ?? '')
}

/** Logs a lost connection once (not at every reconnect attempt) and its return. */
export function watchRedis(redis: Redis, url: string, log: Logger): void {
  let down = false
  redis.on('error', err => {
    if (down) return
    down = true
    log.error('redis.connection-lost', { url: redactUrl(url), why: describeRedisError(err, 10_000), hint: 'reconnecting; /readyz says 503 meanwhile' })
  })
  redis.on('ready', () => {
    if (!down) return
    down = false
    log.info('redis.reconnected', { url: redactUrl(url) })
  })
}
