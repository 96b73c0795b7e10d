/**
 * The command centre's views: each reads the same store and status code as the CLI and the API
 * (`app.statusTree`, `buildStatus`/`totals` of src/domain/status.ts, the coverage, cases and rumor
 * stores) and renders HTML. The live region of a page is `render(view)`: the page itself and
 * every live update use the same function, so what is pushed is what a reload would show.
 * The live region carries nothing of the session (no CSRF token), so one render serves every
 * viewer of that view.
 */
import { API_AUTHOR, readiness } from './shared.ts'
import { severityZh, type Cascade } from '../spine/cascade.ts'
import { casesOf } from '../features/cases/cases.ts'
import { coverageOf } from '../features/coverage/coverage.ts'
import type { Announcement, Relay, RelayState } from '../domain/announcement.ts'
import { ACTIVE_STATES, caseStateZh, closeDeadline, KIND_VERB, takeDeadline, type Case } from '../domain/cases.ts'
import { missingHouseholds, type CoverageNode, type Counts } from '../domain/households.ts'
import { dateAndClock, stateZh, totals, type StatusNode } from '../domain/status.ts'
import { RumorStore } from '../features/rumors/store.ts'
import type { AuditEvent } from '../store/store.ts'
import { diffChars } from './diff.ts'
import { html, raw, type Html } from './html.ts'
import { accountsView } from './accounts-view.ts'
import { ago, type Rendered } from './view-kit.ts'

/** The Now view lists notices of the last this many days. */
export const RECENT_DAYS = 7
const RECENT_MAX = 60
const CLOSED_CASES_MAX = 300

export type { Rendered } from './view-kit.ts'

export type CodeStatus = 'scheduled' | 'retracted' | 'expired' | 'live'

// ── small pieces ────────────────────────────────────────────────────────────

function pct(n: number, of: number): number { return of > 0 ? Math.round((100 * n) / of) : 0 }

function bar(label: string, n: number, of: number, cls = ''): Html {
  // <progress>, not a styled width: the page's CSP allows no inline styles.
  return html`<div class="bar ${cls}"><span class="bar-label">${label}</span><progress max="${Math.max(of, 1)}" value="${n}" aria-label="${label} ${pct(n, of)}%"></progress><span class="bar-num">${n}/${of}</span></div>`
}

const STATE_CLASS: Record<RelayState, string> = { pending: 'st-pending', approved: 'st-approved', edited: 'st-edited', rejected: 'st-rejected', expired: 'st-expired', withdrawn: 'st-withdrawn' }

function typeLabel(a: Announcement): string {
  return a.type === 'update' ? `更正 ${a.references}` : a.type === 'cancel' ? `撤回通知 ${a.references}` : ''
}

export async function codeStatus(app: Cascade, a: Announcement): Promise<CodeStatus> {
  if (await app.store.cancelledBy(a.code)) return 'retracted'
  if (a.released === false) return 'scheduled'
  if (a.expiresAt !== undefined && a.expiresAt <= app.now()) return 'expired'
  return 'live'
}

const STATUS_ZH: Record<CodeStatus, string> = { scheduled: '定时待发', retracted: '已撤回', expired: '已过期', live: '进行中' }

function statusBadge(s: CodeStatus): Html { return html`<span class="badge cs-${s}">${STATUS_ZH[s]}</span>` }

function labels(a: Announcement): Html {
  return html`<span class="badge sev-${a.severity}">${severityZh(a.severity)}</span>
<span class="badge">${a.category}</span>${a.status === 'exercise' ? html` <span class="badge drill">演练</span>` : ''}${typeLabel(a) ? html` <span class="badge">${typeLabel(a)}</span>` : ''}`
}

function publisherName(app: Cascade, id: string): string {
  return id === API_AUTHOR ? '运维（接口）' : app.personName(id)
}

/** Households reached and in total under the district, when households are configured. */
async function householdCounts(app: Cascade, code: string): Promise<Counts | undefined> {
  const cov = coverageOf(app)
  if (!cov) return undefined
  const tree = await cov.tree(code)
  return tree && tree.counts.households > 0 ? tree.counts : undefined
}

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

