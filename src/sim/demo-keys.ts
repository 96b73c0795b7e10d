/**
 * The demo's keys never outlive it: every key of its namespace gets a TTL within a second of
 * being made (a key without one is given `DEMO_KEY_TTL_S`), so even a demo killed outright
 * (kill -9, a power cut) leaves nothing behind in a shared Redis for long; an interrupted one
 * (Ctrl+C, SIGTERM) deletes its namespace before it exits (demo.ts).
 */
import type { Redis } from 'ioredis'

/** An hour: far longer than a demo (about 30 s), short enough for a shared Redis. */
export const DEMO_KEY_TTL_S = 3600
const SWEEP_MS = 1000

/** Gives the keys of `keys` that have no TTL one; returns how many it gave. */
const EXPIRE_UNLESS_SET = `local n = 0
for _, k in ipairs(KEYS) do
  if redis.call('TTL', k) == -1 then redis.call('EXPIRE', k, ARGV[1]); n = n + 1 end
end
return n`

/** Gives every key matching `pattern` without a TTL one, now and every second until stopped. */
export function keepKeysExpiring(redis: Redis, pattern: string, ttlSeconds = DEMO_KEY_TTL_S, everyMs = SWEEP_MS): { sweep(): Promise<number>; stop(): void } {
  let running: Promise<number> | undefined
  const sweep = async (): Promise<number> => {
    let cursor = '0'
    let n = 0
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      cursor = next
      // One slot (the namespace is hash-tagged), so one script call per batch.
      if (keys.length) n += Number(await redis.eval(EXPIRE_UNLESS_SET, keys.length, ...keys, String(ttlSeconds)))
    } while (cursor !== '0')
    return n
  }
  const timer = setInterval(() => {
    running ??= sweep().catch(() => 0).finally(() => { running = undefined })
  }, everyMs)
  timer.unref()
  return { sweep, stop: () => clearInterval(timer) }
}
