/**
 * The outbox: one BullMQ queue per bot account (`outbox-<botId>`), carrying every send of
 * that account — group posts, DMs to curators, replies — under the account's own limiter.
 */
import { createHash } from 'node:crypto'
import { Queue, type ConnectionOptions } from 'bullmq'
import type { Lane } from '../domain/fanout.ts'

export type SendTarget =
  | { kind: 'group'; topic: string }
  /** A person by bound identity: the bot looks up the contact bound to them at send time. */
  | { kind: 'person'; person: string }
  /** A contact of this account as seen in the message being answered. */
  | { kind: 'contact'; contactId: string }

export interface SendJob {
  /** Idempotency key: a send with the same key posts at most once, however often it runs. */
  idem: string
  target: SendTarget
  text: string
  /** Set for announcement posts: the delivery record this send fulfils. */
  delivery?: { code: string; topic: string }
  /**
   * Chat, not a notice: a reply to someone not bound, a case DM, a rumor answer. Counted on the
   * account's smaller chat budget (pacing.chatBudget), so it never takes what notices need.
   */
  chat?: boolean
  /**
   * A secret with a short life (a one-time sign-in code): `text` is empty and the text is kept
   * apart under this Redis key, with its own expiry (Deliveries.tell). The worker reads it at send
   * time, drops the send once it has expired, and deletes it once sent; the job itself is removed
   * when done or failed. BullMQ's job data never holds the secret.
   */
  secretKey?: string
}

/** Lower runs first: approval requests and urgent alerts before routine posts. */
export const PRIORITY = { approval: 1, urgent: 2, reply: 3, normal: 5, info: 8 } as const

/** Whether a send of this priority overtakes routine posts (the fan-out planner's lane). */
export function laneOf(priority: number): Lane { return priority <= PRIORITY.urgent ? 'urgent' : 'normal' }

export function outboxName(bot: string): string { return `outbox-${bot}` }

/** A stable, BullMQ-safe job id part for a free text (group topics may contain `:`). */
export function idPart(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 12)
}

/** BullMQ options every outbox job gets: retried with back-off, kept a while for inspection. */
const JOB_DEFAULTS = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600 },
}

/** A secret's send is kept neither done nor failed: nothing of it is left to inspect. */
const SECRET_JOB = { removeOnComplete: true, removeOnFail: true }

export class Outboxes {
  private readonly queues = new Map<string, Queue<SendJob>>()

  constructor(private readonly connection: ConnectionOptions, private readonly prefix: string) {}

  queue(bot: string): Queue<SendJob> {
    let q = this.queues.get(bot)
    if (!q) {
      q = new Queue<SendJob>(outboxName(bot), { connection: this.connection, prefix: this.prefix })
      // Connection errors are reported once per outage by the process (watchRedis); a failed
      // command still rejects where it was called. Unlistened, BullMQ prints each one.
      q.on('error', () => undefined)
      this.queues.set(bot, q)
    }
    return q
  }

  /** Adds a send; the job id is the idempotency key, so adding it twice queues it once. */
  async enqueue(bot: string, job: SendJob, priority: number): Promise<void> {
    await this.queue(bot).add('send', job, { ...JOB_DEFAULTS, ...(job.secretKey ? SECRET_JOB : {}), jobId: job.idem.replace(/:/g, '_'), priority })
  }

  /** Sends waiting or running in an account's outbox. */
  async backlog(bot: string): Promise<number> {
    const c = await this.queue(bot).getJobCounts('waiting', 'prioritized', 'active', 'delayed')
    return Object.values(c).reduce((a, b) => a + b, 0)
  }

  /**
   * What stands in front of a new send in an account's outbox: every send waiting or running,
   * and those that would still go before an urgent post (approval requests, urgent posts, the
   * send in flight). The fan-out planner's measure of how soon an account is free.
   */
  async load(bot: string): Promise<{ backlog: number; urgentBacklog: number }> {
    const q = this.queue(bot)
    const [c, ahead] = await Promise.all([
      q.getJobCounts('waiting', 'prioritized', 'active', 'delayed'),
      q.getCountsPerPriority([PRIORITY.approval, PRIORITY.urgent]),
    ])
    const backlog = (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.active ?? 0) + (c.delayed ?? 0)
    return { backlog, urgentBacklog: (c.active ?? 0) + (ahead[PRIORITY.approval] ?? 0) + (ahead[PRIORITY.urgent] ?? 0) }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map(q => q.close()))
    this.queues.clear()
  }
}
