/**
 * The HTTP side of `cascade serve`:
 *
 *   POST /api/announcements        publish (JSON {node, text, severity?, category?, ackRequired?})  token
 *   GET  /api/announcements        the list (?state=live,retracted &since= &until= &limit=)          token
 *   GET  /api/announcements/:code  the status tree as JSON                                          token
 *   POST /api/inbox                an item for the district's inbox (JSON {text, title?, link?, id?, source?}):
 *                                  waits for a publisher's choice, never posted by itself           token
 *   POST /api/series/:id/figures   the figures of a series' next run (JSON {确诊: 0, …})           token
 *   GET  /api/bots/:id/qrcode      the account's latest login QR code as PNG (404 when none)        token
 *   GET  /admin/queues             the queue dashboard (bull-board), read-only                      token
 *   GET  /healthz                  the process is up
 *   GET  /readyz                   this process can serve: Redis answers (else 503), whatever the accounts
 *   GET  /status                   every account's state (200 while Redis answers; `accountsReady`); counts
 *                                  only, details (missing people and groups, faults) with the token
 *   GET  /metrics                  Prometheus (src/infra/metrics-scrape.ts)
 *   GET  /cc/…                     the web command centre (src/web/command-centre.ts)          session
 *
 * The token is CASCADE_API_TOKEN, sent as `Authorization: Bearer <token>` (or as the password of
 * HTTP Basic auth, so a browser can open the dashboard). Without a configured token the
 * protected routes answer 503. Logs never carry announcement texts.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { ExpressAdapter } from '@bull-board/express'
import express, { type NextFunction, type Request, type Response } from 'express'
import type { Severity } from '../domain/announcement.ts'
import { BotHealth } from '../infra/bot-health.ts'
import type { Cascade } from '../spine/cascade.ts'
import type { Logger } from '../infra/log.ts'
import type { Scraper } from '../infra/metrics-scrape.ts'
import { createCommandCentre, type CommandCentre } from './command-centre.ts'
import { publishProblems, readiness, redisAnswers, API_AUTHOR } from './shared.ts'
import { answerClientError, publicReadiness } from './http-guards.ts'
import { listAnnouncements, parseListQuery } from './announcements-list.ts'
import { inboxApi } from './series-api.ts'

export { API_AUTHOR, MAX_TEXT_CHARS, publishProblems, readiness } from './shared.ts'

const DASHBOARD_PATH = '/admin/queues'

export interface HttpOptions {
  app: Cascade
  /** CASCADE_API_TOKEN; protected routes answer 503 while it is unset. */
  token?: string
  log: Logger
  scraper: Scraper
  /** Command centre sign-in sessions last this long (default 8 h). */
  sessionSeconds?: number
  /** How often the command centre re-renders a watched view (default 250 ms). */
  livePollMs?: number
  /**
   * Express's `trust proxy` (CASCADE_TRUST_PROXY, see trustProxySetting): behind an HTTPS reverse
   * proxy, so that a request it forwarded with X-Forwarded-Proto: https is secure (the session cookie
   * gets Secure) and the sign-in limit counts the client's address, not the proxy's.
   */
  trustProxy?: number | string | false
}

function digest(s: string): Buffer { return createHash('sha256').update(s).digest() }

/** The token a request carries: Bearer, or the password of Basic auth. */
export function presentedToken(req: Request): string | undefined {
  const h = req.get('authorization') ?? ''
  const bearer = /^Bearer\s+(.+)$/i.exec(h)
  if (bearer) return bearer[1].trim()
  const basic = /^Basic\s+(.+)$/i.exec(h)
  if (!basic) return undefined
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8')
  return decoded.slice(decoded.indexOf(':') + 1)
}

/** Middleware: lets a request through only with the configured token (compared in constant time). */
export function requireToken(token: string | undefined, opts: { browser?: boolean } = {}) {
  const expected = token ? digest(token) : undefined
  return (req: Request, res: Response, next: NextFunction) => {
    if (!expected) {
      res.status(503).json({ error: 'CASCADE_API_TOKEN is not set on the server' })
      return
    }
    const given = presentedToken(req)
    if (given !== undefined && timingSafeEqual(digest(given), expected)) {
      next()
      return
    }
    if (opts.browser) res.set('WWW-Authenticate', 'Basic realm="cascade", charset="UTF-8"')
    res.status(401).json({ error: 'missing or wrong token (Authorization: Bearer <CASCADE_API_TOKEN>)' })
  }
}