export async function nowView(app: Cascade): Promise<Rendered> {
  const now = app.now()
  const codes = await app.store.redis.zrevrangebyscore(app.store.keys.announcements(), '+inf', now - RECENT_DAYS * 86_400_000, 'LIMIT', 0, RECENT_MAX)
  const bots = [...app.cfg.bots.keys()]
  const [rows, alive, cases, suggestions] = await Promise.all([
    Promise.all(codes.map(code => noticeRow(app, code, now))),
    app.store.aliveBots(bots),
    casesOf(app)?.store.all() ?? Promise.resolve([] as Case[]),
    new RumorStore(app.store.redis, app.store.keys.base).suggestions(),
  ])
  const open = cases.filter(c => ACTIVE_STATES.includes(c.state))
  const overdue = open.filter(c => (caseDue(app, c) ?? Infinity) < now)
  const waiting = suggestions.filter(s => s.state === 'open')
  const attention = html`<ul class="attention">
  <li class="${bots.length - alive.size ? 'warn' : ''}"><a href="/cc/accounts">值守号在线 ${alive.size}/${bots.length}</a></li>
  <li class="${overdue.length ? 'warn' : ''}"><a href="/cc/cases">未办结诉求 ${open.length}${overdue.length ? `（超时 ${overdue.length}）` : ''}</a></li>
  <li class="${waiting.length ? 'warn' : ''}"><a href="/cc/rumors">待核实疑似谣言 ${waiting.length}</a></li>
</ul>`
  const body = html`<h1>总览</h1>
${attention}
<h2>近 ${RECENT_DAYS} 天的通知</h2>
${rows.length ? html`<ul class="notices">${rows}</ul>` : html`<p class="empty">近 ${RECENT_DAYS} 天没有通知。<a href="/cc/publish">发布一条</a></p>`}`
  return { title: '总览', section: '/cc/', body }
}

async function noticeRow(app: Cascade, code: string, now: number): Promise<Html> {
  const s = await app.statusTree(code)
  if (!s) return html``
  const a = s.announcement
  const [status, hh] = await Promise.all([codeStatus(app, a), householdCounts(app, code)])
  const t = totals(s.root)
  const oldest = oldestPending(s.root)
  return html`<li class="notice cs-${status}" data-code="${a.code}">
  <div class="notice-head"><a class="code" href="/cc/n/${a.code}">${a.code}</a> ${labels(a)} ${statusBadge(status)}</div>
  <div class="notice-meta">${app.nodeName(a.originNode)} · ${publisherName(app, a.author)} · ${dateAndClock(a.scheduledAt ?? a.createdAt)}${oldest !== undefined && status === 'live' ? html` · <span class="waiting">最久待审 ${ago(now - oldest)}</span>` : ''}${t.relays.rejected ? html` · 驳回 ${t.relays.rejected}` : ''}</div>
  ${bar('群已确认', t.groups.confirmed, t.groups.total, 'groups')}
  ${bar('群众收到', t.acks, t.members, 'acks')}
  ${hh ? bar('已覆盖户', hh.acked + hh.notified, hh.households, 'hh') : ''}
</li>`
}

function caseDue(app: Cascade, c: Case): number | undefined {
  const sla = app.cfg.cases?.kinds[c.kind]
  if (!sla) return undefined
  return c.state === 'taken' ? closeDeadline(c, sla) : takeDeadline(c, sla)
}

// ── One notice ──────────────────────────────────────────────────────────────

const AUDIT_ZH: Record<string, string> = {
  publish: '发布', update: '发布更正', cancel: '撤回', 'relay-opened': '送审', approve: '通过', edit: '修改后通过', reject: '驳回',
  classify: '分类', reminder: '提醒审核', escalation: '上报/后备', 'auto-forward': '按规则自动转发', expired: '过期',
  'pending-text-updated': '待审文本已更正', 'delivery-failed': '发送失败', 'delivery-withdrawn': '撤下未发', 'curator-unreachable': '审核员未绑定', 'household-notified': '电话/上门告知', 'series-run': '系列按时发出', withheld: '系列暂停或不在范围，未下发', 'from-inbox': '由待选选用',
}

