/**
 * Personal codes (docs/ARCHITECTURE.md, "Identity"): each person's own key to their role after
 * WeChat gave new contact ids. Only a code's hash is kept (`personal:<hash>` → person), and the
 * person's record names the hash of their one current code (field `#personal` of `person:<id>`).
 * A code is spent by its use (a new one is given) and revoked when it is seen in a group.
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Keys } from './keys.ts'

/** Field of `person:<id>` holding the hash of the person's personal code (bot ids cannot contain '#'). */
export const PERSONAL_CODE_FIELD = '#personal'

function hashOf(code: string): string { return createHash('sha256').update(`cascade-personal:${code}`).digest('hex') }

/** KEYS[1] person:<id>; ARGV[1] the field, ARGV[2] a hash: the field is removed while it still names that hash. */
const HDEL_IF_VALUE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`

export class PersonalCodes {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {
    redis.defineCommand('hdelIfValue', { numberOfKeys: 1, lua: HDEL_IF_VALUE })
  }

  /** Gives a person a new personal code; the previous one stops working. */
  async set(person: string, code: string): Promise<void> {
    const hash = hashOf(code)
    const previous = await this.redis.hget(this.keys.personBindings(person), PERSONAL_CODE_FIELD)
    const tx = this.redis.multi()
    if (previous && previous !== hash) tx.del(this.keys.personalCode(previous))
    tx.set(this.keys.personalCode(hash), person)
    tx.hset(this.keys.personBindings(person), PERSONAL_CODE_FIELD, hash)
    await tx.exec()
  }

  /** The person whose code this is, if any (the code stays valid). */
  async personOf(code: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.personalCode(hashOf(code)))) ?? undefined
  }

  /**
   * Takes a code out of use, once: the person it was for, or undefined when it is unknown (or was
   * taken a moment ago, by a use or a revocation elsewhere). The person then has no code.
   */
  async take(code: string): Promise<string | undefined> {
    const hash = hashOf(code)
    const person = await this.redis.getdel(this.keys.personalCode(hash)) // the take: one caller gets the person
    if (!person) return undefined
    // The person's record no longer names a code (unless a new one was given meanwhile).
    const cmd = this.redis as unknown as { hdelIfValue(key: string, field: string, value: string): Promise<number> }
    await cmd.hdelIfValue(this.keys.personBindings(person), PERSONAL_CODE_FIELD, hash)
    return person
  }

  /** Whether the person holds a valid code (none after a revocation, until they bind again). */
  async has(person: string): Promise<boolean> {
    const hash = await this.redis.hget(this.keys.personBindings(person), PERSONAL_CODE_FIELD)
    return hash ? (await this.redis.exists(this.keys.personalCode(hash))) === 1 : false
  }
}
