/**
 * The use-cases of the relay spine, wiring domain, store and outbox queues:
 * publish, approve / edit / reject, acknowledgments, invites and bindings, status.
 *
 * Chat handlers call `handleInbound` and get back the replies to send; everything the bots
 * say goes through the outbox queues (`Outboxes`), so pacing and idempotency hold for all sends.
 */
import type { CascadeConfig, NodeConfig } from '../config/types.ts'
import {
  decideRelay, forwards, newAnnouncementCode, newInviteCode,
  type Announcement, type Decision, type Relay, type Severity,
} from '../domain/announcement.ts'
import { parseAck } from '../domain/ack.ts'
import { parseCommand, USAGE, type Command } from '../domain/commands.ts'
import { buildStatus, clock, renderStatus, stateZh, type StatusNode } from '../domain/status.ts'
import { fill, type TemplateKey, type Templates } from '../domain/templates.ts'
import { idPart, PRIORITY, type Outboxes, type SendJob } from '../queue/outbox.ts'
import type { Timers } from '../queue/timers.ts'
import type { Store } from '../store/store.ts'
import { EventBus } from './events.ts'
import { silentLogger, type Logger } from './log.ts'
import { Router } from './router.ts'

/** An acknowledgment counts for the latest notice of a group within this window. */
export const ACK_WINDOW_MS = 72 * 3600 * 1000
/** Invite codes expire after this long unless `cascade invite --ttl` says otherwise. */
export const INVITE_TTL_HOURS = 72
/** Author id used for announcements published by ops from the command line. */
export const CLI_AUTHOR = 'ops-cli'

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
}

export interface PublishInput {
  node: string
  author: string
  text: string
  severity?: Severity
  category?: string
  ackRequired?: boolean
}

export type Roles = { publisher: string[]; curator: string[]; backup: string[] }

/** What a feature's inbound handler sees: the message and, when bound, the sender's person id. */
export interface InboundContext { msg: Inbound; person?: string }
/**
 * A feature's handler of inbound messages (rumor checks, cases, curator commands, …).
 * Returns the replies when the message was its business, `undefined` to pass it on.
 */
export type InboundHandler = (ctx: InboundContext) => Promise<string[] | undefined>