export async function noticeView(app: Cascade, code: string): Promise<Rendered | undefined> {
  const s = await app.statusTree(code)
  if (!s) return undefined
  const a = s.announcement
  const now = app.now()
  const [relays, audit, status, hh, cancelledBy] = await Promise.all([
    app.store.relays(code), app.store.auditLog(code), codeStatus(app, a), householdCounts(app, code), app.store.cancelledBy(code),
  ])
  const t = totals(s.root)
  const related = await relatedCodes(app, a)
  const body = html`<h1>通知 <span class="code">${a.code}</span> ${statusBadge(status)}</h1>
<p class="notice-meta">${labels(a)} · ${app.nodeName(a.originNode)} · ${publisherName(app, a.author)} · 发布于 ${dateAndClock(a.createdAt)}${a.scheduledAt ? html` · 定时 ${dateAndClock(a.scheduledAt)}` : ''}${a.expiresAt ? html` · 有效至 ${dateAndClock(a.expiresAt)}` : ''}${cancelledBy && cancelledBy !== 'schedule' ? html` · 撤回通知 <a href="/cc/n/${cancelledBy}">${cancelledBy}</a>` : ''}${a.references ? html` · 原通知 <a href="/cc/n/${a.references}">${a.references}</a>` : ''}</p>
${related.length ? html`<p class="notice-meta">相关：${related.map(r => html`<a href="/cc/n/${r.code}">${r.code}</a>（${typeLabel(r)}） `)}</p>` : ''}
<section class="totals">
  ${bar('群已确认', t.groups.confirmed, t.groups.total, 'groups')}
  ${bar('群众收到', t.acks, t.members, 'acks')}
  ${hh ? bar('已覆盖户', hh.acked + hh.notified, hh.households, 'hh') : ''}
  <p class="legend">单位 ${t.nodesReached}：待审 ${t.relays.pending} · 通过 ${t.relays.approved} · 修改 ${t.relays.edited} · 驳回 ${t.relays.rejected} · 过期 ${t.relays.expired} · 撤回 ${t.relays.withdrawn}；群 排队 ${t.groups.queued + t.groups.sending} · 已发 ${t.groups.sent} · 确认 ${t.groups.confirmed} · 失败 ${t.groups.failed} · 撤下 ${t.groups.withdrawn}</p>
</section>
<section class="tree" aria-label="下发树">
${s.root ? treeNode(app, s.root, relays, now, 0) : html`<p class="empty">尚未下发（定时通知到点才下发）。</p>`}
</section>
<section class="texts"><h2>正文与各级修改</h2>${texts(app, a, relays)}</section>
<section class="timeline"><h2>时间线</h2><ol class="events">${audit.map(e => auditLine(app, e))}</ol></section>`
  return { title: `通知 ${a.code}`, section: '/cc/', body }
}

/** Corrections and the retraction of this notice (newest announcements only). */
async function relatedCodes(app: Cascade, a: Announcement): Promise<Announcement[]> {
  const codes = await app.store.redis.zrangebyscore(app.store.keys.announcements(), a.createdAt, '+inf', 'LIMIT', 0, 200)
  const out: Announcement[] = []
  for (const c of codes) {
    if (c === a.code) continue
    const x = await app.store.announcement(c)
    if (x?.references === a.code) out.push(x)
  }
  return out
}

function groupsLine(n: StatusNode): Html {
  if (n.groups.total === 0) return html``
  const g = n.groups
  return html`<span class="groups">群 ${g.confirmed}/${g.total} 确认${g.queued + g.sending ? `，排队 ${g.queued + g.sending}` : ''}${g.sent - g.confirmed > 0 ? `，已发 ${g.sent - g.confirmed}` : ''}${g.failed ? html`，<b class="bad">失败 ${g.failed}</b>` : ''}${g.withdrawn ? `，撤下 ${g.withdrawn}` : ''} · 收到 ${n.acks}/${n.members} 人${n.members ? `（${pct(n.acks, n.members)}%）` : ''}</span>`
}

