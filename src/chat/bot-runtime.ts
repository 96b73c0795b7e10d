/**
 * One WeChat account at work: a Wechaty bot (puppet injected: wechat4u in production, the mock
 * in tests and the demo), its chat handlers, and the worker of its outbox queue.
 *
 * - Rooms are found by topic at every login (web-WeChat ids change per login); a configured
 *   group that cannot be found is reported, never guessed.
 * - The outbox worker runs only while the account is logged in: while logged out its queue
 *   waits instead of failing.
 * - Every send takes an idempotency claim in Redis before `say()`, so a job run twice posts once.
 * - A post counts as confirmed when the account sees its own message come back in the room.
 * - On WeChat's "too frequent" the whole account's outbox pauses (longer each time, capped);
 *   the refused message waits in the queue, neither lost nor counted as a failed attempt.
 * - On logout (not a stop) the district's ops group is told through another logged-in account,
 *   and waiting group posts that another live account can make are moved to its outbox.
 */
import { Worker, DelayedError, RateLimitError, type ConnectionOptions, type Job } from 'bullmq'
import { WechatyBuilder } from 'wechaty'
import type { ContactInterface, MessageInterface, RoomInterface, WechatyInterface } from 'wechaty/impls'
import type { Puppet } from 'wechaty-puppet'
import { BotHealth } from '../app/bot-health.ts'
import type { Cascade } from '../app/cascade.ts'
import { coverageOf } from '../app/coverage.ts'
import { parseCommand } from '../domain/commands.ts'
import { silentLogger, type Logger } from '../app/log.ts'
import type { BotConfig } from '../config/types.ts'
import { clock } from '../domain/status.ts'
import { sendInterval } from '../domain/fanout.ts'
import { laneOf, outboxName, PRIORITY, type SendJob, type SendTarget } from '../queue/outbox.ts'
import { backoffDelay, DEFAULT_BACKOFF, isTooFrequent, type BackoffPolicy } from './too-frequent.ts'

export interface BotRuntimeOptions {
  app: Cascade
  bot: BotConfig
  puppet: Puppet
  /** Connection for the outbox worker (BullMQ opens its own clients from it). */
  connection: ConnectionOptions
  log?: Logger
  /** Seconds between heartbeats; the router treats an account without one as logged out. */
  heartbeatSeconds?: number
  /** Override the account's pacing (the demo runs faster than a real account may). */
  pacing?: Partial<BotConfig['pacing']>
  /** How the account backs off after WeChat's "too frequent" (tests shorten it). */
  backoff?: BackoffPolicy
  /**
   * Called right before each `say()`; throwing makes that say fail. For tests only: it stands
   * in for WeChat refusing a send (e.g. "too frequent") or a slow send.
   */
  beforeSay?: (target: SendTarget, text: string) => Promise<void> | void
}

/** How long a logout waits for the send in flight before moving the waiting ones. */
const LOGOUT_PAUSE_WAIT_MS = 5_000
/** Job states whose sends may move to another account when this one logs out. */
const MOVABLE_STATES = ['waiting', 'prioritized', 'delayed'] as const
/** Job states in which a moved send counts as safely queued at its new account. */
const QUEUED_STATES = new Set(['waiting', 'prioritized', 'delayed', 'active'])
/** Longest that one account's posts stay reserved for an account taking some over (a crashed taker's lock expires). */
const TAKE_OVER_LOCK_MS = 5000

interface EchoWait { key: string; delivery: { code: string; topic: string }; echoed: boolean; sent: boolean }

/** Raised when a send is impossible right now (room not found, contact not bound): retried later. */
export class SendError extends Error {}

