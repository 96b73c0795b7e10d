/**
 * The figures of one fan-out (one notice in one namespace), from its relay and delivery records
 * and the bot processes' transcripts: shared by every scale of bench/fanout-bench.ts (one tree,
 * and the province's districts on a cluster or one Redis).
 */
import type { CascadeConfig, PacingConfig } from '../../src/config/types.ts'
import type { Delivery, Relay } from '../../src/domain/announcement.ts'
import type { Store } from '../../src/store/store.ts'

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
/** Progress goes to stderr: stdout carries the table (and the JSON line). */
export const log = (line: string) => console.error(line)

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p / 100 * s.length) - 1))]
}
export const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity)
export const min = (xs: number[]) => xs.reduce((a, b) => Math.min(a, b), Infinity)

export function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const x of xs) out[x] = (out[x] ?? 0) + 1
  return out
}

export const f0 = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'
export const f1 = (n: number) => Number.isFinite(n) ? n.toFixed(1) : '–'
export const f2 = (n: number) => Number.isFinite(n) ? n.toFixed(2) : '–'

type Spread = { p50: number; p95: number; max: number }
const spread = (xs: number[]): Spread => ({ p50: pct(xs, 50), p95: pct(xs, 95), max: max(xs) })

/** What one notice's fan-out shows, whichever scale ran it. */
export interface FlowFigures {
  /** How long app.publish() took: the whole tree planned and every send enqueued. */
  publishCallMs: number
  /** Publish → the last group confirmed / sent. */
  lastConfirmedMs: number
  lastSentMs: number
  lastVillageConfirmedMs: number
  lastVillageSentMs: number
  /** Last relay decided (the last "approval") → last village group confirmed. */
  lastApprovalToVillagesMs: number
  hopMs: Spread & { byLevel: Record<string, { n: number; p50: number; p95: number }> }
  approvalFreeHopMs: Spread
  /**
   * A hop split in two: the relay step (parent decided → this node's posts all queued: opening
   * the relay, the policy's decision, planning, queueing — Cascade's own work per tier) and the
   * send wait (last post queued → last post confirmed: the accounts' turn, i.e. their capacity).
   */
  relayStepMs: Spread
  sendWaitMs: Spread
  sendsPerSecond: { overall: number; perProcess: number[] }
  postsPerAccount: { max: number; min: number; accounts: number }
  /** Pacing on: ideal = groups ÷ (accounts × perMinute/60), efficiency = ideal ÷ actual. */
  ideal?: { seconds: number; efficiency: number }
  correctness: { groups: number; confirmed: number; failed: number; duplicatePosts: number; groupsWithoutPost: number; relays: number; relaysNotForwarded: number; timedOut: boolean; missing: string[] }
}

export interface FlowInput {
  cfg: CascadeConfig
  rootId: string
  bots: string[]
  mode: 'off' | 'on'
  pacing: PacingConfig
  /** When publish() was called (the origin relay's decidedAt is preferred), and how long it took. */
  t0: number
  publishCallMs: number
  relays: Map<string, Relay>
  deliveries: Delivery[]
  /** Posts of the notice seen per group topic, over every bot process's transcript. */
  posts: Map<string, number>
  /** The bot process of each account, for sends/s per process. */
  procOf: Map<string, number>
  processes: number
  timedOut: boolean
}

/** Every public group's topic in the config. */
export const publicTopics = (cfg: CascadeConfig) => [...cfg.nodes.values()].flatMap(n => n.groups.filter(g => g.kind === 'public').map(g => g.topic))