function treeNode(app: Cascade, n: StatusNode, relays: Map<string, Relay>, now: number, depth: number): Html {
  const relay = relays.get(n.node)
  const auto = relay?.auto === true
  const cfg = app.cfg.nodes.get(n.node)
  let who: Html = html``
  if (n.state === 'pending') {
    const names = (cfg?.curators ?? []).map(p => app.personName(p)).join('、') || '（无审核员）'
    const backups = (cfg?.backups ?? []).map(p => app.personName(p)).join('、')
    who = html`<span class="who">已等 ${ago(now - n.openedAt)} · 等 ${names}${backups ? `（后备 ${backups}）` : ''}</span>`
  } else if (!n.origin && (n.decidedBy || n.reason)) {
    who = html`<span class="who">${auto ? '系统' : n.decidedBy ?? ''}${n.decidedAt ? ` ${dateAndClock(n.decidedAt)}` : ''}${n.reason ? html`：<q>${n.reason}</q>` : ''}</span>`
  }
  const stateLabel = auto ? (relay?.autoReason === 'policy' ? '本级免审转发' : relay?.autoReason === 'correction' ? '更正自动通过' : relay?.autoReason === 'series' ? '系列已通过' : '超时自动转发') : stateZh(n.state, n.origin)
  const cls = `node ${STATE_CLASS[n.state]}${auto ? ' st-auto' : ''} lvl-${cfg?.level ?? 'x'}`
  const head = html`<span class="name">${n.name}</span> <span class="state">${stateLabel}</span> ${who} ${groupsLine(n)}`
  if (n.children.length === 0) return html`<div class="${cls}" data-node="${n.node}" data-state="${n.state}"><div class="row">${head}</div></div>`
  const summary = childSummary(n)
  const kids = n.children.map(c => treeNode(app, c, relays, now, depth + 1))
  // The district is always open; townships open on a tap (the page keeps them open across updates).
  return depth === 0
    ? html`<div class="${cls}" data-node="${n.node}" data-state="${n.state}"><div class="row">${head}</div><div class="children">${kids}</div></div>`
    : html`<details class="${cls}" data-node="${n.node}" data-state="${n.state}"><summary class="row">${head} <span class="kids">${summary}</span></summary><div class="children">${kids}</div></details>`
}

function childSummary(n: StatusNode): string {
  const c: Partial<Record<RelayState, number>> = {}
  for (const k of n.children) c[k.state] = (c[k.state] ?? 0) + 1
  const parts = (Object.entries(c) as [RelayState, number][]).map(([s, k]) => `${stateZh(s)} ${k}`)
  return `下级 ${n.children.length}：${parts.join('，')}`
}

function diffHtml(before: string, after: string): Html {
  return html`<p class="diff">${diffChars(before, after).map(p => p.op === 'same' ? html`${p.text}` : p.op === 'del' ? html`<del>${p.text}</del>` : html`<ins>${p.text}</ins>`)}</p>`
}

function texts(app: Cascade, a: Announcement, relays: Map<string, Relay>): Html {
  const edits = [...relays.values()].filter(r => r.state === 'edited' && r.finalText !== undefined && r.finalText !== r.text)
  return html`<div class="text-block"><h3>${app.nodeName(a.originNode)}（发布原文）</h3><p class="text">${a.text}</p></div>
${edits.length === 0 ? html`<p class="empty">各级均未修改正文。</p>` : edits.map(r => html`<div class="text-block edited"><h3>${app.nodeName(r.node)} 修改后转发（${r.decidedBy ? app.personName(r.decidedBy) : ''}）</h3>${diffHtml(r.text, r.finalText!)}</div>`)}`
}