export class BotRuntime {
  readonly id: string
  readonly wechaty: WechatyInterface
  private worker?: Worker<SendJob>
  private rooms = new Map<string, RoomInterface>()
  private readonly echoWaits = new Map<string, EchoWait>()
  private heartbeat?: NodeJS.Timeout
  private readonly log: Logger
  private loggedIn = false
  private loginResolvers: (() => void)[] = []
  /** Set by `stop()`: the logout that follows is ours, not WeChat's. */
  private stopping = false
  private takingOver = false
  /** Accounts that sit in groups with this one (those it may take posts over from). */
  private readonly peers: string[]
  /** "Too frequent" answers in a row. */
  private strikes = 0
  private readonly health: BotHealth
  /** Topics of the configured groups not found at the last login. */
  missingGroups: string[] = []
  /** Bound people whose contact was not found at the last login (they need a new invite). */
  missingPeople: string[] = []

  constructor(private readonly opts: BotRuntimeOptions) {
    this.id = opts.bot.id
    const mine = new Set(opts.bot.nodes)
    this.peers = [...opts.app.cfg.bots.values()].filter(b => b.id !== this.id && b.nodes.some(n => mine.has(n))).map(b => b.id)
    this.log = (opts.log ?? silentLogger).child({ bot: this.id })
    this.health = new BotHealth(opts.app.store)
    this.wechaty = WechatyBuilder.build({ name: opts.bot.session, puppet: opts.puppet })
    this.wechaty.on('login', user => { void this.onLogin(user).catch(err => this.log.error('login.failed', { err })) })
    this.wechaty.on('logout', (_user, reason) => { void this.onLogout(reason).catch(err => this.log.error('logout.failed', { err })) })
    this.wechaty.on('message', msg => { void this.onMessage(msg).catch(err => this.onMessageFailed(msg, err)) })
    this.wechaty.on('error', err => this.log.error('wechaty.error', { err }))
  }

  get app(): Cascade { return this.opts.app }
  get isLoggedIn(): boolean { return this.loggedIn }

  async start(): Promise<void> {
    await this.wechaty.start()
  }

  /** A configured group of this account as found at login (benchmarks post to it directly). */
  room(topic: string): RoomInterface | undefined { return this.rooms.get(topic) }

  /** Resolves once the account is logged in and its rooms are resolved. */
  ready(): Promise<void> {
    if (this.loggedIn) return Promise.resolve()
    return new Promise(resolve => this.loginResolvers.push(resolve))
  }

  /**
   * Stops taking new jobs, lets the send in flight finish, then stops the bot. Jobs still
   * waiting stay in the queue for the next process.
   */
  async stop(): Promise<void> {
    this.stopping = true
    clearInterval(this.heartbeat)
    await this.worker?.close()
    this.worker = undefined
    await this.app.store.setOffline(this.id).catch(() => undefined)
    await this.wechaty.stop()
    this.loggedIn = false
  }

  // ── login ─────────────────────────────────────────────────────────────────

  private async onLogin(user: ContactInterface): Promise<void> {
    this.log.info('bot.login', { name: user.name() })
    await this.app.store.addBotContact(user.id)
    await this.resolveRooms()
    await this.resolvePeople()
    await this.health.recordLogin(this.id, Date.now(), { groups: this.missingGroups, people: this.missingPeople })
    this.loggedIn = true
    await this.app.store.heartbeat(this.id, (this.opts.heartbeatSeconds ?? 10) * 3)
    clearInterval(this.heartbeat)
    this.heartbeat = setInterval(() => {
      void this.app.store.heartbeat(this.id, (this.opts.heartbeatSeconds ?? 10) * 3).catch(err => this.log.warn('heartbeat.failed', { err }))
      // Idle while another account's outbox grew (e.g. it is backing off): take some over.
      void this.takeOver().catch(err => this.log.warn('takeover.failed', { err }))
    }, (this.opts.heartbeatSeconds ?? 10) * 1000)
    this.heartbeat.unref()
    if (this.worker) this.worker.resume()
    else this.worker = this.createWorker()
    for (const r of this.loginResolvers.splice(0)) r()
  }

