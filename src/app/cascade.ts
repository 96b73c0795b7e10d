/**
 * The use-cases of the relay spine, wiring domain, store and outbox queues:
 * publish, approve / edit / reject, acknowledgments, invites and bindings, status.
 *
 * Chat handlers call `handleInbound` and get back the replies to send; everything the bots
 * say goes through the outbox queues (`Outboxes`), so pacing and idempotency hold for all sends.
 */
import { randomBytes } from 'node:crypto'
import type { CascadeConfig, GroupKind, NodeConfig } from '../config/types.ts'
import {
  decideRelay, forwards, newAnnouncementCode, newInviteCode, newPersonalCode,
  type Announcement, type AnnouncementStatus, type AutoReason, type AnnouncementType, type Decision, type Relay, type Severity,
} from '../domain/announcement.ts'
import { policyFor } from '../config/policies.ts'
import { parseAck } from '../domain/ack.ts'
import { parseCommand, USAGE, type Command } from '../domain/commands.ts'
import { buildStatus, clock, renderStatus, stateZh, type StatusNode } from '../domain/status.ts'
import { fill, type TemplateKey, type Templates } from '../domain/templates.ts'
import { idPart, laneOf, PRIORITY, type Outboxes, type SendJob } from '../queue/outbox.ts'
import type { Timers } from '../queue/timers.ts'
import type { Store } from '../store/store.ts'
import { EventBus } from './events.ts'
import { silentLogger, type Logger } from './log.ts'
import { Router } from './router.ts'
import { cancel, classify, correct, forwardCorrection, installCuration, schedulePolicyTimers, scheduledReply, TIMER, todo } from './curation.ts'
import { parseWhen } from '../domain/commands.ts'
import { answerStrangerOnce, staffCommandInGroup, tellDisplaced, tooLongInbound } from './guards.ts'
import { MAX_INBOUND_CHARS } from '../domain/limits.ts'

/** An acknowledgment counts for the latest notice of a group within this window. */
export const ACK_WINDOW_MS = 72 * 3600 * 1000
/** How long the bot accounts' contact ids are cached (they change only at a login). */
export const BOT_CONTACTS_TTL_MS = 5_000
/** Wrong invite or personal codes one contact may send per day; after that they get no answer. */
const MAX_WRONG_CODES_PER_DAY = 5
/** Invite codes expire after this long unless `cascade invite --ttl` says otherwise. */
export const INVITE_TTL_HOURS = 72
/** Author id used for announcements published by ops from the command line. */
export const CLI_AUTHOR = 'ops-cli'
/** Author id of announcements published, corrected or retracted in the web command centre (src/web/). */
export const WEB_AUTHOR = 'ops-web'
/** Actor recorded when a policy, not a person, forwarded a relay or closed it. */
export const POLICY_ACTOR = 'policy'
/** The same group message seen by several accounts arrives within this window. */
const SAME_MESSAGE_WINDOW_MS = 10_000

/** A message that reached one of the bots. */
export interface Inbound {
  bot: string
  contactId: string
  contactName: string
  /** Set for a group message: the group's topic. */
  topic?: string
  text: string
  /** The platform's message id (for reply idempotency). */
  messageId: string
  /** Text (the default) or an image (its `text` is empty): only feature handlers see images. */
  kind?: 'text' | 'image'
}

export interface PublishInput {
  node: string
  author: string
  text: string
  severity?: Severity
  category?: string
  ackRequired?: boolean
  /** `exercise`: a drill, labelled 【演练】 everywhere and counted apart. */
  status?: AnnouncementStatus
  /** Publish later (epoch ms); cancellable until then. */
  at?: number
  /** Default: the origin's policy `expiresAfterHours` after it goes out. */
  expiresAt?: number
  /** For corrections and cancellations: what they refer to. */
  type?: AnnouncementType
  references?: string
}

export type Roles = { publisher: string[]; curator: string[]; backup: string[]; gridWorker: string[] }

/** What a feature's inbound handler sees: the message and, when bound, the sender's person id. */
export interface InboundContext { msg: Inbound; person?: string }
/**
 * A feature's handler of inbound messages (rumor checks, cases, curator commands, …).
 * Returns the replies when the message was its business, `undefined` to pass it on.
 */
export type InboundHandler = (ctx: InboundContext) => Promise<string[] | undefined>

/** Who a help line is shown to. */
export type HelpAudience = 'publisher' | 'approver' | 'grid-worker' | 'anyone-bound'

