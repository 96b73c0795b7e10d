/**
 * A notice's way down the tree: publish (now or at a time), release, forward to a node's groups
 * and children, open a child's relay, a curator's decision, auto-forward by policy, expiry.
 * See docs/ARCHITECTURE.md, "A notice's way down".
 *
 * Features build on these use-cases through two extension points instead of being called by
 * name: `forwardAs(type, fn)` (how an announcement of a type forwards: corrections follow the
 * original's path) and `onAwaitingDecision(fn)` (a relay's curators were asked: policy timers).
 */
import { isBlank, wellFormed } from '../domain/text.ts'
import {
  decideRelay, forwards, newAnnouncementCode,
  type Announcement, type AnnouncementStatus, type AnnouncementType, type AutoReason, type Decision, type Relay, type Severity,
} from '../domain/announcement.ts'
import type { CascadeConfig } from '../config/types.ts'
import { policyFor } from '../config/policies.ts'
import { laneOf } from '../queue/outbox.ts'
import type { Timers } from '../queue/timers.ts'
import { ONCE_CALLED_OFF, type Store } from '../store/store.ts'
import type { Logger } from '../infra/log.ts'
import type { Deliveries } from './deliveries.ts'
import { POLICY_ACTOR, CLI_AUTHOR, publicGroups, type Directory } from './directory.ts'
import type { EventBus } from './events.ts'
import type { Router } from './router.ts'
import type { Texts } from './texts.ts'

/** Kinds of timers the spine schedules and handles itself. */
export const SPINE_TIMER = { release: 'release', expire: 'expire' } as const

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
  /** A run of a series (src/features/series/). */
  series?: Announcement['series']
  /** Handed down by the province: the origin relay waits for its curators instead of going out. */
  handoff?: Announcement['handoff']
}

/**
 * Before a child's curators are asked: a feature may forward it without asking (e.g. a series the
 * node approved once: `'series'`) or withhold it ('withhold': the node and its subtree get nothing).
 */
export type UnaskedDecision = (a: Announcement, r: Relay) => Promise<AutoReason | 'withhold' | undefined>

/** How an announcement of some type forwards at a node, instead of the usual posts and children. */
export type Forwarder = (a: Announcement, relay: Relay) => Promise<void>

export interface RelaysDeps {
  cfg: CascadeConfig
  dir: Directory
  texts: Texts
  store: Store
  timers: Timers
  events: EventBus
  router: Router
  deliveries: Deliveries
  now: () => number
  random: () => number
  log: Logger
}

export class Relays {
  private readonly forwarders = new Map<AnnouncementType, Forwarder>()
  private readonly awaiting: ((a: Announcement, r: Relay) => Promise<void>)[] = []
  private readonly unasked: UnaskedDecision[] = []

  constructor(private readonly d: RelaysDeps) {
    d.timers.handle(SPINE_TIMER.release, async data => {
      const a = await d.store.announcement(String(data.code))
      if (a && !a.released) await this.release(a)
    })
    d.timers.handle(SPINE_TIMER.expire, async data => { await this.expire(String(data.code)) })
  }

  /** Announcements of this type forward with `fn` (a feature's path, e.g. corrections). */
  forwardAs(type: AnnouncementType, fn: Forwarder): void {
    if (this.forwarders.has(type)) throw new Error(`announcements of type "${type}" already forward another way`)
    this.forwarders.set(type, fn)
  }

  /** Lets `fn` decide a relay before its curators are asked (the first answer counts). */
  decideUnasked(fn: UnaskedDecision): void { this.unasked.push(fn) }

  /** Runs `fn` after a relay's curators were asked (not when it forwarded without review). */
  onAwaitingDecision(fn: (a: Announcement, r: Relay) => Promise<void>): void { this.awaiting.push(fn) }

  /**
   * Publishes at the origin node (no approval there) and starts the relay down the tree — or,
   * with `at` in the future, schedules it. Also schedules the announcement's expiry.
   */
  async publish(input: PublishInput): Promise<Announcement> {
    return (await this.publishOnce(input))!
  }