/** The API's routes, listed in its 404 answer. */
const API_ROUTES = ['POST /api/announcements', 'GET /api/announcements', 'GET /api/announcements/:code', 'POST /api/inbox', 'POST /api/series/:id/figures', 'GET /api/bots/:id/qrcode']

/** The HTTP app of `cascade serve`. */
export function createHttpApp(opts: HttpOptions): express.Express {
  const { app, log, scraper } = opts
  const http = express()
  http.disable('x-powered-by')
  setTrustProxy(http, opts.trustProxy)
  const auth = requireToken(opts.token)

  http.get('/healthz', (_req, res) => { res.json({ ok: true }) })
  http.get('/favicon.ico', (_req, res) => { res.type('image/x-icon').set('Cache-Control', 'public, max-age=604800').send(FAVICON) })

  const cc = createCommandCentre({ app, token: opts.token, log, sessionSeconds: opts.sessionSeconds, pollMs: opts.livePollMs })
  http.locals.commandCentre = cc
  http.get('/', (_req, res) => { res.redirect(302, '/cc/') })
  http.use('/cc', cc.router)

  // Readiness is this process's (Redis answers): a logged-out account must not take serve, whose page
  // shows that account's QR code, out of a Service. The accounts' state is in the body and at /status.
  const report = async (req: Request, res: Response) => {
    const r = await readiness(app)
    // Without the token: counts only (no person ids, no group names).
    const token = presentedToken(req)
    res.status(r.redis ? 200 : 503).json(opts.token && token !== undefined && timingSafeEqual(digest(token), digest(opts.token)) ? r : publicReadiness(r))
  }
  http.get('/readyz', async (_req, res) => {
    const up = await redisAnswers(app)
    res.status(up ? 200 : 503).json(up ? { ready: true, redis: true, accounts: '/status' } : { ready: false, redis: false, reason: 'Redis does not answer' })
  })
  http.get('/status', report)

  http.get('/metrics', async (_req, res) => {
    res.set('Content-Type', scraper.contentType).send(await scraper.text())
  })

  http.post('/api/announcements', auth, express.json({ limit: '64kb' }), async (req, res) => {
    const problems = publishProblems(app, req.body)
    if (problems.length) {
      res.status(400).json({ error: 'bad announcement', problems })
      return
    }
    const b = req.body as { node: string; text: string; severity?: Severity; category?: string; ackRequired?: boolean }
    const a = await app.publish({ node: b.node, author: API_AUTHOR, text: b.text, severity: b.severity, category: b.category, ackRequired: b.ackRequired })
    log.info('api.published', { code: a.code, node: a.originNode, severity: a.severity })
    res.status(201).location(`/api/announcements/${a.code}`).json({ code: a.code, status: `/api/announcements/${a.code}` })
  })

  // The list, filterable by state and date (announcements-list.ts).
  http.get('/api/announcements', auth, async (req, res) => {
    const q = parseListQuery(req.query as Record<string, unknown>)
    if ('problems' in q) { res.status(400).json({ error: 'bad query', problems: q.problems }); return }
    res.json({ announcements: await listAnnouncements(app, q) })
  })
  // The inbox and series figures (src/web/series-api.ts); only their paths ask for the token here.
  http.use('/api', (req, res, next) => { if (/^\/(inbox|series\/)/.test(req.path)) auth(req, res, next); else next() }, inboxApi(app, log))

  http.get('/api/announcements/:code', auth, async (req, res) => {
    const s = await app.statusTree(String(req.params.code).toUpperCase())
    if (!s) {
      res.status(404).json({ error: `no announcement with code ${req.params.code}` })
      return
    }
    res.json(s)
  })

  http.get('/api/bots/:id/qrcode', auth, async (req, res) => {
    const id = String(req.params.id)
    if (!app.cfg.bots.has(id)) {
      res.status(404).json({ error: `no bot account "${id}"` })
      return
    }
    const qr = (await new BotHealth(app.store).read(id, app.now())).qr
    if (!qr) {
      res.status(404).json({ error: 'no login QR code waiting for this account (logged in, or not started)' })
      return
    }
    const QR = await import('qrcode')
    res.type('png').set('Cache-Control', 'no-store').send(await QR.toBuffer(qr.payload, { width: 360 }))
  })

  // An API client gets JSON for a route that does not exist, not Express's HTML page.
  http.use('/api', (req, res) => {
    res.status(404).json({ error: `no such API route: ${req.method} ${req.originalUrl.split('?')[0]}`, routes: API_ROUTES })
  })

  const board = new ExpressAdapter()
  board.setBasePath(DASHBOARD_PATH)
  const queues = [...[...app.cfg.bots.keys()].map(b => app.outboxes.queue(b)), app.timers.queue]
  // Read-only (issue 13, item 12): with the token, the dashboard could add an arbitrary 【紧急通知】
  // to a group's outbox with no announcement and no audit. Sends come only from the app.
  createBullBoard({ queues: queues.map(q => new BullMQAdapter(q as never, { readOnlyMode: true })), serverAdapter: board })
  http.use(DASHBOARD_PATH, requireToken(opts.token, { browser: true }), board.getRouter())

  http.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    if (answerClientError(err, res, log)) return // 413 / 400, the body never logged
    log.error('http.failed', { err: err.message })
    res.status(500).json({ error: 'internal error' })
  })
  return http
}

