/**
 * The command centre's series and inbox pages (issue 25):
 *
 *   GET  /cc/series                        every series: schedule, next run, recent runs, each node's
 *                                          last run, paused and approved where; forms below
 *   POST /cc/series                        a new series (publishers; the same checks as series.yaml)
 *   POST /cc/series/:id/figures|run|pause|resume
 *   POST /cc/series/:id/delete             a series made here (confirmed by a tick); those of
 *                                          config/series.yaml are not deleted from the web
 *   GET  /cc/inbox                         items waiting for a publisher, and the latest decided
 *   POST /cc/inbox                         an item typed or pasted in
 *   POST /cc/inbox/:id/select|dismiss      published as a notice (category, severity, edited text) or not
 *
 * Every action is a publisher's: a session of the ops token may act (as `ops-web`); a session of a
 * person (command-centre sign-in per person) only when that person publishes somewhere.
 */
import express, { type Response } from 'express'
import { WEB_AUTHOR, type Cascade } from '../spine/cascade.ts'
import type { Logger } from '../infra/log.ts'
import { SEVERITIES, type Severity } from '../domain/announcement.ts'
import { isBlank } from '../domain/text.ts'
import { dateAndClock, stateZh } from '../domain/status.ts'
import { parseFigures, type SeriesDef } from '../domain/series.ts'
import { checkSeriesObject } from '../config/series.ts'
import { nodePath } from '../config/load.ts'
import { seriesOf, type SeriesEngine } from '../features/series/series.ts'
import { seriesApprovals } from '../features/series/install.ts'
import { INBOX_STATE_ZH, inboxOf, type Inbox } from '../features/inbox/inbox.ts'
import { html, layout, raw, type Html } from './html.ts'
import { chrome, notFound, type Authed } from './chrome.ts'
import { MAX_TEXT_CHARS } from './shared.ts'

interface Auth { sid: string; session: { csrf: string; person?: string } }
interface Flash { setFlash(sid: string, text: string): Promise<void>; takeFlash(sid: string, s: never): Promise<string | undefined> }

const SOURCE_ZH = { list: '预备内容逐期发送', template: '模板 + 当日数据', typed: '每期手写' } as const
const RUN_ZH = { running: '进行中', published: '已发出', held: '夜间暂缓', 'awaiting-text': '等内容', skipped: '未发', ended: '已发完' } as const
const WHY_ZH = { 'no-figures': '数据未提交', missed: '服务未运行、超过补发时限', paused: '已暂停', 'skip-date': '节假日不发', ended: '已发完' } as const

/** Who acts: the session's person when it has one, else ops (the API token). */
function actor(app: Cascade, auth: Auth): { author: string; node: string } | undefined {
  const person = auth.session.person
  if (!person) return { author: WEB_AUTHOR, node: app.cfg.rootId }
  const node = app.rolesOf(person).publisher[0]
  return node ? { author: person, node } : undefined
}