function auditLine(app: Cascade, e: AuditEvent): Html {
  const extra: (string | Html)[] = []
  if (e.reason) extra.push(html`理由：<q>${String(e.reason)}</q>`)
  if (e.kind === 'edit' && typeof e.before === 'string' && typeof e.after === 'string') extra.push(diffHtml(e.before, e.after))
  if (e.why) extra.push(String(e.why) === 'policy' ? '本级免审' : String(e.why) === 'correction' ? '紧急更正' : '超时未审')
  if (e.by) extra.push(html`撤回通知 <a href="/cc/n/${String(e.by)}">${String(e.by)}</a>`)
  if (e.kind === 'delivery-failed' || e.kind === 'delivery-withdrawn') extra.push(String(e.topic ?? ''))
  if (e.kind === 'household-notified') extra.push(String(e.household ?? ''))
  return html`<li class="ev ev-${e.kind}"><time>${dateAndClock(e.at)}</time> <b>${AUDIT_ZH[e.kind] ?? e.kind}</b>${e.node ? ` · ${app.nodeName(String(e.node))}` : ''}${e.actor ? ` · ${publisherName(app, String(e.actor))}` : ''}${extra.length ? html` · ${extra}` : ''}</li>`
}

// ── Households ──────────────────────────────────────────────────────────────

export async function householdsIndex(app: Cascade): Promise<Rendered> {
  const codes = await app.store.recentCodes(30)
  const list = (await Promise.all(codes.map(c => app.store.announcement(c)))).filter((a): a is Announcement => !!a && a.ackRequired && a.type !== 'cancel')
  const body = html`<h1>入户覆盖</h1>
${coverageOf(app) ? '' : html`<p class="empty">未配置 households.yaml：只能按群统计收到人数。</p>`}
${list.length ? html`<ul class="plain">${list.map(a => html`<li><a href="/cc/households/${a.code}">${a.code}</a> ${labels(a)} · ${dateAndClock(a.createdAt)}</li>`)}</ul>` : html`<p class="empty">还没有需要回执的通知。</p>`}`
  return { title: '入户覆盖', section: '/cc/households', body }
}

function countsHtml(c: Counts): Html {
  return html`${c.households ? bar('已覆盖户', c.acked + c.notified, c.households, 'hh') : ''}<span class="counts">${c.households ? `收到 ${c.acked} 户 · 电话/上门 ${c.notified} 户 · 未覆盖 ${c.households - c.acked - c.notified} 户 · ` : ''}${c.members ? `收到 ${c.membersAcked}/${c.members} 人` : ''}${c.unassigned ? ` · 未归户 ${c.unassigned} 人` : ''}</span>`
}

export async function householdsOf(app: Cascade, code: string): Promise<Rendered | undefined> {
  const a = await app.store.announcement(code)
  if (!a) return undefined
  const cov = coverageOf(app)
  const tree = cov ? await cov.tree(code) : undefined
  const row = (n: CoverageNode): Html => n.level === 'village'
    ? html`<li class="hh-village"><a href="/cc/households/${a.code}/${n.id}">${n.name}</a> ${countsHtml(n.counts)}</li>`
    : html`<li class="hh-${n.level}"><b>${n.name}</b> ${countsHtml(n.counts)}${n.children.length ? html`<ul>${n.children.filter(c => c.level !== 'group' && c.level !== 'grid').map(row)}</ul>` : ''}</li>`
  const body = html`<h1>入户覆盖 · <a href="/cc/n/${a.code}">${a.code}</a></h1>
<p class="notice-meta">${labels(a)} · ${dateAndClock(a.createdAt)}</p>
${tree ? html`<ul class="hh-tree">${row(tree)}</ul>` : html`<p class="empty">未配置 households.yaml。</p>`}`
  return { title: `入户 ${a.code}`, section: '/cc/households', body }
}

