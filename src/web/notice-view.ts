/**
 * One notice in the command centre: its tree (as far as the viewer's scope reaches, with the way
 * down from above), groups, acknowledgments, texts with each tier's edits, and the timeline — each
 * entry naming who acted and through which channel (微信 / 网页 / 命令行 / 接口). A group whose post
 * waits for an account that is offline says so, and why.
 */
import type { Announcement, Relay, RelayState } from '../domain/announcement.ts'
import { dateAndClock, stateZh, type StatusNode } from '../domain/status.ts'
import { accountState, BotHealth } from '../infra/bot-health.ts'
import { POLICY_ACTOR, type Cascade } from '../spine/cascade.ts'
import type { AuditEvent } from '../store/store.ts'
import { accountStateZh } from './accounts-view.ts'
import { diffChars } from './diff.ts'
import { html, type Html } from './html.ts'
import type { Scope } from './scope.ts'
import { actorName, ago, bar, CHANNEL_ZH, codeStatus, dotted, householdCounts, labels, pct, scopedTotals, scopedTree, statusBadge, typeLabel, noticeInScope, type Rendered } from './view-kit.ts'

const STATE_CLASS: Record<RelayState, string> = { pending: 'st-pending', approved: 'st-approved', edited: 'st-edited', rejected: 'st-rejected', expired: 'st-expired', withdrawn: 'st-withdrawn' }

const AUDIT_ZH: Record<string, string> = {
  publish: '发布', update: '发布更正', cancel: '撤回', 'relay-opened': '送审', approve: '通过', edit: '修改后通过', reject: '驳回',
  classify: '分类', reminder: '提醒审核', escalation: '上报/后备', 'auto-forward': '按规则自动转发', expired: '过期',
  'pending-text-updated': '待审文本已更正', 'delivery-failed': '发送失败', 'delivery-withdrawn': '撤下未发', 'curator-unreachable': '审核员未绑定', 'household-notified': '电话/上门告知', 'series-run': '系列按时发出', withheld: '系列暂停或不在范围，未下发', 'from-inbox': '由待选选用',
}

/** Timeline kinds shown for the nodes above a scope (the way down), not their groups' own events. */
const WAY_DOWN = new Set(['publish', 'update', 'cancel', 'relay-opened', 'approve', 'edit', 'reject', 'classify', 'auto-forward', 'pending-text-updated', 'expired'])

/** Per node: its groups whose posts wait for an account that is offline, and why. */
async function waitingOnOffline(app: Cascade, code: string): Promise<Map<string, string[]>> {
  const waiting = (await app.store.deliveries(code)).filter(d => d.state === 'queued' || d.state === 'sending')
  const out = new Map<string, string[]>()
  if (waiting.length === 0) return out
  const bots = [...new Set(waiting.map(d => d.bot))]
  const alive = await app.store.aliveBots(bots)
  const health = new BotHealth(app.store)
  const why = new Map(await Promise.all(bots.filter(b => !alive.has(b)).map(async b => [b, accountStateZh(accountState(await health.read(b, app.now()), false).state)] as const)))
  for (const d of waiting) {
    const w = why.get(d.bot)
    if (w === undefined) continue
    const line = `${app.cfg.bots.get(d.bot)?.name ?? d.bot} 离线（${w}）`
    const lines = out.get(d.node) ?? []
    if (!lines.includes(line)) lines.push(line)
    out.set(d.node, lines)
  }
  return out
}

