/**
 * Graceful shutdown for the long-running commands (`cascade run`, `cascade serve`): on SIGTERM
 * or SIGINT run the stop steps once (stop taking jobs, let the send in flight finish, close
 * queues, bot, Redis), then exit 0 — or 1 when stopping failed or took longer than allowed.
 */
import type { Server } from 'node:http'
import type { Logger } from '../infra/log.ts'

/** How long a graceful stop may take before the process exits anyway (Docker waits 10 s). */
export const STOP_DEADLINE_MS = 8_000
/** After a stop, a handle some library left open may keep the process alive this long, no more. */
const EXIT_GRACE_MS = 1_000

/** Resolves with the exit code once a signal came and `stop` ran (or ran out of time). */
export function untilSignal(log: Logger, stop: () => Promise<void>, deadlineMs = STOP_DEADLINE_MS): Promise<number> {
  return new Promise<number>(resolve => {
    let stopping = false
    const done = (code: number) => {
      resolve(code)
      // Ends the process even if a library keeps a timer or socket open; unref'd, so a clean
      // process exits earlier on its own.
      setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref()
    }
    const onSignal = async (signal: string) => {
      if (stopping) return
      stopping = true
      const started = Date.now()
      log.info('process.stopping', { signal })
      const force = setTimeout(() => { log.error('process.stop-timeout', { ms: deadlineMs }); done(1) }, deadlineMs)
      force.unref()
      try {
        await stop()
        clearTimeout(force)
        log.info('process.stopped', { ms: Date.now() - started })
        done(0)
      } catch (err) {
        clearTimeout(force)
        log.error('process.stop-failed', { err })
        done(1)
      }
    }
    process.once('SIGTERM', () => { void onSignal('SIGTERM') })
    process.once('SIGINT', () => { void onSignal('SIGINT') })
  })
}

/** Starts listening; resolves with the server once it is. */
export function listen(http: { listen(port: number, host: string, cb: () => void): Server }, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = http.listen(port, host, () => resolve(server))
    // Keep an idle connection open longer than clients and proxies do (undici: 4 s, most load
    // balancers: 60 s): with Node's 5 s a busy machine lets a client reuse a socket the server is
    // closing, and the request fails with ECONNRESET. closeServer still ends idle ones at once.
    server.keepAliveTimeout = 65_000
    server.headersTimeout = 66_000
    server.once('error', reject)
  })
}

/** Stops accepting connections and ends idle keep-alive ones, so closing does not hang. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return
  const closed = new Promise<void>(resolve => server.close(() => resolve()))
  server.closeIdleConnections()
  await closed
}

/**
 * Closes the app's queues and Redis connection. With Redis down there is nothing left to write
 * and a polite close would wait for a reconnect: drop the connections and give the queues a
 * moment, so the stop still ends in time (and exits 0).
 */
export async function closeComposed(composed: { redis: { status: string; disconnect(): void }; close(): Promise<void> } | undefined, log: Logger, graceMs = 1_000): Promise<void> {
  if (!composed) return
  if (composed.redis.status === 'ready') return composed.close()
  log.warn('process.stopping-without-redis', { hint: 'Redis is unreachable: connections are dropped, nothing is lost (it is all in Redis)' })
  composed.redis.disconnect()
  await Promise.race([composed.close().catch(() => undefined), new Promise(r => setTimeout(r, graceMs).unref())])
}
