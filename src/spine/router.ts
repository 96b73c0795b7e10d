/**
 * Which bot account sends what. A node's groups may be served by several accounts: each post
 * goes to the account whose outbox frees up first among the logged-in ones sitting in the group
 * (the fan-out planner, src/domain/fanout.ts). DMs go through an account the person is bound
 * to, preferably one serving their node.
 */
import type { CascadeConfig } from '../config/types.ts'
import { planFanout, sendInterval, type AccountLoad, type Lane } from '../domain/fanout.ts'
import type { Outboxes } from '../queue/outbox.ts'
import type { Store } from '../store/store.ts'

/** Which account posts to which group; `done(topic)` as each post is queued (or `release()` for all). */
export interface PostPlan {
  bots: Map<string, string>
  done(topic: string): void
  release(): void
}

export class Router {
  constructor(private readonly cfg: CascadeConfig, private readonly store: Store, private readonly outboxes: Outboxes) {}

  /** Accounts whose `nodes` include this node, in file order. */
  botsServing(node: string): string[] {
    return [...this.cfg.bots.values()].filter(b => b.nodes.includes(node)).map(b => b.id)
  }

  /**
   * Plans the posts to some of a node's groups: topic → account. One read of each candidate's
   * liveness and outbox, then every group placed (see planFanout). Config validation guarantees
   * at least one account serves every node with groups.
   *
   * Relays forward side by side, so plans overlap: the posts a plan placed count as its
   * accounts' backlog for the plans made in this process until the caller has queued each and
   * calls `done(topic)` (it is in the outbox by then). A plan whose read of an outbox lands
   * between a post's arrival there and its `done` counts it twice — a moment's overestimate.
   */
  async planPosts(node: string, topics: readonly string[], lane: Lane = 'normal'): Promise<PostPlan> {
    const serving = this.botsServing(node)
    if (serving.length === 0) throw new Error(`no bot account serves node "${node}"`)
    if (serving.length === 1) return { bots: new Map(topics.map(t => [t, serving[0]])), done: () => undefined, release: () => undefined }
    const loads = await this.loads(serving)
    for (const [bot, l] of loads) {
      const held = this.placed.get(bot)
      if (held) { l.backlog += held.all; l.urgentBacklog += held.urgent }
    }
    const plan = planFanout(topics.map(topic => ({ topic, candidates: serving })), loads, lane)
    const bots = new Map(plan.posts.map(p => [p.topic, p.bot]))
    const held = new Map(bots)
    for (const bot of held.values()) this.hold(bot, lane, +1)
    const done = (topic: string) => {
      const bot = held.get(topic)
      if (bot === undefined) return
      held.delete(topic)
      this.hold(bot, lane, -1)
    }
    return { bots, done, release: () => { for (const topic of [...held.keys()]) done(topic) } }
  }

  /** The account to post one more message to a node's groups (queued by the caller at once). */
  async botForNode(node: string, lane: Lane = 'normal'): Promise<string> {
    const plan = await this.planPosts(node, [''], lane)
    plan.release()
    return plan.bots.get('')!
  }

  /** Posts placed by this process's plans and not yet queued, per account. */
  private readonly placed = new Map<string, { all: number; urgent: number }>()

  private hold(bot: string, lane: Lane, by: 1 | -1): void {
    const h = this.placed.get(bot) ?? { all: 0, urgent: 0 }
    h.all += by
    if (lane === 'urgent') h.urgent += by
    if (h.all === 0) this.placed.delete(bot)
    else this.placed.set(bot, h)
  }

  /** The account to DM a person through, or undefined when they are bound to none. */
  async botForPerson(person: string, preferNode?: string): Promise<string | undefined> {
    const bound = Object.keys(await this.store.bindingsOf(person)).filter(b => this.cfg.bots.has(b))
    if (bound.length === 0) return undefined
    const serving = preferNode ? bound.filter(b => this.cfg.bots.get(b)!.nodes.includes(preferNode)) : []
    const pool = serving.length ? serving : bound
    if (pool.length === 1) return pool[0]
    const plan = planFanout([{ topic: person, candidates: pool }], await this.loads(pool), 'urgent')
    return plan.posts[0].bot
  }

  /** Liveness, rate and outbox of each account, read at once. */
  private async loads(bots: string[]): Promise<Map<string, AccountLoad>> {
    const [alive, outs] = await Promise.all([this.store.aliveBots(bots), Promise.all(bots.map(b => this.outboxes.load(b)))])
    return new Map(bots.map((b, i) => [b, { alive: alive.has(b), intervalMs: sendInterval(this.cfg.bots.get(b)!.pacing.perMinute), ...outs[i] }]))
  }
}
