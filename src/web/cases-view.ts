/**
 * Cases (举报/求助) in the command centre, in the viewer's scope (the case's node now): the list,
 * each code a link, and one page per case — its history, who holds it, the answer. Who reported
 * stays with the handlers, as in chat: no view shows the reporter.
 */
import { ACTIVE_STATES, caseStateZh, closeDeadline, KIND_VERB, takeDeadline, type Case, type CaseEvent } from '../domain/cases.ts'
import { dateAndClock } from '../domain/status.ts'
import { casesOf } from '../features/cases/cases.ts'
import type { Cascade } from '../spine/cascade.ts'
import { html } from './html.ts'
import type { Scope } from './scope.ts'
import { ago, CHANNEL_ZH, dotted, type Rendered } from './view-kit.ts'

const CLOSED_CASES_MAX = 300

const EVENT_ZH: Record<CaseEvent['kind'], string> = {
  open: '收到', assign: '派给', unreachable: '无法通知', escalate: '超时上报', take: '接单', reply: '答复反映人', close: '办结',
  transfer: '转交', verify: '核实', photo: '补充照片', overdue: '超时', duplicate: '重复反映',
}

export function caseDue(app: Cascade, c: Case): number | undefined {
  const sla = app.cfg.cases?.kinds[c.kind]
  if (!sla) return undefined
  return c.state === 'taken' ? closeDeadline(c, sla) : takeDeadline(c, sla)
}

/** Cases whose node is in the scope. */
export async function casesInScope(app: Cascade, scope: Scope): Promise<Case[]> {
  const all = await casesOf(app)?.store.all() ?? []
  return scope.ops ? all : all.filter(c => scope.nodes.has(c.node))
}

export async function casesView(app: Cascade, scope: Scope): Promise<Rendered> {
  const desk = casesOf(app)
  const now = app.now()
  if (!desk) return { title: '诉求', section: '/cc/cases', body: html`<h1>诉求</h1><p class="empty">未配置 cases.yaml：举报/求助功能未开启。</p>` }
  const all = await casesInScope(app, scope)
  const open = all.filter(c => ACTIVE_STATES.includes(c.state))
  const closed = all.filter(c => c.state === 'closed').slice(0, CLOSED_CASES_MAX)
  const row = (c: Case) => {
    const due = caseDue(app, c)
    const left = due === undefined ? '' : due >= now ? `剩 ${ago(due - now)}` : `超时 ${ago(now - due)}`
    return html`<tr class="case case-${c.state}${due !== undefined && due < now && c.state !== 'closed' ? ' overdue' : ''}" data-case="${c.code}">
<td><a href="/cc/c/${c.code}">${c.code}</a></td><td>${KIND_VERB[c.kind]}</td><td>${app.nodeName(c.node)}</td><td>${caseStateZh(c.state)}</td>
<td>${c.state === 'closed' ? (c.closedAt ? dateAndClock(c.closedAt) : '') : c.state === 'taken' ? `${c.takenBy ? app.personName(c.takenBy) : ''}${left ? ` · 办结${left}` : ''}` : `接单${left}`}</td>
<td>${c.escalations ? `已上报 ${c.escalations} 次` : ''}${c.transferredFrom ? ` 由${app.nodeName(c.transferredFrom)}转来` : ''}</td>
<td class="case-text">${c.text}${c.result ? html`<br><small>办结：${c.result}</small>` : ''}</td></tr>`
  }
  const head = html`<thead><tr><th>编号</th><th>类型</th><th>单位</th><th>状态</th><th>时限/经办</th><th>上报</th><th>内容</th></tr></thead>`
  const body = html`<h1>诉求</h1>
<p class="legend">反映人信息仅经办人可见（与聊天中一致）。</p>
<h2>未办结（${open.length}）</h2>
${open.length ? html`<div class="scroll"><table class="cases open">${head}<tbody>${open.map(row)}</tbody></table></div>` : html`<p class="empty">没有未办结的诉求。</p>`}
<h2>已办结（${closed.length}）</h2>
<p><input type="search" class="filter" data-filter="#closed-cases" placeholder="筛选已办结（本页内筛选，不上传）" aria-label="筛选已办结"></p>
${closed.length ? html`<div class="scroll"><table class="cases closed" id="closed-cases">${head}<tbody>${closed.map(row)}</tbody></table></div>` : html`<p class="empty">暂无。</p>`}`
  return { title: '诉求', section: '/cc/cases', body }
}

/** One case: state, who holds it, its deadline, the answer, and its history (the reporter never shown). */
export async function caseView(app: Cascade, code: string, scope: Scope): Promise<Rendered | undefined> {
  const desk = casesOf(app)
  const c = desk ? await desk.store.get(code) : undefined
  if (!desk || !c || !(scope.ops || scope.nodes.has(c.node))) return undefined
  const history = await desk.store.history(code)
  const now = app.now()
  const due = caseDue(app, c)
  const holder = c.takenBy ? app.personName(c.takenBy) : c.responsible.map(p => app.personName(p)).join('、') || '（未派到人）'
  const line = (e: CaseEvent) => {
    const via = (e as CaseEvent & { via?: string }).via
    // Handlers' own words (answers, results); what the reporter wrote is the case's text above.
    const words = e.text && (e.kind === 'reply' || e.kind === 'close') ? e.text : ''
    const meta = dotted([e.node ? app.nodeName(e.node) : '', e.actor ? app.personName(e.actor) : '', via ? CHANNEL_ZH[via] : ''])
    return html`<li class="ev ev-${e.kind}"><time>${dateAndClock(e.at)}</time> <b>${EVENT_ZH[e.kind] ?? e.kind}</b>${meta ? ` · ${meta}` : ''}${words ? html` · <q>${words}</q>` : ''}</li>`
  }
  const body = html`<h1>诉求 <span class="code">${c.code}</span> <span class="badge case-${c.state}">${caseStateZh(c.state)}</span></h1>
<p class="notice-meta">${dotted([KIND_VERB[c.kind], app.nodeName(c.node), `收到于 ${dateAndClock(c.openedAt)}`, c.transferredFrom ? `由${app.nodeName(c.transferredFrom)}转来` : '', c.escalations ? `已上报 ${c.escalations} 次` : ''])}</p>
<section><h2>内容</h2><p class="text">${c.text}</p>${c.photos ? html`<p class="legend">附照片 ${c.photos} 张（在经办人微信中）</p>` : ''}</section>
<section><h2>经办</h2><p>${c.state === 'closed' ? `已由 ${c.closedBy ? app.personName(c.closedBy) : ''} 办结 ${c.closedAt ? dateAndClock(c.closedAt) : ''}` : `${c.state === 'taken' ? '处理人' : '待接单'}：${holder}`}${due !== undefined && c.state !== 'closed' ? ` · ${due >= now ? `剩 ${ago(due - now)}` : `超时 ${ago(now - due)}`}` : ''}</p>
${c.result ? html`<p>答复：<q>${c.result}</q></p>` : ''}${c.routeNote ? html`<p class="legend">${c.routeNote}</p>` : ''}</section>
<section class="timeline"><h2>经过</h2><ol class="events">${history.map(line)}</ol></section>
<p class="legend">反映人信息仅经办人可见（与聊天中一致）。<a href="/cc/cases">全部诉求</a></p>`
  return { title: `诉求 ${c.code}`, section: '/cc/cases', body }
}