export interface CascadeDeps {
  cfg: CascadeConfig
  store: Store
  outboxes: Outboxes
  timers: Timers
  now?: () => number
  random?: () => number
  log?: Logger
}

export class Cascade {
  readonly cfg: CascadeConfig
  readonly store: Store
  readonly outboxes: Outboxes
  readonly router: Router
  readonly timers: Timers
  readonly events: EventBus
  readonly now: () => number
  readonly log: Logger
  private readonly random: () => number
  private readonly templates: Templates
  private readonly handlers: InboundHandler[] = []
  /** Configured groups by topic. */
  private readonly groups = new Map<string, { node: string; kind: GroupKind }>()
  private readonly helpLines: { audiences: HelpAudience[]; usage: string }[] = []
  private botContactsCache?: { at: number; ids: Promise<Set<string>> }

  constructor(deps: CascadeDeps) {
    this.cfg = deps.cfg
    this.store = deps.store
    this.outboxes = deps.outboxes
    this.timers = deps.timers
    this.now = deps.now ?? Date.now
    this.random = deps.random ?? Math.random
    this.log = deps.log ?? silentLogger
    this.events = new EventBus(this.log)
    this.templates = deps.cfg.templates as Templates
    this.router = new Router(deps.cfg, deps.store, deps.outboxes)
    for (const n of deps.cfg.nodes.values()) for (const g of n.groups) this.groups.set(g.topic, { node: n.id, kind: g.kind })
    installCuration(this)
  }

  /** Adds a feature's inbound handler; handlers run in the order added, after the spine's commands. */
  use(handler: InboundHandler): void { this.handlers.push(handler) }

  /** Adds a line to the `帮助` text of the people it concerns (shown once to someone in several). */
  addHelp(audience: HelpAudience | HelpAudience[], usage: string): void {
    this.helpLines.push({ audiences: Array.isArray(audience) ? audience : [audience], usage })
  }

  t(key: TemplateKey, vars: Record<string, string | number | undefined> = {}): string {
    return fill(this.templates[key], vars)
  }

  // ── people and roles ──────────────────────────────────────────────────────

  rolesOf(person: string): Roles {
    const roles: Roles = { publisher: [], curator: [], backup: [], gridWorker: [] }
    for (const n of this.cfg.nodes.values()) {
      if (n.publishers.includes(person)) roles.publisher.push(n.id)
      if (n.curators.includes(person)) roles.curator.push(n.id)
      if (n.backups.includes(person)) roles.backup.push(n.id)
    }
    // Grid workers (网格员) of config/households.yaml: the villages of their grids.
    for (const v of this.cfg.households?.villages.values() ?? []) {
      if (v.grids.some(g => g.workers.includes(person))) roles.gridWorker.push(v.village)
    }
    return roles
  }

  /** Nodes whose relays this person may decide: as curator or backup curator. */
  approvesFor(person: string): string[] {
    const r = this.rolesOf(person)
    return [...r.curator, ...r.backup]
  }

  personName(id: string): string {
    if (id === CLI_AUTHOR) return '运维（命令行）'
    if (id === WEB_AUTHOR) return '运维（指挥中心）'
    if (id === POLICY_ACTOR) return '系统（超时未审核，按规则自动转发）'
    return this.cfg.people.get(id)?.name ?? id
  }

  nodeName(id: string): string { return this.cfg.nodes.get(id)?.name ?? id }

  node(id: string): NodeConfig {
    const n = this.cfg.nodes.get(id)
    if (!n) throw new Error(`unknown node "${id}"`)
    return n
  }

  // ── invites ───────────────────────────────────────────────────────────────

  /** A one-time code that binds the person who sends it to a bot in a DM. */
  async createInvite(person: string, ttlHours = INVITE_TTL_HOURS): Promise<string> {
    if (!this.cfg.people.has(person)) throw new Error(`unknown person "${person}"`)
    for (;;) {
      const code = newInviteCode(this.random)
      if (await this.store.createInvite(code, person, Math.round(ttlHours * 3600))) return code
    }
  }

  private rolesText(person: string): string {
    const r = this.rolesOf(person)
    const parts = [
      ...r.publisher.map(n => `${this.nodeName(n)}发布员`),
      ...r.curator.map(n => `${this.nodeName(n)}审核员`),
      ...r.backup.map(n => `${this.nodeName(n)}后备审核员`),
      ...r.gridWorker.map(n => `${this.nodeName(n)}网格员`),
    ]
    return parts.join('、') || '无'
  }