  private async onLogout(reason?: string): Promise<void> {
    this.loggedIn = false
    clearInterval(this.heartbeat)
    await this.app.store.setOffline(this.id).catch(() => undefined)
    if (this.stopping) return
    // Let the send in flight end (it fails fast now and goes back to the queue), so that it
    // can move too; a send hanging on a dead connection is not waited for long.
    await Promise.race([this.worker?.pause(), sleep(LOGOUT_PAUSE_WAIT_MS)])
    this.log.warn('bot.logout', { reason })
    const at = Date.now()
    await this.health.recordLogout(this.id, at, reason ?? 'logout')
    const moved = await this.failover()
    await this.tellOps(at, moved)
  }

  /**
   * Moves this account's waiting group posts to another live account serving the same node.
   * Returns how many moved.
   */
  async failover(): Promise<number> {
    const store = this.app.store
    const own = this.app.outboxes.queue(this.id)
    let moved = 0
    for (const job of await own.getJobs([...MOVABLE_STATES])) {
      const d = job.data.delivery
      if (!d || job.data.target.kind !== 'group') continue
      const delivery = await store.delivery(d.code, d.topic)
      if (delivery?.state !== 'queued') continue
      const to = await this.app.router.botForNode(delivery.node, laneOf(job.opts.priority ?? PRIORITY.normal))
      if (to === this.id || !(await store.aliveBots([to])).has(to)) continue
      if (await this.movePost(job, to)) moved++
    }
    if (moved) this.log.warn('failover.done', { moved })
    return moved
  }

  /**
   * When this account's outbox has run dry: takes over up to half of the waiting group posts of
   * the busiest account that sits in groups with it (those that would go out last), so that
   * both finish about together. The plan was made before anyone knew how the sends would go —
   * an account may be slowed by WeChat's "too frequent", or plans made side by side may have
   * loaded it more. One taker per account at a time (a short Redis lock). Returns how many moved.
   */
  async takeOver(): Promise<number> {
    if (!this.loggedIn || this.stopping || this.takingOver) return 0
    this.takingOver = true
    try {
      const peers = this.peers
      if (peers.length === 0 || await this.app.outboxes.backlog(this.id) > 0) return 0
      const backlogs = await Promise.all(peers.map(p => this.app.outboxes.backlog(p)))
      const busiest = backlogs.indexOf(Math.max(...backlogs))
      const want = Math.floor(backlogs[busiest] / 2)
      if (want < 1) return 0
      const peer = peers[busiest]
      if (!await this.app.store.lockTakeOver(peer, this.id, TAKE_OVER_LOCK_MS)) return 0
      try {
        const waiting = (await this.app.outboxes.queue(peer).getJobs(['prioritized', 'waiting']))
          // Groups of this account's nodes that it was found in at login.
          .filter(j => j.data.delivery && j.data.target.kind === 'group' && this.rooms.has(j.data.target.topic))
          // Those that would go out last: lowest priority (highest number), then newest.
          .sort((a, b) => (b.opts.priority ?? 0) - (a.opts.priority ?? 0) || b.timestamp - a.timestamp)
        let moved = 0
        for (const job of waiting.slice(0, want)) if (await this.movePost(job, this.id)) moved++
        if (moved) this.log.info('takeover.done', { from: peer, moved })
        return moved
      } finally {
        await this.app.store.unlockTakeOver(peer, this.id)
      }
    } finally {
      this.takingOver = false
    }
  }

  /**
   * Moves one waiting group post to another account's outbox. The job keeps its idempotency key
   * (and the send claim guards it), so a post that ends up in both outboxes — a crash between add
   * and remove, or the old account taking it meanwhile — is still posted once. True when it left.
   */
  private async movePost(job: Job<SendJob>, to: string): Promise<boolean> {
    const d = job.data.delivery!
    await this.app.outboxes.enqueue(to, job.data, job.opts.priority ?? PRIORITY.normal)
    // Only a send now safely queued there may leave here (the id may be taken by an old job).
    const there = await this.app.outboxes.queue(to).getJob(job.id ?? '')
    if (!there || !QUEUED_STATES.has(await there.getState())) return false
    await this.app.store.patchDelivery(d.code, d.topic, ['queued'], { bot: to })
    try {
      await job.remove()
    } catch (err) {
      this.log.warn('move.keep', { idem: job.data.idem, to, err: err instanceof Error ? err.message : String(err) })
      return false
    }
    this.log.info('move.done', { idem: job.data.idem, to })
    return true
  }