export async function noticeView(app: Cascade, code: string, scope: Scope): Promise<Rendered | undefined> {
  const s = await app.statusTree(code)
  if (!s || !noticeInScope(s.announcement, s.root, scope)) return undefined
  const a = s.announcement
  const now = app.now()
  const root = scopedTree(s.root, scope)
  const [relays, audit, status, cancelledBy, offline, hh] = await Promise.all([
    app.store.relays(code), app.store.auditLog(code), codeStatus(app, a), app.store.cancelledBy(code), waitingOnOffline(app, code),
    scope.ops ? householdCounts(app, code) : undefined, // the district's households: ops only (others see theirs under 入户)
  ])
  const t = scopedTotals(root, scope)
  const related = await relatedCodes(app, a)
  const seen = (node: string | undefined) => scope.ops || !node || scope.nodes.has(node) || scope.above.has(node)
  const events = audit.filter(e => scope.ops || !e.node || scope.nodes.has(String(e.node)) || (scope.above.has(String(e.node)) && WAY_DOWN.has(e.kind)))
  const body = html`<h1>通知 <span class="code">${a.code}</span> ${statusBadge(status)}</h1>
<p class="notice-meta">${labels(a)} · ${app.nodeName(a.originNode)} · ${actorName(app, a.author)} · 发布于 ${dateAndClock(a.createdAt)}${a.scheduledAt ? html` · 定时 ${dateAndClock(a.scheduledAt)}` : ''}${a.expiresAt ? html` · 有效至 ${dateAndClock(a.expiresAt)}` : ''}${cancelledBy && cancelledBy !== 'schedule' ? html` · 撤回通知 <a href="/cc/n/${cancelledBy}">${cancelledBy}</a>` : ''}${a.references ? html` · 原通知 <a href="/cc/n/${a.references}">${a.references}</a>` : ''}</p>
${related.length ? html`<p class="notice-meta">相关：${related.map(r => html`<a href="/cc/n/${r.code}">${r.code}</a>（${typeLabel(r)}） `)}</p>` : ''}
<section class="totals">
  ${bar('群已确认', t.groups.confirmed, t.groups.total, 'groups')}
  ${bar('群众收到', t.acks, t.members, 'acks')}
  ${hh ? bar('已覆盖户', hh.acked + hh.notified, hh.households, 'hh') : ''}
  <p class="legend">${scope.ops ? '' : '本辖区 '}单位 ${t.nodesReached}：待审 ${t.relays.pending} · 通过 ${t.relays.approved} · 修改 ${t.relays.edited} · 驳回 ${t.relays.rejected} · 过期 ${t.relays.expired} · 撤回 ${t.relays.withdrawn}；群 排队 ${t.groups.queued + t.groups.sending} · 已发 ${t.groups.sent} · 确认 ${t.groups.confirmed} · 失败 ${t.groups.failed} · 撤下 ${t.groups.withdrawn}</p>
</section>
<section class="tree" aria-label="下发树">
${root ? treeNode(app, root, relays, offline, scope, now, 0) : html`<p class="empty">尚未下发（定时通知到点才下发）。</p>`}
</section>
<section class="texts"><h2>正文与各级修改</h2>${texts(app, a, [...relays.values()].filter(r => seen(r.node)))}</section>
<section class="timeline"><h2>时间线</h2><ol class="events">${events.map(e => auditLine(app, e))}</ol></section>`
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

function groupsLine(n: StatusNode, offline: string[] | undefined): Html {
  if (n.groups.total === 0) return html``
  const g = n.groups
  return html`<span class="groups">群 ${g.confirmed}/${g.total} 确认${g.queued + g.sending ? `，排队 ${g.queued + g.sending}` : ''}${g.sent - g.confirmed > 0 ? `，已发 ${g.sent - g.confirmed}` : ''}${g.failed ? html`，<b class="bad">失败 ${g.failed}</b>` : ''}${g.withdrawn ? `，撤下 ${g.withdrawn}` : ''} · 收到 ${n.acks}/${n.members} 人${n.members ? `（${pct(n.acks, n.members)}%）` : ''}</span>${offline?.length ? html` <b class="bad waiting-offline">等待值守号：${offline.join('；')}</b>` : ''}`
}

function treeNode(app: Cascade, n: StatusNode, relays: Map<string, Relay>, offline: Map<string, string[]>, scope: Scope, now: number, depth: number): Html {
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
  const cls = `node ${STATE_CLASS[n.state]}${auto ? ' st-auto' : ''} lvl-${cfg?.level ?? 'x'}${scope.nodes.has(n.node) ? '' : ' above'}`
  const head = html`<span class="name">${n.name}</span> <span class="state">${stateLabel}</span> ${who} ${groupsLine(n, offline.get(n.node))}`
  if (n.children.length === 0) return html`<div class="${cls}" data-node="${n.node}" data-state="${n.state}"><div class="row">${head}</div></div>`
  const summary = childSummary(n)
  const kids = n.children.map(c => treeNode(app, c, relays, offline, scope, now, depth + 1))
  // The top is always open, and so is the way down to a person's own nodes; the rest opens on a tap (kept open across updates).
  return depth === 0 || !scope.nodes.has(n.node)
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

function texts(app: Cascade, a: Announcement, relays: Relay[]): Html {
  const edits = relays.filter(r => r.state === 'edited' && r.finalText !== undefined && r.finalText !== r.text)
  return html`<div class="text-block"><h3>${app.nodeName(a.originNode)}（发布原文）</h3><p class="text">${a.text}</p></div>
${edits.length === 0 ? html`<p class="empty">各级均未修改正文。</p>` : edits.map(r => html`<div class="text-block edited"><h3>${app.nodeName(r.node)} 修改后转发（${r.decidedBy ? app.personName(r.decidedBy) : ''}）</h3>${diffHtml(r.text, r.finalText!)}</div>`)}`
}

/** Who acted: a person or ops with the channel; a policy's reminder is not its auto-forward. */
function actorOf(app: Cascade, e: AuditEvent): string {
  if (!e.actor) return ''
  if (e.actor === POLICY_ACTOR) return e.kind === 'auto-forward' ? '系统（超时未审核，按规则自动转发）' : '系统（按规则）'
  const via = e.via !== undefined ? CHANNEL_ZH[String(e.via)] : undefined
  return dotted([actorName(app, String(e.actor)), via])
}

function auditLine(app: Cascade, e: AuditEvent): Html {
  const extra: (string | Html)[] = []
  if (e.reason) extra.push(html`理由：<q>${String(e.reason)}</q>`)
  if ((e.kind === 'edit' || e.kind === 'pending-text-updated') && typeof e.before === 'string' && typeof e.after === 'string') extra.push(diffHtml(e.before, e.after))
  if (e.kind === 'classify' && e.after) extra.push(`${String(e.before ?? '')} → ${String(e.after)}`)
  if (e.why) extra.push(String(e.why) === 'policy' ? '本级免审' : String(e.why) === 'correction' ? '紧急更正' : String(e.why) === 'expired' ? '已过期' : '超时未审')
  // `by` names the announcement that caused this entry: a retraction notice, or a correction.
  if (e.by) extra.push(html`${e.kind === 'cancel' ? '撤回通知' : '更正'} <a href="/cc/n/${String(e.by)}">${String(e.by)}</a>`)
  if (e.kind === 'delivery-failed' || e.kind === 'delivery-withdrawn') extra.push(String(e.topic ?? ''))
  if (e.kind === 'household-notified') extra.push(String(e.household ?? ''))
  const head = dotted([e.node ? app.nodeName(String(e.node)) : '', actorOf(app, e)])
  return html`<li class="ev ev-${e.kind}"${e.via ? html` data-via="${String(e.via)}"` : ''}><time>${dateAndClock(e.at)}</time> <b>${AUDIT_ZH[e.kind] ?? e.kind}</b>${head ? ` · ${head}` : ''}${extra.length ? html` · ${extra}` : ''}</li>`
}