/** Who a help line is shown to. */
export type HelpAudience = 'publisher' | 'approver' | 'anyone-bound'

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
  private readonly helpLines: { audience: HelpAudience; usage: string }[] = []

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
  }

  /** Adds a feature's inbound handler; handlers run in the order added, after the spine's commands. */
  use(handler: InboundHandler): void { this.handlers.push(handler) }

  /** Adds a line to the `帮助` text of the people it concerns. */
  addHelp(audience: HelpAudience, usage: string): void { this.helpLines.push({ audience, usage }) }

  t(key: TemplateKey, vars: Record<string, string | number | undefined> = {}): string {
    return fill(this.templates[key], vars)
  }

  // ── people and roles ──────────────────────────────────────────────────────

  rolesOf(person: string): Roles {
    const roles: Roles = { publisher: [], curator: [], backup: [] }
    for (const n of this.cfg.nodes.values()) {
      if (n.publishers.includes(person)) roles.publisher.push(n.id)
      if (n.curators.includes(person)) roles.curator.push(n.id)
      if (n.backups.includes(person)) roles.backup.push(n.id)
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
    return this.cfg.people.get(id)?.name ?? id
  }

  nodeName(id: string): string { return this.cfg.nodes.get(id)?.name ?? id }

  private node(id: string): NodeConfig {
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
    ]
    return parts.join('、') || '无'
  }

  private async redeem(msg: Inbound, invite: string): Promise<string[]> {
    const person = await this.store.takeInvite(invite)
    if (!person) {
      this.log.info('invite.rejected', { bot: msg.bot })
      return [this.t('bind_bad')]
    }
    await this.store.bind(msg.bot, msg.contactId, person)
    await this.store.audit('bindings', { kind: 'bind', actor: person, at: this.now(), bot: msg.bot })
    this.log.info('invite.redeemed', { bot: msg.bot, person })
    const replies = [this.t('bind_ok', { name: this.personName(person), roles: this.rolesText(person) })]
    // Approval requests that could not reach this person before they were bound go out now.
    const pending = await this.pendingFor(person)
    if (pending.length) {
      replies.push(this.t('bind_pending', { count: pending.length }))
      for (const { code, node } of pending) {
        const [a, relay] = [await this.store.announcement(code), await this.store.relay(code, node)]
        if (a && relay?.state === 'pending') await this.requestApproval(a, relay, person)
      }
    }
    return replies
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
    const cmd = parseCommand(msg.text)
    if (!msg.topic && cmd?.kind === 'bind') return this.redeem(msg, cmd.invite)
    const person = await this.store.personOf(msg.bot, msg.contactId)
    if (cmd && cmd.kind !== 'bind') {
      if (person) {
        // In groups, usage help goes only to people with a role; others may just be chatting.
        if (msg.topic && cmd.kind === 'malformed' && !this.hasRole(person)) return []
        return this.execute(person, cmd)
      }
      if (msg.topic) return [] // an unbound member's command in a group is ignored without a word
      this.log.info('command.unbound', { bot: msg.bot, command: cmd.kind })
      return [this.t('not_bound')]
    }
    for (const handler of this.handlers) {
      const replies = await handler({ msg, person })
      if (replies) return replies
    }
    if (msg.topic) {
      const ack = parseAck(msg.text)
      if (ack.ack) await this.recordAck({ ...msg, topic: msg.topic }, ack.code)
      return []
    }
    return person ? [this.helpText(person)] : [this.t('not_bound')]
  }

  hasRole(person: string): boolean {
    const r = this.rolesOf(person)
    return r.publisher.length + r.curator.length + r.backup.length > 0
  }

  private async execute(person: string, cmd: Command): Promise<string[]> {
    switch (cmd.kind) {
      case 'help': return [this.helpText(person)]
      case 'bind': return [this.t('bind_bad')]
      case 'malformed': return [this.t('malformed', { usage: USAGE[cmd.verb] })]
      case 'publish': {
        const origin = this.rolesOf(person).publisher[0]
        if (!origin) return [this.t('not_publisher')]
        const a = await this.publish({ node: origin, author: person, text: cmd.text })
        const n = this.node(origin)
        return [this.t('publish_ok', { code: a.code, groups: publicGroups(n).length, children: this.children(origin).length })]
      }
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
    const lines: string[] = []
    if (audiences.has('publisher')) lines.push(USAGE.发布)
    if (audiences.has('approver')) lines.push(USAGE.通过, USAGE.驳回, USAGE.修改)
    lines.push(USAGE.进度)
    for (const h of this.helpLines) if (audiences.has(h.audience)) lines.push(h.usage)
    lines.push(USAGE.帮助)
    return this.t('help', { commands: lines.join('\n') })
  }

  // ── publish and relay ─────────────────────────────────────────────────────

  children(node: string): string[] { return this.cfg.children.get(node) ?? [] }

  /** Publishes at the origin node (no approval there) and starts the relay down the tree. */
  async publish(input: PublishInput): Promise<Announcement> {
    const origin = this.node(input.node)
    const text = input.text.trim()
    if (!text) throw new Error('announcement text is empty')
    const createdAt = this.now()
    let a: Announcement
    do {
      a = {
        code: newAnnouncementCode(this.random), version: 1, type: 'alert', originNode: origin.id,
        author: input.author, category: input.category ?? this.cfg.categories[0] ?? '通知',
        severity: input.severity ?? 'urgent', status: 'actual', text, createdAt,
        ackRequired: input.ackRequired ?? true,
      }
    } while (!await this.store.createAnnouncement(a))
    const relay: Relay = { code: a.code, node: origin.id, state: 'approved', text, finalText: text, openedAt: createdAt, decidedBy: input.author, decidedAt: createdAt }
    await this.store.openRelay(relay)
    await this.store.audit(a.code, { kind: 'publish', node: origin.id, actor: input.author, at: createdAt, severity: a.severity })
    this.log.info('announcement.published', { code: a.code, node: origin.id, author: input.author })
    await this.events.emit('published', { announcement: a })
    await this.forward(a, relay)
    return a
  }

  /**
   * A relay that forwards (the origin, or approved/edited): post to the node's public groups
   * and open relays for its children. Safe to run again: every step is idempotent.
   */
  private async forward(a: Announcement, relay: Relay): Promise<void> {
    const text = relay.finalText ?? relay.text
    const node = this.node(relay.node)
    for (const g of publicGroups(node)) await this.post(a, node, g.topic, text)
    for (const child of this.children(node.id)) {
      const r: Relay = { code: a.code, node: child, parent: node.id, state: 'pending', text, openedAt: this.now() }
      if (await this.store.openRelay(r)) {
        await this.store.audit(a.code, { kind: 'relay-opened', node: child, at: r.openedAt })
        for (const curator of this.node(child).curators) await this.requestApproval(a, r, curator)
        await this.events.emit('relay-opened', { announcement: a, relay: r })
      }
    }
  }

  private async post(a: Announcement, node: NodeConfig, topic: string, text: string): Promise<void> {
    const bot = await this.router.botForNode(node.id)
    const queued = await this.store.queueDelivery({ code: a.code, node: node.id, topic, state: 'queued', bot, queuedAt: this.now() })
    const owner = queued ? bot : (await this.store.delivery(a.code, topic))?.bot ?? bot
    const job: SendJob = {
      idem: `${a.code}-v${a.version}-${idPart(topic)}`,
      target: { kind: 'group', topic },
      text: this.postText(a, text),
      delivery: { code: a.code, topic },
    }
    await this.outboxes.enqueue(owner, job, a.severity === 'urgent' ? PRIORITY.urgent : a.severity === 'info' ? PRIORITY.info : PRIORITY.normal)
  }

  /**
   * Asked by the outbox worker right before a post: false when the post must not go out any
   * more (its delivery was withdrawn or already posted, or the announcement expired).
   */
  async shouldPost(code: string, topic: string): Promise<boolean> {
    const [a, d] = await Promise.all([this.store.announcement(code), this.store.delivery(code, topic)])
    if (!a || !d || d.state !== 'queued') return false
    return a.expiresAt === undefined || this.now() < a.expiresAt
  }

  postText(a: Announcement, text: string): string {
    return this.t('post', {
      labels: a.severity === 'urgent' ? this.t('label_urgent') : '',
      text, origin: this.nodeName(a.originNode), code: a.code,
      ack_hint: a.ackRequired ? this.t('post_ack_hint') : '',
    })
  }

  /** DMs one curator the text, where it would go and how to answer. */
  private async requestApproval(a: Announcement, relay: Relay, person: string): Promise<void> {
    const bot = await this.router.botForPerson(person, relay.node)
    if (!bot) {
      this.log.warn('approval.unreachable', { code: a.code, node: relay.node, person, hint: 'person has not redeemed an invite with any bot' })
      await this.store.audit(a.code, { kind: 'curator-unreachable', node: relay.node, actor: person, at: this.now() })
      return
    }
    const node = this.node(relay.node)
    const text = this.t('approval_request', {
      from: relay.parent ? this.nodeName(relay.parent) : this.nodeName(a.originNode),
      code: a.code, severity: severityZh(a.severity), category: a.category, text: relay.text,
      groups: publicGroups(node).length, children: this.children(node.id).length,
    })
    await this.outboxes.enqueue(bot, { idem: `${a.code}-req-${relay.node}-${person}`, target: { kind: 'person', person }, text }, PRIORITY.approval)
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

  private async tellPublisherOfRejection(a: Announcement, relay: Relay): Promise<void> {
    if (a.author === CLI_AUTHOR) return
    const bot = await this.router.botForPerson(a.author, a.originNode)
    if (!bot) return
    const text = this.t('rejected_notice', { node: this.nodeName(relay.node), actor: this.personName(relay.decidedBy ?? ''), code: a.code, reason: relay.reason ?? '' })
    await this.outboxes.enqueue(bot, { idem: `${a.code}-rejected-${relay.node}`, target: { kind: 'person', person: a.author }, text }, PRIORITY.reply)
  }

  // ── acknowledgments ───────────────────────────────────────────────────────

  /**
   * Records a villager's 收到 against the announcement named in it, or the latest
   * acknowledgment-required one posted in that group within the window. Silent.
   */
  async recordAck(msg: Inbound & { topic: string }, named?: string): Promise<boolean> {
    if ((await this.store.botContacts()).has(msg.contactId)) return false
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