  /** Wrong codes a contact may send per day before its codes are no longer even checked. */
  private async tooManyWrongCodes(msg: Inbound, wrong: boolean): Promise<boolean> {
    const key = `${this.store.keys.base}bindfail:${msg.bot}:${msg.contactId}`
    if (!wrong) return Number(await this.store.redis.get(key) ?? 0) >= MAX_WRONG_CODES_PER_DAY
    const n = await this.store.redis.incr(key)
    if (n === 1) await this.store.redis.expire(key, 24 * 3600)
    return n > MAX_WRONG_CODES_PER_DAY
  }

  private async redeem(msg: Inbound, invite: string): Promise<string[]> {
    if (await this.tooManyWrongCodes(msg, false)) return []
    const person = await this.store.takeInvite(invite)
    if (!person) {
      this.log.info('invite.rejected', { bot: msg.bot })
      return await this.tooManyWrongCodes(msg, true) ? [] : [this.t('bind_bad')]
    }
    const displaced = await this.store.bind(msg.bot, msg.contactId, person)
    if (displaced) await tellDisplaced(this, displaced, msg.bot) // one contact, one person
    await this.store.audit('bindings', { kind: 'bind', actor: person, at: this.now(), bot: msg.bot })
    this.log.info('invite.redeemed', { bot: msg.bot, person })
    // The person's own key to their role after WeChat gives new ids (see rebind).
    const personal = newPersonalCode(randomBytes(12))
    await this.store.setPersonalCode(person, personal)
    return [this.t('bind_ok', { name: this.personName(person), roles: this.rolesText(person) }), this.t('personal_code', { code: personal }), ...await this.askPending(person)]
  }

  /** Approval requests that could not reach this person before they were bound go out now. */
  private async askPending(person: string): Promise<string[]> {
    const pending = await this.pendingFor(person)
    if (!pending.length) return []
    for (const { code, node } of pending) {
      const [a, relay] = [await this.store.announcement(code), await this.store.relay(code, node)]
      if (a && relay?.state === 'pending') await this.requestApproval(a, relay, person)
    }
    return [this.t('bind_pending', { count: pending.length })]
  }

  /**
   * A personal code sent in a DM: binds this contact to the code's person again (after a WeChat
   * login that gave new contact ids, when the remark was not kept). Names are never consulted.
   */
  private async rebind(msg: Inbound, code: string): Promise<string[]> {
    if (await this.tooManyWrongCodes(msg, false)) return []
    const person = await this.store.personOfCode(code)
    if (!person || !this.cfg.people.has(person)) {
      this.log.info('rebind.rejected', { bot: msg.bot })
      return await this.tooManyWrongCodes(msg, true) ? [] : [this.t('rebind_bad')]
    }
    const displaced = await this.store.bind(msg.bot, msg.contactId, person)
    if (displaced) await tellDisplaced(this, displaced, msg.bot) // one contact, one person
    await this.store.audit('bindings', { kind: 'rebind', actor: person, at: this.now(), bot: msg.bot })
    this.log.info('person.rebound', { bot: msg.bot, person, by: 'personal-code' })
    await this.events.emit('rebound', { bot: msg.bot, person })
    return [this.t('rebind_ok', { name: this.personName(person), roles: this.rolesText(person) }), ...await this.askPending(person)]
  }

  /** Relays pending at the nodes this person approves for. */
  async pendingFor(person: string): Promise<{ code: string; node: string }[]> {
    const out: { code: string; node: string }[] = []
    for (const node of this.approvesFor(person)) {
      for (const code of await this.store.pendingCodes(node)) out.push({ code, node })
    }
    return out
  }

  // ── inbound chat ──────────────────────────────────────────────────────────

