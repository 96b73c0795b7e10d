/**
 * Ops' view of who can act: the invites not yet used (listed, revoked) and the people bound to
 * WeChat contacts (listed, unbound). Used by `cascade invites|people` and the command centre's
 * 人员 page (ops only). An unbinding removes every binding of the person and their personal code:
 * they must be invited again, and their command centre sessions end at their next request.
 */
import type { Redis } from 'ioredis'
import type { Keys } from './keys.ts'
import { PERSONAL_CODE_FIELD } from './personal-codes.ts'
import { normalizeInvite } from '../domain/commands.ts'
import { scanKeys } from './store.ts'

export interface PendingInvite { code: string; person: string; expiresInSeconds: number }

export class PeopleAdmin {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  /** Invites not yet used nor expired, soonest to expire first. */
  async invites(): Promise<PendingInvite[]> {
    const prefix = this.keys.invite('')
    const keys = await scanKeys(this.redis, `${prefix}*`)
    if (keys.length === 0) return []
    const tx = this.redis.multi()
    for (const k of keys) tx.get(k).ttl(k)
    const replies = (await tx.exec()) ?? []
    const out: PendingInvite[] = []
    keys.forEach((k, i) => {
      const person = replies[2 * i]?.[1] as string | null
      const ttl = Number(replies[2 * i + 1]?.[1] ?? -2)
      if (person && ttl > 0) out.push({ code: k.slice(prefix.length), person, expiresInSeconds: ttl })
    })
    return out.sort((a, b) => a.expiresInSeconds - b.expiresInSeconds)
  }

  /** Revokes an unused invite; false when there is none by that code. */
  async revokeInvite(code: string): Promise<boolean> {
    return (await this.redis.del(this.keys.invite(normalizeInvite(code)))) === 1
  }

  /** person → (bot → contact id) for everyone bound on at least one account. */
  async bound(people: Iterable<string>): Promise<Map<string, Record<string, string>>> {
    const ids = [...people]
    const tx = this.redis.multi()
    for (const p of ids) tx.hgetall(this.keys.personBindings(p))
    const replies = (await tx.exec()) ?? []
    const out = new Map<string, Record<string, string>>()
    ids.forEach((p, i) => {
      const all = { ...(replies[i]?.[1] as Record<string, string> | null ?? {}) }
      delete all[PERSONAL_CODE_FIELD]
      if (Object.keys(all).length) out.set(p, all)
    })
    return out
  }

  /** Removes every binding of a person and their personal code; returns the accounts they were bound on. */
  async unbind(person: string): Promise<string[]> {
    const all = await this.redis.hgetall(this.keys.personBindings(person))
    const personal = all[PERSONAL_CODE_FIELD]
    delete all[PERSONAL_CODE_FIELD]
    const tx = this.redis.multi()
    for (const [bot, contact] of Object.entries(all)) tx.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, this.keys.contactBinding(bot, contact), person)
    if (personal) tx.del(this.keys.personalCode(personal))
    tx.del(this.keys.personBindings(person))
    await tx.exec()
    return Object.keys(all)
  }
}
