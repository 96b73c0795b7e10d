/**
 * The fan-out planner: which account posts to which group.
 *
 * WeChat, not Cascade, sets the speed limit: an account may send about one message a second
 * before it is blocked, and its outbox sends evenly spaced (one per `intervalMs`). So a notice
 * reaches its last group soonest when each post goes to the account, among those sitting in
 * that group, whose outbox frees up first — least backlog in time, not in count, since accounts
 * may have different rates — and when the groups with the fewest accounts to choose from are
 * placed first (list scheduling, most constrained first).
 *
 * Urgent posts overtake queued normal ones (the outbox takes lower priority numbers first), so
 * for an urgent post only the account's urgent-or-higher backlog stands in front of it.
 *
 * Pure: the caller reads each account's backlog and liveness and applies the plan.
 */

export type Lane = 'urgent' | 'normal'

export interface AccountLoad {
  /** Whether the account is logged in (heartbeat). A plan uses logged-out accounts only when no candidate is logged in. */
  alive: boolean
  /** Milliseconds between two sends of this account (60 000 / perMinute). */
  intervalMs: number
  /** Sends waiting or running in its outbox, of any priority. */
  backlog: number
  /** Of those, sends that go before an urgent post (approval requests and urgent posts). */
  urgentBacklog: number
}

export interface PlanGroup {
  topic: string
  /** The accounts sitting in the group. */
  candidates: readonly string[]
}

export interface PlannedPost {
  topic: string
  bot: string
  /** Estimated start of the send, in ms after the plan was made. */
  startsIn: number
}

export interface FanoutPlan {
  posts: PlannedPost[]
  /** Groups that no known account sits in (the caller reports them; config validation should prevent it). */
  unplaced: string[]
}

/**
 * Places each group's post on one of its accounts: logged-in accounts only (all candidates
 * when none is), the one whose outbox frees up first; ties go to the faster account, then to
 * candidate order. Each placement occupies one send interval on that account, so later groups
 * of the same plan see it. `posts` come back in the order of `groups`.
 */
export function planFanout(groups: readonly PlanGroup[], loads: ReadonlyMap<string, AccountLoad>, lane: Lane = 'normal'): FanoutPlan {
  // Time (ms from now) at which each account could start one more send of this lane.
  const freeIn = new Map<string, number>()
  for (const [bot, l] of loads) freeIn.set(bot, (lane === 'urgent' ? l.urgentBacklog : l.backlog) * l.intervalMs)

  const pools = groups.map(g => {
    const known = g.candidates.filter(b => loads.has(b))
    const alive = known.filter(b => loads.get(b)!.alive)
    return alive.length ? alive : known
  })
  // Most constrained first; stable for equal pool sizes (the input order).
  const order = groups.map((_, i) => i).sort((a, b) => pools[a].length - pools[b].length || a - b)

  const placed = new Map<number, PlannedPost>()
  const unplaced: string[] = []
  for (const i of order) {
    const pool = pools[i]
    if (pool.length === 0) { unplaced.push(groups[i].topic); continue }
    let best = pool[0]
    for (const bot of pool.slice(1)) {
      const d = freeIn.get(bot)! - freeIn.get(best)!
      if (d < 0 || (d === 0 && loads.get(bot)!.intervalMs < loads.get(best)!.intervalMs)) best = bot
    }
    const startsIn = freeIn.get(best)!
    freeIn.set(best, startsIn + loads.get(best)!.intervalMs)
    placed.set(i, { topic: groups[i].topic, bot: best, startsIn })
  }
  const posts = groups.map((_, i) => placed.get(i)).filter((p): p is PlannedPost => p !== undefined)
  return { posts, unplaced }
}

/** Milliseconds between two sends at a rate of `perMinute` messages a minute. */
export function sendInterval(perMinute: number): number {
  return Math.max(1, Math.floor(60_000 / perMinute))
}
