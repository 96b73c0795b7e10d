/**
 * Send claims (at most one post per idempotency key) and the echoes that settle a send whose
 * outcome is unknown. A claim's value says how far its send got:
 * `sending:<owner>:<ms>` claimed, nothing said; `saying:<owner>:<ms>` say() may have posted;
 * `sent:<owner>:<ms>` posted.
 */
import type { Redis } from 'ioredis'
import type { Durability } from './durable.ts'
import type { Keys } from './keys.ts'
import { REPLACE_IF_VALUE } from './scripts.ts'

/** How long a send claim is kept: longer than any announcement stays relevant. */
const SEND_CLAIM_TTL_S = 14 * 24 * 3600
const ECHO_KEEP_MS = 2 * 24 * 3600_000
const ECHO_KEEP_COUNT = 500

export class Sends {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly durability?: Durability) {
    redis.defineCommand('replaceIfValue', { numberOfKeys: 1, lua: REPLACE_IF_VALUE })
  }

  private durable<T>(write: Promise<T>, strict = false): Promise<T> { return this.durability ? this.durability.after(write, strict) : write }

  private async replaceIfValue(key: string, expected: string, value: string, ttlSeconds: string): Promise<number> {
    return (this.redis as unknown as { replaceIfValue(k: string, e: string, v: string, t: string): Promise<number> }).replaceIfValue(key, expected, value, ttlSeconds)
  }

  /**
   * Takes the claim for one send before `say()`. Only the first taker may send; a job run
   * again (a stalled worker, a restarted process) finds the claim and does not post twice.
   * Returns the claim's value when taken (`sending:<owner>:<ms>`: claimed, nothing said yet), else null.
   */
  async claimSend(idem: string, owner: string): Promise<string | null> {
    const value = `sending:${owner}:${Date.now()}`
    return (await this.durable(this.redis.set(this.keys.sendClaim(idem), value, 'EX', SEND_CLAIM_TTL_S, 'NX'), true)) === 'OK' ? value : null
  }

  /**
   * Right before `say()`: the claim becomes `saying:<owner>:<ms>` (a post may go out from now on)
   * if it still holds `claimed`. False when another worker took it over meanwhile (this one was
   * frozen between its claim and its say): then this one must not say. A claim still at
   * `sending:` was certainly not said, so whoever settles it later posts it without 【补发】.
   */
  async markSaying(idem: string, claimed: string, owner: string): Promise<boolean> {
    return (await this.durable(this.replaceIfValue(this.keys.sendClaim(idem), claimed, `saying:${owner}:${Date.now()}`, String(SEND_CLAIM_TTL_S)), true)) === 1
  }

  async markSent(idem: string, owner: string): Promise<void> {
    await this.durable(this.redis.set(this.keys.sendClaim(idem), `sent:${owner}:${Date.now()}`, 'EX', SEND_CLAIM_TTL_S))
  }

  /** Gives a claim back after a send that certainly did not happen (say() threw before sending). */
  async releaseSend(idem: string): Promise<void> {
    await this.redis.del(this.keys.sendClaim(idem))
  }

  async sendClaim(idem: string): Promise<string | null> {
    return this.redis.get(this.keys.sendClaim(idem))
  }

  /** Takes over a claim still holding `expected` (a send of unknown outcome being settled); its new value, or null. */
  async retakeSend(idem: string, expected: string, owner: string): Promise<string | null> {
    const value = `sending:${owner}:${Date.now()}`
    return (await this.durable(this.replaceIfValue(this.keys.sendClaim(idem), expected, value, String(SEND_CLAIM_TTL_S)))) === 1 ? value : null
  }

  /** Remembers that an account saw its own message (by its echo key) in a group; kept 2 days, 500 per group. */
  async recordEcho(topic: string, key: string, at: number): Promise<void> {
    const k = this.keys.echoes(topic)
    await this.redis.multi()
      .zadd(k, at, key)
      .zremrangebyscore(k, 0, at - ECHO_KEEP_MS)
      .zremrangebyrank(k, 0, -ECHO_KEEP_COUNT - 1)
      .pexpire(k, ECHO_KEEP_MS)
      .exec()
  }

  /** Echo keys of the accounts' own messages seen in a group since a time. */
  async echoesSince(topic: string, since: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.echoes(topic), since, '+inf')
  }
}
