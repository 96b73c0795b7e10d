/**
 * Timers: one BullMQ queue (`timers`) of delayed jobs — reminders, escalations, expiry,
 * acknowledgment deadlines, case SLAs. A feature registers a handler per kind; the worker
 * (in `cascade serve`, the demo, or a bot process started with --timers) dispatches to it.
 *
 * A timer's job id is `<kind>-<id>`, so scheduling the same timer twice keeps one, and it can
 * be cancelled by the same name. Handlers must be idempotent (a timer can fire twice) and check
 * that what they act on is still in the state they expect.
 */
import { Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq'
import type { Logger } from '../infra/log.ts'
import { isConnectionError } from '../infra/redis-reach.ts'

export interface TimerJob { kind: string; data: Record<string, unknown> }
export type TimerHandler = (data: Record<string, unknown>) => Promise<void>

export const TIMERS_QUEUE = 'timers'

export class Timers {
  readonly queue: Queue<TimerJob>
  private readonly handlers = new Map<string, TimerHandler>()
  private readonly onStart: (() => void)[] = []
  private worker?: Worker<TimerJob>

  constructor(private readonly connection: ConnectionOptions, private readonly prefix: string, private readonly log: Logger, private readonly now: () => number = Date.now) {
    this.queue = new Queue<TimerJob>(TIMERS_QUEUE, { connection, prefix })
    this.queue.on('error', () => undefined) // see Outboxes.queue
  }

  /** Registers what a kind of timer does when it fires. */
  handle(kind: string, fn: TimerHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for timer "${kind}" is already registered`)
    this.handlers.set(kind, fn)
  }

  private jobId(kind: string, id: string): string { return `${kind}-${id}`.replace(/:/g, '_') }

  /** Fires `kind` with `data` at `at` (epoch ms); once per (kind, id). */
  async schedule(kind: string, id: string, at: number, data: Record<string, unknown>): Promise<void> {
    await this.queue.add(kind, { kind, data }, {
      jobId: this.jobId(kind, id), delay: Math.max(0, at - this.now()),
      attempts: 5, backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 30 * 24 * 3600 },
    })
  }

  /** Cancels a timer that has not fired yet; false when there was none waiting. */
  async cancel(kind: string, id: string): Promise<boolean> {
    const job = await this.queue.getJob(this.jobId(kind, id))
    if (!job || !(await job.isDelayed() || await job.isWaiting())) return false
    await job.remove()
    return true
  }

  /** Where a timer stands: waiting, delayed, active, completed or failed (with why); undefined when unknown or removed. */
  async state(kind: string, id: string): Promise<{ state: string; failedReason?: string; attempts: number } | undefined> {
    const job = await this.queue.getJob(this.jobId(kind, id))
    if (!job) return undefined
    return { state: await job.getState(), failedReason: job.failedReason || undefined, attempts: job.attemptsMade }
  }

  /** Runs `fn` when this process starts processing timers (e.g. to schedule a recurring pass). */
  whenStarted(fn: () => void): void { this.onStart.push(fn) }

  /** Starts processing timers in this process. */
  start(): void {
    if (this.worker) return
    for (const fn of this.onStart) fn()
    this.worker = new Worker<TimerJob>(TIMERS_QUEUE, async job => {
      const fn = this.handlers.get(job.data.kind)
      if (!fn) throw new UnrecoverableError(`no handler for timer "${job.data.kind}" in this process`)
      await fn(job.data.data)
    }, { connection: this.connection, prefix: this.prefix, concurrency: 4 })
    this.worker.on('failed', (job, err) => this.log.warn('timer.failed', { kind: job?.data.kind, id: job?.id, err: err.message }))
    this.worker.on('error', err => { if (!isConnectionError(err)) this.log.error('timers.error', { err }) })
  }

  async close(): Promise<void> {
    await this.worker?.close()
    this.worker = undefined
    await this.queue.close()
  }
}