/** A 16×16 icon (a red disc, the colour of 紧急通知) so that browsers asking for /favicon.ico get no 404. */
const FAVICON = (() => {
  const n = 16
  const head = Buffer.alloc(6 + 16 + 40)
  head.writeUInt16LE(1, 2); head.writeUInt16LE(1, 4) // icon, one image
  head.writeUInt8(n, 6); head.writeUInt8(n, 7); head.writeUInt16LE(1, 10); head.writeUInt16LE(32, 12)
  const size = 40 + n * n * 4 + n * 4
  head.writeUInt32LE(size, 14); head.writeUInt32LE(22, 18)
  head.writeUInt32LE(40, 22); head.writeInt32LE(n, 26); head.writeInt32LE(n * 2, 30); head.writeUInt16LE(1, 34); head.writeUInt16LE(32, 36)
  const px = Buffer.alloc(n * n * 4)
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const inside = (x - 7.5) ** 2 + (y - 7.5) ** 2 <= 7.5 ** 2
    px.writeUInt32LE(inside ? 0xffc0392b : 0, (y * n + x) * 4) // BGRA little-endian: A=ff R=c0 G=39 B=2b
  }
  return Buffer.concat([head, px, Buffer.alloc(n * 4)])
})()

function setTrustProxy(http: express.Express, value: number | string | false | undefined): void {
  try {
    http.set('trust proxy', value ?? false)
  } catch (err) {
    throw new Error(`CASCADE_TRUST_PROXY=${value}: ${(err as Error).message}; give a number of proxies or addresses/CIDRs, comma-separated`)
  }
}

/** Throws the sentence createHttpApp would throw for these options (serve checks before it listens). */
createHttpApp.check = (opts: Pick<HttpOptions, 'trustProxy'>): void => { setTrustProxy(express(), opts.trustProxy) }

/** The command centre of an app made by createHttpApp (serve ends its live streams before closing). */
export function commandCentreOf(http: express.Express): CommandCentre | undefined {
  return http.locals.commandCentre as CommandCentre | undefined
}

/**
 * A bot process's own small server: `/healthz` (the image's HEALTHCHECK), `/readyz` (Redis answers:
 * `ready` gives undefined, else why not) and `/metrics` (Prometheus text, also while Redis is down).
 */
export function createHealthApp(opts: { metrics?: () => Promise<string>; contentType?: string; ready?: () => Promise<string | undefined> } = {}): express.Express {
  const http = express()
  http.disable('x-powered-by')
  http.get('/healthz', (_req, res) => { res.json({ ok: true }) })
  const { metrics, ready } = opts
  if (ready) {
    http.get('/readyz', async (_req, res) => {
      const why = await ready()
      res.status(why ? 503 : 200).json(why ? { ready: false, redis: false, reason: `Redis: ${why}` } : { ready: true, redis: true })
    })
  }
  if (metrics) http.get('/metrics', async (_req, res) => { res.set('Content-Type', opts.contentType ?? 'text/plain; version=0.0.4; charset=utf-8').send(await metrics()) })
  return http
}