export function seriesRoutes(app: Cascade, sessions: Flash, log: Logger, changed: () => void): express.Router {
  const r = express.Router()
  const page = (res: Response, title: string, section: string, body: Html, auth: Auth, flash?: string, status = 200) => {
    res.status(status).type('html').set('Cache-Control', 'no-store').send(layout({ title, section, ...chrome(app, auth as Authed), flash, live: body }))
  }
  // Series and the inbox are the district's publishing desk: ops and publishers only; anyone
  // else gets "not found", as for any page outside their scope (issue 24).
  r.use(['/series', '/inbox'], (_req, res, next) => {
    const v = res.locals.auth as Authed
    if (v.scope.ops || v.scope.publishes.length > 0) next()
    else notFound(res, v, app)
  })
  const done = async (res: Response, auth: Auth, text: string, to: string) => { changed(); await sessions.setFlash(auth.sid, text); res.redirect(303, to) }
  const auth = (res: Response) => res.locals.auth as Auth
  const publisherOnly = async (res: Response, to: string): Promise<{ author: string; node: string } | undefined> => {
    const who = actor(app, auth(res))
    if (!who) await done(res, auth(res), '只有发布员可以这样做。', to)
    return who
  }

  r.get('/series', async (_req, res) => {
    const e = seriesOf(app)!
    const a = auth(res)
    page(res, '系列', '/cc/series', await seriesPage(app, e, a.session.csrf), a, await sessions.takeFlash(a.sid, a.session as never))
  })

  r.post('/series', async (req, res) => {
    const who = await publisherOnly(res, '/cc/series')
    if (!who) return
    const b = req.body as Record<string, string>
    const e = seriesOf(app)!
    const items = (b.text ?? '').split(/\n\s*---\s*\n/).map(s => s.trim()).filter(s => !isBlank(s))
    const source = b.kind === 'template' ? { template: b.text ?? '' } : b.kind === 'typed' ? { typed: true } : { list: items, repeat: b.repeat === 'on' }
    const publisher = who.author === WEB_AUTHOR ? (app.cfg.nodes.get(app.cfg.rootId)!.publishers[0] ?? '') : who.author
    const refs = { nodes: new Set(app.cfg.nodes.keys()), categories: app.cfg.categories, publishers: publishersOf(app) }
    const { def, problems } = checkSeriesObject({ id: b.id ?? '', title: b.title ?? '', schedule: b.schedule ?? '', publisher, severity: b.severity || 'normal', category: b.category || app.cfg.categories[0], ...source }, refs)
    if (def && (await e.defs()).some(d => d.id === def.id && d.from === 'config')) problems.push(`id: 系列 ${def.id} 由 series.yaml 配置，不能在这里修改`)
    if (!def || problems.length) { await done(res, auth(res), `未保存：${problems.join('；')}`, '/cc/series'); return }
    await e.st.saveWebDef(def)
    await e.st.log(def.id, { kind: 'saved', by: who.author, at: app.now(), hash: e.hash(def) })
    await e.syncSchedulers()
    log.info('cc.series-saved', { series: def.id })
    await done(res, auth(res), `已保存系列 ${def.id}，下一期 ${dateAndClock(e.next(def))}`, '/cc/series')
  })

  r.post('/series/:id/:action', async (req, res) => {
    const e = seriesOf(app)!
    const def = await e.def(String(req.params.id))
    const action = String(req.params.action)
    if (!def || !['figures', 'run', 'pause', 'resume', 'delete'].includes(action)) { res.status(404).type('text').send('not found'); return }
    const who = await publisherOnly(res, '/cc/series')
    if (!who) return
    const b = req.body as Record<string, string>
    let text: string
    if (action === 'delete') {
      const out = b.confirm === 'yes' ? await e.deleteWebSeries(def.id, who.author) : 'unconfirmed'
      text = out === 'deleted' ? `已删除系列 ${def.id}（已发出的各期不受影响）`
        : out === 'config' ? `系列 ${def.id} 由 config/series.yaml 配置，不能在网页上删除：请从该文件中删去并重启服务`
        : out === 'unconfirmed' ? `未删除：请先勾选「确认删除」` : `系列 ${def.id} 已不存在`
    } else if (action === 'figures') {
      const figures = def.source.kind === 'template' ? parseFigures(b.figures ?? '', def.source.fields) : undefined
      text = figures ? `已收到 ${await e.submitFigures(def, figures, who.author)} 的数据` : '没有读到数据'
    } else if (action === 'run') {
      const run = await e.runSlot(def.id, e.app.now(), { byHand: true })
      text = run ? `${RUN_ZH[run.state]}${run.code ? ` ${run.code}` : ''}${run.why ? `（${WHY_ZH[run.why]}）` : ''}` : '这一期已经发过'
    } else {
      const node = app.cfg.nodes.has(b.node) ? b.node : def.origin
      await seriesApprovals(e).pauseAt(def, [node], action === 'pause' ? 'pause' : 'resume', who.author)
      text = `${action === 'pause' ? '已暂停' : '已恢复'}：${app.nodeName(node)}及以下`
    }
    log.info('cc.series-action', { series: def.id, action })
    await done(res, auth(res), text, '/cc/series')
  })

  r.get('/inbox', async (_req, res) => {
    const a = auth(res)
    page(res, '待选', '/cc/inbox', await inboxPage(app, inboxOf(app)!, a.session.csrf), a, await sessions.takeFlash(a.sid, a.session as never))
  })

  r.post('/inbox', async (req, res) => {
    const who = await publisherOnly(res, '/cc/inbox')
    if (!who) return
    const b = req.body as Record<string, string>
    if (isBlank(b.text ?? '') || (b.text ?? '').length > MAX_TEXT_CHARS) { await done(res, auth(res), '请填写正文（最多 2000 字）。', '/cc/inbox'); return }
    const out = await inboxOf(app)!.add({ source: 'web', title: b.title, text: b.text, by: who.author })
    await done(res, auth(res), out.outcome === 'duplicate' ? `已在待选中：${out.item.id}` : `已收入待选：${out.item.id}`, '/cc/inbox')
  })

  r.post('/inbox/:id/:action', async (req, res) => {
    const inbox = inboxOf(app)!
    const id = String(req.params.id)
    const action = String(req.params.action)
    if (!/^I\d{1,9}$/i.test(id) || (action !== 'select' && action !== 'dismiss')) { res.status(404).type('text').send('not found'); return }
    const who = await publisherOnly(res, '/cc/inbox')
    if (!who) return
    const b = req.body as Record<string, string>
    if (action === 'dismiss') {
      const out = await inbox.dismiss(id, who.author)
      await done(res, auth(res), out.problem ? `未处理：${out.problem === 'unknown' ? '没有这一条' : '已处理过'}` : `${id} 已标为不用`, '/cc/inbox')
      return
    }
    const text = (b.text ?? '').trim()
    if (text && (isBlank(app.texts.body(text)) || text.length > MAX_TEXT_CHARS)) { await done(res, auth(res), '正文为空或超过 2000 字。', '/cc/inbox'); return }
    const category = app.cfg.categories.includes(b.category) ? b.category : undefined
    const severity = (SEVERITIES as readonly string[]).includes(b.severity) ? b.severity as Severity : undefined
    const out = await inbox.select(id, who.author, who.node, { category, severity, text: text || undefined })
    if (out.code) { changed(); await sessions.setFlash(auth(res).sid, `已发布：${out.code}`); res.redirect(303, `/cc/n/${out.code}`); return }
    await done(res, auth(res), `未处理：${out.problem === 'unknown' ? '没有这一条' : '已处理过'}`, '/cc/inbox')
  })
  return r
}

