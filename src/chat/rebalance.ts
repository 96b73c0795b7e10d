/**
 * Moving waiting posts between accounts.
 *
 * - Failover: when an account is logged out (not stopped), its waiting group posts that another
 *   live account serving the same node can make move to that account's outbox, and the
 *   district's ops group is told through another logged-in account.
 * - Take-over: an account whose outbox has run dry takes over up to half of the waiting group
 *   posts of the busiest account it shares groups with (those that would go out last).
 * - Rescue: an account whose heartbeat has lapsed (its process died: no logout event comes) has
 *   its waiting and stalled in-flight group posts taken by a live account sitting in those
 *   groups; a send it had claimed is settled by the claim rule (seen in the group, else 补发).
 *   Ops are told once per outage.
 */
import type { Job } from 'bullmq'
import type { DeliveryState } from '../domain/announcement.ts'
import { clock } from '../domain/status.ts'
import { laneOf, PRIORITY, type SendJob } from '../queue/outbox.ts'
import { opsTopic, type Account } from './account.ts'
import type { AccountGroups } from './groups.ts'

/** Job states whose sends may move to another account when this one logs out. */
const MOVABLE_STATES = ['waiting', 'prioritized', 'delayed'] as const
/** Job states in which a send of the same id already at the new account counts as queued there. */
const QUEUED_STATES = new Set(['waiting', 'prioritized', 'delayed', 'active'])
/** Every delivery state: a record handed back to the account that kept the post, whatever came of it since. */
const ANY_STATE: DeliveryState[] = ['queued', 'sending', 'sent', 'confirmed', 'failed', 'withdrawn']
/** Longest that one account's posts stay reserved for an account taking some over (a crashed taker's lock expires). */
const TAKE_OVER_LOCK_MS = 5000
/** Ops hear of a dead account at most once in this long. */
const DEAD_TOLD_TTL_S = 3600

export class Rebalancer {
  private takingOver = false
  /** Accounts that sit in groups with this one (those it may take posts over from). */
  private readonly peers: string[]

  constructor(private readonly acc: Account, private readonly groups: AccountGroups) {
    const mine = new Set(acc.bot.nodes)
    this.peers = [...acc.app.cfg.bots.values()].filter(b => b.id !== acc.id && b.nodes.some(n => mine.has(n))).map(b => b.id)
  }

  private get app() { return this.acc.app }

  /**
   * Moves this account's waiting group posts to another live account serving the same node.
   * Returns how many moved.
   */
  async failover(): Promise<number> {
    const store = this.app.store
    const own = this.app.outboxes.queue(this.acc.id)
    let moved = 0
    for (const job of await own.getJobs([...MOVABLE_STATES])) {
      const d = job.data.delivery
      if (!d || job.data.target.kind !== 'group') continue
      const delivery = await store.delivery(d.code, d.topic)
      if (delivery?.state !== 'queued') continue
      const to = await this.app.router.botForNode(delivery.node, laneOf(job.opts.priority ?? PRIORITY.normal))
      if (to === this.acc.id || !(await store.aliveBots([to])).has(to)) continue
      if (await this.movePost(job, this.acc.id, to)) moved++
    }
    if (moved) this.acc.log.warn('failover.done', { moved })
    return moved
  }

  /**
   * This account cannot post to one group (removed from it, or it is not among its groups) while
   * other accounts may: its waiting posts for that group move to a live account serving the node
   * that has the group. Returns how many moved.
   */
  async failoverGroup(topic: string): Promise<number> {
    const to = await this.accountWithGroup(topic)
    if (!to) return 0
    let moved = 0
    for (const job of await this.app.outboxes.queue(this.acc.id).getJobs([...MOVABLE_STATES])) {
      const d = job.data.delivery
      if (!d || job.data.target.kind !== 'group' || job.data.target.topic !== topic) continue
      if ((await this.app.store.delivery(d.code, d.topic))?.state !== 'queued') continue
      if (await this.movePost(job, this.acc.id, to)) moved++
    }
    if (moved) this.acc.log.warn('failover.group', { topic, to, moved })
    return moved
  }