  /** Tells the district's ops group (its first staff group) through another logged-in account. */
  private async tellOps(at: number, moved: number): Promise<void> {
    const root = this.app.cfg.nodes.get(this.app.cfg.rootId)
    const topic = root?.groups.find(g => g.kind === 'staff')?.topic
    const others = this.app.router.botsServing(this.app.cfg.rootId).filter(b => b !== this.id)
    const alive = await this.app.store.aliveBots(others)
    const via = others.find(b => alive.has(b))
    if (!topic || !via) {
      this.log.error('ops.unreachable', { hint: 'no other logged-in account sits in the district staff group', topic })
      return
    }
    const backlog = await this.app.outboxes.backlog(this.id)
    const text = this.app.t('ops_bot_logged_out', { name: this.opts.bot.name, bot: this.id, time: clock(at), backlog, moved })
    await this.app.outboxes.enqueue(via, { idem: `ops-logout-${this.id}-${at}`, target: { kind: 'group', topic }, text }, PRIORITY.urgent)
    this.log.info('ops.told', { via, topic })
  }

  /** Finds every configured group of this account's nodes by topic. */
  async resolveRooms(): Promise<void> {
    this.rooms.clear()
    const missing: string[] = []
    for (const nodeId of this.opts.bot.nodes) {
      const node = this.app.cfg.nodes.get(nodeId)
      for (const g of node?.groups ?? []) {
        const room = await this.wechaty.Room.find({ topic: g.topic })
        if (!room) { missing.push(g.topic); continue }
        this.rooms.set(g.topic, room)
        if (node?.level === 'village' && g.kind === 'public') {
          await this.recordMembers(g.topic, room).catch(err => this.log.warn('members.record-failed', { topic: g.topic, err }))
        }
      }
    }
    this.missingGroups = missing
    if (missing.length) this.log.warn('groups.missing', { count: missing.length, topics: missing })
    this.log.info('groups.resolved', { found: this.rooms.size, missing: missing.length })
  }

  /** Checks that every person bound to this account is still among its contacts. */
  async resolvePeople(): Promise<void> {
    const missing: string[] = []
    const people = [...this.app.cfg.people.keys()]
    // Read at once (one pipelined batch): a province has thousands of people, most not bound here.
    const bindings = await Promise.all(people.map(person => this.app.store.bindingsOf(person)))
    for (const [i, person] of people.entries()) {
      const contactId = bindings[i][this.id]
      if (!contactId) continue
      const contact = await this.wechaty.Contact.find({ id: contactId })
      if (contact) {
        await this.markBound(contact, person)
        continue
      }
      // Web-WeChat ids change at every login: find the contact again by the remark we gave it.
      const again = await this.wechaty.Contact.find({ alias: bindingAlias(person) }).catch(() => undefined)
      if (again) {
        await this.app.store.bind(this.id, again.id, person)
        this.log.info('person.rebound', { person })
      } else missing.push(person)
    }
    this.missingPeople = missing
    if (missing.length) this.log.warn('people.missing', { count: missing.length, people: missing, hint: 'give them a new invite' })
  }

  /** Gives a bound contact the remark `cascade-<person>` (a key the bot controls, unlike names). */
  private async markBound(contact: ContactInterface, person: string): Promise<void> {
    if (this.opts.bot.puppet === 'wechaty-puppet-mock') return // the mock keeps no remarks (and warns)
    try {
      if ((await contact.alias()) !== bindingAlias(person)) await contact.alias(bindingAlias(person))
    } catch (err) {
      this.log.debug('person.alias-failed', { person, err })
    }
  }

