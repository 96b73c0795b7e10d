/**
 * Which bot account sends what. A node's groups may be served by several accounts: the
 * router prefers accounts that are logged in (heartbeat in Redis), then the shortest backlog.
 * DMs go through an account the person is bound to, preferably one serving their node.
 */
import type { CascadeConfig } from '../config/types.ts'
import type { Outboxes } from '../queue/outbox.ts'
import type { Store } from '../store/store.ts'

export class Router {
  constructor(private readonly cfg: CascadeConfig, private readonly store: Store, private readonly outboxes: Outboxes) {}

  /** Accounts whose `nodes` include this node, in file order. */
  botsServing(node: string): string[] {
    return [...this.cfg.bots.values()].filter(b => b.nodes.includes(node)).map(b => b.id)
  }

  /** The account to post to a node's groups. Config validation guarantees at least one serves it. */
  async botForNode(node: string): Promise<string> {
    const serving = this.botsServing(node)
    if (serving.length === 0) throw new Error(`no bot account serves node "${node}"`)
    return this.leastBusy(serving)
  }

  /** The account to DM a person through, or undefined when they are bound to none. */
  async botForPerson(person: string, preferNode?: string): Promise<string | undefined> {
    const bound = Object.keys(await this.store.bindingsOf(person)).filter(b => this.cfg.bots.has(b))
    if (bound.length === 0) return undefined
    const serving = preferNode ? bound.filter(b => this.cfg.bots.get(b)!.nodes.includes(preferNode)) : []
    return this.leastBusy(serving.length ? serving : bound)
  }

  /** Of the candidates, the logged-in ones (all when none is), then the shortest backlog. */
  private async leastBusy(candidates: string[]): Promise<string> {
    if (candidates.length === 1) return candidates[0]
    const alive = await this.store.aliveBots(candidates)
    const pool = alive.size ? candidates.filter(b => alive.has(b)) : candidates
    if (pool.length === 1) return pool[0]
    const backlogs = await Promise.all(pool.map(b => this.outboxes.backlog(b)))
    let best = 0
    for (let i = 1; i < pool.length; i++) if (backlogs[i] < backlogs[best]) best = i
    return pool[best]
  }
}
