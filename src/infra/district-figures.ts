/**
 * The district-wide figures `/metrics` exports once (src/infra/metrics-scrape.ts), read from Redis
 * at scrape time: each account's state and backlog, queue depths, approvals waiting (and past their
 * policy), open cases, and each recent notice's fan-out and acknowledgments. Pure reads; the
 * numbers are the same whichever process reads them, which is why only one exports them.
 */
import type { CascadeConfig } from '../config/types.ts'
import { policyFor } from '../config/policies.ts'
import type { Announcement, DeliveryState, Relay } from '../domain/announcement.ts'
import type { Outboxes } from '../queue/outbox.ts'
import { outboxName } from '../queue/outbox.ts'
import type { Timers } from '../queue/timers.ts'
import type { Store } from '../store/store.ts'
import { accountState, BotHealth, type AccountState } from './bot-health.ts'
import { METRICS, metricsOf, type Labels } from './metrics.ts'

/** What the figures are read from. */
export interface ScrapeSource { cfg: CascadeConfig; store: Store; outboxes: Outboxes; timers: Timers; now: () => number }

/** Job states shown as queue depth. */
export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const
/** The states that make an outbox's backlog (posts still to go). */
const BACKLOG_STATES = ['waiting', 'prioritized', 'active', 'delayed'] as const
export const DELIVERY_STATES: readonly DeliveryState[] = ['queued', 'sending', 'sent', 'confirmed', 'failed', 'withdrawn']

/** An account's state as a label value (snake case, as Prometheus labels usually are). */
export const STATE_SLUGS: Record<AccountState['state'], string> = {
  'logged in': 'logged_in', reconnecting: 'reconnecting', 'sync stalled': 'sync_stalled', 'loading contacts': 'loading_contacts',
  'waiting for a QR scan': 'waiting_for_scan', 'barred from web WeChat': 'barred', 'cannot reach WeChat': 'unreachable',
  stopped: 'stopped', 'logged out': 'logged_out', 'not responding': 'not_responding', 'not started': 'not_started',
}

/** Notices shown one by one: those published within this many hours (at most NOTICES of them). */
export const NOTICE_WINDOW_HOURS = 24
const NOTICES = 20

export interface Sample { labels: Labels; value: number }
/** Figure name → its samples. */
export type Figures = Map<string, Sample[]>

const SECOND = 1000

export async function readDistrict(src: ScrapeSource): Promise<Figures> {
  const out: Figures = new Map()
  const put = (name: string, labels: Labels, value: number) => { out.set(name, [...out.get(name) ?? [], { labels, value }]) }
  const now = src.now()
  const bots = [...src.cfg.bots.keys()]
  const health = new BotHealth(src.store)
  const [alive, records, gauges] = await Promise.all([src.store.aliveBots(bots), Promise.all(bots.map(b => health.read(b, now))), metricsOf(src).gauges()])

  const queues = [...bots.map(b => ({ name: outboxName(b), bot: b as string | undefined, q: src.outboxes.queue(b) })), { name: 'timers', bot: undefined, q: src.timers.queue }]
  const counts = await Promise.all(queues.map(({ q }) => q.getJobCounts(...QUEUE_STATES)))
  queues.forEach(({ name, bot }, i) => {
    for (const s of QUEUE_STATES) put('cascade_queue_depth', { queue: name, state: s }, counts[i][s] ?? 0)
    if (bot) put('cascade_bot_backlog', { bot }, BACKLOG_STATES.reduce((n, s) => n + (counts[i][s] ?? 0), 0))
  })
  bots.forEach((bot, i) => {
    const r = records[i]
    const state = STATE_SLUGS[accountState(r, alive.has(bot)).state]
    put('cascade_bot_logged_in', { bot }, alive.has(bot) ? 1 : 0)
    for (const s of Object.values(STATE_SLUGS)) put('cascade_bot_state', { bot, state: s }, s === state ? 1 : 0)
    if (r.lastSendAt !== undefined) put('cascade_bot_last_send_timestamp_seconds', { bot }, r.lastSendAt / SECOND)
    put('cascade_bot_backoff_remaining_seconds', { bot }, Math.max(0, ((r.backoffUntil ?? 0) - now) / SECOND))
    put('cascade_bot_groups_missing', { bot }, r.missingGroups.length)
  })

  // Open cases: what Redis holds, and 0 for every other node (the family is never empty).
  const open = new Map((gauges.get(METRICS.openCases.name) ?? []).map(s => [s.labels.node, s.value]))
  for (const node of src.cfg.nodes.keys()) put(METRICS.openCases.name, { node }, open.get(node) ?? 0)

  await approvals(src, now, put)
  await notices(src, now, put)
  return out
}

