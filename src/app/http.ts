/**
 * The HTTP side of `cascade serve`:
 *
 *   POST /api/announcements        publish (JSON {node, text, severity?, category?, ackRequired?})  token
 *   GET  /api/announcements/:code  the status tree as JSON                                          token
 *   GET  /api/bots/:id/qrcode      the account's latest login QR code as PNG (404 when none)        token
 *   GET  /admin/queues             the queue dashboard (bull-board), read-only                      token
 *   GET  /healthz                  the process is up
 *   GET  /readyz                   Redis answers and every account is logged in (else 503); counts only,
 *                                  details (missing people and groups, faults) with the token
 *   GET  /metrics                  Prometheus
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
import { SEVERITIES, type Severity } from '../domain/announcement.ts'
import { BotHealth } from './bot-health.ts'
import type { Cascade } from './cascade.ts'
import type { Logger } from './log.ts'
import type { Scraper } from './metrics.ts'
import { createCommandCentre, type CommandCentre } from '../web/command-centre.ts'
import { answerClientError, publicReadiness } from './http-guards.ts'

/** Author id of announcements published through the API. */
export const API_AUTHOR = 'ops-api'
/** Longest announcement text the API accepts (a WeChat message stays readable). */
export const MAX_TEXT_CHARS = 2000
/** How long /readyz waits for Redis before calling it unreachable. */
const REDIS_PING_TIMEOUT_MS = 1000
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

/** Problems with a publish request body, in plain words; empty when it is fine. */
export function publishProblems(app: Cascade, body: unknown): string[] {
  if (!body || typeof body !== 'object') return ['send a JSON object: {"node": "...", "text": "..."}']
  const b = body as Record<string, unknown>
  const problems: string[] = []
  if (typeof b.node !== 'string' || !app.cfg.nodes.has(b.node)) problems.push(`node: one of ${[...app.cfg.nodes.keys()].slice(0, 8).join(', ')}…`)
  if (typeof b.text !== 'string' || !b.text.trim()) problems.push('text: the announcement, a non-empty string')
  else if (b.text.length > MAX_TEXT_CHARS) problems.push(`text: at most ${MAX_TEXT_CHARS} characters`)
  if (b.severity !== undefined && !SEVERITIES.includes(b.severity as Severity)) problems.push(`severity: one of ${SEVERITIES.join(', ')}`)
  if (b.category !== undefined && !app.cfg.categories.includes(b.category as string)) problems.push(`category: one of ${app.cfg.categories.join(', ')}`)
  if (b.ackRequired !== undefined && typeof b.ackRequired !== 'boolean') problems.push('ackRequired: true or false')
  return problems
}

async function redisAnswers(app: Cascade): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>(resolve => { timer = setTimeout(() => resolve(false), REDIS_PING_TIMEOUT_MS) })
  try {
    return await Promise.race([app.store.redis.ping().then(p => p === 'PONG', () => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function iso(ms: number | undefined): string | null { return ms === undefined ? null : new Date(ms).toISOString() }

/** The readiness report: Redis, and per account whether it is logged in, its queue and last send. */
export async function readiness(app: Cascade): Promise<{ ready: boolean; redis: boolean; bots: Record<string, unknown>[] }> {
  if (!await redisAnswers(app)) return { ready: false, redis: false, bots: [] }
  const health = new BotHealth(app.store)
  const bots = [...app.cfg.bots.values()]
  const now = app.now()
  const alive = await app.store.aliveBots(bots.map(b => b.id))
  const report = await Promise.all(bots.map(async b => {
    const [r, queue] = await Promise.all([health.read(b.id, now), app.outboxes.queue(b.id).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed')])
    const backlog = queue.waiting + queue.prioritized + queue.active + queue.delayed
    return {
      id: b.id, name: b.name, loggedIn: alive.has(b.id), backlog, queue,
      lastSendAt: iso(r.lastSendAt), lastSendAgoSeconds: r.lastSendAt === undefined ? null : Math.round((now - r.lastSendAt) / 1000),
      loginAt: iso(r.loginAt), logoutAt: iso(r.logoutAt), logoutReason: r.logoutReason ?? null,
      missingGroups: r.missingGroups, missingPeople: r.missingPeople,
      hints: [
        ...r.missingGroups.length ? [`${r.missingGroups.length} 个群未找到：网页版微信只列出“保存到通讯录”的群，请在手机上把这些群保存到通讯录`] : [],
        ...r.missingPeople.length ? [`${r.missingPeople.length} 人需重新绑定：请他们私聊本号发送个人识别码`] : [],
      ],
      relogins: r.relogins, reloginAt: iso(r.reloginAt),
      lastFault: r.fault ? { at: iso(r.fault.at), what: r.fault.what } : null,
      backoffUntil: r.backoffUntil !== undefined && r.backoffUntil > now ? iso(r.backoffUntil) : null,
      qrWaiting: r.qr !== undefined,
    }
  }))
  return { ready: report.every(b => b.loggedIn), redis: true, bots: report }
}

/** The HTTP app of `cascade serve`. */
export function createHttpApp(opts: HttpOptions): express.Express {
  const { app, log, scraper } = opts
  const http = express()
  http.disable('x-powered-by')
  const auth = requireToken(opts.token)

  http.get('/healthz', (_req, res) => { res.json({ ok: true }) })

  const cc = createCommandCentre({ app, token: opts.token, log, sessionSeconds: opts.sessionSeconds, pollMs: opts.livePollMs })
  http.locals.commandCentre = cc
  http.get('/', (_req, res) => { res.redirect(302, '/cc/') })
  http.use('/cc', cc.router)

  http.get('/readyz', async (req, res) => {
    const r = await readiness(app)
    // Without the token: counts only (no person ids, no group names).
    const token = presentedToken(req)
    res.status(r.ready ? 200 : 503).json(opts.token && token !== undefined && timingSafeEqual(digest(token), digest(opts.token)) ? r : publicReadiness(r))
  })

  http.get('/metrics', async (_req, res) => {
    await scraper.refresh()
    res.set('Content-Type', scraper.registry.contentType).send(await scraper.registry.metrics())
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

/** The command centre of an app made by createHttpApp (serve ends its live streams before closing). */
export function commandCentreOf(http: express.Express): CommandCentre | undefined {
  return http.locals.commandCentre as CommandCentre | undefined
}

/** A bot process's own tiny server: `/healthz` only, for the image's HEALTHCHECK. */
export function createHealthApp(): express.Express {
  const http = express()
  http.disable('x-powered-by')
  http.get('/healthz', (_req, res) => { res.json({ ok: true }) })
  return http
}