  // ── inbound ───────────────────────────────────────────────────────────────

  private async onMessage(msg: MessageInterface): Promise<void> {
    const room = msg.room()
    const text = msg.text()
    if (msg.self()) {
      if (room) this.onEcho(await room.topic(), text)
      return
    }
    const type = msg.type()
    const kind = type === this.wechaty.Message.Type.Text ? 'text' : type === this.wechaty.Message.Type.Image ? 'image' : undefined
    if (!kind) return
    const talker = msg.talker()
    const topic = room ? await room.topic() : undefined
    // In a group, the member's group nickname (e.g. 3组-李翠英) places them in a household.
    const contactName = room ? await this.nickname(room, talker) : talker.name()
    const replies = await this.app.handleInbound({ bot: this.id, contactId: talker.id, contactName, topic, text: kind === 'text' ? text : '', messageId: msg.id, kind })
    if (!topic && parseCommand(text)?.kind === 'bind') {
      const person = await this.app.store.personOf(this.id, talker.id)
      if (person) await this.markBound(talker, person)
    }
    const target: SendTarget = topic ? { kind: 'group', topic } : { kind: 'contact', contactId: talker.id }
    for (const [i, reply] of replies.entries()) {
      await this.app.outboxes.enqueue(this.id, { idem: `reply-${msg.id}-${i}`, target, text: reply }, PRIORITY.reply)
    }
  }

  /** The member's nickname in the group, else their WeChat name. */
  private async nickname(room: RoomInterface, contact: ContactInterface): Promise<string> {
    try {
      return (await room.alias(contact)) || contact.name()
    } catch {
      return contact.name()
    }
  }

  /** Tells the households feature who is in a village group (nicknames included), at login. */
  private async recordMembers(topic: string, room: RoomInterface): Promise<void> {
    const coverage = coverageOf(this.app)
    if (!coverage) return
    const bots = await this.app.botContacts()
    const members = (await room.memberAll()).filter(c => !bots.has(c.id))
    await coverage.recordGroupMembers(topic, await Promise.all(members.map(async c => ({ id: c.id, name: await this.nickname(room, c) }))))
  }

  /** Nothing a person types crashes a bot: the error is logged, and a DM gets a short apology. */
  private async onMessageFailed(msg: MessageInterface, err: unknown): Promise<void> {
    this.log.error('message.failed', { err })
    if (msg.room() || msg.self()) return
    await this.app.outboxes.enqueue(this.id, { idem: `error-${msg.id}`, target: { kind: 'contact', contactId: msg.talker().id }, text: this.app.t('internal_error') }, PRIORITY.reply)
      .catch(e => this.log.error('message.apology-failed', { err: e }))
  }

  private echoKey(topic: string, text: string): string { return `${topic}\n${text.replace(/\s+/g, '')}` }

  private onEcho(topic: string, text: string): void {
    const wait = this.echoWaits.get(this.echoKey(topic, text))
    if (!wait) return
    wait.echoed = true
    if (wait.sent) void this.confirm(wait)
  }

  private async confirm(wait: EchoWait): Promise<void> {
    this.echoWaits.delete(wait.key)
    const { code, topic } = wait.delivery
    const at = Date.now()
    if (await this.app.store.patchDelivery(code, topic, ['sent'], { state: 'confirmed', confirmedAt: at })) {
      this.log.debug('delivery.confirmed', { code, topic })
      await this.app.events.emit('confirmed', { code, topic, at })
    }
  }

  // ── outbound ──────────────────────────────────────────────────────────────

