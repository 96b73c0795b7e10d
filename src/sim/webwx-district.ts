/**
 * The district over a simulated web-WeChat server (src/sim/webwx/) with the real client:
 * wechaty + wechaty-puppet-wechat4u + wechat4u as installed, their HTTP redirected to the server
 * on 127.0.0.1. Every account logs in by a simulated QR scan, keeps its session in a memory card
 * on disk (as in production), and runs the same BotRuntime as in production. Used by the
 * real-client scenario tests and `cascade demo --webwx`.
 *
 * World keys: an account is its bot id, a person their person id, a group its topic, a villager
 * `v<n>-<node>`. `world` shows the server's record as the demo reads it (demo-world.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Cascade } from '../spine/cascade.ts'
import { compose, type Composed } from '../app/compose.ts'
import { silentLogger, type Logger } from '../infra/log.ts'
import { bullConnection } from '../infra/redis.ts'
import { BotRuntime, type BotRuntimeOptions } from '../chat/bot-runtime.ts'
import { createWechat4uPuppet } from '../chat/wechat4u.ts'
import type { ClientTiming } from '../chat/wechat4u-client.ts'
import type { BotConfig, CascadeConfig } from '../config/types.ts'
import type { Outboxes } from '../queue/outbox.ts'
import { outboxesIdle } from './idle.ts'
import type { Store } from '../store/store.ts'
import type { DemoDistrict } from './demo-types.ts'
import { redirectWechat4u } from './webwx/redirect.ts'
import { WebWxServer, type WebWxServerOptions } from './webwx/server.ts'
import { SimWorld, type WorldOptions } from './world.ts'
import { WebWxWorldView } from './webwx/world-view.ts'

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗'
const GIVEN = ['建国', '秀英', '志强', '桂兰', '德明', '玉梅', '海燕', '国华', '春生', '翠英', '长顺', '淑珍']

export interface WebWxDistrictOptions {
  cfg: CascadeConfig
  redisUrl: string
  /** Key namespace; a fresh random one by default, removed again by `close()`. */
  ns?: string
  /** The accounts this district runs; all of the config's by default. */
  bots?: string[]
  /** Run the timers worker (default true). */
  timers?: boolean
  pacing?: Partial<BotConfig['pacing']>
  log?: Logger
  /** Villagers in each public group (default 3), when `world` is not given. */
  villagersPerGroup?: number
  /**
   * Lay the groups out as the mock world (SimWorld) does with these options: the same villagers
   * per group, shared members, and names (roster names and grid nicknames where
   * config/households.yaml places them), so the same seed gives the same district on both.
   */
  world?: WorldOptions
  /** Groups an account has not saved to its contacts (web WeChat does not list them). */
  unsaved?: { bot: string; topic: string }[]
  server?: WebWxServerOptions
  /** Extra runtime options for every account (tests shorten waits). */
  runtime?: Partial<BotRuntimeOptions>
  /** Start every account at once (default true); false: the caller starts them with startBot(). */
  autostart?: boolean
  /** The real client's recovery waits (tests shorten them). */
  clientTiming?: Partial<ClientTiming>
}

export class WebWxDistrict implements DemoDistrict {
  readonly runtimes = new Map<string, BotRuntime>()
  /** How long each account took from start to ready, and whether it needed a scan. */
  readonly logins = new Map<string, { ms: number; scanned: boolean }>()
  private readonly villagers = new Map<string, string[]>()
  /** The server's record of everything said, as one feed (the demo's view of this world). */
  readonly world: WebWxWorldView

  get cfg(): CascadeConfig { return this.opts.cfg }
  get store(): Store { return this.app.store }
  get outboxes(): Outboxes { return this.app.outboxes }

  private constructor(
    readonly opts: WebWxDistrictOptions,
    private readonly composed: Composed,
    readonly app: Cascade,
    readonly server: WebWxServer,
    /** Where the accounts' memory cards (login sessions) are kept. */
    readonly sessionsDir: string,
  ) {
    this.world = new WebWxWorldView(server, topic => this.villagersOf(topic))
  }

