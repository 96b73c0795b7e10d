/**
 * The curators' workflow over time and the publisher's second thoughts, built on the relay
 * use-cases of the spine (src/spine/relays.ts): reminders, escalation and auto-forward by
 * policy; corrections (CAP `update`) that follow the original's path; retraction (CAP `cancel`)
 * that withdraws what is pending and corrects every group that got the original, exactly once;
 * `待办`; `分类`.
 *
 * The spine does not know this file: `installCuration` registers its commands
 * (`app.command`), the way corrections forward (`relays.forwardAs('update', …)`), the policy
 * timers started when a relay waits for its curators (`relays.onAwaitingDecision`) and their
 * handlers (`app.timers.handle`).
 */
import { policyFor } from '../../config/policies.ts'
import type { Announcement, Relay } from '../../domain/announcement.ts'
import { USAGE } from '../../domain/commands.ts'
import { isBlank } from '../../domain/text.ts'
import { PRIORITY } from '../../queue/outbox.ts'
import { CLI_AUTHOR, POLICY_ACTOR, PROVINCE_ACTOR, severityZh, WEB_AUTHOR, type Cascade } from '../../spine/cascade.ts'
import { SPINE_TIMER } from '../../spine/relays.ts'

/** What of the spine the workflow uses. */
export type CurationHost = Pick<Cascade,
  'cfg' | 'store' | 'texts' | 'timers' | 'relays' | 'now' | 't' | 'node' | 'nodeName' | 'personName' | 'rolesOf' | 'approvesFor' | 'children'
  | 'publish' | 'post' | 'openRelay' | 'autoForward' | 'requestApproval' | 'tell' | 'pendingFor' | 'command'>

/** Kinds of timers of the workflow. */
export const TIMER = {
  remind: 'remind',
  escalate: 'escalate',
  autoForward: 'auto-forward',
} as const

const MINUTE = 60_000
/** How much of a notice `待办` shows. */
const PREVIEW_CHARS = 24

type Reply = string

/** Starts the policy timers of a newly opened relay (reminder, escalation, auto-forward). */
async function schedulePolicyTimers(app: CurationHost, a: Announcement, r: Relay): Promise<void> {
  const p = policyFor(app.cfg.policies, r.node, a.severity)
  const id = `${a.code}-${r.node}`
  const data = { code: a.code, node: r.node }
  await app.timers.schedule(TIMER.remind, id, r.openedAt + p.remindAfter * MINUTE, data)
  await app.timers.schedule(TIMER.escalate, id, r.openedAt + p.escalateAfter * MINUTE, data)
  if (p.autoForwardAfter !== null) await app.timers.schedule(TIMER.autoForward, id, r.openedAt + p.autoForwardAfter * MINUTE, data)
}

/** Installs the workflow: its commands, the correction's path, its timers. */
export function installCuration(app: CurationHost): void {
  app.command('update', async (person, cmd) => [(await correct(app, person, cmd.code, cmd.text)).reply], { audience: 'publisher', usage: USAGE.更正 })
  app.command('cancel', async (person, cmd) => [(await cancel(app, person, cmd.code, cmd.reason)).reply], { audience: 'publisher', usage: USAGE.撤回 })
  app.command('classify', async (person, cmd) => [await classify(app, person, cmd.code, cmd.category)], { audience: 'approver', usage: USAGE.分类 })
  app.command('todo', async person => [await todo(app, person)], { audience: 'approver', usage: USAGE.待办 })
  app.relays.forwardAs('update', (u, relay) => forwardCorrection(app, u, relay))
  app.relays.onAwaitingDecision((a, r) => schedulePolicyTimers(app, a, r))
  const pending = async (data: Record<string, unknown>) => {
    const code = String(data.code)
    const [a, relay] = await Promise.all([app.store.announcement(code), app.store.relay(code, String(data.node))])
    return a && relay?.state === 'pending' && !await app.store.cancelledBy(code) ? { a, relay } : undefined
  }
  app.timers.handle(TIMER.remind, async data => {
    const p = await pending(data)
    if (p) await remind(app, p.a, p.relay)
  })
  app.timers.handle(TIMER.escalate, async data => {
    const p = await pending(data)
    if (p) await escalate(app, p.a, p.relay)
  })
  app.timers.handle(TIMER.autoForward, async data => {
    const p = await pending(data)
    if (p) await app.autoForward(p.a, p.relay.node, 'timeout')
  })
}