  /** Moves the one job being processed to another account that has its group; true when it left. */
  async moveToAccountWithGroup(job: Job<SendJob>): Promise<boolean> {
    if (job.data.target.kind !== 'group' || !job.data.delivery) return false
    const topic = job.data.target.topic
    const to = await this.accountWithGroup(topic)
    if (!to) return false
    await this.app.outboxes.enqueue(to, job.data, job.opts.priority ?? PRIORITY.normal)
    await this.app.store.patchDelivery(job.data.delivery.code, topic, ['queued'], { bot: to })
    this.acc.log.info('move.done', { idem: job.data.idem, to, why: 'group missing here' })
    return true
  }

  /** A live account serving the group's node that has the group (not missing in its health record). */
  private async accountWithGroup(topic: string): Promise<string | undefined> {
    const node = this.app.groupOf(topic)?.node
    if (!node) return undefined
    const others = this.app.router.botsServing(node).filter(b => b !== this.acc.id)
    const alive = await this.app.store.aliveBots(others)
    for (const b of others) {
      if (alive.has(b) && !(await this.acc.health.read(b)).missingGroups.includes(topic)) return b
    }
    return undefined
  }

  /**
   * When this account's outbox has run dry: takes over up to half of the waiting group posts of
   * the busiest account that sits in groups with it (those that would go out last), so that
   * both finish about together. One taker per account at a time (a short Redis lock).
   * Returns how many moved.
   */
  async takeOver(): Promise<number> {
    if (!this.acc.isLoggedIn() || this.acc.isStopping() || this.takingOver) return 0
    this.takingOver = true
    try {
      const peers = this.peers
      if (peers.length === 0 || await this.app.outboxes.backlog(this.acc.id) > 0) return 0
      const backlogs = await Promise.all(peers.map(p => this.app.outboxes.backlog(p)))
      const busiest = backlogs.indexOf(Math.max(...backlogs))
      const want = Math.floor(backlogs[busiest] / 2)
      if (want < 1) return 0
      const peer = peers[busiest]
      if (!await this.app.store.lockTakeOver(peer, this.acc.id, TAKE_OVER_LOCK_MS)) return 0
      try {
        const waiting = (await this.app.outboxes.queue(peer).getJobs(['prioritized', 'waiting']))
          // Groups of this account's nodes that it was found in at login.
          .filter(j => j.data.delivery && j.data.target.kind === 'group' && this.groups.has(j.data.target.topic))
          // Those that would go out last: lowest priority (highest number), then newest.
          .sort((a, b) => (b.opts.priority ?? 0) - (a.opts.priority ?? 0) || b.timestamp - a.timestamp)
        let moved = 0
        for (const job of waiting.slice(0, want)) if (await this.movePost(job, peer, this.acc.id)) moved++
        if (moved) this.acc.log.info('takeover.done', { from: peer, moved })
        return moved
      } finally {
        await this.app.store.unlockTakeOver(peer, this.acc.id)
      }
    } finally {
      this.takingOver = false
    }
  }