  /**
   * Publishes at most once per `once` key (a notice handed down twice, a hand-off run again after
   * a crash): a second call returns the first announcement, and completes its going out if the
   * first call stopped before. Undefined when the key was called off first (`Store.callOffOnce`).
   */
  async publishOnce(input: PublishInput, once?: string): Promise<Announcement | undefined> {
    const { cfg, store, timers } = this.d
    const origin = this.d.dir.node(input.node)
    const text = wellFormed(input.text).trim()
    // Nothing visible once zero-width characters, footer-like lines and label words are out (issue 23, item 6).
    if (isBlank(this.d.texts.body(text))) throw new Error('announcement text is empty (nothing visible once invisible characters and label words are taken out)')
    const createdAt = this.d.now()
    const severity = input.severity ?? 'urgent'
    const scheduled = input.at !== undefined && input.at > createdAt
    const goesOut = scheduled ? input.at! : createdAt
    let a: Announcement
    for (;;) {
      a = {
        code: newAnnouncementCode(this.d.random), version: 1, type: input.type ?? 'alert', references: input.references,
        originNode: origin.id, author: input.author, category: input.category ?? cfg.categories[0] ?? '通知',
        severity, status: input.status ?? 'actual', text, createdAt, ackRequired: input.ackRequired ?? true,
        expiresAt: input.expiresAt ?? goesOut + policyFor(cfg.policies, origin.id, severity).expiresAfterHours * 3600_000,
        scheduledAt: scheduled ? input.at : undefined, released: !scheduled,
        ...(input.series ? { series: input.series } : {}),
        ...(input.handoff ? { handoff: input.handoff } : {}),
      }
      const created = await store.createAnnouncement(a, once)
      if (created === true) break
      if (created !== false) return this.publishedBefore(created.existing)
    }
    await store.audit(a.code, { kind: a.type === 'alert' ? 'publish' : a.type, node: origin.id, actor: input.author, at: createdAt, severity, status: a.status, references: a.references, scheduledAt: a.scheduledAt, text })
    this.d.log.info('announcement.published', { code: a.code, node: origin.id, author: input.author, type: a.type, scheduled })
    await timers.schedule(SPINE_TIMER.expire, a.code, a.expiresAt!, { code: a.code })
    if (scheduled) await timers.schedule(SPINE_TIMER.release, a.code, input.at!, { code: a.code })
    else await this.release(a)
    return a
  }

  /** What was published under a `once` key, its going out completed (a first call may have stopped short). */
  private async publishedBefore(code: string): Promise<Announcement | undefined> {
    if (code === ONCE_CALLED_OFF) return undefined
    const a = await this.d.store.announcement(code)
    if (!a) throw new Error(`announcement ${code} published once is missing`)
    await this.d.timers.schedule(SPINE_TIMER.expire, a.code, a.expiresAt!, { code: a.code })
    if (a.released && !await this.d.store.relay(a.code, a.originNode)) await this.release(a)
    return a
  }

  /**
   * The announcement goes out: its origin relay is approved and forwarded — or, for a notice the
   * province handed down, opened for the root's curators like any tier's. Idempotent.
   */
  async release(a: Announcement): Promise<void> {
    const { store } = this.d
    if (await store.cancelledBy(a.code)) return
    if (a.handoff) {
      await this.d.events.emit('published', { announcement: a })
      await this.openRelay(a, undefined, a.originNode, a.text)
      return
    }
    if (!a.released) {
      a = { ...a, released: true }
      await store.saveAnnouncement(a)
    }
    const at = this.d.now()
    const relay: Relay = { code: a.code, node: a.originNode, state: 'approved', text: a.text, finalText: a.text, openedAt: at, decidedBy: a.author, decidedAt: at, category: a.category }
    await store.openRelay(relay)
    await this.d.events.emit('published', { announcement: a })
    await this.forward(a, (await store.relay(a.code, a.originNode)) ?? relay)
  }

