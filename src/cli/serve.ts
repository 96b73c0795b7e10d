/**
 * `cascade serve`: the timers worker (reminders, escalations, deadlines) and the HTTP API,
 * health checks, Prometheus metrics and the queue dashboard (see src/app/http.ts).
 *
 * Environment: PORT (default 8080), HOST (default 127.0.0.1; docker-compose sets 0.0.0.0),
 * CASCADE_API_TOKEN (at least 32 characters, never the example; unset: the API answers 503), REDIS_URL,
 * CASCADE_NS, CASCADE_SESSION_HOURS (command centre sign-in, default 8). SIGTERM / SIGINT: stop accepting requests and timers, finish what runs, exit 0.
 */
import { compose } from '../app/compose.ts'
import { commandCentreOf, createHttpApp } from '../app/http.ts'
import { createLogger } from '../app/log.ts'
import { createScraper } from '../app/metrics.ts'
import { DEFAULT_REDIS_URL } from '../app/redis.ts'
import type { CascadeConfig } from '../config/types.ts'
import { closeServer, listen, untilSignal } from './shutdown.ts'
import { DEFAULT_HOST, tokenProblem } from '../app/http-guards.ts'

export const DEFAULT_PORT = 8080

export interface ServeOptions { port?: number; host?: string }

export async function serve(cfg: CascadeConfig, opts: ServeOptions = {}, env = process.env): Promise<number> {
  const log = createLogger({ role: 'serve' })
  const weak = tokenProblem(env.CASCADE_API_TOKEN || undefined)
  if (weak) throw new Error(weak)
  const composed = compose({ cfg, redisUrl: env.REDIS_URL ?? DEFAULT_REDIS_URL, ns: env.CASCADE_NS, log })
  const { app } = composed
  const token = env.CASCADE_API_TOKEN || undefined
  if (!token) log.warn('api.no-token', { hint: 'set CASCADE_API_TOKEN: the API and dashboard answer 503 until then' })
  app.timers.start()
  const port = opts.port ?? Number(env.PORT ?? DEFAULT_PORT)
  const host = opts.host ?? env.HOST ?? DEFAULT_HOST
  const sessionHours = Number(env.CASCADE_SESSION_HOURS)
  const http = createHttpApp({ app, token, log, scraper: createScraper(app), sessionSeconds: sessionHours > 0 ? Math.round(sessionHours * 3600) : undefined })
  const server = await listen(http, port, host)
  log.info('serve.started', { port, host, bots: cfg.bots.size })
  return untilSignal(log, async () => {
    commandCentreOf(http)?.hub.close() // open event streams would keep the server from closing
    await closeServer(server)
    await composed.close()
  })
}
