/**
 * Everything the spine sends, queued on the accounts' outboxes: a notice's post to a group
 * (once per group), the worker's take of a post right before `say()`, approval requests and
 * other DMs to people. Sends themselves happen only in the outbox worker (src/chat/outbox-worker.ts).
 */
import type { Announcement, DeliveryState, Relay } from '../domain/announcement.ts'
import { echoConfirms, echoTarget } from '../domain/echo-text.ts'
import { idPart, laneOf, PRIORITY, type Outboxes, type SendJob } from '../queue/outbox.ts'
import type { Store } from '../store/store.ts'
import type { Logger } from '../infra/log.ts'
import { publicGroups, type Directory } from './directory.ts'
import type { EventBus } from './events.ts'
import type { Router } from './router.ts'
import { severityZh, type Texts } from './texts.ts'

export interface DeliveriesDeps {
  dir: Directory
  texts: Texts
  store: Store
  outboxes: Outboxes
  router: Router
  events: EventBus
  now: () => number
  log: Logger
}

/** The idempotency key (and job id) of an announcement's post to one group. */
export function postIdem(a: Announcement, topic: string): string { return `${a.code}-v${a.version}-${idPart(topic)}` }

export class Deliveries {
  constructor(private readonly d: DeliveriesDeps) {}

  /** Urgent notices and retractions overtake queued routine posts. */
  postPriority(a: Announcement): number {
    return a.severity === 'urgent' || a.type === 'cancel' ? PRIORITY.urgent : a.severity === 'info' ? PRIORITY.info : PRIORITY.normal
  }

  /** Queues the post of an announcement to one group (once per group), on the planned account if given. */
  async post(a: Announcement, relay: Relay, topic: string, text: string, planned?: string): Promise<void> {
    const { store, outboxes } = this.d
    const node = this.d.dir.node(relay.node)
    const bot = planned ?? await this.d.router.botForNode(node.id, laneOf(this.postPriority(a)))
    const queued = await store.queueDelivery({ code: a.code, node: node.id, topic, state: 'queued', bot, queuedAt: this.d.now() })
    const owner = queued ? bot : (await store.delivery(a.code, topic))?.bot ?? bot
    const job: SendJob = {
      idem: postIdem(a, topic),
      target: { kind: 'group', topic },
      text: this.d.texts.postText(a, text, relay),
      delivery: { code: a.code, topic },
    }
    await outboxes.enqueue(owner, job, this.postPriority(a))
  }

  /**
   * Asked by the outbox worker right before a post: takes it for sending (queued → sending) and
   * returns its announcement, or undefined when it must not go out any more — withdrawn,
   * cancelled, expired, or already taken.
   */
  async takePost(code: string, topic: string): Promise<Announcement | undefined> {
    const a = await this.d.store.announcement(code)
    if (!a) return undefined
    return (await this.d.store.beginPost(code, topic, this.d.now(), a.expiresAt)) === 'sending' ? a : undefined
  }

  /** A post taken for sending did not go out (say() failed): it is queued again for the retry. */
  async postNotSent(code: string, topic: string): Promise<void> {
    await this.d.store.patchDelivery(code, topic, ['sending'], { state: 'queued' })
  }

  /** A post seen coming back in its group: `confirmed` (from `sent`, or the states given), once. */
  async confirm(code: string, topic: string, from: DeliveryState[] = ['sent']): Promise<boolean> {
    const at = this.d.now()
    if (!await this.d.store.patchDelivery(code, topic, from, { state: 'confirmed', confirmedAt: at, error: '' })) return false
    await this.d.events.emit('confirmed', { code, topic, at })
    return true
  }

  /**
   * Whether a post's text (or its 【补发】 copy) came back in the group since a time, by the
   * accounts' own messages kept in Redis: a send whose process died is settled by it.
   */
  async seenInGroup(topic: string, text: string, since: number): Promise<boolean> {
    const seen = await this.d.store.sends.echoesSince(topic, since - 5_000)
    const targets = [echoTarget(text), echoTarget(this.d.texts.t('label_resend') + text)]
    return seen.some(key => targets.some(t => echoConfirms(key, t)))
  }

  /** DMs one curator the text, where it would go and how to answer. */
  async requestApproval(a: Announcement, relay: Relay, person: string, idemSuffix = ''): Promise<void> {
    const { dir, texts } = this.d
    const bot = await this.d.router.botForPerson(person, relay.node)
    if (!bot) {
      this.d.log.warn('approval.unreachable', { code: a.code, node: relay.node, person, hint: 'person has not redeemed an invite with any bot' })
      await this.d.store.audit(a.code, { kind: 'curator-unreachable', node: relay.node, actor: person, at: this.d.now() })
      return
    }
    const node = dir.node(relay.node)
    const text = texts.t('approval_request', {
      labels: texts.labels(a), from: relay.parent ? dir.nodeName(relay.parent) : a.handoff?.province ?? dir.nodeName(a.originNode),
      code: a.code, severity: severityZh(a.severity), category: relay.category ?? a.category, text: relay.text,
      groups: publicGroups(node).length, children: dir.children(node.id).length,
    })
    await this.d.outboxes.enqueue(bot, { idem: `${a.code}-req-${relay.node}-${person}${idemSuffix}`, target: { kind: 'person', person }, text }, PRIORITY.approval)
  }

  /**
   * DMs a person through the best account for them (no-op when they are bound to none). With
   * `secretForSeconds` (a one-time code) the text stays out of the queue: it is kept apart for
   * that long, and a send not made by then is dropped (SendJob.secretKey).
   */
  async tell(person: string, node: string | undefined, idem: string, text: string, priority: number = PRIORITY.reply, secretForSeconds?: number): Promise<boolean> {
    const bot = await this.d.router.botForPerson(person, node)
    if (!bot) return false
    if (secretForSeconds) {
      const secretKey = `${this.d.store.keys.base}secret:${idem}`
      await this.d.store.redis.set(secretKey, text, 'EX', secretForSeconds)
      await this.d.outboxes.enqueue(bot, { idem, target: { kind: 'person', person }, text: '', secretKey }, priority)
      return true
    }
    await this.d.outboxes.enqueue(bot, { idem, target: { kind: 'person', person }, text }, priority)
    return true
  }
}