function waited(app: CurationHost, r: Relay): number {
  return Math.max(0, Math.round((app.now() - r.openedAt) / MINUTE))
}

async function remind(app: CurationHost, a: Announcement, r: Relay): Promise<void> {
  if (!await app.store.auditOnce(a.code, `remind-${r.node}`, { kind: 'reminder', node: r.node, actor: POLICY_ACTOR, at: app.now() })) return
  for (const person of app.node(r.node).curators) {
    await app.tell(person, r.node, `${a.code}-remind-${r.node}-${person}`, app.t('reminder', { code: a.code, minutes: waited(app, r), severity: severityZh(a.severity) }), PRIORITY.approval)
  }
}

async function escalate(app: CurationHost, a: Announcement, r: Relay): Promise<void> {
  if (!await app.store.auditOnce(a.code, `escalate-${r.node}`, { kind: 'escalation', node: r.node, actor: POLICY_ACTOR, at: app.now() })) return
  const node = app.node(r.node)
  for (const backup of node.backups) await app.requestApproval(a, r, backup, '-escalated')
  const curators = node.curators.map(p => app.personName(p)).join('、') || '（未配置）'
  for (const person of r.parent ? app.node(r.parent).curators : []) {
    await app.tell(person, r.parent, `${a.code}-escalate-${r.node}-${person}`, app.t('escalation_notice', { code: a.code, node: node.name, curators, minutes: waited(app, r) }), PRIORITY.approval)
  }
}

// ── corrections ─────────────────────────────────────────────────────────────

/**
 * The path of a correction at one node: the groups that got (or were about to get) the original
 * get the correction; children that approved the original are asked to approve the correction
 * (urgent ones may pass by policy); children still deciding on the original see the new text.
 */
async function forwardCorrection(app: CurationHost, u: Announcement, relay: Relay): Promise<void> {
  const original = u.references!
  const text = relay.finalText ?? relay.text
  for (const d of await app.store.deliveries(original)) {
    if (d.node !== relay.node) continue
    // A copy of the original still queued is withdrawn: that group gets only the correction.
    if (d.state === 'queued') await app.store.patchDelivery(original, d.topic, ['queued'], { state: 'withdrawn', error: `superseded by ${u.code}` })
    if (d.state !== 'failed') await app.post(u, relay, d.topic, text)
  }
  const originals = await app.store.relays(original)
  for (const child of app.children(relay.node)) {
    const r = originals.get(child)
    if (!r) continue
    if (r.state === 'pending') {
      const { changed, relay: updated } = await app.store.transitionRelay(original, child, ['pending'], { text })
      if (!changed || !updated) continue
      await app.store.audit(original, { kind: 'pending-text-updated', node: child, actor: u.author, at: app.now(), by: u.code, before: r.text, after: text })
      const a = await app.store.announcement(original)
      if (a) for (const person of app.node(child).curators) await app.requestApproval(a, updated, person, `-upd-${u.code}`)
    } else if (r.state === 'approved' || r.state === 'edited') {
      await app.openRelay(u, relay, child, text)
    }
  }
}

/** What a correction or retraction did: the reply for the person, and whether it took effect. */
export interface Amendment {
  reply: Reply
  done: boolean
  made?: Announcement
  /** Why it did not take effect (for callers that speak to ops in their own words, the CLI). */
  why?: 'unknown_code' | 'not_amender' | 'not_amendable' | 'already_cancelled' | 'blank'
  /** A retraction: groups sent its notice, pending relays withdrawn. */
  groups?: number
  pending?: number
}

/**
 * The announcement a person may correct or retract, or the refusal: only the origin's publishers
 * (and ops from the CLI or the web command centre) amend; a retraction or correction notice is not amended again; a
 * retracted announcement is not amended any more.
 */
