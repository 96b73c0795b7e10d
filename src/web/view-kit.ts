/** What every command-centre view shares: its rendered shape, how long ago, bars, badges, names, the scope's part of a tree. */
import type { Announcement } from '../domain/announcement.ts'
import { emptyCounts, totals, type StatusNode, type StatusTotals } from '../domain/status.ts'
import { POLICY_ACTOR, severityZh, type Cascade } from '../spine/cascade.ts'
import { html, type Html } from './html.ts'
import type { Scope } from './scope.ts'
import { API_AUTHOR } from './shared.ts'
import { coverageOf } from '../features/coverage/coverage.ts'
import type { Counts } from '../domain/households.ts'

export interface Rendered { title: string; section: string; body: Html }

export function ago(ms: number): string {
  // Minutes at the finest: a live page then changes once a minute, not every second.
  const m = Math.floor(Math.max(0, ms) / 60_000)
  if (m < 1) return '不到 1 分钟'
  if (m < 60) return `${m} 分钟`
  const h = Math.floor(m / 60)
  return h < 48 ? `${h} 小时 ${m % 60} 分` : `${Math.floor(h / 24)} 天`
}

// ── pieces shared by the views (moved from views.ts) ────────────────────────

export function pct(n: number, of: number): number { return of > 0 ? Math.round((100 * n) / of) : 0 }

export function bar(label: string, n: number, of: number, cls = ''): Html {
  // <progress>, not a styled width: the page's CSP allows no inline styles.
  return html`<div class="bar ${cls}"><span class="bar-label">${label}</span><progress max="${Math.max(of, 1)}" value="${n}" aria-label="${label} ${pct(n, of)}%"></progress><span class="bar-num">${n}/${of}</span></div>`
}

/** Parts joined by 「 · 」, the empty ones left out (no dangling separator). */
export function dotted(parts: (string | false | undefined | null)[]): string { return parts.filter(Boolean).join(' · ') }

export function typeLabel(a: Announcement): string {
  return a.type === 'update' ? `更正 ${a.references}` : a.type === 'cancel' ? `撤回通知 ${a.references}` : ''
}

export type CodeStatus = 'scheduled' | 'retracted' | 'expired' | 'live'

export async function codeStatus(app: Cascade, a: Announcement): Promise<CodeStatus> {
  if (await app.store.cancelledBy(a.code)) return 'retracted'
  if (a.released === false) return 'scheduled'
  if (a.expiresAt !== undefined && a.expiresAt <= app.now()) return 'expired'
  return 'live'
}

const STATUS_ZH: Record<CodeStatus, string> = { scheduled: '定时待发', retracted: '已撤回', expired: '已过期', live: '进行中' }

export function statusBadge(s: CodeStatus): Html { return html`<span class="badge cs-${s}">${STATUS_ZH[s]}</span>` }

export function labels(a: Announcement): Html {
  return html`<span class="badge sev-${a.severity}">${severityZh(a.severity)}</span>
<span class="badge">${a.category}</span>${a.status === 'exercise' ? html` <span class="badge drill">演练</span>` : ''}${typeLabel(a) ? html` <span class="badge">${typeLabel(a)}</span>` : ''}`
}

/** How an action reached Cascade, in the timeline and the audit. */
export const CHANNEL_ZH: Record<string, string> = { chat: '微信', web: '网页', cli: '命令行', api: '接口' }

/** Who did it: a person's name, or which ops channel; a policy is 「系统（按规则）」. */
export function actorName(app: Cascade, id: string): string {
  if (id === API_AUTHOR) return '运维（接口）'
  if (id === POLICY_ACTOR) return '系统（按规则）'
  return app.personName(id)
}

/** The tree as a scope sees it: its subtrees whole, the nodes above only as the way down (no groups). */
export function scopedTree(root: StatusNode | undefined, scope: Scope): StatusNode | undefined {
  if (!root || scope.ops) return root
  const keep = (n: StatusNode): StatusNode | undefined => {
    if (scope.nodes.has(n.node)) return n
    if (!scope.above.has(n.node)) return undefined
    const children = n.children.map(keep).filter((c): c is StatusNode => c !== undefined)
    return children.length ? { ...n, groups: emptyCounts(), members: 0, acks: 0, children } : undefined
  }
  return keep(root)
}

/** Totals over the scope's own subtrees of a (scoped) tree. */
export function scopedTotals(root: StatusNode | undefined, scope: Scope): StatusTotals {
  if (scope.ops || !root) return totals(root)
  const tops: StatusNode[] = []
  const find = (n: StatusNode) => { if (scope.nodes.has(n.node)) tops.push(n); else n.children.forEach(find) }
  find(root)
  const sum = totals(undefined)
  for (const t of tops.map(totals)) {
    sum.nodesReached += t.nodesReached
    sum.members += t.members
    sum.acks += t.acks
    for (const k of Object.keys(sum.relays) as (keyof typeof sum.relays)[]) sum.relays[k] += t.relays[k]
    for (const k of Object.keys(sum.groups) as (keyof typeof sum.groups)[]) sum.groups[k] += t.groups[k]
  }
  return sum
}

/** Whether a notice is shown to the scope: it started in it, or its tree reaches it. */
export function noticeInScope(a: Announcement, root: StatusNode | undefined, scope: Scope): boolean {
  if (scope.ops || scope.nodes.has(a.originNode)) return true
  let seen = false
  const walk = (n: StatusNode) => { if (scope.nodes.has(n.node)) seen = true; else n.children.forEach(walk) }
  if (root) walk(root)
  return seen
}

/** Households reached and in total under the district, when households are configured. */
export async function householdCounts(app: Cascade, code: string): Promise<Counts | undefined> {
  const cov = coverageOf(app)
  if (!cov) return undefined
  const tree = await cov.tree(code)
  return tree && tree.counts.households > 0 ? tree.counts : undefined
}
