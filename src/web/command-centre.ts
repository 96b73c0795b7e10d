/**
 * The command centre: a live web view of every notice, node, group, household, case and account,
 * served by `cascade serve` under /cc/ (zh-CN, desktop and phone). See docs/ARCHITECTURE.md.
 *
 *   GET  /cc/login, POST /cc/login[/code|/verify]  sign in: a person with a one-time code sent to their
 *                                      WeChat, or ops with CASCADE_API_TOKEN → session cookie (signin-routes.ts)
 *   POST /cc/logout
 *   GET  /cc/                          Now: notices of the last days with their progress
 *   GET  /cc/n/:code                   one notice: tree, groups, acknowledgments, texts and diff, timeline
 *   POST /cc/n/:code/approve|reject|edit|classify|correct|retract   the chat commands' own path (notice-routes.ts)
 *   GET  /cc/households[/:code[/:village]], /cc/cases, /cc/c/:case, /cc/rumors, /cc/accounts (ops)
 *   POST /cc/c/:case/take|reply|close|transfer|verify   the case chat commands' own path (case-routes.ts)
 *   GET  /cc/accounts/:id/qr.png       login QR code of a logged-out account (ops)
 *   GET  /cc/people, POST …            invites and bound people (ops; people-routes.ts)
 *   GET  /cc/api/announcements[/:code] JSON in the session's scope (cc-api.ts)
 *   GET  /cc/publish, POST /cc/publish the API's validation (publishProblems) plus drill and schedule
 *   GET  /cc/series, /cc/inbox          series and the district's inbox (src/web/series-view.ts)
 *   GET  /cc/live?view=<path>          server-sent events: the view's live region, re-rendered on change
 *
 * Every page, stream and JSON answer is in the session's scope (scope.ts): a person sees their
 * nodes, ops everything; outside it is "not found". Without CASCADE_API_TOKEN nothing is open (503).
 *
 * Pages are rendered on the server (src/web/views.ts); a small script (static/cc.js) swaps in
 * the live region from the event stream and shows a lost connection. Every POST needs the
 * session's CSRF token (and a same-origin Origin when the browser sends one). URLs carry codes
 * and node ids only; logs carry codes, never texts or names.
 */
import { fileURLToPath } from 'node:url'
import express, { type NextFunction, type Request, type Response } from 'express'
import { WEB_AUTHOR, type Cascade } from '../spine/cascade.ts'
import { BotHealth } from '../infra/bot-health.ts'
import { withChannel } from '../store/channel.ts'
import { MAX_TEXT_CHARS, publishProblems } from './shared.ts'
import { isBlank } from '../domain/text.ts'
import type { Logger } from '../infra/log.ts'
import { SEVERITIES, type Severity } from '../domain/announcement.ts'
import { html, layout, raw, type Html } from './html.ts'
import { LiveHub } from './live.ts'
import { parseCookies, sameSecret, Sessions } from './session.ts'
import { renderView } from './views.ts'
import { noticeActions } from './notice-actions.ts'
import { cookie, crossSite, mountSignIn, page, SID } from './signin-routes.ts'
import { personHolds } from './person-signin.ts'
import { opsScope, personScope } from './scope.ts'
import { mountNoticeActions } from './notice-routes.ts'
import { caseActions, mountCaseActions } from './case-routes.ts'
import { mountPeople } from './people-routes.ts'
import { mountScopedApi } from './cc-api.ts'
import { chrome, notFound, type Authed } from './chrome.ts'
import { seriesRoutes } from './series-view.ts'
import { addressBucket, clientErrorOf, SignInLimit, singleFields } from './http-guards.ts'

/** A scheduled notice may be set at most this far ahead. */
const MAX_SCHEDULE_DAYS = 30
const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url))

export interface CommandCentreOptions {
  app: Cascade
  /** CASCADE_API_TOKEN: signs in as ops and anchors every session; without it every page answers 503. */
  token?: string
  log: Logger
  /** Session lifetime (default 8 h). */
  sessionSeconds?: number
  /** How often a watched view is re-rendered to find changes (default 250 ms). */
  pollMs?: number
}

export interface CommandCentre { router: express.Router; hub: LiveHub }

export type { Authed } from './chrome.ts'

/** The Beijing time of a `datetime-local` value, as epoch ms. */
export function beijingTime(local: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local)) return undefined
  const ms = Date.parse(`${local}:00+08:00`)
  return Number.isNaN(ms) ? undefined : ms
}