async function amendable(app: CurationHost, actor: string, code: string, isAmendable: (a: Announcement) => boolean): Promise<Announcement | Amendment> {
  const a = await app.store.announcement(code)
  if (!a) return { reply: app.t('unknown_code', { code }), done: false, why: 'unknown_code' }
  const byProvince = actor === PROVINCE_ACTOR && a.handoff !== undefined
  if (actor !== CLI_AUTHOR && actor !== WEB_AUTHOR && !byProvince && !app.rolesOf(actor).publisher.includes(a.originNode)) return { reply: app.t('not_amender', { code, node: app.nodeName(a.originNode) }), done: false, why: 'not_amender' }
  if (!isAmendable(a)) return { reply: app.t('not_amendable', { code }), done: false, why: 'not_amendable' }
  if (await app.store.cancelledBy(code)) return { reply: app.t('already_cancelled', { code }), done: false, why: 'already_cancelled' }
  return a
}

function isAnnouncement(x: Announcement | Amendment): x is Announcement { return 'code' in x }

/** `更正 A7K2 <新正文>`: a correction that follows the original's path. */
export async function correct(app: CurationHost, actor: string, code: string, text: string): Promise<Amendment> {
  if (isBlank(app.texts.body(text))) return { reply: app.t('malformed', { usage: USAGE.更正 }), done: false, why: 'blank' }
  const a = await amendable(app, actor, code, x => x.type === 'alert')
  if (!isAnnouncement(a)) return a
  const u = await app.publish({ node: a.originNode, author: actor, text, severity: a.severity, category: a.category, status: a.status, ackRequired: a.ackRequired, type: 'update', references: code })
  // Retracted while this correction was being made: it was born retracted and goes nowhere.
  if (await app.store.cancelledBy(u.code)) return { reply: app.t('already_cancelled', { code }), done: false, why: 'already_cancelled' }
  return { reply: app.t('update_ok', { code: u.code, ref: code }), done: true, made: u }
}

/**
 * `撤回 A7K2 <理由>`: no approval below the origin. Withdraws every pending relay and every
 * queued post of the original and of its corrections, and posts a retraction notice to every
 * group that got the original or a correction — once per group. A scheduled announcement that
 * has not gone out is simply called off.
 */