function publishersOf(app: Cascade): Map<string, string[]> {
  const m = new Map<string, string[]>()
  for (const n of app.cfg.nodes.values()) for (const p of n.publishers) m.set(p, [...(m.get(p) ?? []), n.id])
  return m
}

const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`

async function seriesPage(app: Cascade, e: SeriesEngine, csrf: string): Promise<Html> {
  const defs = await e.defs()
  const blocks: Html[] = []
  for (const def of defs) blocks.push(await seriesBlock(app, e, def, csrf))
  const sel = (list: readonly string[], labels?: Record<string, string>) => list.map(v => html`<option value="${v}">${labels?.[v] ?? v}</option>`)
  return html`<h1>系列</h1>
${defs.length ? blocks : html`<p>还没有系列。可在 config/series.yaml 配置，或在下面新建。</p>`}
<h2>新建系列</h2>
<form method="post" action="/cc/series" class="publish">${csrfField(csrf)}
<div class="row2"><label>编号（如 S4）<input name="id" required maxlength="8" pattern="[A-Z][A-Z0-9]{0,7}"></label><label>名称<input name="title" required maxlength="60"></label></div>
<div class="row2"><label>时间（如 每天 08:00）<input name="schedule" required value="每天 08:00"></label>
<label>内容来源<select name="kind">${sel(['list', 'template', 'typed'], SOURCE_ZH)}</select></label></div>
<div class="row2"><label>紧急程度<select name="severity">${sel(['normal', 'info', 'urgent'], { urgent: '紧急', normal: '一般', info: '参考' })}</select></label>
<label>类别<select name="category">${sel(app.cfg.categories)}</select></label></div>
<label>内容（预备内容：每期之间用单独一行 --- 隔开；模板：用 {确诊} 这样的占位，{date} 为日期）<textarea name="text" rows="6"></textarea></label>
<label class="check"><input type="checkbox" name="repeat" value="on"> 预备内容发完后从头再来</label>
<button type="submit">保存</button></form>`
}

async function seriesBlock(app: Cascade, e: SeriesEngine, def: SeriesDef, csrf: string): Promise<Html> {
  const [runs, pauses, approvals] = await Promise.all([e.st.recentRuns(def.id, 7), e.st.pauses(def.id), e.st.approvals(def.id)])
  const hash = e.hash(def)
  const last = runs.find(r => r.code)
  const relays = last?.code ? await app.store.relays(last.code) : new Map()
  const nodes = [...app.cfg.nodes.values()].filter(n => n.id !== def.origin && def.audience.some(a => nodePath(app.cfg, n.id).includes(a) || a === def.origin))
  const src = def.source
  const used = src.kind === 'list' ? await e.st.itemsUsed(def.id) : 0
  return html`<section class="series" id="s-${def.id}"><h2>${def.id} ${def.title}</h2>