export async function householdsVillage(app: Cascade, code: string, village: string): Promise<Rendered | undefined> {
  const a = await app.store.announcement(code)
  const cov = coverageOf(app)
  if (!a || !cov || app.cfg.nodes.get(village)?.level !== 'village') return undefined
  const v = await cov.village(code, village)
  const people = (ids: string[]) => ids.map(p => app.personName(p)).join('、') || '（未设网格员）'
  const body = html`<h1>${app.nodeName(village)} · <a href="/cc/households/${a.code}">${a.code}</a></h1>
${countsHtml(v.counts)}
${v.grids.map(g => {
    const missing = missingHouseholds(g)
    const byPhone = g.households.filter(h => h.mark?.how === 'notified')
    return html`<section class="grid"><h2>${g.grid.name} · 网格员 ${people(g.grid.workers)}</h2>
${countsHtml(g.counts)}
<h3>未覆盖（${missing.length} 户）</h3>${missing.length ? html`<ul class="names missing">${missing.map(h => html`<li>${h.name}</li>`)}</ul>` : html`<p class="empty">全部覆盖。</p>`}
<h3>电话/上门通知（${byPhone.length} 户）</h3>${byPhone.length ? html`<ul class="names notified">${byPhone.map(h => html`<li>${h.household.name} <small>${app.personName(h.mark!.by)} ${h.mark!.at ? dateAndClock(h.mark!.at) : ''}</small></li>`)}</ul>` : html`<p class="empty">无。</p>`}
</section>`
  })}
${v.unassigned.length ? html`<section><h2>未归户成员（${v.unassigned.length}）</h2><p class="legend">群昵称无法对应到户，请网格员核对。</p></section>` : ''}`
  return { title: `入户 ${app.nodeName(village)}`, section: '/cc/households', body }
}

// ── Cases ───────────────────────────────────────────────────────────────────

export async function casesView(app: Cascade): Promise<Rendered> {
  const desk = casesOf(app)
  const now = app.now()
  if (!desk) return { title: '诉求', section: '/cc/cases', body: html`<h1>诉求</h1><p class="empty">未配置 cases.yaml：举报/求助功能未开启。</p>` }
  const all = await desk.store.all()
  const open = all.filter(c => ACTIVE_STATES.includes(c.state))
  const closed = all.filter(c => c.state === 'closed').slice(0, CLOSED_CASES_MAX)
  // Who reported stays with the handlers (as in chat): the command centre never shows the reporter.
  const row = (c: Case) => {
    const due = caseDue(app, c)
    const left = due === undefined ? '' : due >= now ? `剩 ${ago(due - now)}` : `超时 ${ago(now - due)}`
    return html`<tr class="case case-${c.state}${due !== undefined && due < now && c.state !== 'closed' ? ' overdue' : ''}" data-case="${c.code}">
<td>${c.code}</td><td>${KIND_VERB[c.kind]}</td><td>${app.nodeName(c.node)}</td><td>${caseStateZh(c.state)}</td>
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

// ── Rumors ──────────────────────────────────────────────────────────────────

export async function rumorsView(app: Cascade): Promise<Rendered> {
  const store = new RumorStore(app.store.redis, app.store.keys.base)
  const [suggestions, entries, codes] = await Promise.all([store.suggestions(), store.entries(), app.store.recentCodes(50)])
  const open = suggestions.filter(s => s.state === 'open').sort((a, b) => a.createdAt - b.createdAt)
  const decided = suggestions.filter(s => s.state !== 'open').sort((a, b) => (b.decidedAt ?? 0) - (a.decidedAt ?? 0)).slice(0, 30)
  const broadcasts = (await Promise.all(codes.map(c => app.store.announcement(c)))).filter((a): a is Announcement => a?.category === '辟谣')
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


/** The live region of a view path, or undefined when the path is no view. */
export async function renderView(app: Cascade, view: string): Promise<Rendered | undefined> {
  let m: RegExpExecArray | null
  if (view === '/cc/' || view === '/cc') return nowView(app)
  if ((m = /^\/cc\/n\/([A-Za-z0-9]{4})$/.exec(view))) return noticeView(app, m[1].toUpperCase())
  if (view === '/cc/households') return householdsIndex(app)
  if ((m = /^\/cc\/households\/([A-Za-z0-9]{4})$/.exec(view))) return householdsOf(app, m[1].toUpperCase())
  if ((m = /^\/cc\/households\/([A-Za-z0-9]{4})\/([\w.-]+)$/.exec(view))) return householdsVillage(app, m[1].toUpperCase(), m[2])
  if (view === '/cc/cases') return casesView(app)
  if (view === '/cc/rumors') return rumorsView(app)
  if (view === '/cc/accounts') return accountsView(app)
  return undefined
}