  /**
   * Handles one message from a person (never the bot's own). Returns the replies to send
   * back where it came from. Never throws for bad input: bad input gets a help text.
   */
  async handleInbound(msg: Inbound): Promise<string[]> {
    if (msg.text.length > MAX_INBOUND_CHARS) return tooLongInbound(this, msg) // never parsed
    if (msg.topic && !this.groups.has(msg.topic)) return [] // a group no node lists is not ours to act in
    if (msg.kind === 'image') {
      const person = await this.store.personOf(msg.bot, msg.contactId)
      for (const handler of this.handlers) {
        const replies = await handler({ msg, person })
        if (replies) return replies
      }
      return []
    }
    if (msg.topic && !(await this.botContacts()).has(msg.contactId)) await this.store.noteSpeaker(msg.bot, msg.contactId, msg.topic)
    const cmd = parseCommand(msg.text)
    if (!msg.topic && cmd?.kind === 'bind') return this.redeem(msg, cmd.invite)
    if (!msg.topic && cmd?.kind === 'rebind') return this.rebind(msg, cmd.personal)
    // A personal code typed in a group is never acted on (and never echoed back).
    if (msg.topic && cmd?.kind === 'rebind') return []
    const person = await this.store.personOf(msg.bot, msg.contactId)
    if (cmd && cmd.kind !== 'bind') {
      if (person) {
        // Staff commands act only in a private chat: a group may hold villagers (see guards.ts).
        if (msg.topic) return staffCommandInGroup(this, msg, person)
        return this.execute(person, cmd)
      }
      if (msg.topic) return [] // an unbound member's command in a group is ignored without a word
      this.log.info('command.unbound', { bot: msg.bot, command: cmd.kind })
      return answerStrangerOnce(this, msg, this.t('not_bound'))
    }
    for (const handler of this.handlers) {
      const replies = await handler({ msg, person })
      if (replies) return replies
    }
    if (msg.topic) {
      const ack = parseAck(msg.text)
      if (ack.ack && await this.firstToHandle(msg, msg.contactName)) await this.recordAck({ ...msg, topic: msg.topic }, ack.code)
      return []
    }
    return person ? [this.helpText(person)] : answerStrangerOnce(this, msg, this.t('not_bound'))
  }

  /**
   * For a group message: true for the first account to handle it. Web-WeChat contact and
   * message ids differ between accounts, so the same message is known by its group, its sender
   * (person id when bound, else group nickname) and its text, for a few seconds.
   */
  private async firstToHandle(msg: Inbound, sender: string): Promise<boolean> {
    const key = `${this.store.keys.base}inbound:${idPart(`${msg.topic}\n${sender}\n${msg.text}`)}`
    return (await this.store.redis.set(key, msg.bot, 'PX', SAME_MESSAGE_WINDOW_MS, 'NX')) === 'OK'
  }

  hasRole(person: string): boolean {
    const r = this.rolesOf(person)
    return r.publisher.length + r.curator.length + r.backup.length + r.gridWorker.length > 0
  }

  private async execute(person: string, cmd: Command): Promise<string[]> {
    switch (cmd.kind) {
      case 'help': return [this.helpText(person)]
      case 'bind': case 'rebind': return [this.t('bind_bad')]
      case 'malformed': return [this.t('malformed', { usage: USAGE[cmd.verb] })]
      case 'publish': case 'drill': case 'schedule': {
        const origin = this.rolesOf(person).publisher[0]
        if (!origin) return [this.t('not_publisher')]
        const at = cmd.kind === 'schedule' ? parseWhen(cmd.when, this.now()) : undefined
        if (cmd.kind === 'schedule' && at === undefined) return [this.t('malformed', { usage: USAGE.定时 })]
        const severity = cmd.kind === 'publish' ? cmd.severity : undefined
        const a = await this.publish({ node: origin, author: person, text: cmd.text, severity, status: cmd.kind === 'drill' ? 'exercise' : 'actual', at })
        if (cmd.kind === 'schedule') return [scheduledReply(this, a)]
        const n = this.node(origin)
        return [this.t('publish_ok', { code: a.code, groups: publicGroups(n).length, children: this.children(origin).length })]
      }
      case 'update': return [(await correct(this, person, cmd.code, cmd.text)).reply]
      case 'cancel': return [(await cancel(this, person, cmd.code, cmd.reason)).reply]
      case 'todo': return [await todo(this, person)]
      case 'classify': return [await classify(this, person, cmd.code, cmd.category)]
      case 'approve': return [await this.decideByChat(person, cmd.code, { action: 'approve' })]
      case 'edit': return [await this.decideByChat(person, cmd.code, { action: 'edit', text: cmd.text })]
      case 'reject': return [await this.decideByChat(person, cmd.code, { action: 'reject', reason: cmd.reason })]
      case 'progress': {
        const text = await this.statusText(cmd.code)
        return [text ?? this.t('unknown_code', { code: cmd.code })]
      }
    }
  }

