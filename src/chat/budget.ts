/**
 * An account's daily send budget, counted in Redis per Beijing day, with a smaller share for
 * chat (replies to strangers, case DMs, rumor answers: `SendJob.chat`). Chat counts on both
 * counters, notices on the day's only, so at least `dailyBudget - chatBudget` sends a day are
 * always left for notices, whatever anyone writes to the account.
 */
import type { Redis } from 'ioredis'
import { beijingDay, chatBudgetOf } from '../domain/limits.ts'

export { beijingDay }

const BEIJING_OFFSET_MS = 8 * 3600 * 1000
const KEEP_S = 2 * 24 * 3600

export function nextBeijingMidnight(now = Date.now()): number {
  const day = 24 * 3600 * 1000
  return Math.floor((now + BEIJING_OFFSET_MS) / day) * day + day - BEIJING_OFFSET_MS
}

/** The keys of today's counters of one account: all sends, and chat sends. */
export function budgetKeys(base: string, bot: string, now = Date.now()): { all: string; chat: string } {
  const day = beijingDay(now)
  return { all: `${base}budget:${bot}:${day}`, chat: `${base}budget-chat:${bot}:${day}` }
}

/** Takes one send from today's budget; 'all' or 'chat' when that budget is spent (nothing taken). */
export async function takeBudget(redis: Redis, base: string, bot: string, pacing: { dailyBudget: number; chatBudget?: number }, chat: boolean): Promise<'ok' | 'all' | 'chat'> {
  const keys = budgetKeys(base, bot)
  if (chat && !await take(redis, keys.chat, chatBudgetOf(pacing))) return 'chat'
  if (await take(redis, keys.all, pacing.dailyBudget)) return 'ok'
  if (chat) await redis.decr(keys.chat)
  return 'all'
}

async function take(redis: Redis, key: string, limit: number): Promise<boolean> {
  const n = await redis.incr(key)
  if (n === 1) await redis.expire(key, KEEP_S)
  if (n <= limit) return true
  await redis.decr(key)
  return false
}
