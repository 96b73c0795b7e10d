/**
 * Tests need a real Redis: REDIS_URL, else 127.0.0.1:6379, else a private redis-server started
 * here (and stopped after the run). Test files each use their own key namespace and clean up.
 */
import { ensureRedis, type RedisHandle } from '../src/infra/redis.ts'

let handle: RedisHandle | undefined

export async function setup(): Promise<void> {
  handle = await ensureRedis()
  process.env.REDIS_URL = handle.url
}

export async function teardown(): Promise<void> {
  await handle?.stop()
}