  helpText(person: string): string {
    const r = this.rolesOf(person)
    const audiences = new Set<HelpAudience>(['anyone-bound'])
    if (r.publisher.length) audiences.add('publisher')
    if (r.curator.length || r.backup.length) audiences.add('approver')
    if (r.gridWorker.length) audiences.add('grid-worker')
    const lines: string[] = []
    if (audiences.has('publisher')) lines.push(USAGE.发布, USAGE.演练, USAGE.定时, USAGE.更正, USAGE.撤回)
    if (audiences.has('approver')) lines.push(USAGE.通过, USAGE.驳回, USAGE.修改, USAGE.分类, USAGE.待办)
    lines.push(USAGE.进度)
    for (const h of this.helpLines) if (h.audiences.some(a => audiences.has(a))) lines.push(h.usage)
    lines.push(USAGE.帮助)
    return this.t('help', { commands: lines.join('\n') })
  }

  // ── publish and relay ─────────────────────────────────────────────────────

  children(node: string): string[] { return this.cfg.children.get(node) ?? [] }

  /**
   * Publishes at the origin node (no approval there) and starts the relay down the tree — or,
   * with `at` in the future, schedules it. Also schedules the announcement's expiry.
   */
  async publish(input: PublishInput): Promise<Announcement> {
    const origin = this.node(input.node)
    const text = input.text.trim()
    if (!text) throw new Error('announcement text is empty')
    const createdAt = this.now()
    const severity = input.severity ?? 'urgent'
    const scheduled = input.at !== undefined && input.at > createdAt
    const goesOut = scheduled ? input.at! : createdAt
    let a: Announcement
    do {
      a = {
        code: newAnnouncementCode(this.random), version: 1, type: input.type ?? 'alert', references: input.references,
        originNode: origin.id, author: input.author, category: input.category ?? this.cfg.categories[0] ?? '通知',
        severity, status: input.status ?? 'actual', text, createdAt, ackRequired: input.ackRequired ?? true,
        expiresAt: input.expiresAt ?? goesOut + policyFor(this.cfg.policies, origin.id, severity).expiresAfterHours * 3600_000,
        scheduledAt: scheduled ? input.at : undefined, released: !scheduled,
      }
    } while (!await this.store.createAnnouncement(a))
    await this.store.audit(a.code, { kind: a.type === 'alert' ? 'publish' : a.type, node: origin.id, actor: input.author, at: createdAt, severity, status: a.status, references: a.references, scheduledAt: a.scheduledAt, text })
    this.log.info('announcement.published', { code: a.code, node: origin.id, author: input.author, type: a.type, scheduled })
    await this.timers.schedule(TIMER.expire, a.code, a.expiresAt!, { code: a.code })
    if (scheduled) await this.timers.schedule(TIMER.release, a.code, input.at!, { code: a.code })
    else await this.release(a)
    return a
  }

  /** The announcement goes out: its origin relay is approved and forwarded. Idempotent. */
  async release(a: Announcement): Promise<void> {
    if (await this.store.cancelledBy(a.code)) return
    if (!a.released) {
      a = { ...a, released: true }
      await this.store.saveAnnouncement(a)
    }
    const at = this.now()
    const relay: Relay = { code: a.code, node: a.originNode, state: 'approved', text: a.text, finalText: a.text, openedAt: at, decidedBy: a.author, decidedAt: at, category: a.category }
    await this.store.openRelay(relay)
    await this.events.emit('published', { announcement: a })
    await this.forward(a, (await this.store.relay(a.code, a.originNode)) ?? relay)
  }

