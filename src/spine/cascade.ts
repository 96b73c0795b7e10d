/**
 * The spine assembled: its parts built from config, store and queues, and one thin facade
 * over them for the many callers (chat adapters, CLI, web, tests) that want "the app".
 *
 *   directory.ts   who is who (people, roles, nodes, groups) — pure
 *   texts.ts       templates, labels, a post's text — pure
 *   relays.ts      publish, release, forward, open, decide, auto-forward, expiry
 *   recovery.ts    finishes forwards and re-queues posts that a crashed process left
 *   deliveries.ts  posts to groups, the worker's take, approval requests and DMs
 *   acks.ts        收到 counted once; the accounts' own contacts
 *   progress.ts    the status tree and its text
 *   bindings.ts    invites and personal codes
 *   chat-front.ts  a message in, replies out: commands, features' handlers, help
 *
 * Features receive the parts they use (see the `*Host` types of src/features/); the facade's
 * methods only pass calls on.
 */
import type { CascadeConfig, GroupKind, NodeConfig } from '../config/types.ts'
import type { Announcement, AutoReason, Decision, Relay } from '../domain/announcement.ts'
import type { StatusNode } from '../domain/status.ts'
import type { TemplateKey } from '../domain/templates.ts'
import type { Outboxes } from '../queue/outbox.ts'
import type { Timers } from '../queue/timers.ts'
import type { Store } from '../store/store.ts'
import { silentLogger, type Logger } from '../infra/log.ts'
import { Acks } from './acks.ts'
import { Bindings, INVITE_TTL_HOURS } from './bindings.ts'
import { ChatFront } from './chat-front.ts'
import { Deliveries } from './deliveries.ts'
import { Directory, type Roles } from './directory.ts'
import { EventBus } from './events.ts'
import type { CommandHandler, HelpAudience, Inbound, InboundHandler } from './inbound.ts'
import { Progress } from './progress.ts'
import { Recovery } from './recovery.ts'
import { Relays, type PublishInput } from './relays.ts'
import { Router } from './router.ts'
import { Texts } from './texts.ts'

export { CLI_AUTHOR, WEB_AUTHOR, POLICY_ACTOR, PROVINCE_ACTOR, publicGroups, type Roles } from './directory.ts'
export { severityZh } from './texts.ts'
export { ACK_WINDOW_MS, BOT_CONTACTS_TTL_MS } from './acks.ts'
export { INVITE_TTL_HOURS } from './bindings.ts'
export type { PublishInput } from './relays.ts'
export type { Inbound, InboundContext, InboundHandler, HelpAudience } from './inbound.ts'

export interface CascadeDeps {
  cfg: CascadeConfig
  store: Store
  outboxes: Outboxes
  timers: Timers
  /** Recovery's interval and grace (src/spine/recovery.ts). */
  recovery?: { intervalMs?: number; graceMs?: number }
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
  readonly dir: Directory
  readonly texts: Texts
  readonly deliveries: Deliveries
  readonly relays: Relays
  readonly acks: Acks
  readonly progress: Progress
  readonly bindings: Bindings
  readonly front: ChatFront
  readonly recovery: Recovery

  constructor(deps: CascadeDeps) {
    const { cfg, store, outboxes, timers } = deps
    const now = this.now = deps.now ?? Date.now
    const random = deps.random ?? Math.random
    const log = this.log = deps.log ?? silentLogger
    this.cfg = cfg
    this.store = store
    this.outboxes = outboxes
    this.timers = timers
    const events = this.events = new EventBus(log)
    const router = this.router = new Router(cfg, store, outboxes)
    const dir = this.dir = new Directory(cfg)
    const texts = this.texts = new Texts(dir)
    const deliveries = this.deliveries = new Deliveries({ dir, texts, store, outboxes, router, events, now, log })
    const relays = this.relays = new Relays({ cfg, dir, texts, store, timers, events, router, deliveries, now, random, log })
    const acks = this.acks = new Acks({ store, events, now, log })
    const progress = this.progress = new Progress({ dir, store, now })
    const bindings = this.bindings = new Bindings({ dir, texts, store, events, relays, deliveries, now, random, log, guards: this })
    this.front = new ChatFront({ dir, texts, store, relays, bindings, acks, progress, now, log, guards: this })
    this.recovery = new Recovery({ store, outboxes, timers, relays, deliveries, texts, now, log }, deps.recovery?.intervalMs, deps.recovery?.graceMs)
  }