export async function cancel(app: CurationHost, actor: string, code: string, reason: string): Promise<Amendment> {
  if (isBlank(reason)) return { reply: app.t('malformed', { usage: USAGE.撤回 }), done: false, why: 'blank' }
  const a = await amendable(app, actor, code, x => x.type !== 'cancel')
  if (!isAnnouncement(a)) return a
  const at = app.now()
  if (!a.released) {
    if (!await app.store.markCancelled(code, 'schedule')) return { reply: app.t('already_cancelled', { code }), done: false, why: 'already_cancelled' }
    await app.timers.cancel(SPINE_TIMER.release, code)
    for (const u of await app.store.corrections(code)) await app.store.markCancelled(u, 'schedule')
    await app.store.audit(code, { kind: 'cancel', node: a.originNode, actor, at, reason, scheduled: 1 })
    return { reply: app.t('schedule_cancelled', { code }), done: true }
  }
  const c = await app.publish({
    node: a.originNode, author: actor, text: app.t('cancel_text', { ref: code, reason }),
    severity: 'urgent', category: a.category, status: a.status, ackRequired: false, type: 'cancel', references: code,
  })
  // The flag first, then the sweep: every post is either taken before the flag (it gets a
  // correction) or withdrawn by the worker that finds the flag (it gets neither).
  if (!await app.store.markCancelled(code, c.code)) return { reply: app.t('already_cancelled', { code }), done: false, why: 'already_cancelled' }
  await app.store.audit(code, { kind: 'cancel', node: a.originNode, actor, at, reason, by: c.code })
  // The original's corrections are retracted with it, each flagged before its own sweep. A
  // correction made from now on is born retracted (store.createAnnouncement), so none is missed.
  const corrections = await app.store.corrections(code)
  for (const u of corrections) {
    if (await app.store.markCancelled(u, c.code)) await app.store.audit(u, { kind: 'cancel', node: a.originNode, actor, at, reason, by: c.code })
  }
  let withdrawn = 0
  /** The groups that saw the original or a correction, with the node and account that posted there. */
  const seen = new Map<string, { node: string; bot: string }>()
  for (const x of [code, ...corrections]) {
    for (const [node, r] of await app.store.relays(x)) {
      if (r.state !== 'pending') continue
      const { changed } = await app.store.transitionRelay(x, node, ['pending'], { state: 'withdrawn', decidedBy: actor, decidedAt: at, reason })
      if (!changed) continue
      withdrawn++
      for (const person of [...app.node(node).curators, ...app.node(node).backups]) {
        await app.tell(person, node, `${c.code}-withdrawn-${x}-${node}-${person}`, app.t('withdrawn_notice', { code: x, reason }))
      }
    }
    for (const d of await app.store.deliveries(x)) {
      if (d.state === 'queued' && await app.store.patchDelivery(x, d.topic, ['queued'], { state: 'withdrawn', error: `cancelled by ${c.code}` })) continue
      const now = await app.store.delivery(x, d.topic)
      if (now && ['sending', 'sent', 'confirmed'].includes(now.state)) seen.set(d.topic, { node: d.node, bot: now.bot })
    }
  }
  // On the account that posted there: a post still being sent goes out before its retraction.
  const origin: Relay = { code: c.code, node: a.originNode, state: 'approved', text: c.text, openedAt: at }
  for (const [topic, { node, bot }] of seen) await app.post(c, { ...origin, node }, topic, c.text, bot)
  return { reply: app.t('cancel_ok', { code, groups: seen.size, pending: withdrawn }), done: true, made: c, groups: seen.size, pending: withdrawn }
}

// ── 待办 and 分类 ─────────────────────────────────────────────────────────────

/** `待办`: the relays waiting for this person, oldest first, with their age. */
async function todo(app: CurationHost, person: string): Promise<Reply> {
  const items: { a: Announcement; r: Relay }[] = []
  for (const { code, node } of await app.pendingFor(person)) {
    const [a, r] = await Promise.all([app.store.announcement(code), app.store.relay(code, node)])
    if (a && r?.state === 'pending') items.push({ a, r })
  }
  if (items.length === 0) return app.t('todo_empty')
  items.sort((x, y) => x.r.openedAt - y.r.openedAt)
  const lines = items.map(({ a, r }, i) => {
    const preview = r.text.length > PREVIEW_CHARS ? `${r.text.slice(0, PREVIEW_CHARS)}…` : r.text
    return `${i + 1}. ${a.code}（${severityZh(a.severity)}${a.status === 'exercise' ? '·演练' : ''}）${app.nodeName(r.node)} · 已等 ${waited(app, r)} 分钟：${preview}`
  })
  return app.t('todo_list', { count: items.length, items: lines.join('\n'), example: items[0].a.code })
}

/** `分类 A7K2 <类别>`: sets the category that tiers below this node see. */
async function classify(app: CurationHost, person: string, code: string, category: string): Promise<Reply> {
  if (!app.cfg.categories.includes(category)) return app.t('classify_bad', { categories: app.cfg.categories.join('、') })
  const relays = await app.store.relays(code)
  if (relays.size === 0) return app.t('unknown_code', { code })
  const mine = app.approvesFor(person).map(n => relays.get(n)).find(r => r?.state === 'pending')
  if (!mine) return app.t('not_your_node', { code, nodes: app.approvesFor(person).map(n => app.nodeName(n)).join('、') || '无' })
  const { changed } = await app.store.transitionRelay(code, mine.node, ['pending'], { category })
  if (!changed) return app.t('not_your_node', { code, nodes: app.nodeName(mine.node) })
  await app.store.audit(code, { kind: 'classify', node: mine.node, actor: person, at: app.now(), before: mine.category, after: category })
  return app.t('classify_ok', { code, category })
}
