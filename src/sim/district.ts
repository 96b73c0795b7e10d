/**
 * The whole district in one process on the mock puppet: every bot account with its outbox
 * worker, on a real Redis and real BullMQ queues. Used by `cascade demo` and the integration tests.
 */
import type { Cascade } from '../spine/cascade.ts'
import { compose, type ComposeOptions, type Composed } from '../app/compose.ts'
import { silentLogger, type Logger } from '../infra/log.ts'
import { bullConnection } from '../infra/redis.ts'
import { BotRuntime, type BotRuntimeOptions } from '../chat/bot-runtime.ts'
import type { BotConfig, CascadeConfig } from '../config/types.ts'
import type { Outboxes } from '../queue/outbox.ts'
import { outboxesIdle } from './idle.ts'
import type { Store } from '../store/store.ts'
import { personContactId, SimWorld, type WorldOptions } from './world.ts'

export interface DistrictOptions {
  cfg: CascadeConfig
  redisUrl: string
  /** Key namespace; a fresh random one by default, removed again by `close()`. */
  ns?: string
  world?: WorldOptions
  /**
   * The accounts this process runs; all of the config's by default. Several processes can share
   * one namespace (pass the same `ns`), each running some of the accounts; only one of them
   * should `close()` without `keepKeys`.
   */
  bots?: string[]
  /** Run the timers worker in this process (default true; one process of a namespace is enough). */
  timers?: boolean
  /** Faster pacing than a real account may use (the simulation has no WeChat to anger). */
  pacing?: Partial<BotConfig['pacing']>
  log?: Logger
  now?: () => number
  /** Recovery's interval and grace (compose.ts); a test whose clock jumps days lengthens the grace. */
  recovery?: ComposeOptions['recovery']
  /** Runtime options for every account started by `start` (e.g. a shorter settle of unknown sends). */
  runtime?: Partial<BotRuntimeOptions>
}

export class SimDistrict {
  readonly runtimes = new Map<string, BotRuntime>()
  /** How long `start` took to build the simulated WeChat and to log every account in (ms). */
  readonly startup = { worldMs: 0, loginMs: 0 }

  get cfg(): CascadeConfig { return this.opts.cfg }

  private constructor(
    readonly opts: DistrictOptions,
    private readonly composed: Composed,
    readonly store: Store,
    readonly outboxes: Outboxes,
    readonly app: Cascade,
    readonly world: SimWorld,
  ) {}

  static async start(opts: DistrictOptions): Promise<SimDistrict> {
    const ns = opts.ns ?? `sim-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    const composed = compose({ cfg: opts.cfg, redisUrl: opts.redisUrl, ns, log: opts.log ?? silentLogger, now: opts.now, recovery: opts.recovery })
    const { app } = composed
    if (opts.timers ?? true) app.timers.start()
    const t0 = Date.now()
    const world = new SimWorld(opts.cfg, opts.bots ? { ...opts.world, bots: opts.bots } : opts.world)
    const d = new SimDistrict(opts, composed, app.store, app.outboxes, app, world)
    d.startup.worldMs = Date.now() - t0
    for (const bot of d.bots) await d.startBot(bot, false, opts.runtime)
    d.startup.loginMs = Date.now() - t0 - d.startup.worldMs
    return d
  }

  /**
   * Starts (or restarts, as a new process would) one account and logs it in; `extra` adds
   * runtime options (tests inject failures through it).
   */
  async startBot(bot: string, freshPuppet = true, extra: Partial<BotRuntimeOptions> = {}): Promise<BotRuntime> {
    const cfg = this.opts.cfg.bots.get(bot)
    if (!cfg) throw new Error(`no bot "${bot}"`)
    const puppet = freshPuppet ? this.world.buildMocker(bot) : this.world.puppet(bot)
    const rt = new BotRuntime({ app: this.app, bot: cfg, puppet, connection: bullConnection(this.opts.redisUrl), log: this.opts.log, pacing: this.opts.pacing, ...extra })
    this.runtimes.set(bot, rt)
    await rt.start()
    const ready = rt.ready()
    this.world.login(bot)
    await ready
    return rt
  }

  /** The accounts of this process. */
  get bots(): string[] { return this.opts.bots ?? [...this.opts.cfg.bots.keys()] }

  async stopBot(bot: string): Promise<void> {
    await this.runtimes.get(bot)?.stop()
    this.runtimes.delete(bot)
  }

  /** Issues an invite for each person and has them send it to an account serving their node. */
  async bindEveryone(timeoutMs = 30_000): Promise<void> {
    const people = [...this.opts.cfg.people.keys()]
    for (const person of people) await this.bind(person)
    const deadline = Date.now() + timeoutMs
    for (const person of people) {
      while (Object.keys(await this.store.bindingsOf(person)).length === 0) {
        if (Date.now() > deadline) throw new Error(`${person} was not bound within ${timeoutMs} ms`)
        await new Promise(r => setTimeout(r, 20))
      }
    }
    await this.idle()
  }

  /** One person redeems an invite with the first account serving one of their nodes. */
  async bind(person: string, bot = this.homeBot(person)): Promise<void> {
    const code = await this.app.createInvite(person)
    this.world.sayToBot(personContactId(person), bot, code)
  }

  homeBot(person: string): string {
    const r = this.app.rolesOf(person)
    const node = [...r.publisher, ...r.curator, ...r.backup][0]
    const bot = node ? this.app.router.botsServing(node)[0] : undefined
    return bot ?? [...this.opts.cfg.bots.keys()][0]
  }

  /** Waits until every outbox is empty (nothing waiting, running or delayed) for a moment. */
  async idle(timeoutMs = 30_000, quietMs = 150): Promise<void> {
    await outboxesIdle(this.outboxes, this.bots, timeoutMs, quietMs)
  }

  /** Stops every account, closes the queues and removes this run's keys from Redis. */
  async close({ keepKeys = false } = {}): Promise<void> {
    for (const bot of [...this.runtimes.keys()]) await this.stopBot(bot)
    await this.app.timers.close()
    await this.outboxes.close()
    if (!keepKeys) await this.store.clearNamespace()
    await this.composed.redis.quit()
  }
}