/** Relays waiting for a curator per node, and those past their policy (auto-forward, else escalation time). */
async function approvals(src: ScrapeSource, now: number, put: (n: string, l: Labels, v: number) => void): Promise<void> {
  const nodes = [...src.cfg.nodes.values()]
  const pipe = src.store.redis.pipeline()
  for (const n of nodes) pipe.smembers(src.store.keys.pending(n.id))
  const pending = ((await pipe.exec()) ?? []).map(([, codes]) => (codes as string[] | null) ?? [])
  const announcements = new Map<string, Promise<Announcement | undefined>>()
  const announcement = (code: string) => {
    if (!announcements.has(code)) announcements.set(code, src.store.announcement(code))
    return announcements.get(code)!
  }
  await Promise.all(nodes.map(async (n, i) => {
    let overdue = 0
    const relays = await Promise.all(pending[i].map(async code => [await src.store.relay(code, n.id), await announcement(code)] as [Relay | undefined, Announcement | undefined]))
    const waiting = relays.filter(([r]) => r?.state === 'pending')
    for (const [r, a] of waiting) {
      const p = policyFor(src.cfg.policies, n.id, a?.severity ?? 'normal')
      if (now - r!.openedAt > (p.autoForwardAfter ?? p.escalateAfter) * 60_000) overdue++
    }
    put('cascade_approvals_waiting', { node: n.id, tier: n.level }, waiting.length)
    put('cascade_approvals_overdue', { node: n.id, tier: n.level }, overdue)
  }))
}

/** Each notice of the last day: its groups by state, and (when it asks for 收到) members and acknowledgments. */
async function notices(src: ScrapeSource, now: number, put: (n: string, l: Labels, v: number) => void): Promise<void> {
  const codes = await src.store.recentCodes(NOTICES)
  await Promise.all(codes.map(async code => {
    const a = await src.store.announcement(code)
    if (!a || now - a.createdAt > NOTICE_WINDOW_HOURS * 3600_000) return
    const labels = { code, severity: a.severity }
    const [deliveries, acks] = await Promise.all([src.store.deliveries(code), src.store.redis.hlen(src.store.keys.acks(code))])
    for (const state of DELIVERY_STATES) put('cascade_notice_groups', { ...labels, state }, deliveries.filter(d => d.state === state).length)
    put('cascade_notice_published_timestamp_seconds', labels, Math.max(a.createdAt, a.scheduledAt ?? 0) / SECOND)
    if (!a.ackRequired) return
    put('cascade_notice_members', labels, deliveries.reduce((n, d) => n + (d.members ?? 0), 0))
    put('cascade_notice_acknowledgments', labels, acks)
  }))
}

/** Help texts of the district-wide figures (all gauges). */
export const DISTRICT_HELP: Record<string, string> = {
  cascade_queue_depth: 'District-wide: jobs in each queue (outbox-<bot>, timers) by state.',
  cascade_bot_backlog: 'District-wide: posts waiting in the account\'s outbox (waiting, prioritized, active, delayed).',
  cascade_bot_logged_in: 'District-wide: 1 while the account is logged in (its heartbeat is fresh), else 0.',
  cascade_bot_state: 'District-wide: 1 for the account\'s current state (logged_in, reconnecting, sync_stalled, loading_contacts, waiting_for_scan, barred, unreachable, stopped, logged_out, not_responding, not_started), 0 for the others.',
  cascade_bot_last_send_timestamp_seconds: 'District-wide: when the account last sent anything (Unix time).',
  cascade_bot_backoff_remaining_seconds: 'District-wide: seconds the account\'s outbox still waits after WeChat said "too frequent" (1205).',
  cascade_bot_groups_missing: 'District-wide: configured groups the account did not find at its last login.',
  [METRICS.openCases.name]: METRICS.openCases.help,
  cascade_approvals_waiting: 'District-wide: notices waiting for the curators of a node.',
  cascade_approvals_overdue: 'District-wide: notices waiting at a node longer than its policy allows (autoForwardAfter, else escalateAfter; config/policies.yaml).',
  cascade_notice_groups: `District-wide: groups of each notice of the last ${NOTICE_WINDOW_HOURS} h by delivery state (fan-out progress).`,
  cascade_notice_published_timestamp_seconds: 'District-wide: when each recent notice was published (Unix time).',
  cascade_notice_members: 'District-wide: members of the groups a recent notice asking for 收到 was posted to.',
  cascade_notice_acknowledgments: 'District-wide: acknowledgments (收到) recorded for a recent notice.',
}
