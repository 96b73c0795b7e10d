/**
 * The command centre: a live web view of every notice, node, group, household, case and account,
 * served by `cascade serve` under /cc/ (zh-CN, desktop and phone). See docs/ARCHITECTURE.md.
 *
 *   GET  /cc/login, POST /cc/login     sign in with CASCADE_API_TOKEN → session cookie (HttpOnly, SameSite=Strict)
 *   POST /cc/logout
 *   GET  /cc/                          Now: notices of the last days with their progress
 *   GET  /cc/n/:code                   one notice: tree, groups, acknowledgments, texts and diff, timeline
 *   POST /cc/n/:code/correct|retract   the same rules as 更正 / 撤回 in chat (curation.ts)
 *   GET  /cc/households[/:code[/:village]], /cc/cases, /cc/rumors, /cc/accounts
 *   GET  /cc/accounts/:id/qr.png       login QR code of a logged-out account
 *   GET  /cc/publish, POST /cc/publish the API's validation (publishProblems) plus drill and schedule
 *   GET  /cc/series, /cc/inbox          series and the district's inbox (src/web/series-view.ts)
 *   GET  /cc/live?view=<path>          server-sent events: the view's live region, re-rendered on change
 *
 * Pages are rendered on the server (src/web/views.ts); a small script (static/cc.js) swaps in
 * the live region from the event stream and shows a lost connection. Every POST needs the
 * session's CSRF token (and a same-origin Origin when the browser sends one). URLs carry codes
 * and node ids only; logs carry codes, never texts or names.
 */
import { fileURLToPath } from 'node:url'
import express, { type NextFunction, type Request, type Response } from 'express'
import { WEB_AUTHOR, type Cascade } from '../spine/cascade.ts'
import { cancel, correct } from '../features/curation/curation.ts'
import { BotHealth } from '../infra/bot-health.ts'
import { MAX_TEXT_CHARS, publishProblems } from './shared.ts'
import { isBlank } from '../domain/text.ts'
import type { Logger } from '../infra/log.ts'
import { SEVERITIES, type Severity } from '../domain/announcement.ts'
import { html, layout, raw, type Html } from './html.ts'
import { LiveHub } from './live.ts'
import { parseCookies, randomToken, sameSecret, Sessions, type Session } from './session.ts'
import { renderView } from './views.ts'
import { noticeActions } from './notice-actions.ts'
import { seriesRoutes } from './series-view.ts'
import { addressBucket, clientErrorOf, SignInLimit, singleFields } from './http-guards.ts'

const SID = 'cc_sid'
const PRE = 'cc_pre'
/** A wrong token is answered after this pause (slows guessing). */
const WRONG_TOKEN_DELAY_MS = 400
/** A scheduled notice may be set at most this far ahead. */
const MAX_SCHEDULE_DAYS = 30
const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url))

export interface CommandCentreOptions {
  app: Cascade
  /** CASCADE_API_TOKEN; without it sign-in answers 503. */
  token?: string
  log: Logger
  /** Session lifetime (default 8 h). */
  sessionSeconds?: number
  /** How often a watched view is re-rendered to find changes (default 250 ms). */
  pollMs?: number
}

export interface CommandCentre { router: express.Router; hub: LiveHub }

interface Authed { sid: string; session: Session }

function cookie(name: string, value: string, req: Request, maxAge: number): string {
  return `${name}=${encodeURIComponent(value)}; Path=/cc; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${req.secure ? '; Secure' : ''}`
}

/** A browser's request from another site: refused for every POST. */
function crossSite(req: Request): boolean {
  if (req.get('sec-fetch-site') === 'cross-site') return true
  const origin = req.get('origin')
  if (!origin) return false
  try { return new URL(origin).host !== req.get('host') } catch { return true }
}

function page(res: Response, status: number, body: string): void {
  res.status(status).type('html').set('Cache-Control', 'no-store').send(body)
}

/** The Beijing time of a `datetime-local` value, as epoch ms. */
export function beijingTime(local: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local)) return undefined
  const ms = Date.parse(`${local}:00+08:00`)
  return Number.isNaN(ms) ? undefined : ms
}