  private createWorker(): Worker<SendJob> {
    const pacing = { ...this.opts.bot.pacing, ...this.opts.pacing }
    const worker = new Worker<SendJob>(outboxName(this.id), (job, token) => this.process(job, token), {
      connection: this.opts.connection,
      prefix: this.app.store.keys.bullPrefix,
      concurrency: 1,
      // Evenly spaced, not bursts: one send per (60 s / perMinute), as WeChat tolerates.
      limiter: { max: 1, duration: sendInterval(pacing.perMinute) },
    })
    worker.on('failed', (job, err) => { void this.onFailed(job, err) })
    worker.on('drained', () => { void this.takeOver().catch(err => this.log.warn('takeover.failed', { err })) })
    worker.on('error', err => this.log.error('outbox.error', { err }))
    return worker
  }

  private async onFailed(job: Job<SendJob> | undefined, err: Error): Promise<void> {
    if (!job || err instanceof DelayedError) return
    const final = job.attemptsMade >= (job.opts.attempts ?? 1)
    this.log.warn('send.failed', { idem: job.data.idem, attempt: job.attemptsMade, final, err: err.message })
    if (final && job.data.delivery) {
      const { code, topic } = job.data.delivery
      await this.app.store.patchDelivery(code, topic, ['queued'], { state: 'failed', error: err.message })
      await this.app.store.audit(code, { kind: 'delivery-failed', at: Date.now(), topic, bot: this.id, error: err.message })
      await this.app.events.emit('send-failed', { code, topic, bot: this.id, error: err.message })
    }
    if (final) await this.app.events.emit('send-done', { bot: this.id, outcome: 'failed' })
  }

  /** One send: claim, say, record. */
  private async process(job: Job<SendJob>, token?: string): Promise<string> {
    const data = job.data
    const pacing = { ...this.opts.bot.pacing, ...this.opts.pacing }
    if (!await this.withinDailyBudget(pacing.dailyBudget)) {
      await job.moveToDelayed(nextBeijingMidnight(), token)
      throw new DelayedError()
    }
    if (pacing.jitterMs > 0) await sleep(Math.random() * pacing.jitterMs)
    const announcement = data.delivery ? await this.app.takePost(data.delivery.code, data.delivery.topic) : undefined
    if (data.delivery && !announcement) {
      this.log.info('send.skipped', { idem: data.idem, reason: 'no longer to be posted' })
      return 'skipped'
    }
    const store = this.app.store
    if (!await store.claimSend(data.idem, this.id)) {
      this.log.info('send.duplicate', { idem: data.idem })
      await this.app.events.emit('send-done', { bot: this.id, outcome: 'duplicate' })
      return 'duplicate'
    }
    let members: number | undefined
    let wait: EchoWait | undefined
    try {
      if (data.delivery && data.target.kind === 'group') {
        wait = { key: this.echoKey(data.target.topic, data.text), delivery: data.delivery, echoed: false, sent: false }
        this.echoWaits.set(wait.key, wait)
      }
      members = await this.say(data.target, data.text)
    } catch (err) {
      if (wait) this.echoWaits.delete(wait.key)
      // say() failed before anything was posted: give the claim back so the retry may send.
      await store.releaseSend(data.idem)
      if (data.delivery) await this.app.postNotSent(data.delivery.code, data.delivery.topic)
      if (isTooFrequent(err)) {
        await this.backOff(data.idem)
        throw new RateLimitError() // back to waiting, not counted as an attempt
      }
      throw err
    }
    // The records of a send are independent of each other: written together, not one after another.
    const at = Date.now()
    const records: Promise<unknown>[] = [store.markSent(data.idem, this.id), this.health.recordSend(this.id, at)]
    if (this.strikes) {
      this.strikes = 0
      records.push(this.health.clearStrikes(this.id))
    }
    if (data.delivery && announcement) {
      const { code, topic } = data.delivery
      records.push(store.patchDelivery(code, topic, ['sending', 'queued'], { state: 'sent', sentAt: at, members, bot: this.id }))
      if (announcement.ackRequired) records.push(store.setLatestInGroup(topic, code, announcement.createdAt))
    }
    await Promise.all(records)
    if (data.delivery && announcement) {
      const { code, topic } = data.delivery
      const node = this.app.groupOf(topic)?.node ?? ''
      await this.app.events.emit('sent', { announcement, code, topic, node, bot: this.id, at, members })
      if (wait) {
        wait.sent = true
        if (wait.echoed) await this.confirm(wait)
      }
    }
    this.log.info('send.ok', { idem: data.idem, target: data.target.kind })
    await this.app.events.emit('send-done', { bot: this.id, outcome: 'sent' })
    return 'sent'
  }

