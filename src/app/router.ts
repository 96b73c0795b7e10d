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
   */
  async planPosts(node: string, topics: readonly string[], lane: Lane = 'normal'): Promise<Map<string, string>> {
    const serving = this.botsServing(node)
    if (serving.length === 0) throw new Error(`no bot account serves node "${node}"`)
    if (serving.length === 1) return new Map(topics.map(t => [t, serving[0]]))
    const plan = planFanout(topics.map(topic => ({ topic, candidates: serving })), await this.loads(serving), lane)
    return new Map(plan.posts.map(p => [p.topic, p.bot]))
  }

  /** The account to post one more message to a node's groups. */
  async botForNode(node: string, lane: Lane = 'normal'): Promise<string> {
    return (await this.planPosts(node, [''], lane)).get('')!
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
