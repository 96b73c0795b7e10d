/**
 * The status tree of one announcement: per node the relay state, who decided and when,
 * groups sent/confirmed, members acknowledged of total. Built from stored records; pure.
 */
import type { Announcement, Delivery, Relay, RelayState } from './announcement.ts'

export interface TreeNode { id: string; name: string; children: string[] }

export interface GroupCounts { total: number; queued: number; sending: number; sent: number; confirmed: number; failed: number; withdrawn: number }

export interface StatusNode {
  node: string
  name: string
  state: RelayState
  /** The origin node: published, not approved. */
  origin: boolean
  decidedBy?: string
  decidedAt?: number
  openedAt: number
  reason?: string
  edited: boolean
  groups: GroupCounts
  members: number
  acks: number
  children: StatusNode[]
}

export interface StatusInput {
  announcement: Announcement
  /** Display names of people by id (for "who decided"). */
  personName: (id: string) => string
  tree: (id: string) => TreeNode | undefined
  relays: Map<string, Relay>
  deliveries: Delivery[]
  /** Acknowledgments per group topic. */
  acksByTopic: Map<string, number>
}

export interface StatusTotals { nodesReached: number; relays: Record<RelayState, number>; groups: GroupCounts; members: number; acks: number }

export function emptyCounts(): GroupCounts { return { total: 0, queued: 0, sending: 0, sent: 0, confirmed: 0, failed: 0, withdrawn: 0 } }

function addCounts(a: GroupCounts, b: GroupCounts): void {
  for (const k of Object.keys(a) as (keyof GroupCounts)[]) a[k] += b[k]
}

/** Builds the tree from the origin down, through every node a relay reached. */
export function buildStatus(input: StatusInput): StatusNode | undefined {
  const byNode = new Map<string, Delivery[]>()
  for (const d of input.deliveries) byNode.set(d.node, [...(byNode.get(d.node) ?? []), d])
  const visit = (id: string): StatusNode | undefined => {
    const relay = input.relays.get(id)
    const tree = input.tree(id)
    if (!relay || !tree) return undefined
    const groups = emptyCounts()
    let members = 0
    let acks = 0
    for (const d of byNode.get(id) ?? []) {
      groups.total++
      groups[d.state]++
      // a confirmed post was also sent
      if (d.state === 'confirmed') groups.sent++
      members += d.members ?? 0
      acks += input.acksByTopic.get(d.topic) ?? 0
    }
    return {
      node: id,
      name: tree.name,
      state: relay.state,
      origin: id === input.announcement.originNode,
      decidedBy: relay.decidedBy ? input.personName(relay.decidedBy) : undefined,
      decidedAt: relay.decidedAt,
      openedAt: relay.openedAt,
      reason: relay.reason,
      edited: relay.state === 'edited',
      groups, members, acks,
      children: tree.children.map(visit).filter((n): n is StatusNode => n !== undefined),
    }
  }
  return visit(input.announcement.originNode)
}

export function totals(root: StatusNode | undefined): StatusTotals {
  const relays = { pending: 0, approved: 0, edited: 0, rejected: 0, expired: 0, withdrawn: 0 }
  const t: StatusTotals = { nodesReached: 0, relays, groups: emptyCounts(), members: 0, acks: 0 }
  const walk = (n: StatusNode) => {
    t.nodesReached++
    relays[n.state]++
    addCounts(t.groups, n.groups)
    t.members += n.members
    t.acks += n.acks
    n.children.forEach(walk)
  }
  if (root) walk(root)
  return t
}

const STATE_ZH: Record<RelayState, string> = {
  pending: '待审核', approved: '已通过', edited: '已修改后转发', rejected: '已驳回', expired: '已过期', withdrawn: '已撤回',
}
export function stateZh(state: RelayState, origin = false): string {
  return origin && state === 'approved' ? '已发布' : STATE_ZH[state]
}

const CLOCK = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
const DATE = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit' })
/** Beijing time, `20:18:05`. */
export function clock(ms: number): string { return CLOCK.format(ms) }
export function dateAndClock(ms: number): string { return `${DATE.format(ms)} ${CLOCK.format(ms)}` }

function minutes(ms: number): string {
  const m = Math.floor(ms / 60000)
  return m < 1 ? '不到 1 分钟' : `${m} 分钟`
}

function line(n: StatusNode, now: number): string {
  let s = `${n.name} ${stateZh(n.state, n.origin)}`
  if (n.state === 'pending') s += `（已等 ${minutes(now - n.openedAt)}）`
  else if (n.decidedBy) s += `（${n.decidedBy} ${n.decidedAt ? clock(n.decidedAt) : ''}${n.reason ? `：${n.reason}` : ''}）`
  if (n.groups.total > 0) {
    s += ` · 群 已发 ${n.groups.sent}/${n.groups.total} 确认 ${n.groups.confirmed}`
    if (n.groups.failed) s += ` 失败 ${n.groups.failed}`
    if (n.groups.withdrawn) s += ` 撤下 ${n.groups.withdrawn}`
    s += ` · 收到 ${n.acks}/${n.members} 人`
  }
  return s
}

/** The tree as chat text (also printed by `cascade status`). */
export function renderStatus(a: Announcement, root: StatusNode | undefined, authorName: string, originName: string, now: number): string {
  const t = totals(root)
  const waiting = a.released === false && a.scheduledAt !== undefined
  // Retracted: by a cancel notice (its code), or a scheduled one called off before it went out.
  const retracted = a.cancelledBy === undefined ? '' : a.cancelledBy === 'schedule' ? '· 已撤回（未发出）' : `· 已撤回（撤回通知 ${a.cancelledBy}）`
  const when = waiting ? `定时发布 ${dateAndClock(a.scheduledAt!)}（创建于 ${dateAndClock(a.createdAt)}）` : `发布于 ${dateAndClock(a.scheduledAt ?? a.createdAt)}`
  const out = [
    `${a.status === 'exercise' ? '【演练】' : ''}${a.type === 'update' ? `【更正 ${a.references}】` : a.type === 'cancel' ? `【撤回 ${a.references}】` : ''}通知 ${a.code}（${a.severity === 'urgent' ? '紧急' : a.severity === 'info' ? '参考' : '一般'}）${retracted}· ${originName} ${authorName} ${when}`,
    waiting
      ? (a.cancelledBy ? '未发出，已不会发出' : `尚未发出：将于 ${dateAndClock(a.scheduledAt!)} 发出（还有 ${minutes(a.scheduledAt! - now)}），发出前可撤回`)
      : `共到达 ${t.nodesReached} 个单位：待审核 ${t.relays.pending}，已驳回 ${t.relays.rejected}；群 已发 ${t.groups.sent}/${t.groups.total}，确认 ${t.groups.confirmed}；收到 ${t.acks}/${t.members} 人`,
  ]
  const walk = (n: StatusNode, prefix: string, childPrefix: string) => {
    out.push(prefix + line(n, now))
    n.children.forEach((c, i) => {
      const last = i === n.children.length - 1
      walk(c, childPrefix + (last ? '└─ ' : '├─ '), childPrefix + (last ? '   ' : '│  '))
    })
  }
  if (root) walk(root, '', '')
  return out.join('\n')
}