  /**
   * A relay that forwards (the origin, or approved/edited): post to the node's public groups
   * and open relays for its children. Safe to run again: every step is idempotent.
   * A type with its own way (`forwardAs`: corrections) forwards that way instead.
   */
  async forward(a: Announcement, relay: Relay): Promise<void> {
    await this.forwardOnce(a, relay)
    // Done: recovery (recovery.ts) re-runs a forward only while this mark is missing.
    await this.d.store.transitionRelay(a.code, relay.node, ['approved', 'edited'], { forwardedAt: this.d.now() })
  }

  private async forwardOnce(a: Announcement, relay: Relay): Promise<void> {
    if (await this.d.store.cancelledBy(a.code)) return
    if (a.type === 'cancel') return // a retraction goes only where the original went (src/features/curation/)
    const special = a.references ? this.forwarders.get(a.type) : undefined
    if (special) return special(a, relay)
    const { deliveries } = this.d
    const text = relay.finalText ?? relay.text
    const node = this.d.dir.node(relay.node)
    const topics = publicGroups(node).map(g => g.topic)
    if (topics.length) {
      const plan = await this.d.router.planPosts(node.id, topics, laneOf(deliveries.postPriority(a)))
      try {
        await Promise.all(topics.map(topic => deliveries.post(a, relay, topic, text, plan.bots.get(topic)).finally(() => plan.done(topic))))
      } finally {
        plan.release()
      }
    }
    // Children open side by side: a township's villages do not wait for the one before's subtree.
    const opened = await Promise.allSettled(this.d.dir.children(node.id).map(child => this.openRelay(a, relay, child, text)))
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  /**
   * Opens the relay of a child node once: asks its curators and starts what waits on them.
   * Without a parent: the root's relay of a notice the province handed down.
   */
  async openRelay(a: Announcement, parent: Relay | undefined, child: string, text: string): Promise<void> {
    const { store, cfg } = this.d
    const r: Relay = { code: a.code, node: child, ...(parent ? { parent: parent.node } : {}), state: 'pending', text, openedAt: this.d.now(), category: parent?.category ?? a.category }
    if (!await store.openRelay(r)) return
    // A cancel sets its flag before it sweeps the pending relays: either it saw this one, or we see the flag.
    if (await store.cancelledBy(a.code)) {
      await store.transitionRelay(a.code, child, ['pending'], { state: 'withdrawn', decidedBy: POLICY_ACTOR, decidedAt: this.d.now() })
      return
    }
    await store.audit(a.code, { kind: 'relay-opened', node: child, at: r.openedAt })
    await this.d.events.emit('relay-opened', { announcement: a, relay: r })
    // A feature's word first (a paused series withholds even where the policy forwards at once).
    for (const fn of this.unasked) {
      const verdict = await fn(a, r)
      if (verdict === 'withhold') {
        const { changed } = await store.transitionRelay(a.code, child, ['pending'], { state: 'withdrawn', decidedBy: POLICY_ACTOR, decidedAt: this.d.now(), reason: 'withheld' })
        if (changed) await store.audit(a.code, { kind: 'withheld', node: child, actor: POLICY_ACTOR, at: this.d.now() })
        return
      }
      if (verdict) { await this.autoForward(a, child, verdict); return }
    }
    if (a.type === 'update' && a.severity === 'urgent' && cfg.policies.urgentCorrectionsAutoApprove) {
      await this.autoForward(a, child, 'correction')
      return
    }
    // A node whose policy forwards at once (autoForwardAfter: 0) is not asked: a request its
    // curators cannot act on in time would only take a send slot ahead of the notice itself.
    if (policyFor(cfg.policies, child, a.severity).autoForwardAfter === 0) {
      await this.autoForward(a, child, 'policy')
      return
    }
    for (const curator of this.d.dir.node(child).curators) await this.d.deliveries.requestApproval(a, r, curator)
    for (const fn of this.awaiting) await fn(a, r)
  }

  /**
   * Applies a decision at one node. The pending → decided change is atomic: of two curators
   * answering at once, or a retried command, exactly one forwards.
   */
  async decide(a: Announcement, node: string, actor: string, decision: Decision): Promise<{ changed: boolean; relay?: Relay }> {
    const { store } = this.d
    const current = await store.relay(a.code, node)
    if (!current || current.state !== 'pending') return { changed: false, relay: current }
    if (await store.cancelledBy(a.code)) return { changed: false, relay: current }
    const next = decideRelay(current, decision, actor, this.d.now())
    const patch: Partial<Relay> = { state: next.state, decidedBy: next.decidedBy, decidedAt: next.decidedAt, finalText: next.finalText, reason: next.reason }
    const result = await store.transitionRelay(a.code, node, ['pending'], patch)
    if (!result.changed || !result.relay) return result
    const relay = result.relay
    await store.audit(a.code, {
      kind: decision.action, node, actor, at: relay.decidedAt ?? this.d.now(),
      before: decision.action === 'edit' ? current.text : undefined,
      after: decision.action === 'edit' ? decision.text : undefined,
      reason: decision.action === 'reject' ? decision.reason : undefined,
    })
    this.d.log.info('relay.decided', { code: a.code, node, actor, state: relay.state })
    await this.d.events.emit('decided', { announcement: a, relay })
    if (forwards(relay.state)) await this.forward(a, relay)
    else if (relay.state === 'rejected') await this.tellPublisherOfRejection(a, relay)
    return result
  }

  /**
   * Forwards a pending relay without review, because its policy says so after a wait or because
   * an urgent correction may pass. Labelled in the posts and recorded in the audit.
   */
  async autoForward(a: Announcement, node: string, why: AutoReason): Promise<boolean> {
    const { store } = this.d
    if (await store.cancelledBy(a.code)) return false
    const at = this.d.now()
    const { changed, relay } = await store.transitionRelay(a.code, node, ['pending'], { state: 'approved', decidedBy: POLICY_ACTOR, decidedAt: at, auto: true, autoReason: why })
    if (!changed || !relay) return false
    const finalized = { ...relay, finalText: relay.text }
    await store.audit(a.code, { kind: 'auto-forward', node, actor: POLICY_ACTOR, at, why })
    this.d.log.info('relay.auto-forwarded', { code: a.code, node, why })
    await this.d.events.emit('decided', { announcement: a, relay: finalized })
    await this.forward(a, finalized)
    return true
  }

  private async tellPublisherOfRejection(a: Announcement, relay: Relay): Promise<void> {
    if (a.author === CLI_AUTHOR) return
    const { dir, texts } = this.d
    const text = texts.t('rejected_notice', { node: dir.nodeName(relay.node), actor: dir.personName(relay.decidedBy ?? ''), code: a.code, reason: relay.reason ?? '' })
    await this.d.deliveries.tell(a.author, a.originNode, `${a.code}-rejected-${relay.node}`, text)
  }

  /** Relays pending at the nodes this person approves for. */
  async pendingFor(person: string): Promise<{ code: string; node: string }[]> {
    const out: { code: string; node: string }[] = []
    for (const node of this.d.dir.approvesFor(person)) {
      for (const code of await this.d.store.pendingCodes(node)) out.push({ code, node })
    }
    return out
  }

  /** At expiry: pending relays close as expired and queued posts are withdrawn. Idempotent. */
  private async expire(code: string): Promise<void> {
    const { store } = this.d
    const at = this.d.now()
    for (const [node, r] of await store.relays(code)) {
      if (r.state !== 'pending') continue
      const { changed } = await store.transitionRelay(code, node, ['pending'], { state: 'expired', decidedBy: POLICY_ACTOR, decidedAt: at })
      if (changed) await store.audit(code, { kind: 'expired', node, actor: POLICY_ACTOR, at })
    }
    for (const d of await store.deliveries(code)) {
      if (d.state === 'queued' && await store.patchDelivery(code, d.topic, ['queued'], { state: 'withdrawn', error: 'expired' })) {
        await store.audit(code, { kind: 'delivery-withdrawn', node: d.node, at, topic: d.topic, why: 'expired' })
      }
    }
  }
}