export function createCommandCentre(o: CommandCentreOptions): CommandCentre {
  const { app, log } = o
  const sessions = new Sessions(app.store, o.sessionSeconds, o.token, person => personHolds(app, person))
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

  // Without the API token the command centre is closed, like the API: sessions are bound to the
  // token (rotating it is how every session ends at once) and ops, who manage people, sign in with it.
  if (!o.token) {
    r.use((_req, res) => page(res, 503, layout({ title: '指挥中心未启用', live: html`<h1>指挥中心未启用</h1><p>服务器尚未设置访问令牌（CASCADE_API_TOKEN），指挥中心暂不开放，任何人都不能登录。请联系区指挥部运维。</p>` })))
    return { router: r, hub }
  }

  // ── sign-in (signin-routes.ts) ────────────────────────────────────────────

  mountSignIn(r, { app, log, token: o.token, sessions, limit: signInLimit, form })

  // ── everything else needs a session ──────────────────────────────────────

  r.use(async (req, res, next) => {
    const sid = parseCookies(req.get('cookie'))[SID]
    const session = await sessions.get(sid)
    if (!session || !sid) {
      if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html' && req.path !== '/live') res.redirect(303, '/cc/login')
      else res.status(401).type('text').send('not signed in')
      return
    }
    res.locals.auth = { sid, session, scope: session.person ? personScope(app, session.person) : opsScope(app) } satisfies Authed
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

  r.get('/live', async (req, res) => {
    const view = typeof req.query.view === 'string' ? req.query.view : ''
    const { sid, scope } = res.locals.auth as Authed
    // A view outside the viewer's scope is not found, as the page is: nothing of it is streamed.
    if (/^\/cc\/[\w/.-]*$/.test(view) && view.length <= 200 && !await renderView(app, view, scope)) { res.status(404).type('text').send('not found'); return }
    hub.subscribe(view, sid, scope, req, res)
  })

  // The command centre's JSON, in the viewer's scope (cc-api.ts).
  mountScopedApi(r, app)
  // Series and the inbox (issue 25): src/web/series-view.ts.
  r.use(seriesRoutes(app, sessions, log, () => hub.changed()))

  // ── publish ───────────────────────────────────────────────────────────────

  const publishPage = (res: Response, auth: Authed, status: number, values: Record<string, string> = {}, problems: string[] = []) => {
    // Ops publish from any publishing node; a publisher from their own.
    const nodes = auth.scope.publishes.map(n => app.node(n))
    if (nodes.length === 0) { notFound(res, auth, app); return }
    const sel = (a: string | undefined, b: string) => raw(a === b ? ' selected' : '')
    page(res, status, layout({
      title: '发布', section: '/cc/publish', ...chrome(app, auth),
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
    if (!auth.scope.publishes.includes(b.node)) problems.push('您不是该单位的发布员')
    if (problems.length) { publishPage(res, auth, 400, b, problems); return }
    const a = await withChannel('web', () => app.publish({
      node: b.node, author: auth.session.person ?? WEB_AUTHOR, text: b.text, severity: body.severity as Severity | undefined, category: body.category,
      ackRequired: b.ackRequired === 'on', status: b.drill === 'on' ? 'exercise' : 'actual', at,
    }))
    log.info('cc.published', { code: a.code, node: a.originNode, severity: a.severity, scheduled: at !== undefined })
    hub.changed()
    await sessions.setFlash(auth.sid, at !== undefined ? `已定时：${a.code}` : `已发布：${a.code}`)
    res.redirect(303, `/cc/n/${a.code}`)
  })

  // ── correct, retract, approve, reject, edit, classify (notice-routes.ts) ──

  mountNoticeActions(r, { app, log, sessions, hub })
  mountCaseActions(r, { app, log, sessions, hub }) // 接单 / 回复 / 办结 / 转交 / 属实 (case-routes.ts)

  // ── ops only: QR codes of logged-out accounts, invites and bound people (people-routes.ts) ──

  r.get('/accounts/:id/qr.png', async (req, res, next) => {
    if (!(res.locals.auth as Authed).scope.ops) { next(); return }
    const id = String(req.params.id)
    const qr = app.cfg.bots.has(id) ? (await new BotHealth(app.store).read(id, app.now())).qr : undefined
    if (!qr) { res.status(404).type('text').send('no login QR code waiting for this account'); return }
    const QR = await import('qrcode')
    res.type('png').set('Cache-Control', 'no-store').send(await QR.toBuffer(qr.payload, { width: 360 }))
  })

  mountPeople(r, { app, log, sessions, hub })

  // ── the live views ────────────────────────────────────────────────────────

  r.get(/.*/, async (req, res, next) => {
    const view = `/cc${req.path}`
    const auth = res.locals.auth as Authed
    const rendered = await renderView(app, view, auth.scope)
    if (!rendered) { next(); return }
    const flash = await sessions.takeFlash(auth.sid, auth.session)
    let after: Html | undefined
    const m = /^\/cc\/n\/([A-Za-z0-9]{4})$/.exec(view)
    if (m) after = await noticeActions(app, m[1].toUpperCase(), auth.session.csrf, auth.scope)
    const mc = /^\/cc\/c\/([A-Za-z0-9]{4,6})$/.exec(view)
    if (mc) after = await caseActions(app, mc[1].toUpperCase(), auth.session.csrf, auth.session.person)
    page(res, 200, layout({ title: rendered.title, section: rendered.section, view, ...chrome(app, auth), flash, live: rendered.body, after }))
  })

  r.use((_req, res) => { notFound(res, res.locals.auth as Authed | undefined, app) })

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