  /** WeChat said "too frequent": the whole outbox waits, longer each time in a row. */
  private async backOff(idem: string): Promise<void> {
    this.strikes++
    const pauseMs = backoffDelay(this.strikes, this.opts.backoff ?? DEFAULT_BACKOFF)
    await this.app.outboxes.queue(this.id).rateLimit(pauseMs)
    await this.health.recordBackoff(this.id, this.strikes, Date.now() + pauseMs)
    this.log.warn('send.too-frequent', { idem, strikes: this.strikes, pauseMs })
    await this.app.events.emit('send-done', { bot: this.id, outcome: 'backoff' })
  }

  /**
   * Members of a group, bots excluded: from the room's member id list (loading every member's
   * contact, as `memberAll()` does, cost a tenth of a send at 140 members).
   */
  private async memberCount(room: RoomInterface): Promise<number> {
    const bots = await this.app.botContacts()
    const ids = room.payload?.memberIdList ?? (await room.memberAll()).map(c => c.id)
    return ids.filter(id => !bots.has(id)).length
  }

  /** Says the text to the target; for a group, returns its member count (bots excluded). */
  private async say(target: SendTarget, text: string): Promise<number | undefined> {
    if (!this.loggedIn) throw new SendError('account is not logged in')
    await this.opts.beforeSay?.(target, text)
    switch (target.kind) {
      case 'group': {
        let room = this.rooms.get(target.topic)
        if (!room) {
          room = await this.wechaty.Room.find({ topic: target.topic })
          if (!room) throw new SendError(`group "${target.topic}" not found in this account`)
          this.rooms.set(target.topic, room)
        }
        await room.say(text)
        return this.memberCount(room)
      }
      case 'person': {
        const contactId = (await this.app.store.bindingsOf(target.person))[this.id]
        if (!contactId) throw new SendError(`person "${target.person}" is not bound to this account`)
        const contact = await this.wechaty.Contact.find({ id: contactId })
        if (!contact) throw new SendError(`contact of "${target.person}" not found in this account`)
        await contact.say(text)
        return undefined
      }
      case 'contact': {
        const contact = await this.wechaty.Contact.find({ id: target.contactId })
        if (!contact) throw new SendError(`contact ${target.contactId} not found`)
        await contact.say(text)
        return undefined
      }
    }
  }

  private async withinDailyBudget(budget: number): Promise<boolean> {
    const key = `${this.app.store.keys.base}budget:${this.id}:${beijingDay()}`
    const n = await this.app.store.redis.incr(key)
    if (n === 1) await this.app.store.redis.expire(key, 2 * 24 * 3600)
    if (n > budget) {
      await this.app.store.redis.decr(key)
      this.log.warn('send.budget-exhausted', { budget })
      return false
    }
    return true
  }
}

/** The remark a bound contact gets, to find them again after a login changed their id. */
export function bindingAlias(person: string): string { return `cascade-${person}` }

function sleep(ms: number): Promise<void> { return new Promise(r => setTimeout(r, ms)) }

const BEIJING_OFFSET_MS = 8 * 3600 * 1000
function beijingDay(now = Date.now()): string { return new Date(now + BEIJING_OFFSET_MS).toISOString().slice(0, 10) }
function nextBeijingMidnight(now = Date.now()): number {
  const day = 24 * 3600 * 1000
  return Math.floor((now + BEIJING_OFFSET_MS) / day) * day + day - BEIJING_OFFSET_MS
}
