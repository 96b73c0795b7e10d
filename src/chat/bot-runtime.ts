/**
 * One WeChat account at work: a Wechaty bot (puppet injected: wechat4u in production, the mock
 * in tests and the demo) and the parts that serve it, each in its own file:
 * - groups.ts      its groups, found by topic once the contact list has loaded; other accounts
 * - identity.ts    its bound people, checked at every login; re-binding after new ids
 * - inbound.ts     messages it receives
 * - outbox-worker.ts  its outbox queue: the only place that calls `say()`; echo confirmation
 * - rebalance.ts   failover on logout, take-over when idle, word to the ops group
 *
 * The outbox worker runs only while the account is logged in: while logged out its queue waits.
 * On logout (not a stop) the district's ops group is told through another logged-in account, and
 * waiting group posts that another live account can make move to its outbox. A stop keeps the
 * WeChat session (wechat4u.ts): the next start resumes it without a scan.
 */
import type { ConnectionOptions } from 'bullmq'
import { WechatyBuilder } from 'wechaty'
import type { ContactInterface, RoomInterface, WechatyInterface } from 'wechaty/impls'
import type { Puppet } from 'wechaty-puppet'
import { BotHealth } from '../infra/bot-health.ts'
import { WechatReach } from './wechat-reach.ts'
import type { Cascade } from '../spine/cascade.ts'
import { silentLogger, type Logger } from '../infra/log.ts'
import type { BotConfig } from '../config/types.ts'
import type { SendTarget } from '../queue/outbox.ts'
import { sleep, type Account } from './account.ts'
import { AccountGroups, CONTACTS_WAIT_MS } from './groups.ts'
import { AccountIdentity } from './identity.ts'
import { Inbound } from './inbound.ts'
import { OutboxWorker } from './outbox-worker.ts'
import { Rebalancer } from './rebalance.ts'
import { ClientWatch } from './client-watch.ts'
import type { BackoffPolicy } from './too-frequent.ts'

export { bindingAlias } from './identity.ts'
export { SendError } from './outbox-worker.ts'

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
  /** How long a login waits for the real client's contact list (default 60 s). */
  contactsWaitMs?: number
  /** How long a post for a group this account cannot see waits before it is tried again. */
  groupMissingRetryMs?: number
  /** Longest a send may take before its outcome counts as unknown (default 30 s). */
  sendTimeoutMs?: number
  /** When a send of unknown outcome is settled, after its claim (default 90 s). */
  settleAfterMs?: number
  /** How long a stop waits for the send in flight (default 5 s); after that it is left to be settled. */
  stopWaitMs?: number
  /**
   * Called right before each `say()`; throwing makes that say fail. For tests only: it stands
   * in for WeChat refusing a send (e.g. "too frequent") or a slow send.
   */
  beforeSay?: (target: SendTarget, text: string) => Promise<void> | void
}

/** How long a logout waits for the send in flight before moving the waiting ones. */
const LOGOUT_PAUSE_WAIT_MS = 5_000
/** How long a stop waits for the send in flight (Docker gives 10 s in all). */
const STOP_SEND_WAIT_MS = 5_000

export class BotRuntime {
  readonly id: string
  readonly wechaty: WechatyInterface
  private heartbeat?: NodeJS.Timeout
  private readonly log: Logger
  private loggedIn = false
  private loginResolvers: (() => void)[] = []
  /** Set by `stop()`: the logout that follows is ours, not WeChat's. */
  private stopping = false
  private readonly health: BotHealth
  private readonly account: Account
  readonly groups: AccountGroups
  readonly identity: AccountIdentity
  readonly outbox: OutboxWorker
  private readonly inbound: Inbound
  private readonly rebalancer: Rebalancer
  private readonly clientWatch: ClientWatch
  /** The login's own resolve of groups and people has finished (later loads resolve again). */
  private resolved = false