  /**
   * A relay that forwards (the origin, or approved/edited): post to the node's public groups
   * and open relays for its children. Safe to run again: every step is idempotent.
   * A correction (`update`) follows the original's path instead: see forwardCorrection.
   */
  async forward(a: Announcement, relay: Relay): Promise<void> {
    if (await this.store.cancelledBy(a.code)) return
    if (a.type === 'cancel') return // a retraction goes only where the original went: see curation.cancel
    if (a.type === 'update' && a.references) return forwardCorrection(this, a, relay)
    const text = relay.finalText ?? relay.text
    const node = this.node(relay.node)
    const topics = publicGroups(node).map(g => g.topic)
    if (topics.length) {
      const plan = await this.router.planPosts(node.id, topics, laneOf(this.postPriority(a)))
      try {
        await Promise.all(topics.map(topic => this.post(a, relay, topic, text, plan.bots.get(topic)).finally(() => plan.done(topic))))
      } finally {
        plan.release()
      }
    }
    // Children open side by side: a township's villages do not wait for the one before's subtree.
    const opened = await Promise.allSettled(this.children(node.id).map(child => this.openRelay(a, relay, child, text)))
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  /** Urgent notices and retractions overtake queued routine posts. */
  private postPriority(a: Announcement): number {
    return a.severity === 'urgent' || a.type === 'cancel' ? PRIORITY.urgent : a.severity === 'info' ? PRIORITY.info : PRIORITY.normal
  }

  /** Opens the relay of a child node once: asks its curators and starts its policy timers. */
  async openRelay(a: Announcement, parent: Relay, child: string, text: string): Promise<void> {
    const r: Relay = { code: a.code, node: child, parent: parent.node, state: 'pending', text, openedAt: this.now(), category: parent.category }
    if (!await this.store.openRelay(r)) return
    // A cancel sets its flag before it sweeps the pending relays: either it saw this one, or we see the flag.
    if (await this.store.cancelledBy(a.code)) {
      await this.store.transitionRelay(a.code, child, ['pending'], { state: 'withdrawn', decidedBy: POLICY_ACTOR, decidedAt: this.now() })
      return
    }
    await this.store.audit(a.code, { kind: 'relay-opened', node: child, at: r.openedAt })
    await this.events.emit('relay-opened', { announcement: a, relay: r })
    if (a.type === 'update' && a.severity === 'urgent' && this.cfg.policies.urgentCorrectionsAutoApprove) {
      await this.autoForward(a, child, 'correction')
      return
    }
    // A node whose policy forwards at once (autoForwardAfter: 0) is not asked: a request its
    // curators cannot act on in time would only take a send slot ahead of the notice itself.
    if (policyFor(this.cfg.policies, child, a.severity).autoForwardAfter === 0) {
      await this.autoForward(a, child, 'policy')
      return
    }
    for (const curator of this.node(child).curators) await this.requestApproval(a, r, curator)
    await schedulePolicyTimers(this, a, r)
  }

  /** Queues the post of an announcement to one group (once per group), on the planned account if given. */
  async post(a: Announcement, relay: Relay, topic: string, text: string, planned?: string): Promise<void> {
    const node = this.node(relay.node)
    const bot = planned ?? await this.router.botForNode(node.id, laneOf(this.postPriority(a)))
    const queued = await this.store.queueDelivery({ code: a.code, node: node.id, topic, state: 'queued', bot, queuedAt: this.now() })
    const owner = queued ? bot : (await this.store.delivery(a.code, topic))?.bot ?? bot
    const job: SendJob = {
      idem: `${a.code}-v${a.version}-${idPart(topic)}`,
      target: { kind: 'group', topic },
      text: this.postText(a, text, relay),
      delivery: { code: a.code, topic },
    }
    await this.outboxes.enqueue(owner, job, this.postPriority(a))
  }

  /**
   * Asked by the outbox worker right before a post: takes it for sending (queued → sending) and
   * returns its announcement, or undefined when it must not go out any more — withdrawn,
   * cancelled, expired, or already taken.
   */
  async takePost(code: string, topic: string): Promise<Announcement | undefined> {
    const a = await this.store.announcement(code)
    if (!a) return undefined
    return (await this.store.beginPost(code, topic, this.now(), a.expiresAt)) === 'sending' ? a : undefined
  }

  /** The node and kind of a configured group, by its topic. */
  groupOf(topic: string): { node: string; kind: GroupKind } | undefined { return this.groups.get(topic) }

  /** A post taken for sending did not go out (say() failed): it is queued again for the retry. */
  async postNotSent(code: string, topic: string): Promise<void> {
    await this.store.patchDelivery(code, topic, ['sending'], { state: 'queued' })
  }

  /** Labels in front of a notice: drill, urgency, correction, forwarded without review. */
  labels(a: Announcement, relay?: Relay): string {
    return [
      a.status === 'exercise' ? this.t('label_exercise') : '',
      a.severity === 'urgent' && a.type === 'alert' ? this.t('label_urgent') : '',
      a.type === 'update' ? this.t('label_update', { ref: a.references ?? '' }) : '',
      relay?.auto ? this.t(relay.autoReason === 'policy' ? 'label_no_review' : 'label_auto') : '',
    ].join('')
  }

  postText(a: Announcement, text: string, relay?: Relay): string {
    return this.t('post', {
      labels: this.labels(a, relay),
      text, origin: this.nodeName(a.originNode), code: a.code,
      ack_hint: a.ackRequired && a.type !== 'cancel' ? this.t('post_ack_hint') : '',
    })
  }

  /** DMs one curator the text, where it would go and how to answer. */
  async requestApproval(a: Announcement, relay: Relay, person: string, idemSuffix = ''): Promise<void> {
    const bot = await this.router.botForPerson(person, relay.node)
    if (!bot) {
      this.log.warn('approval.unreachable', { code: a.code, node: relay.node, person, hint: 'person has not redeemed an invite with any bot' })
      await this.store.audit(a.code, { kind: 'curator-unreachable', node: relay.node, actor: person, at: this.now() })
      return
    }
    const node = this.node(relay.node)
    const text = this.t('approval_request', {
      labels: this.labels(a), from: relay.parent ? this.nodeName(relay.parent) : this.nodeName(a.originNode),
      code: a.code, severity: severityZh(a.severity), category: relay.category ?? a.category, text: relay.text,
      groups: publicGroups(node).length, children: this.children(node.id).length,
    })
    await this.outboxes.enqueue(bot, { idem: `${a.code}-req-${relay.node}-${person}${idemSuffix}`, target: { kind: 'person', person }, text }, PRIORITY.approval)
  }

  /** DMs a person through the best account for them (no-op when they are bound to none). */
  async tell(person: string, node: string | undefined, idem: string, text: string, priority: number = PRIORITY.reply): Promise<boolean> {
    const bot = await this.router.botForPerson(person, node)
    if (!bot) return false
    await this.outboxes.enqueue(bot, { idem, target: { kind: 'person', person }, text }, priority)
    return true
  }

  /** A curator's decision given in chat; returns the reply for them. */
  private async decideByChat(person: string, code: string, decision: Decision): Promise<string> {
    const a = await this.store.announcement(code)
    if (!a) return this.t('unknown_code', { code })
    const mine = this.approvesFor(person)
    const relays = await this.store.relays(code)
    const here = mine.map(n => relays.get(n)).filter((r): r is Relay => r !== undefined)
    const pending = here.find(r => r.state === 'pending')
    if (!pending) {
      const done = here[0]
      if (done) return this.t('already_decided', { code, node: this.nodeName(done.node), state: stateZh(done.state), actor: done.decidedBy ? this.personName(done.decidedBy) : '系统', time: done.decidedAt ? clock(done.decidedAt) : '' })
      return this.t('not_your_node', { code, nodes: mine.map(n => this.nodeName(n)).join('、') || '无' })
    }
    const result = await this.decide(a, pending.node, person, decision)
    if (!result.changed) {
      const r = result.relay
      return this.t('already_decided', { code, node: this.nodeName(pending.node), state: r ? stateZh(r.state) : '处理', actor: r?.decidedBy ? this.personName(r.decidedBy) : '系统', time: r?.decidedAt ? clock(r.decidedAt) : '' })
    }
    const node = this.node(pending.node)
    const counts = { code, groups: publicGroups(node).length, children: this.children(node.id).length }
    return decision.action === 'approve' ? this.t('approve_ok', counts) : decision.action === 'edit' ? this.t('edit_ok', counts) : this.t('reject_ok', { code })
  }

  /**
   * Applies a decision at one node. The pending → decided change is atomic: of two curators
   * answering at once, or a retried command, exactly one forwards.
   */
  async decide(a: Announcement, node: string, actor: string, decision: Decision): Promise<{ changed: boolean; relay?: Relay }> {
    const current = await this.store.relay(a.code, node)
    if (!current || current.state !== 'pending') return { changed: false, relay: current }
    if (await this.store.cancelledBy(a.code)) return { changed: false, relay: current }
    const next = decideRelay(current, decision, actor, this.now())
    const patch: Partial<Relay> = { state: next.state, decidedBy: next.decidedBy, decidedAt: next.decidedAt, finalText: next.finalText, reason: next.reason }
    const result = await this.store.transitionRelay(a.code, node, ['pending'], patch)
    if (!result.changed || !result.relay) return result
    const relay = result.relay
    await this.store.audit(a.code, {
      kind: decision.action, node, actor, at: relay.decidedAt ?? this.now(),
      before: decision.action === 'edit' ? current.text : undefined,
      after: decision.action === 'edit' ? decision.text : undefined,
      reason: decision.action === 'reject' ? decision.reason : undefined,
    })
    this.log.info('relay.decided', { code: a.code, node, actor, state: relay.state })
    await this.events.emit('decided', { announcement: a, relay })
    if (forwards(relay.state)) await this.forward(a, relay)
    else if (relay.state === 'rejected') await this.tellPublisherOfRejection(a, relay)
    return result
  }

  /**
   * Forwards a pending relay without review, because its policy says so after a wait or because
   * an urgent correction may pass. Labelled in the posts and recorded in the audit.
   */
  async autoForward(a: Announcement, node: string, why: AutoReason): Promise<boolean> {
    if (await this.store.cancelledBy(a.code)) return false
    const at = this.now()
    const { changed, relay } = await this.store.transitionRelay(a.code, node, ['pending'], { state: 'approved', decidedBy: POLICY_ACTOR, decidedAt: at, auto: true, autoReason: why })
    if (!changed || !relay) return false
    const finalized = { ...relay, finalText: relay.text }
    await this.store.audit(a.code, { kind: 'auto-forward', node, actor: POLICY_ACTOR, at, why })
    this.log.info('relay.auto-forwarded', { code: a.code, node, why })
    await this.events.emit('decided', { announcement: a, relay: finalized })
    await this.forward(a, finalized)
    return true
  }

  private async tellPublisherOfRejection(a: Announcement, relay: Relay): Promise<void> {
    if (a.author === CLI_AUTHOR) return
    const bot = await this.router.botForPerson(a.author, a.originNode)
    if (!bot) return
    const text = this.t('rejected_notice', { node: this.nodeName(relay.node), actor: this.personName(relay.decidedBy ?? ''), code: a.code, reason: relay.reason ?? '' })
    await this.outboxes.enqueue(bot, { idem: `${a.code}-rejected-${relay.node}`, target: { kind: 'person', person: a.author }, text }, PRIORITY.reply)
  }

  // ── acknowledgments ───────────────────────────────────────────────────────

  /**
   * The bot accounts' contact ids, read from Redis at most every BOT_CONTACTS_TTL_MS: they
   * change only when an account logs in, and reading them per group message cost a round trip
   * per acknowledgment (bench/acks-bench.ts).
   */
  botContacts(): Promise<Set<string>> {
    // Wall-clock, not `this.now`: a cache must expire even where tests fix the domain's clock.
    if (!this.botContactsCache || Date.now() - this.botContactsCache.at > BOT_CONTACTS_TTL_MS) {
      this.botContactsCache = { at: Date.now(), ids: this.store.botContacts() }
    }
    return this.botContactsCache.ids
  }

  /**
   * Records a villager's 收到 against the announcement named in it, or the latest
   * acknowledgment-required one posted in that group within the window. Silent.
   */
  async recordAck(msg: Inbound & { topic: string }, named?: string): Promise<boolean> {
    if ((await this.botContacts()).has(msg.contactId)) return false
    let code: string | undefined
    if (named && await this.store.delivery(named, msg.topic)) code = named
    if (!code) {
      const latest = await this.store.latestInGroup(msg.topic)
      if (!latest || this.now() - latest.createdAt > ACK_WINDOW_MS) return false
      code = latest.code
    }
    const at = this.now()
    const recorded = await this.store.recordAck(code, msg.contactId, { topic: msg.topic, name: msg.contactName, at, code })
    this.log.debug('ack', { code, topic: msg.topic, recorded })
    if (recorded) await this.events.emit('ack', { code, topic: msg.topic, contactId: msg.contactId, name: msg.contactName, at })
    return recorded
  }

  // ── status ────────────────────────────────────────────────────────────────

  async statusTree(code: string): Promise<{ announcement: Announcement; root: StatusNode | undefined } | undefined> {
    const a = await this.store.announcement(code)
    if (!a) return undefined
    const [relays, deliveries, acksByTopic] = await Promise.all([this.store.relays(code), this.store.deliveries(code), this.store.ackCounts(code)])
    const root = buildStatus({
      announcement: a, relays, deliveries, acksByTopic,
      personName: id => this.personName(id),
      tree: id => {
        const n = this.cfg.nodes.get(id)
        return n && { id, name: n.name, children: this.children(id) }
      },
    })
    return { announcement: a, root }
  }

  async statusText(code: string): Promise<string | undefined> {
    const s = await this.statusTree(code.toUpperCase())
    if (!s) return undefined
    return renderStatus(s.announcement, s.root, this.personName(s.announcement.author), this.nodeName(s.announcement.originNode), this.now())
  }
}

export function publicGroups(n: NodeConfig) { return n.groups.filter(g => g.kind === 'public') }

export function severityZh(s: Severity): string {
  return s === 'urgent' ? '紧急' : s === 'info' ? '参考' : '一般'
}
