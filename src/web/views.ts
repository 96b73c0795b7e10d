/**
 * The command centre's views: each reads the same store and status code as the CLI and the API
 * (`app.statusTree`, `buildStatus`/`totals` of src/domain/status.ts, the coverage, cases and rumor
 * stores) and renders HTML. The live region of a page is `render(view, scope)`: the page itself
 * and every live update use the same function, so what is pushed is what a reload would show.
 * The live region carries nothing of the session (no CSRF token), so one render serves every
 * viewer of that view with the same scope (scope.ts: what a person sees). A view outside the
 * scope renders as nothing (`undefined`: not found), exactly like a view that does not exist.
 * One notice: notice-view.ts; households: households-view.ts; cases: cases-view.ts.
 */
import type { Cascade } from '../spine/cascade.ts'
import type { Announcement } from '../domain/announcement.ts'
import { ACTIVE_STATES } from '../domain/cases.ts'
import { dateAndClock, type StatusNode } from '../domain/status.ts'
import { RumorStore } from '../features/rumors/store.ts'
import { html, type Html } from './html.ts'
import { accountsView } from './accounts-view.ts'
import { caseDue, casesInScope, casesView, caseView } from './cases-view.ts'
import { householdsIndex, householdsOf, householdsVillage } from './households-view.ts'
import { noticeView } from './notice-view.ts'
import { seesNotice, type Scope } from './scope.ts'
import { actorName, ago, bar, codeStatus, householdCounts, labels, noticeInScope, scopedTotals, scopedTree, statusBadge, type Rendered } from './view-kit.ts'

/** The Now view lists notices of the last this many days. */
export const RECENT_DAYS = 7
const RECENT_MAX = 60

export type { Rendered, CodeStatus } from './view-kit.ts'
export { codeStatus } from './view-kit.ts'

function oldestPending(root: StatusNode | undefined): number | undefined {
  let oldest: number | undefined
  const walk = (n: StatusNode) => {
    if (n.state === 'pending' && (oldest === undefined || n.openedAt < oldest)) oldest = n.openedAt
    n.children.forEach(walk)
  }
  if (root) walk(root)
  return oldest
}

// ── Now ─────────────────────────────────────────────────────────────────────

export async function nowView(app: Cascade, scope: Scope): Promise<Rendered> {
  const now = app.now()
  const codes = await app.store.redis.zrevrangebyscore(app.store.keys.announcements(), '+inf', now - RECENT_DAYS * 86_400_000, 'LIMIT', 0, RECENT_MAX)
  const bots = [...app.cfg.bots.keys()]
  const [rows, alive, cases, suggestions] = await Promise.all([
    Promise.all(codes.map(code => noticeRow(app, code, now, scope))),
    app.store.aliveBots(bots),
    casesInScope(app, scope),
    new RumorStore(app.store.redis, app.store.keys.base).suggestions(),
  ])
  const open = cases.filter(c => ACTIVE_STATES.includes(c.state))
  const overdue = open.filter(c => (caseDue(app, c) ?? Infinity) < now)
  const waiting = suggestions.filter(s => s.state === 'open' && (scope.ops || scope.nodes.has(s.node)))
  const shown = rows.filter(r => r.s.length > 0)
  const attention = html`<ul class="attention">
  ${scope.ops ? html`<li class="${bots.length - alive.size ? 'warn' : ''}"><a href="/cc/accounts">值守号在线 ${alive.size}/${bots.length}</a></li>` : ''}
  <li class="${overdue.length ? 'warn' : ''}"><a href="/cc/cases">未办结诉求 ${open.length}${overdue.length ? `（超时 ${overdue.length}）` : ''}</a></li>
  <li class="${waiting.length ? 'warn' : ''}"><a href="/cc/rumors">待核实疑似谣言 ${waiting.length}</a></li>
</ul>`
  const body = html`<h1>总览${scope.ops ? '' : html` <small class="scope">${scope.roots.map(n => app.nodeName(n)).join('、')}</small>`}</h1>
${attention}
<h2>近 ${RECENT_DAYS} 天的通知</h2>
${shown.length ? html`<ul class="notices">${shown}</ul>` : html`<p class="empty">近 ${RECENT_DAYS} 天没有通知。${scope.publishes.length ? html`<a href="/cc/publish">发布一条</a>` : ''}</p>`}`
  return { title: '总览', section: '/cc/', body }
}

async function noticeRow(app: Cascade, code: string, now: number, scope: Scope): Promise<Html> {
  const s = await app.statusTree(code)
  if (!s || !noticeInScope(s.announcement, s.root, scope)) return html``
  const a = s.announcement
  const root = scopedTree(s.root, scope)
  const [status, hh] = await Promise.all([codeStatus(app, a), scope.ops ? householdCounts(app, code) : undefined])
  const t = scopedTotals(root, scope)
  const oldest = oldestPending(root)
  const mine = scope.approves.some(n => s.root && findNode(s.root, n)?.state === 'pending')
  return html`<li class="notice cs-${status}${mine ? ' yours' : ''}" data-code="${a.code}">
  <div class="notice-head"><a class="code" href="/cc/n/${a.code}">${a.code}</a> ${labels(a)} ${statusBadge(status)}${mine ? html` <span class="badge warn">待您审核</span>` : ''}</div>
  <div class="notice-meta">${app.nodeName(a.originNode)} · ${actorName(app, a.author)} · ${dateAndClock(a.scheduledAt ?? a.createdAt)}${oldest !== undefined && status === 'live' ? html` · <span class="waiting">最久待审 ${ago(now - oldest)}</span>` : ''}${t.relays.rejected ? html` · 驳回 ${t.relays.rejected}` : ''}</div>
  ${bar('群已确认', t.groups.confirmed, t.groups.total, 'groups')}
  ${bar('群众收到', t.acks, t.members, 'acks')}
  ${hh ? bar('已覆盖户', hh.acked + hh.notified, hh.households, 'hh') : ''}
</li>`
}