  static async start(opts: WebWxDistrictOptions): Promise<WebWxDistrict> {
    const ns = opts.ns ?? `webwx-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    const composed = compose({ cfg: opts.cfg, redisUrl: opts.redisUrl, ns, log: opts.log ?? silentLogger })
    if (opts.timers ?? true) composed.app.timers.start()
    const server = await WebWxServer.start(opts.server)
    redirectWechat4u(server.url)
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-webwx-'))
    const d = new WebWxDistrict(opts, composed, composed.app, server, dir)
    d.buildWorld()
    if (opts.autostart !== false) for (const bot of d.bots) await d.startBot(bot)
    return d
  }

  /** The accounts of this district. */
  get bots(): string[] { return this.opts.bots ?? [...this.opts.cfg.bots.keys()] }

  /** Accounts, people, villagers and groups on the server, as the config describes them. */
  private buildWorld(): void {
    const { cfg } = this.opts
    const s = this.server
    for (const b of this.bots) s.addAccount({ key: b, nickname: cfg.bots.get(b)!.nickname })
    for (const p of cfg.people.values()) s.addUser({ key: p.id, nickname: p.name })
    // With `world`, the mock world's layout (built without any account: no puppets, just the
    // groups' members and names); its villager `wxid_v_<n>` becomes `v<n>-<node of their first group>`.
    const layout = this.opts.world ? new SimWorld(cfg, { ...this.opts.world, bots: [] }) : undefined
    const keyOf = new Map<string, string>()
    let n = 0
    const perGroup = this.opts.villagersPerGroup ?? 3
    const unsaved = this.opts.unsaved ?? []
    for (const node of cfg.nodes.values()) {
      const accounts = this.bots.filter(b => cfg.bots.get(b)!.nodes.includes(node.id))
      if (accounts.length === 0) continue
      const staff = [...new Set([...node.curators, ...node.backups, ...node.publishers])]
      for (const g of node.groups) {
        const villagers: string[] = []
        if (layout) {
          for (const id of layout.villagersOf(g.topic)) {
            let key = keyOf.get(id)
            if (!key) {
              key = `v${id.slice('wxid_v_'.length)}-${node.id}`
              s.addUser({ key, nickname: layout.names.get(id) ?? key })
              keyOf.set(id, key)
            }
            villagers.push(key)
          }
        } else if (g.kind === 'public') {
          for (let i = 0; i < perGroup; i++, n++) {
            const key = `v${n}-${node.id}`
            s.addUser({ key, nickname: SURNAMES[n % SURNAMES.length] + GIVEN[(n * 7) % GIVEN.length] })
            villagers.push(key)
          }
        }
        this.villagers.set(g.topic, villagers)
        s.addGroup({ key: g.topic, topic: g.topic, members: [...accounts, ...staff, ...villagers], unsaved: unsaved.filter(u => u.topic === g.topic).map(u => u.bot) })
      }
      // Staff are friends of every account serving their node (private chats: approvals, commands),
      // and so are a village's grid workers (their lists of households not reached).
      const gridWorkers = cfg.households?.villages.get(node.id)?.grids.flatMap(g => g.workers) ?? []
      for (const person of new Set([...staff, ...gridWorkers])) for (const b of accounts) s.befriend(b, person)
    }
  }

  /** People are known by their person id on the server. */
  contactOf(person: string): string { return person }

  personOf(key: string): string | undefined { return this.opts.cfg.people.has(key) ? key : undefined }

  isBot(key: string): boolean { return this.opts.cfg.bots.has(key) }

  /** Villager keys of a group. */
  villagersOf(topic: string): string[] { return this.villagers.get(topic) ?? [] }

  /**
   * Starts (or restarts, as a new process would) one account with a new puppet. A stored
   * session resumes without a scan; otherwise the QR code is scanned as soon as it is shown.
   */
  async startBot(bot: string, extra: Partial<BotRuntimeOptions> = {}): Promise<BotRuntime> {
    const base = this.opts.cfg.bots.get(bot)
    if (!base) throw new Error(`no bot "${bot}"`)
    const cfg: BotConfig = { ...base, puppet: 'wechaty-puppet-wechat4u', session: path.join(this.sessionsDir, bot) }
    const log = (this.opts.log ?? silentLogger).child({ bot })
    const started = Date.now()
    let rt: BotRuntime | undefined
    const puppet = await createWechat4uPuppet({ log, onRelogin: () => rt?.noteRelogin(), messagesSince: () => this.seenAt.get(bot), timing: this.opts.clientTiming })
    rt = new BotRuntime({ app: this.app, bot: cfg, puppet, connection: bullConnection(this.opts.redisUrl), log: this.opts.log, pacing: this.opts.pacing, ...this.opts.runtime, ...extra })
    let scanned = false
    let starting = true
    rt.wechaty.on('scan', (qrcode, status) => {
      if (status !== 2) return // ScanStatus.Waiting: a new QR code
      this.qrcodes.set(bot, qrcode)
      // At start the account's owner scans at once; a later code (after a kick) waits for scan().
      if (!starting) return
      scanned = true
      try { this.server.scan(qrcode, bot) } catch { /* an older code, superseded */ }
    })
    this.runtimes.set(bot, rt)
    await rt.start()
    await rt.ready()
    starting = false
    this.logins.set(bot, { ms: Date.now() - started, scanned })
    return rt
  }

  /** The latest QR code each account showed. */
  readonly qrcodes = new Map<string, string>()

  /** The account's owner scans the QR code it shows now (after a logout), and it logs in again. */
  async scan(bot: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.server.pendingLogins().some(p => p.qrcode === this.qrcodes.get(bot))) {
      if (Date.now() > deadline) throw new Error(`${bot} shows no QR code`)
      await sleep(25)
    }
    this.server.scan(this.qrcodes.get(bot)!, bot)
  }

  /** When each account stopped last (its next start takes messages from then on). */
  private readonly seenAt = new Map<string, number>()

  /** Stops an account as SIGTERM does (the session is kept). */
  async stopBot(bot: string): Promise<void> {
    await this.runtimes.get(bot)?.stop()
    this.runtimes.delete(bot)
    this.seenAt.set(bot, Date.now())
  }

  /** Issues an invite for each person and has them send it to an account serving their node. */
  async bindEveryone(timeoutMs = 60_000): Promise<void> {
    const people = [...this.opts.cfg.people.keys()].filter(p => this.homeBot(p))
    for (const person of people) this.server.say(person, this.homeBot(person)!, await this.app.createInvite(person))
    const deadline = Date.now() + timeoutMs
    for (const person of people) {
      while (Object.keys(await this.store.bindingsOf(person)).length === 0) {
        if (Date.now() > deadline) throw new Error(`${person} was not bound within ${timeoutMs} ms`)
        await sleep(25)
      }
    }
    await this.idle()
  }

  /** The first account of this district that serves one of the person's nodes (grid workers: their village). */
  homeBot(person: string): string | undefined {
    const r = this.app.rolesOf(person)
    for (const node of [...r.publisher, ...r.curator, ...r.backup, ...r.gridWorker]) {
      const bot = this.app.router.botsServing(node).find(b => this.bots.includes(b))
      if (bot) return bot
    }
    return undefined
  }

  /** A person's DM to an account, then the next DM they get back from it. */
  async dm(person: string, bot: string, text: string, isReply = (t: string) => !t.startsWith('【待审核】'), timeoutMs = 20_000): Promise<string> {
    const before = this.server.dmsTo(person).length
    this.server.say(person, bot, text)
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const reply = this.server.dmsTo(person).slice(before).find(m => m.from === bot && isReply(m.text))
      if (reply) return reply.text
      if (Date.now() > deadline) throw new Error(`no reply to ${person}'s "${text}" from ${bot}`)
      await sleep(25)
    }
  }

  /** Posts in a group containing a text (e.g. a notice code). */
  postsIn(topic: string, containing: string): { from: string; text: string }[] {
    return this.server.messagesIn(topic).filter(m => this.bots.includes(m.from) && m.text.includes(containing))
  }

  /** Waits until every outbox is empty (nothing waiting, running or delayed) for a moment. */
  async idle(timeoutMs = 60_000, quietMs = 300): Promise<void> {
    await outboxesIdle(this.outboxes, this.bots, timeoutMs, quietMs, 50)
  }

  /** --chaos: the server injects random faults from now on (rate 0: off). */
  chaos(o: { rate: number; seed: number }): void { this.server.faults.chaos(o) }

  /** Faults injected so far, and server sessions that ended by a kick or a logout. */
  faultFigures(): { faults_injected: Record<string, number>; logouts: number } {
    const ended = this.server.stats().sessions.filter(s => s.ended === 'kicked' || s.ended === 'logout')
    return { faults_injected: this.server.faults.injected(), logouts: ended.length }
  }

  /** Stops every account, closes the queues and the server, removes this run's keys and sessions. */
  async close({ keepKeys = false } = {}): Promise<void> {
    this.world.stop()
    for (const bot of [...this.runtimes.keys()]) await this.stopBot(bot)
    await this.app.timers.close()
    await this.outboxes.close()
    if (!keepKeys) await this.store.clearNamespace()
    await this.composed.redis.quit()
    await this.server.stop()
    await rm(this.sessionsDir, { recursive: true, force: true })
  }
}

function sleep(ms: number): Promise<void> { return new Promise(r => setTimeout(r, ms)) }