export function createCommandCentre(o: CommandCentreOptions): CommandCentre {
  const { app, log } = o
  const sessions = new Sessions(app.store, o.sessionSeconds, o.token)
  const signInLimit = new SignInLimit(app.store)
  const hub = new LiveHub(app, sessions, log, o.pollMs)
  const r = express.Router()
  // A field sent twice is refused (400) before any handler reads it as a string.
  const urlencoded = express.urlencoded({ extended: false, limit: '64kb' })
  const form: express.RequestHandler = (req, res, next) => { urlencoded(req, res, err => { if (err) next(err); else singleFields(req, res, next) }) }

  r.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'X-Frame-Options': 'DENY',
    })
    next()
  })
  r.use('/static', express.static(STATIC_DIR, { index: false, maxAge: '10m' }))

  // ── sign-in ───────────────────────────────────────────────────────────────

  const loginPage = (res: Response, req: Request, status: number, problem?: string) => {
    // A pre-session value, as cookie and form field, so that sign-in cannot be forged from elsewhere.
    const pre = parseCookies(req.get('cookie'))[PRE] || randomToken(18)
    res.append('Set-Cookie', cookie(PRE, pre, req, 3600))
    page(res, status, layout({
      title: '登录',
      live: html`<h1>Cascade 指挥中心</h1>
${problem ? html`<p class="problem" role="alert">${problem}</p>` : ''}
<form method="post" action="/cc/login" class="login">
<input type="hidden" name="_csrf" value="${pre}">
<label>访问令牌（CASCADE_API_TOKEN）<input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">登录</button>
</form>`,
    }))
  }

  r.get('/login', (req, res) => {
    if (!o.token) { page(res, 503, layout({ title: '未配置', live: html`<h1>未设置 CASCADE_API_TOKEN</h1><p>服务器未配置访问令牌，指挥中心不可用。</p>` })); return }
    loginPage(res, req, 200)
  })

  r.post('/login', form, async (req, res) => {
    if (!o.token) { res.status(503).type('text').send('CASCADE_API_TOKEN is not set on the server'); return }
    const body = (req.body ?? {}) as Record<string, string>
    if (crossSite(req) || !sameSecret(parseCookies(req.get('cookie'))[PRE], body._csrf)) {
      log.warn('cc.csrf-refused', { route: 'login' })
      loginPage(res, req, 403, '请求已过期，请重新登录。')
      return
    }
    // Per address (behind a proxy: as CASCADE_TRUST_PROXY reads it), taken before the comparison
    // so that parallel guesses count too; a right token gives its try back.
    const address = addressBucket(req.ip)
    const wait = await signInLimit.take(address)
    if (wait !== undefined) {
      log.warn('cc.login-limited', { retryAfter: wait })
      res.set('Retry-After', String(wait))
      loginPage(res, req, 429, `登录尝试过于频繁，请 ${wait} 秒后再试。`)
      return
    }
    if (!sameSecret(body.token, o.token)) {
      log.warn('cc.login-refused', {})
      await new Promise(resolve => setTimeout(resolve, WRONG_TOKEN_DELAY_MS))
      loginPage(res, req, 401, '令牌不正确。')
      return
    }
    await signInLimit.giveBack(address)
    const { id } = await sessions.create(Date.now(), req.ip)
    log.info('cc.login', {})
    res.append('Set-Cookie', cookie(SID, id, req, sessions.ttlSeconds))
    res.append('Set-Cookie', cookie(PRE, '', req, 0))
    res.redirect(303, '/cc/')
  })

  // ── everything else needs a session ──────────────────────────────────────

  r.use(async (req, res, next) => {
    const sid = parseCookies(req.get('cookie'))[SID]
    const session = await sessions.get(sid)
    if (!session || !sid) {
      if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html' && req.path !== '/live') res.redirect(303, '/cc/login')
      else res.status(401).type('text').send('not signed in')
      return
    }
    res.locals.auth = { sid, session } satisfies Authed
    next()
  })

  // Every action carries the session's CSRF token (form field _csrf or header X-CSRF-Token).
  r.post(/.*/, form, (req, res, next) => {
    const { session } = res.locals.auth as Authed
    const given = ((req.body ?? {}) as Record<string, string>)._csrf ?? req.get('x-csrf-token')
    if (crossSite(req) || !sameSecret(given, session.csrf)) {
      log.warn('cc.csrf-refused', { route: req.path.replace(/\/[A-Za-z0-9]{4}\//, '/:code/') })
      res.status(403).type('text').send('CSRF token missing or wrong')
      return
    }
    next()
  })

  r.post('/logout', async (req, res) => {
    await sessions.destroy((res.locals.auth as Authed).sid)
    res.append('Set-Cookie', cookie(SID, '', req, 0))
    res.redirect(303, '/cc/login')
  })

  r.get('/whoami', (_req, res) => { res.status(204).end() })

  r.get('/live', (req, res) => {
    const view = typeof req.query.view === 'string' ? req.query.view : ''
    hub.subscribe(view, (res.locals.auth as Authed).sid, req, res)
  })

  // Series and the inbox (issue 25): src/web/series-view.ts.
  r.use(seriesRoutes(app, sessions, log, () => hub.changed()))

  // ── publish ───────────────────────────────────────────────────────────────

  const publishPage = (res: Response, auth: Authed, status: number, values: Record<string, string> = {}, problems: string[] = []) => {
    const nodes = [...app.cfg.nodes.values()].filter(n => n.publishers.length > 0 || n.id === app.cfg.rootId)
    const sel = (a: string | undefined, b: string) => raw(a === b ? ' selected' : '')
    page(res, status, layout({
      title: '发布', section: '/cc/publish', csrf: auth.session.csrf,
      live: html`<h1>发布通知</h1>
${problems.length ? html`<ul class="problem" role="alert">${problems.map(p => html`<li>${p}</li>`)}</ul>` : ''}
<form method="post" action="/cc/publish" class="publish">
<input type="hidden" name="_csrf" value="${auth.session.csrf}">
<label>发布单位<select name="node">${nodes.map(n => html`<option value="${n.id}"${sel(values.node, n.id)}>${n.name}</option>`)}</select></label>
<label>正文<textarea name="text" rows="6" maxlength="${MAX_TEXT_CHARS}" required>${values.text ?? ''}</textarea></label>
<div class="row2">
<label>紧急程度<select name="severity">${SEVERITIES.map(s => html`<option value="${s}"${sel(values.severity ?? 'urgent', s)}>${s === 'urgent' ? '紧急' : s === 'normal' ? '一般' : '参考'}</option>`)}</select></label>
<label>类别<select name="category">${app.cfg.categories.map(c => html`<option${sel(values.category, c)}>${c}</option>`)}</select></label>
</div>
<label>定时发布（北京时间，留空为立即）<input type="datetime-local" name="at" value="${values.at ?? ''}"></label>
<label class="check"><input type="checkbox" name="ackRequired" value="on"${raw(values.ackRequired === undefined || values.ackRequired === 'on' ? ' checked' : '')}> 需要群众回复“收到”</label>
<label class="check"><input type="checkbox" name="drill" value="on"${raw(values.drill === 'on' ? ' checked' : '')}> 演练（各级均标注【演练】）</label>
<button type="submit">发布</button>
</form>`,
    }))
  }

  r.get('/publish', (_req, res) => { publishPage(res, res.locals.auth as Authed, 200) })

  r.post('/publish', async (req, res) => {
    const auth = res.locals.auth as Authed
    const b = (req.body ?? {}) as Record<string, string>
    const body = { node: b.node, text: b.text, severity: b.severity || undefined, category: b.category || undefined }
    const problems = publishProblems(app, body).map(p => {
      const field = p.slice(0, p.indexOf(':'))
      if (field === 'node') return '发布单位不在网络中'
      if (field === 'text') return typeof b.text === 'string' && !isBlank(app.texts.body(b.text)) ? `正文最多 ${MAX_TEXT_CHARS} 字` : '请填写正文'
      if (field === 'severity') return '紧急程度无效'
      if (field === 'category') return '类别无效'
      return p
    })
    let at: number | undefined
    if (b.at) {
      at = beijingTime(b.at)
      if (at === undefined) problems.push('定时时间格式不对')
      else if (at <= app.now()) problems.push('定时时间已过，请选择将来的时间或留空')
      else if (at > app.now() + MAX_SCHEDULE_DAYS * 86_400_000) problems.push(`定时最多提前 ${MAX_SCHEDULE_DAYS} 天`)
    }
    if (problems.length) { publishPage(res, auth, 400, b, problems); return }
    const a = await app.publish({
      node: b.node, author: WEB_AUTHOR, text: b.text, severity: body.severity as Severity | undefined, category: body.category,
      ackRequired: b.ackRequired === 'on', status: b.drill === 'on' ? 'exercise' : 'actual', at,
    })
    log.info('cc.published', { code: a.code, node: a.originNode, severity: a.severity, scheduled: at !== undefined })
    hub.changed()
    await sessions.setFlash(auth.sid, at !== undefined ? `已定时：${a.code}` : `已发布：${a.code}`)
    res.redirect(303, `/cc/n/${a.code}`)
  })

  // ── correct and retract (the same rules as 更正 / 撤回 in chat) ──────────

  r.post('/n/:code/:action', async (req, res) => {
    const auth = res.locals.auth as Authed
    const code = String(req.params.code).toUpperCase()
    const action = String(req.params.action)
    const b = (req.body ?? {}) as Record<string, string>
    if (!/^[A-Z0-9]{4}$/.test(code) || (action !== 'retract' && action !== 'correct')) { res.status(404).type('text').send('not found'); return }
    let reply: string
    let goTo = code
    if (b.confirm !== 'yes') reply = '请勾选确认后再提交。'
    else if (action === 'retract') {
      const reason = (b.reason ?? '').trim()
      if (isBlank(reason)) reply = '请填写撤回理由。'
      else {
        const r = await cancel(app, WEB_AUTHOR, code, reason)
        log.info('cc.retract', { code, done: r.done, by: r.made?.code })
        reply = r.reply
      }
    } else {
      const text = (b.text ?? '').trim()
      if (isBlank(app.texts.body(text))) reply = '请填写更正后的正文。'
      else if (text.length > MAX_TEXT_CHARS) reply = `正文最多 ${MAX_TEXT_CHARS} 字。`
      else {
        const r = await correct(app, WEB_AUTHOR, code, text)
        log.info('cc.correct', { code, done: r.done, update: r.made?.code })
        reply = r.reply
        if (r.made) goTo = r.made.code
      }
    }
    hub.changed()
    await sessions.setFlash(auth.sid, reply)
    res.redirect(303, `/cc/n/${goTo}`)
  })

  // ── QR code of a logged-out account ──────────────────────────────────────

  r.get('/accounts/:id/qr.png', async (req, res) => {
    const id = String(req.params.id)
    const qr = app.cfg.bots.has(id) ? (await new BotHealth(app.store).read(id, app.now())).qr : undefined
    if (!qr) { res.status(404).type('text').send('no login QR code waiting for this account'); return }
    const QR = await import('qrcode')
    res.type('png').set('Cache-Control', 'no-store').send(await QR.toBuffer(qr.payload, { width: 360 }))
  })

  // ── the live views ────────────────────────────────────────────────────────

  r.get(/.*/, async (req, res, next) => {
    const view = `/cc${req.path}`
    const rendered = await renderView(app, view)
    if (!rendered) { next(); return }
    const auth = res.locals.auth as Authed
    const flash = await sessions.takeFlash(auth.sid, auth.session)
    let after: Html | undefined
    const m = /^\/cc\/n\/([A-Za-z0-9]{4})$/.exec(view)
    if (m) after = await noticeActions(app, m[1].toUpperCase(), auth.session.csrf)
    page(res, 200, layout({ title: rendered.title, section: rendered.section, view, csrf: auth.session.csrf, flash, live: rendered.body, after }))
  })

  r.use((_req, res) => {
    const auth = res.locals.auth as Authed | undefined
    page(res, 404, layout({ title: '未找到', csrf: auth?.session.csrf, live: html`<h1>未找到</h1><p><a href="/cc/">回到总览</a></p>` }))
  })

  r.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    const mistake = clientErrorOf(err) // 400 / 413 / 415 with a short reason, logged at info
    if (mistake) {
      log.info('cc.refused', { status: mistake.status, type: mistake.type })
      page(res, mistake.status, layout({ title: '请求有误', live: html`<h1>请求有误</h1><p>${mistake.zh}</p><p><a href="/cc/">回到总览</a></p>` }))
      return
    }
    log.error('cc.failed', { err: err.message })
    page(res, 500, layout({ title: '出错了', live: html`<h1>出错了</h1><p>请稍后重试。</p>` }))
  })

  return { router: r, hub }
}