  // ── extension points (chat front) ─────────────────────────────────────────
  use(handler: InboundHandler): void { this.front.use(handler) }
  addHelp(audience: HelpAudience | HelpAudience[], usage: string): void { this.front.addHelp(audience, usage) }
  command: ChatFront['command'] = (kind, fn, help) => this.front.command(kind, fn as CommandHandler<typeof kind>, help)
  handleInbound(msg: Inbound): Promise<string[]> { return this.front.handleInbound(msg) }
  helpText(person: string): string { return this.front.helpText(person) }

  // ── directory and texts ───────────────────────────────────────────────────
  t(key: TemplateKey, vars: Record<string, string | number | undefined> = {}): string { return this.texts.t(key, vars) }
  labels(a: Announcement, relay?: Relay): string { return this.texts.labels(a, relay) }
  postText(a: Announcement, text: string, relay?: Relay): string { return this.texts.postText(a, text, relay) }
  rolesOf(person: string): Roles { return this.dir.rolesOf(person) }
  approvesFor(person: string): string[] { return this.dir.approvesFor(person) }
  hasRole(person: string): boolean { return this.dir.hasRole(person) }
  personName(id: string): string { return this.dir.personName(id) }
  nodeName(id: string): string { return this.dir.nodeName(id) }
  node(id: string): NodeConfig { return this.dir.node(id) }
  children(node: string): string[] { return this.dir.children(node) }
  groupOf(topic: string): { node: string; kind: GroupKind } | undefined { return this.dir.groupOf(topic) }

  // ── relays ────────────────────────────────────────────────────────────────
  publish(input: PublishInput): Promise<Announcement> { return this.relays.publish(input) }
  publishOnce(input: PublishInput, once: string): Promise<Announcement | undefined> { return this.relays.publishOnce(input, once) }
  release(a: Announcement): Promise<void> { return this.relays.release(a) }
  forward(a: Announcement, relay: Relay): Promise<void> { return this.relays.forward(a, relay) }
  openRelay(a: Announcement, parent: Relay | undefined, child: string, text: string): Promise<void> { return this.relays.openRelay(a, parent, child, text) }
  decide(a: Announcement, node: string, actor: string, decision: Decision): Promise<{ changed: boolean; relay?: Relay }> { return this.relays.decide(a, node, actor, decision) }
  autoForward(a: Announcement, node: string, why: AutoReason): Promise<boolean> { return this.relays.autoForward(a, node, why) }
  pendingFor(person: string): Promise<{ code: string; node: string }[]> { return this.relays.pendingFor(person) }

  // ── deliveries ────────────────────────────────────────────────────────────
  post(a: Announcement, relay: Relay, topic: string, text: string, planned?: string): Promise<void> { return this.deliveries.post(a, relay, topic, text, planned) }
  takePost(code: string, topic: string): Promise<Announcement | undefined> { return this.deliveries.takePost(code, topic) }
  postNotSent(code: string, topic: string): Promise<void> { return this.deliveries.postNotSent(code, topic) }
  requestApproval(a: Announcement, relay: Relay, person: string, idemSuffix = ''): Promise<void> { return this.deliveries.requestApproval(a, relay, person, idemSuffix) }
  tell(person: string, node: string | undefined, idem: string, text: string, priority?: number, secretForSeconds?: number): Promise<boolean> { return this.deliveries.tell(person, node, idem, text, priority, secretForSeconds) }

  // ── acknowledgments, status, bindings ─────────────────────────────────────
  botContacts(): Promise<Set<string>> { return this.acks.botContacts() }
  recordAck(msg: Inbound & { topic: string }, named?: string): Promise<boolean> { return this.acks.recordAck(msg, named) }
  statusTree(code: string): Promise<{ announcement: Announcement; root: StatusNode | undefined } | undefined> { return this.progress.statusTree(code) }
  statusText(code: string): Promise<string | undefined> { return this.progress.statusText(code) }
  createInvite(person: string, ttlHours = INVITE_TTL_HOURS): Promise<string> { return this.bindings.createInvite(person, ttlHours) }
}