  constructor(private readonly opts: BotRuntimeOptions) {
    this.id = opts.bot.id
    this.log = (opts.log ?? silentLogger).child({ bot: this.id })
    this.health = new BotHealth(opts.app.store)
    this.wechaty = WechatyBuilder.build({ name: opts.bot.session, puppet: opts.puppet })
    this.account = {
      id: this.id, bot: opts.bot, app: opts.app, wechaty: this.wechaty, log: this.log, health: this.health,
      isLoggedIn: () => this.loggedIn, isStopping: () => this.stopping,
    }
    this.groups = new AccountGroups(this.account, opts.contactsWaitMs ?? CONTACTS_WAIT_MS)
    this.identity = new AccountIdentity(this.account)
    this.rebalancer = new Rebalancer(this.account, this.groups)
    this.outbox = new OutboxWorker(this.account, this.groups, {
      connection: opts.connection, pacing: opts.pacing, backoff: opts.backoff, beforeSay: opts.beforeSay,
      groupMissingRetryMs: opts.groupMissingRetryMs, sendTimeoutMs: opts.sendTimeoutMs, settleAfterMs: opts.settleAfterMs,
      onDrained: () => { void this.takeOver().catch(err => this.log.warn('takeover.failed', { err })) },
      moveElsewhere: job => this.rebalancer.moveToAccountWithGroup(job),
    })
    this.clientWatch = new ClientWatch({ acc: this.account, groups: this.groups, identity: this.identity, rebalancer: this.rebalancer, puppet: opts.puppet, resolvedOnce: () => this.resolved })
    this.inbound = new Inbound(this.account, this.groups, this.identity, this.outbox)
    // Logins and logouts are handled one after another, in the order they came: a quick re-login
    // must not be undone by the end of the logout before it (which pauses the outbox).
    this.wechaty.on('login', user => this.inTurn('login', () => this.onLogin(user)))
    this.wechaty.on('logout', (_user, reason) => this.inTurn('logout', () => this.onLogout(reason)))
    this.wechaty.on('message', msg => { void this.inbound.handle(msg) })
    // Errors said once a minute at most; one that is "cannot reach WeChat" shows in /status.
    const reach = new WechatReach({ bot: this.id, log: this.log, health: this.health })
    this.wechaty.on('error', err => reach.onError(err))
    this.wechaty.on('login', () => reach.onReached())
    // The latest login QR code, for ops (/status, /api/bots/<id>/qrcode) while the account waits for a scan.
    this.wechaty.on('scan', (qrcode, status) => {
      reach.onReached()
      void this.health.recordQr(this.id, qrcode, status, Date.now()).catch(err => this.log.warn('qrcode.store-failed', { err }))
    })
  }

  private turns: Promise<void> = Promise.resolve()
  private inTurn(what: string, step: () => Promise<void>): void {
    this.turns = this.turns.then(step).catch(err => this.log.error(`${what}.failed`, { err }))
  }

  get app(): Cascade { return this.opts.app }
  get isLoggedIn(): boolean { return this.loggedIn }
  /** Topics of the configured groups not found at the last login. */
  get missingGroups(): string[] { return this.groups.missing }
  /** Bound people whose contact was not found at the last login (they must re-bind). */
  get missingPeople(): string[] { return this.identity.missing }

  async start(): Promise<void> {
    await this.wechaty.start()
  }

  /** A configured group of this account as found at login (benchmarks post to it directly). */
  room(topic: string): RoomInterface | undefined { return this.groups.get(topic) }

  /** Resolves once the account is logged in and its rooms are resolved. */
  ready(): Promise<void> {
    if (this.loggedIn) return Promise.resolve()
    return new Promise(resolve => this.loginResolvers.push(resolve))
  }