<p>${def.schedule}（${def.tz}）· ${SOURCE_ZH[src.kind]}${src.kind === 'list' ? `（已发 ${Math.min(used, src.items.length)}/${src.items.length}${src.repeat ? '，循环' : ''}）` : ''} · 下一期 ${dateAndClock(e.next(def))}${pauses.has(def.origin) ? html` · <b class="bad">整个系列已暂停</b>` : ''}</p>
<ul class="runs">${runs.map(r => html`<li>${dateAndClock(r.slot)} ${RUN_ZH[r.state]}${r.why ? `（${WHY_ZH[r.why]}）` : ''}${r.code ? html` <a href="/cc/n/${r.code}">${r.code}</a>` : ''}</li>`)}</ul>
<table><thead><tr><th>单位</th><th>最近一期</th><th>审核</th><th>暂停</th></tr></thead><tbody>
${nodes.map(n => {
    const rel = relays.get(n.id)
    const ap = approvals.get(n.id)
    const p = pauses.get(n.id)
    return html`<tr><td>${n.name}</td><td>${rel ? (rel.reason === 'withheld' ? '未发（暂停或不在范围）' : stateZh(rel.state)) : '—'}</td><td>${ap ? (ap.hash === hash ? `已通过（${app.personName(ap.by)}）` : '内容已改，待重新审核') : (e.settings.perRunApproval.includes(n.id) ? '逐期审核（规定）' : '尚未通过')}</td><td>${p ? raw(`<b class="bad">${p.stopped ? '已停止' : '已暂停'}</b>`) : ''}</td></tr>`
  })}
</tbody></table>
<div class="actions">
${src.kind === 'template' ? html`<form method="post" action="/cc/series/${def.id}/figures">${csrfField(csrf)}<label>下一期数据（${src.fields.join('、')}）<input name="figures" placeholder="${src.fields.map(f => `${f}0`).join(' ')}"></label><button>提交数据</button></form>` : ''}
<form method="post" action="/cc/series/${def.id}/run">${csrfField(csrf)}<button>现在发一期</button></form>
<form method="post" action="/cc/series/${def.id}/pause">${csrfField(csrf)}<select name="node"><option value="${def.origin}">整个系列</option>${nodes.map(n => html`<option value="${n.id}">${n.name}</option>`)}</select><button>暂停</button></form>
<form method="post" action="/cc/series/${def.id}/resume">${csrfField(csrf)}<select name="node"><option value="${def.origin}">整个系列</option>${[...pauses.keys()].filter(n => n !== def.origin).map(n => html`<option value="${n}">${app.nodeName(n)}</option>`)}</select><button>恢复</button></form>
${def.from === 'web'
    ? html`<form method="post" action="/cc/series/${def.id}/delete">${csrfField(csrf)}<label class="check"><input type="checkbox" name="confirm" value="yes" required> 确认删除</label><button>删除系列</button></form>`
    : html`<p class="meta">此系列由 config/series.yaml 配置，不能在网页上删除；要删除，请从该文件中删去并重启服务。</p>`}
</div></section>`
}

async function inboxPage(app: Cascade, inbox: Inbox, csrf: string): Promise<Html> {
  const waiting = await inbox.list('waiting', 50)
  const recent = (await inbox.list('all', 30)).filter(i => i.state !== 'waiting')
  return html`<h1>待选（${waiting.length}）</h1>
<p>上级网站、其他系统和转来的内容先到这里；只有选用后才会作为通知逐级下发。</p>
${waiting.map(i => html`<section class="inbox-item" id="i-${i.id}"><h2>${i.id} ${i.title || '（无标题）'}</h2>
<p class="meta">来源 ${i.source} · ${dateAndClock(i.receivedAt)}${i.changedAt ? ` · 已更新 ${i.changes} 次` : ''}${i.updateOf ? ` · 更新了 ${i.updateOf}` : ''}${i.link ? html` · <a href="${i.link}" rel="noreferrer noopener">原文</a>` : ''}</p>
<form method="post" action="/cc/inbox/${i.id}/select" class="publish">${csrfField(csrf)}
<label>正文（可修改）<textarea name="text" rows="5" maxlength="${MAX_TEXT_CHARS}">${[i.title, i.text].filter(Boolean).join('\n')}</textarea></label>
<div class="row2"><label>类别<select name="category">${app.cfg.categories.map(c => html`<option>${c}</option>`)}</select></label>
<label>紧急程度<select name="severity"><option value="normal">一般</option><option value="info">参考</option><option value="urgent">紧急</option></select></label></div>
<button type="submit">选用并发布</button></form>
<form method="post" action="/cc/inbox/${i.id}/dismiss">${csrfField(csrf)}<button type="submit">不用</button></form></section>`)}
<h2>收录一条</h2>
<form method="post" action="/cc/inbox" class="publish">${csrfField(csrf)}<label>标题<input name="title" maxlength="200"></label><label>正文<textarea name="text" rows="4" required maxlength="${MAX_TEXT_CHARS}"></textarea></label><button>收入待选</button></form>
<h2>最近处理</h2>
<ul>${recent.map(i => html`<li>${i.id} ${INBOX_STATE_ZH[i.state]}${i.code ? html` <a href="/cc/n/${i.code}">${i.code}</a>` : ''} ${i.title || i.text.slice(0, 40)}</li>`)}</ul>`
}