  /**
   * Takes the posts of peers whose heartbeat has lapsed, for the groups this account sits in:
   * waiting ones, and in-flight ones whose worker no longer holds them (no job lock). Returns
   * how many moved.
   */
  async rescueDeadPeers(): Promise<number> {
    if (!this.acc.isLoggedIn() || this.acc.isStopping() || this.peers.length === 0) return 0
    const alive = await this.app.store.aliveBots(this.peers)
    let total = 0
    for (const peer of this.peers.filter(p => !alive.has(p))) {
      const queue = this.app.outboxes.queue(peer)
      const jobs = (await queue.getJobs(['active', ...MOVABLE_STATES]))
        .filter(j => j.data.delivery && j.data.target.kind === 'group' && this.groups.has(j.data.target.topic))
      if (jobs.length === 0) continue
      if (!await this.app.store.lockTakeOver(peer, this.acc.id, TAKE_OVER_LOCK_MS)) continue
      let moved = 0
      try {
        for (const job of jobs) {
          // An in-flight job still locked has a live worker after all (a slow send): leave it.
          if (await this.app.store.redis.exists(`${queue.toKey(job.id ?? '')}:lock`)) continue
          if (await this.movePost(job, peer, this.acc.id, ['queued', 'sending'])) moved++
        }
      } finally {
        await this.app.store.unlockTakeOver(peer, this.acc.id)
      }
      if (!moved) continue
      total += moved
      this.acc.log.warn('rescue.done', { from: peer, moved, hint: 'that account has no heartbeat: its process is down' })
      const told = await this.app.store.redis.set(`${this.app.store.keys.base}deadtold:${peer}`, String(Date.now()), 'EX', DEAD_TOLD_TTL_S, 'NX')
      if (told === 'OK') {
        const bot = this.app.cfg.bots.get(peer)
        const text = this.app.t('ops_bot_dead', { name: bot?.name ?? peer, bot: peer, by: this.acc.bot.name, moved })
        await this.tellOps(`ops-dead-${peer}-${Date.now()}`, text, true)
      }
    }
    return total
  }

  /**
   * Moves one waiting group post from one account's outbox to another's, so that it ends up in
   * one of them, never both: its delivery record changes hands first (only while it is still in
   * `states` and `from`'s), then the job leaves `from` — BullMQ refuses to remove a job a worker
   * has just picked up (locked) — and only then is it queued at `to`. A post its account took
   * meanwhile stays with that account, its record given back. A crash between the steps leaves a
   * queued post whose record names `to` but whose job is still at `from` or gone: recovery queues
   * it again at `to`, and the idempotency key the job keeps (the send claim) posts it once. True
   * when it moved.
   */
  private async movePost(job: Job<SendJob>, from: string, to: string, states: DeliveryState[] = ['queued']): Promise<boolean> {
    const d = job.data.delivery!
    const id = job.id ?? ''
    // A finished job of the same id there would keep the post out of that outbox.
    const there = await this.app.outboxes.queue(to).getJob(id)
    if (there && !QUEUED_STATES.has(await there.getState())) return false
    if (!await this.app.store.patchDelivery(d.code, d.topic, states, { bot: to }, from)) return false
    if (await this.app.outboxes.queue(from).remove(id) !== 1) {
      await this.app.store.patchDelivery(d.code, d.topic, ANY_STATE, { bot: from }, to)
      this.acc.log.info('move.keep', { idem: job.data.idem, to, why: `${from} has just taken it` })
      return false
    }
    await this.app.outboxes.enqueue(to, job.data, job.opts.priority ?? PRIORITY.normal)
    this.acc.log.info('move.done', { idem: job.data.idem, to })
    return true
  }

  /** Sends a text to the district's ops group through another logged-in account (this one may be down). */
  async tellOps(idem: string, text: string, viaSelf = false): Promise<boolean> {
    const topic = opsTopic(this.app)
    const others = this.app.router.botsServing(this.app.cfg.rootId).filter(b => viaSelf || b !== this.acc.id)
    const alive = await this.app.store.aliveBots(others)
    const via = viaSelf && others.includes(this.acc.id) && this.groups.has(topic ?? '') ? this.acc.id : others.find(b => b !== this.acc.id && alive.has(b))
    if (!topic || !via) {
      this.acc.log.error('ops.unreachable', { hint: 'no logged-in account sits in the district staff group', topic })
      return false
    }
    await this.app.outboxes.enqueue(via, { idem, target: { kind: 'group', topic }, text }, PRIORITY.urgent)
    this.acc.log.info('ops.told', { via, topic })
    return true
  }

  /** Tells ops that this account logged out, how much waits for it and how much moved. */
  async tellOpsLoggedOut(at: number, moved: number): Promise<void> {
    const backlog = await this.app.outboxes.backlog(this.acc.id)
    const text = this.app.t('ops_bot_logged_out', { name: this.acc.bot.name, bot: this.acc.id, time: clock(at), backlog, moved })
    await this.tellOps(`ops-logout-${this.acc.id}-${at}`, text)
  }
}