  /**
   * Stops taking new jobs, lets the send in flight finish, then stops the bot (keeping the
   * WeChat session). Jobs still waiting stay in the queue for the next process.
   */
  async stop(): Promise<void> {
    this.stopping = true
    clearInterval(this.heartbeat)
    // A send hanging on WeChat is not waited for past the grace: its claim stays, and whichever
    // process runs the job next settles it (seen in the group, or sent again marked 补发).
    await Promise.race([this.outbox.close(), sleep(this.opts.stopWaitMs ?? STOP_SEND_WAIT_MS)])
    await this.app.store.setOffline(this.id).catch(() => undefined)
    await this.health.recordSeen(this.id, Date.now()).catch(() => undefined)
    await this.health.recordStop(this.id, Date.now()).catch(() => undefined)
    await this.wechaty.stop()
    this.identity.dispose()
    this.clientWatch.dispose()
    this.loggedIn = false
  }

  /** The client re-initialised its session by itself: recorded; posting goes on. */
  noteRelogin(): void {
    void this.health.recordRelogin(this.id, Date.now()).catch(() => undefined)
  }

  // ── login and logout ──────────────────────────────────────────────────────

  private async onLogin(user: ContactInterface): Promise<void> {
    this.log.info('bot.login', { name: user.name() })
    const at = Date.now()
    await this.app.store.addBotContact(user.id)
    this.resolved = false
    await this.resolveRooms()
    await this.resolvePeople()
    this.resolved = true
    // Groups are called missing only when the contact list has loaded (else they may be in it).
    await this.health.recordLogin(this.id, at, { groups: this.groups.listLoaded ? this.groups.missing : [], people: this.identity.missing })
    this.loggedIn = true
    const beat = () => this.app.store.heartbeat(this.id, (this.opts.heartbeatSeconds ?? 10) * 3)
    await beat()
    clearInterval(this.heartbeat)
    this.heartbeat = setInterval(() => {
      void beat().catch(err => this.log.warn('heartbeat.failed', { err }))
      void this.health.recordSeen(this.id, Date.now()).catch(() => undefined)
      // A peer whose process died sends no logout: its heartbeat lapses, and its posts come here.
      // Idle while another account's outbox grew (e.g. it is backing off): take some over.
      void this.rebalancer.rescueDeadPeers()
        .then(() => this.takeOver())
        .catch(err => this.log.warn('takeover.failed', { err }))
    }, (this.opts.heartbeatSeconds ?? 10) * 1000)
    this.heartbeat.unref()
    this.outbox.run()
    for (const r of this.loginResolvers.splice(0)) r()
    await this.tellWhatIsMissing(at)
  }

  /** Ops hear of groups not found, and staff groups of people who must re-bind. */
  private async tellWhatIsMissing(at: number): Promise<void> {
    await this.clientWatch.tellMissing(at)
    if (this.identity.missing.length) await this.identity.tellStaff(at)
  }

  private async onLogout(reason?: string): Promise<void> {
    this.loggedIn = false
    clearInterval(this.heartbeat)
    await this.app.store.setOffline(this.id).catch(() => undefined)
    if (this.stopping) return
    // Let the send in flight end (it fails fast now and goes back to the queue), so that it
    // can move too; a send hanging on a dead connection is not waited for long.
    await this.outbox.pause(LOGOUT_PAUSE_WAIT_MS)
    this.log.warn('bot.logout', { reason })
    const at = Date.now()
    await this.health.recordLogout(this.id, at, reason ?? 'logout')
    const moved = await this.failover()
    await this.rebalancer.tellOpsLoggedOut(at, moved)
  }

  /** Moves this account's waiting group posts to another live account serving the same node. */
  failover(): Promise<number> { return this.rebalancer.failover() }

  /** Takes over some waiting posts of the busiest peer account when this one is idle. */
  takeOver(): Promise<number> { return this.rebalancer.takeOver() }

  /** Finds every configured group of this account's nodes by topic. */
  resolveRooms(): Promise<void> { return this.groups.resolve() }

  /** Checks that every person bound to this account is still among its contacts. */
  resolvePeople(): Promise<void> { return this.identity.check() }
}
