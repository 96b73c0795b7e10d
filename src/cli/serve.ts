/**
 * `cascade serve`: the timers worker (reminders, escalations, deadlines) and the HTTP API,
 * health checks, Prometheus metrics and the queue dashboard (see src/web/api.ts).
 *
 * Environment: PORT (default 8080), HOST (default 127.0.0.1; docker-compose sets 0.0.0.0),
 * CASCADE_API_TOKEN (at least 32 characters, never the example; unset: the API answers 503), REDIS_URL,
 * CASCADE_NS, CASCADE_SESSION_HOURS (command centre sign-in, default 8), CASCADE_TRUST_PROXY
 * (behind a reverse proxy: how many, or which addresses; see trustProxySetting). SIGTERM / SIGINT: stop accepting requests and timers, finish what runs, exit 0.
 *
 * Redis unreachable at start: the port answers at once (/healthz 200, /readyz 503 saying why,
 * everything else 503), the process says so once and tries again with back-off; once Redis
 * answers, the API and the timers start. A signal while it waits stops it at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { compose, type Composed } from '../app/compose.ts'
import { commandCentreOf, createHttpApp } from '../web/api.ts'
import { createLogger } from '../infra/log.ts'
import { createScraper } from '../infra/metrics.ts'
import { redisUrlFromEnv } from '../infra/redis.ts'
import { redactUrl, waitForRedis } from '../infra/redis-reach.ts'
import type { CascadeConfig } from '../config/types.ts'
import { closeComposed, closeServer, listen, untilSignal } from './shutdown.ts'
import { DEFAULT_HOST, tokenProblem, trustProxySetting } from '../web/http-guards.ts'
import { Sessions } from '../web/session.ts'

export const DEFAULT_PORT = 8080

export interface ServeOptions { port?: number; host?: string }

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** What the port answers until Redis does. */
function waitingForRedis(url: string, state: { why?: string; since: number }): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const body = path === '/healthz'
      ? { ok: true }
      : { ready: false, redis: false, bots: [], reason: `Redis at ${redactUrl(url)} unreachable since ${new Date(state.since).toISOString()}: ${state.why ?? 'not tried yet'}; retrying` }
    res.writeHead(path === '/healthz' ? 200 : 503, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(body))
  }
}

export async function serve(cfg: CascadeConfig, opts: ServeOptions = {}, env = process.env): Promise<number> {
  const log = createLogger({ role: 'serve' })
  const url = redisUrlFromEnv(env)
  const token = env.CASCADE_API_TOKEN || undefined
  const weak = tokenProblem(token)
  if (weak) throw new Error(weak)
  const trustProxy = trustProxySetting(env.CASCADE_TRUST_PROXY)
  createHttpApp.check({ trustProxy }) // a wrong address list stops serve before it listens
  if (!token) log.warn('api.no-token', { hint: 'set CASCADE_API_TOKEN: the API and dashboard answer 503 until then' })
  const port = opts.port ?? Number(env.PORT ?? DEFAULT_PORT)
  const host = opts.host ?? env.HOST ?? DEFAULT_HOST
  const redisState: { why?: string; since: number } = { since: Date.now() }
  let handler: Handler = waitingForRedis(url, redisState)
  const server = await listen(createServer((req, res) => handler(req, res)), port, host)

  const aborted = new AbortController()
  let composed: Composed | undefined
  let http: ReturnType<typeof createHttpApp> | undefined
  const stopped = untilSignal(log, async () => {
    aborted.abort()
    if (http) commandCentreOf(http)?.hub.close() // open event streams would keep the server from closing
    await closeServer(server)
    await closeComposed(composed, log)
  })

  if (await waitForRedis(url, log, aborted.signal, why => { redisState.why = why })) {
    composed = compose({ cfg, redisUrl: url, ns: env.CASCADE_NS, log })
    const { app } = composed
    app.timers.start()
    const sessionHours = Number(env.CASCADE_SESSION_HOURS)
    http = createHttpApp({ app, token, log, scraper: createScraper(app), sessionSeconds: sessionHours > 0 ? Math.round(sessionHours * 3600) : undefined, trustProxy })
    // Sessions signed in with another token are refused anyway; a rotated token removes them too.
    const ended = token ? await new Sessions(app.store, undefined, token).endOtherTokens() : 0
    if (ended) log.info('cc.sessions-ended', { count: ended, why: 'CASCADE_API_TOKEN changed' })
    handler = http
    log.info('serve.started', { port, host, bots: cfg.bots.size })
  }
  return stopped
}
