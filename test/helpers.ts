/** Shared set-up for integration tests: the demo district on a real Redis, in its own namespace. */
import path from 'node:path'
import { expect, vi } from 'vitest'
import { main } from '../src/cli/main.ts'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../src/config/load.ts'
import type { CascadeConfig } from '../src/config/types.ts'
import { SimDistrict, type DistrictOptions } from '../src/sim/district.ts'
import { newRedis, redisUrlFromEnv } from '../src/infra/redis.ts'
import { scanKeys } from '../src/store/store.ts'
import { personContactId, type WorldMessage } from '../src/sim/world.ts'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** REDIS_URL, or REDIS_SENTINELS / REDIS_CLUSTER (src/infra/redis.ts): the suite runs against any of them. */
export const REDIS_URL = redisUrlFromEnv()

export async function demoConfig(): Promise<CascadeConfig> {
  return loadConfig({ configDir: path.join(ROOT, 'config'), botsDir: path.join(ROOT, 'bots') })
}

/** The demo district with fast pacing, in a fresh namespace that `close()` removes. */
export async function startDistrict(opts: Partial<DistrictOptions> = {}): Promise<SimDistrict> {
  const cfg = opts.cfg ?? await demoConfig()
  return SimDistrict.start({
    cfg, redisUrl: REDIS_URL, ns: `test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    pacing: { perMinute: 6000, jitterMs: 0 }, world: { villagersPerGroup: [5, 8], residentsPerGroup: 4 },
    ...opts,
  })
}

/** Polls until `fn` returns a truthy value (or throws after the timeout, saying what it waited for). */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 20))
  }
}

/** A person's DM to a bot, then the next DM they get back from that bot. */
export async function dm(d: SimDistrict, person: string, text: string, bot = d.homeBot(person), isReply = (t: string) => !t.startsWith('【待审核】')): Promise<string> {
  const contact = personContactId(person)
  const before = d.world.dmsTo(contact).length
  d.world.sayToBot(contact, bot, text)
  const reply = await waitFor(`a reply to ${person}'s "${text}"`, () => d.world.dmsTo(contact).slice(before).find(m => isReply(m.text)))
  return reply.text
}

/** The public groups of a node (where its notices are posted). */
export function publicTopics(d: SimDistrict, node: string): string[] {
  return d.cfg.nodes.get(node)!.groups.filter(g => g.kind === 'public').map(g => g.topic)
}

/**
 * Checks that each node's notice (codes[i] published at nodes[i]) is in every one of its public
 * groups exactly once, runs `check` on each post, and returns how many posts each bot account made.
 */
export async function postsByBot(d: SimDistrict, nodes: string[], codes: string[], check: (post: WorldMessage, code: string, topic: string) => Promise<void> | void = () => undefined): Promise<Map<string, number>> {
  const byBot = new Map<string, number>()
  for (const [i, node] of nodes.entries()) {
    for (const topic of publicTopics(d, node)) {
      const posts = d.world.postsIn(topic, codes[i])
      expect(posts, topic).toHaveLength(1)
      byBot.set(posts[0].from, (byBot.get(posts[0].from) ?? 0) + 1)
      await check(posts[0], codes[i], topic)
    }
  }
  return byBot
}

/** The code of the newest announcement. */
export async function latestCode(d: SimDistrict): Promise<string> {
  return waitFor('an announcement', async () => (await d.store.recentCodes(1))[0])
}

/** Deletes every key of the namespace `ns` (a test's CLI runs write under it) on REDIS_URL (every master of a cluster). */
export async function clearTestNamespace(ns: string): Promise<void> {
  const r = newRedis(REDIS_URL)
  const keys = await scanKeys(r, `{${ns}}:*`)
  // One namespace is one slot: a batch of its keys is one command on a cluster too.
  for (let i = 0; i < keys.length; i += 1000) await r.unlink(...keys.slice(i, i + 1000))
  await r.quit()
}

/** Runs `cascade …` in this process (main()): exit code, stdout and stderr. */
export async function cascade(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => { out.push(a.join(' ')) })
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => { err.push(a.join(' ')) })
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true })
  const ewrite = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true })
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') }
  } finally {
    for (const s of [log, error, write, ewrite]) s.mockRestore()
  }
}
