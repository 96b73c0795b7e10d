/** `cascade demo --chaos`: the runtime's shortened waits, and the posts' figures (doubles, 补发). */
import type { BotRuntimeOptions } from '../chat/bot-runtime.ts'
import type { ClientTiming } from '../chat/wechat4u-client.ts'
import type { DemoWorld } from './demo-types.ts'

/**
 * Send and settle waits under chaos: a send that hangs (delivered or not) times out after 4 s and
 * is settled 6 s after its claim (seen in the group, else sent again marked 【补发】), so a demo
 * with faults finishes in minutes rather than the production waits' 30 s and 90 s per send.
 */
export const CHAOS_RUNTIME: Partial<BotRuntimeOptions> = {
  sendTimeoutMs: 4000, settleAfterMs: 6000,
  // The demo paces 100× faster than a real account; WeChat's "too frequent" pause shrinks with it.
  backoff: { baseMs: 1000, maxMs: 8000 },
}

/**
 * The real client's recovery under chaos, shrunk as the pace is: a failed resume is tried again
 * after 0.5 s (up to 4 s), a failed contact list after 0.3 s, and a sync is stalled after 8 s
 * (the simulated server holds a sync for 1 s, the real one for 25 s).
 */
export const CHAOS_CLIENT_TIMING: Partial<ClientTiming> = {
  retryBaseMs: 500, retryMaxMs: 4000, contactsRetryBaseMs: 300, contactsRetryMaxMs: 3000, syncStallMs: 8000, watchdogEveryMs: 1000,
}

export const RESENT_MARK = '【补发】'

/**
 * The notice's posts per group: doubles beyond one that are not marked 【补发】 (a true duplicate),
 * and every post in a group marked 【补发】 (a resend after an unknown outcome; at most one extra).
 */
export function postFigures(world: DemoWorld, code: string): { duplicate_posts: number; resent_posts: number } {
  let duplicates = 0
  let resent = 0
  for (const g of world.groups.values()) {
    const posts = world.postsIn(g.topic, `编号 ${code}`)
    duplicates += Math.max(0, posts.filter(p => !p.text.includes(RESENT_MARK)).length - 1)
    resent += world.postsIn(g.topic, RESENT_MARK).length
  }
  return { duplicate_posts: duplicates, resent_posts: resent }
}
