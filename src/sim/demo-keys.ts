/**
 * The demo's keys never outlive it: every key of its namespace gets a TTL within a second of
 * being made (a key without one is given `DEMO_KEY_TTL_S`), so even a demo killed outright
 * (kill -9, a power cut) leaves nothing behind in a shared Redis for long; an interrupted one
 * (Ctrl+C, SIGTERM) deletes its namespace before it exits (`endOnceAndOnSignal`).
 */
import type { Redis } from 'ioredis'
import { scanTargets } from '../store/store.ts'

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
    let n = 0
    for (const node of scanTargets(redis)) {
      let cursor = '0'
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        cursor = next
        // One slot (the namespace is hash-tagged), so one script call per batch.
        if (keys.length) n += Number(await redis.eval(EXPIRE_UNLESS_SET, keys.length, ...keys, String(ttlSeconds)))
      } while (cursor !== '0')
    }
    return n
  }
  const timer = setInterval(() => {
    running ??= sweep().catch(() => 0).finally(() => { running = undefined })
  }, everyMs)
  timer.unref()
  return { sweep, stop: () => clearInterval(timer) }
}

/** How long an interrupted or finished demo waits for its accounts to stop before deleting its keys anyway. */
const CLOSE_WAIT_MS = 10_000

export interface DemoEnding {
  ns: string
  out: (line: string) => void
  /** Stops the demo's own timers and sweeps. */
  stop: () => void
  /** Stops the accounts and removes the namespace. */
  close: () => Promise<void>
  /** Removes the namespace alone (when the accounts do not stop in time). */
  clearNamespace: () => Promise<unknown>
  stopRedis: () => Promise<void>
}

/**
 * The demo's end, run once whether it finishes or is interrupted: the accounts stop and the
 * namespace goes. Ctrl+C or SIGTERM run it and exit 130 / 143. `end()` also detaches the signals.
 */
export function endOnceAndOnSignal(d: DemoEnding): { end: () => Promise<void> } {
  let ending: Promise<void> | undefined
  const run = () => ending ??= (async () => {
    d.stop()
    const closed = d.close().then(() => true, () => false)
    // An account that does not stop in time must not keep the keys: delete them regardless.
    const inTime = await Promise.race([closed, new Promise<boolean>(r => setTimeout(() => r(false), CLOSE_WAIT_MS).unref())])
    if (!inTime) await d.clearNamespace().catch(() => 0)
    await d.stopRedis()
  })()
  const onSignal = (signal: NodeJS.Signals) => {
    d.out(`已中断（${signal}）：正在停止机器人账号并删除键空间 {${d.ns}}……`)
    void run().finally(() => {
      d.out('已删除，演示结束。')
      process.exit(signal === 'SIGINT' ? 130 : 143)
    })
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return {
    end: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      return run()
    },
  }
}