function findNode(n: StatusNode, id: string): StatusNode | undefined {
  if (n.node === id) return n
  for (const c of n.children) { const f = findNode(c, id); if (f) return f }
  return undefined
}

// ── Rumors ──────────────────────────────────────────────────────────────────

export async function rumorsView(app: Cascade, scope: Scope): Promise<Rendered> {
  const store = new RumorStore(app.store.redis, app.store.keys.base)
  const [suggestions, entries, codes] = await Promise.all([store.suggestions(), store.entries(), app.store.recentCodes(50)])
  const mine = suggestions.filter(s => scope.ops || scope.nodes.has(s.node))
  const open = mine.filter(s => s.state === 'open').sort((a, b) => a.createdAt - b.createdAt)
  const decided = mine.filter(s => s.state !== 'open').sort((a, b) => (b.decidedAt ?? 0) - (a.decidedAt ?? 0)).slice(0, 30)
  const broadcasts: Announcement[] = []
  for (const a of await Promise.all(codes.map(c => app.store.announcement(c)))) {
    if (a?.category === '辟谣' && seesNotice(scope, a.originNode, (await app.store.relays(a.code)).keys())) broadcasts.push(a)
  }
  const now = app.now()
  const STATE: Record<string, string> = { confirmed: '确认是谣言（已回复）', rebutted: '新建了辟谣', ignored: '忽略' }
  const body = html`<h1>辟谣</h1>
<h2>待审核员核实（${open.length}）</h2>
${open.length ? html`<ul class="plain rumors">${open.map(s => html`<li data-suggestion="${s.code}"><b>${s.code}</b> ${app.nodeName(s.node)} · 已等 ${ago(now - s.createdAt)}${s.candidate ? ` · 疑似 ${s.candidate}（${s.score.toFixed(2)}）` : ''}<br><q>${s.text.length > 120 ? `${s.text.slice(0, 120)}…` : s.text}</q></li>`)}</ul>` : html`<p class="empty">没有待核实的消息。</p>`}
<h2>最近处理</h2>
${decided.length ? html`<ul class="plain">${decided.map(s => html`<li><b>${s.code}</b> ${STATE[s.state] ?? s.state}${s.entryId ? ` ${s.entryId}` : ''} · ${s.decidedBy ? app.personName(s.decidedBy) : ''} ${s.decidedAt ? dateAndClock(s.decidedAt) : ''}</li>`)}</ul>` : html`<p class="empty">暂无。</p>`}
<h2>新增辟谣（${entries.length}）</h2>
${entries.length ? html`<ul class="plain">${[...entries].reverse().slice(0, 30).map(e => html`<li><b>${e.id}</b> ${e.claim} → ${e.rebuttal} <small>${app.personName(e.addedBy)} ${dateAndClock(e.addedAt)}</small></li>`)}</ul>` : html`<p class="empty">暂无。</p>`}
<h2>辟谣广播</h2>
${broadcasts.length ? html`<ul class="plain">${broadcasts.map(a => html`<li><a href="/cc/n/${a.code}">${a.code}</a> ${dateAndClock(a.createdAt)}</li>`)}</ul>` : html`<p class="empty">暂无。</p>`}`
  return { title: '辟谣', section: '/cc/rumors', body }
}


/** The live region of a view path as a scope sees it, or undefined when the path is no view — or outside the scope. */
export async function renderView(app: Cascade, view: string, scope: Scope): Promise<Rendered | undefined> {
  let m: RegExpExecArray | null
  if (view === '/cc/' || view === '/cc') return nowView(app, scope)
  if ((m = /^\/cc\/n\/([A-Za-z0-9]{4})$/.exec(view))) return noticeView(app, m[1].toUpperCase(), scope)
  if (view === '/cc/households') return householdsIndex(app, scope)
  if ((m = /^\/cc\/households\/([A-Za-z0-9]{4})$/.exec(view))) return householdsOf(app, m[1].toUpperCase(), scope)
  if ((m = /^\/cc\/households\/([A-Za-z0-9]{4})\/([\w.-]+)$/.exec(view))) return householdsVillage(app, m[1].toUpperCase(), m[2], scope)
  if (view === '/cc/cases') return casesView(app, scope)
  if ((m = /^\/cc\/c\/([A-Za-z0-9]{3,8})$/.exec(view))) return caseView(app, m[1].toUpperCase(), scope)
  if (view === '/cc/rumors') return rumorsView(app, scope)
  if (view === '/cc/accounts') return scope.ops ? accountsView(app) : undefined
  return undefined
}
