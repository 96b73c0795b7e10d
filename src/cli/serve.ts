/**
 * `cascade serve`: the timers worker (reminders, escalations, deadlines) and the HTTP API,
 * health checks, Prometheus metrics and the queue dashboard (see src/web/api.ts).
 *
 * Environment: PORT (default 8080), HOST (default 127.0.0.1; docker-compose sets 0.0.0.0),
 * CASCADE_API_TOKEN (at least 32 characters, never the example; unset: the API and the command centre answer 503), REDIS_URL,
 * CASCADE_NS, CASCADE_SESSION_HOURS (command centre sign-in, default 8), CASCADE_TRUST_PROXY
 * (behind a reverse proxy: how many, or which addresses; see trustProxySetting). SIGTERM / SIGINT: stop accepting requests and timers, finish what runs, exit 0.
 *
 * Redis unreachable at start: the port answers at once (/healthz 200, /readyz 503 saying why,
 * /metrics the Prometheus text with `cascade_redis_up 0`, the command centre a Chinese page,
 * everything else 503 JSON), the process says so once and tries again with back-off; once Redis
 * answers, the API and the timers start. A signal while it waits stops it at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { compose, type Composed } from '../app/compose.ts'
import { commandCentreOf, createHttpApp } from '../web/api.ts'
import { createLogger } from '../infra/log.ts'
import { createScraper, ProcessMetrics, type Scraper } from '../infra/metrics-scrape.ts'
import { redisUrlFromEnv } from '../infra/redis.ts'
import { redactUrl, waitForRedis } from '../infra/redis-reach.ts'
import type { CascadeConfig } from '../config/types.ts'
import { closeComposed, closeServer, listen, untilSignal } from './shutdown.ts'
import { DEFAULT_HOST, portSetting, tokenProblem, trustProxySetting } from '../web/http-guards.ts'
import { Sessions } from '../web/session.ts'

export const DEFAULT_PORT = 8080

export interface ServeOptions { port?: number; host?: string }

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** The command centre's page while Redis cannot be reached (its pages speak Chinese). */
const REDIS_DOWN_PAGE = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="10"><title>指挥中心暂不可用</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto; padding: 0 1em"><h1>指挥中心暂不可用</h1>
<p>服务器暂时连不上数据库（Redis），正在自动重试。连上后本页会自动恢复，无需操作。</p>
<p>如果持续超过几分钟，请联系运维人员检查 Redis 是否在运行、REDIS_URL 是否正确。</p></body></html>`

/** What the port answers until Redis does. */
function waitingForRedis(url: string, state: { why?: string; since: number }, proc: ProcessMetrics): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/metrics') {
      void proc.text().then(text => { res.writeHead(200, { 'content-type': proc.contentType }); res.end(text) })
      return
    }
    if (path === '/' || path === '/cc' || path.startsWith('/cc/')) {
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '10' })
      res.end(REDIS_DOWN_PAGE)
      return
    }
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
  if (!token) log.warn('api.no-token', { hint: 'set CASCADE_API_TOKEN: the API, dashboard and command centre answer 503 until then' })
  const port = opts.port ?? portSetting(env.PORT, DEFAULT_PORT)!
  const host = opts.host ?? env.HOST ?? DEFAULT_HOST
  const redisState: { why?: string; since: number } = { since: Date.now() }
  const proc = new ProcessMetrics({ role: 'serve' })
  let handler: Handler = waitingForRedis(url, redisState, proc)
  const server = await listen(createServer((req, res) => handler(req, res)), port, host)

  const aborted = new AbortController()
  let composed: Composed | undefined
  let http: ReturnType<typeof createHttpApp> | undefined
  let scraper: Scraper | undefined
  const stopped = untilSignal(log, async () => {
    aborted.abort()
    await scraper?.close() // another serve exports the district's gauges at its next scrape
    if (http) commandCentreOf(http)?.hub.close() // open event streams would keep the server from closing
    await closeServer(server)
    await closeComposed(composed, log)
  })

  if (await waitForRedis(url, log, aborted.signal, why => { redisState.why = why })) {
    composed = compose({ cfg, redisUrl: url, ns: env.CASCADE_NS, log })
    const { app } = composed
    app.timers.start()
    const sessionHours = Number(env.CASCADE_SESSION_HOURS)
    scraper = createScraper(app, { process: proc })
    http = createHttpApp({ app, token, log, scraper, sessionSeconds: sessionHours > 0 ? Math.round(sessionHours * 3600) : undefined, trustProxy })
    // Sessions signed in with another token are refused anyway; a rotated token removes them too.
    const ended = token ? await new Sessions(app.store, undefined, token).endOtherTokens() : 0
    if (ended) log.info('cc.sessions-ended', { count: ended, why: 'CASCADE_API_TOKEN changed' })
    handler = http
    log.info('serve.started', { port, host, bots: cfg.bots.size })
  }
  return stopped
}