export function flowFigures(x: FlowInput): FlowFigures {
  const { cfg, relays, deliveries } = x
  const publishAt = relays.get(x.rootId)?.decidedAt ?? x.t0
  const levelOf = (node: string) => cfg.nodes.get(node)?.level ?? 'unknown'
  const confirmed = deliveries.filter(d => d.confirmedAt !== undefined)
  const sent = deliveries.filter(d => d.sentAt !== undefined)
  const lastByNode = new Map<string, number>()
  for (const d of confirmed) lastByNode.set(d.node, Math.max(lastByNode.get(d.node) ?? 0, d.confirmedAt!))
  const queuedByNode = new Map<string, number>()
  for (const d of deliveries) queuedByNode.set(d.node, Math.max(queuedByNode.get(d.node) ?? 0, d.queuedAt))
  const hops: { level: string; ms: number }[] = []
  const approvalFree: number[] = []
  const relaySteps: number[] = []
  const sendWaits: number[] = []
  for (const r of relays.values()) {
    const parentDecided = r.parent ? relays.get(r.parent)?.decidedAt : r.decidedAt
    const last = lastByNode.get(r.node)
    const queued = queuedByNode.get(r.node)
    if (parentDecided !== undefined && last !== undefined) hops.push({ level: levelOf(r.node), ms: last - parentDecided })
    if (parentDecided !== undefined && queued !== undefined && last !== undefined) {
      relaySteps.push(queued - parentDecided)
      sendWaits.push(last - queued)
    }
    if (r.parent && r.decidedAt !== undefined) approvalFree.push(r.decidedAt - r.openedAt)
  }
  const byLevel: FlowFigures['hopMs']['byLevel'] = {}
  for (const level of ['district', 'township', 'village']) {
    const xs = hops.filter(h => h.level === level).map(h => h.ms)
    byLevel[level] = { n: xs.length, p50: pct(xs, 50), p95: pct(xs, 95) }
  }
  const village = deliveries.filter(d => levelOf(d.node) === 'village')
  const rate = (ds: Delivery[]) => {
    const at = ds.filter(d => d.sentAt !== undefined).map(d => d.sentAt!)
    return at.length > 1 ? at.length / ((max(at) - min(at)) / 1000) : NaN
  }
  const perBot = new Map(x.bots.map(b => [b, 0]))
  for (const d of sent) perBot.set(d.bot, (perBot.get(d.bot) ?? 0) + 1)
  const topics = publicTopics(cfg)
  const total = topics.length
  const lastDecided = max([...relays.values()].map(r => r.decidedAt ?? 0))
  const lastConfirmedMs = max(confirmed.map(d => d.confirmedAt!)) - publishAt
  const idealSeconds = total / (x.bots.length * x.pacing.perMinute / 60)
  const confirmedTopics = new Set(confirmed.filter(d => d.state === 'confirmed').map(d => d.topic))
  const missing = topics.filter(t => !confirmedTopics.has(t))
  const villageConfirmed = village.filter(d => d.confirmedAt).map(d => d.confirmedAt!)
  return {
    publishCallMs: x.publishCallMs,
    lastConfirmedMs,
    lastSentMs: max(sent.map(d => d.sentAt!)) - publishAt,
    lastVillageConfirmedMs: max(villageConfirmed) - publishAt,
    lastVillageSentMs: max(village.filter(d => d.sentAt).map(d => d.sentAt!)) - publishAt,
    lastApprovalToVillagesMs: max(villageConfirmed) - lastDecided,
    hopMs: { ...spread(hops.map(h => h.ms)), byLevel },
    approvalFreeHopMs: spread(approvalFree),
    relayStepMs: spread(relaySteps),
    sendWaitMs: spread(sendWaits),
    sendsPerSecond: { overall: rate(deliveries), perProcess: Array.from({ length: x.processes }, (_, i) => rate(deliveries.filter(d => x.procOf.get(d.bot) === i))) },
    postsPerAccount: { max: max([...perBot.values()]), min: min([...perBot.values()]), accounts: perBot.size },
    ...(x.mode === 'on' ? { ideal: { seconds: idealSeconds, efficiency: idealSeconds * 1000 / lastConfirmedMs } } : {}),
    correctness: {
      groups: total,
      confirmed: deliveries.filter(d => d.state === 'confirmed').length,
      failed: deliveries.filter(d => d.state === 'failed').length,
      duplicatePosts: [...x.posts.values()].reduce((n, k) => n + Math.max(0, k - 1), 0),
      groupsWithoutPost: topics.filter(t => !x.posts.get(t)).length,
      relays: relays.size,
      relaysNotForwarded: [...relays.values()].filter(r => r.state !== 'approved' && r.state !== 'edited').length,
      timedOut: x.timedOut, missing: missing.slice(0, 10),
    },
  }
}

/** Posts per group topic, summed over the bot processes' transcripts. */
export function postsByTopic(stats: { posts: Record<string, number> }[]): Map<string, number> {
  const posts = new Map<string, number>()
  for (const s of stats) for (const [topic, n] of Object.entries(s.posts)) posts.set(topic, (posts.get(topic) ?? 0) + n)
  return posts
}

/** True when every group of the notice is confirmed or failed. */
export async function groupsDone(store: Store, code: string, total: number): Promise<{ deliveries: Delivery[]; done: number; finished: boolean }> {
  const deliveries = await store.deliveries(code)
  const done = deliveries.filter(d => d.state === 'confirmed' || d.state === 'failed').length
  return { deliveries, done, finished: deliveries.length === total && done === total }
}

/** Polls the deliveries until every group's post is confirmed (or failed), or the timeout. */
export async function waitForGroups(store: Store, code: string, total: number, timeoutMs: number, everyMs: number, label = ''): Promise<{ deliveries: Delivery[]; timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs
  let lastShown = Date.now()
  for (;;) {
    const { deliveries, done, finished } = await groupsDone(store, code, total)
    if (finished) return { deliveries, timedOut: false }
    if (Date.now() > deadline) return { deliveries, timedOut: true }
    if (Date.now() - lastShown > 10_000) {
      lastShown = Date.now()
      log(`    … ${label}${done}/${total} groups confirmed`)
    }
    await sleep(everyMs)
  }
}

/** A text table: a header, rows (a one-cell row is a section title), right-aligned figures. */
export function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((_, i) => Math.max(...[head, ...rows].map(r => (r[i] ?? '').length)))
  const line = (r: string[]) => r.length === 1 ? `── ${r[0]}` : r.map((c, i) => i === 0 ? c.padEnd(widths[0]) : c.padStart(widths[i])).join('  ').trimEnd()
  return [line(head), ...rows.map(line)].join('\n')
}
