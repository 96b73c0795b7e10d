/**
 * Signing in to the command centre as a person of people.yaml, with nothing to remember: the
 * person gives their id or name, a bot sends a one-time code to their bound WeChat contact in a
 * private chat, they type it in. No password is stored anywhere.
 *
 *   a code       6 digits, valid CODE_TTL_SECONDS, one use (taken by DEL: of two tries with it at
 *                once only one signs in), CODE_TRIES wrong tries and it is void; a new request
 *                replaces the previous code. Redis keeps only its hash: `cc:code:<person>`.
 *   requests     CODES_PER_ADDRESS per client address (`cc:codes-from:<address>`: every request,
 *                whatever name it gives), then refused with the wait; CODES_PER_PERSON per person
 *                (`cc:codes:<person>`), then no code is sent. Known or unknown, bound or not, sent or
 *                not, the page answers alike: asking does not tell who is in people.yaml.
 *   the chat     says who is signing in, from which address and browser, and how to refuse
 *                (template `signin_code`).
 *
 * A person's session holds while they are in people.yaml with a role and bound on some account
 * (`personHolds`): an unbinding or a removal ends it at its next request.
 */
import { createHash, randomInt } from 'node:crypto'
import { PRIORITY } from '../queue/outbox.ts'
import type { Cascade } from '../spine/cascade.ts'
import { sameSecret } from './session.ts'

export const CODE_TTL_SECONDS = 300
export const CODE_TRIES = 5
export const CODES_PER_PERSON = 3
export const CODES_PER_PERSON_WINDOW_S = 15 * 60
export const CODES_PER_ADDRESS = 10
export const CODES_PER_ADDRESS_WINDOW_S = 3600

/**
 * The answer to a code request. The page says the same for every name typed in (sent or not, known
 * or not: who is in people.yaml is not to be found out by asking); only the address's own limit
 * is told (`limited`). `why` is for the log.
 */
export type Requested = { limited: number } | { sent: boolean; person?: string; why?: 'unknown' | 'ambiguous' | 'no-role' | 'unbound' | 'offline' | 'person-limited' }
export type Checked = 'ok' | 'wrong' | 'void'

function hashCode(person: string, code: string): string { return createHash('sha256').update(`cascade-signin:${person}:${code}`).digest('hex') }

/** "Chrome · Windows" from a User-Agent (for the chat text: which browser asked). */
export function browserOf(ua: string | undefined): string {
  const s = ua ?? ''
  const b = /MicroMessenger/.test(s) ? '微信内置浏览器' : /Edg\//.test(s) ? 'Edge' : /Firefox\//.test(s) ? 'Firefox' : /Chrom(e|ium)\//.test(s) ? 'Chrome' : /Safari\//.test(s) ? 'Safari' : '未知浏览器'
  const os = /Android/.test(s) ? 'Android' : /iPhone|iPad/.test(s) ? 'iOS' : /Windows/.test(s) ? 'Windows' : /Mac OS X/.test(s) ? 'macOS' : /Linux/.test(s) ? 'Linux' : ''
  return os ? `${b} · ${os}` : b
}

/** Whether a person may hold a session: in people.yaml with a role, bound on at least one account. */
export async function personHolds(app: Cascade, person: string): Promise<boolean> {
  return app.cfg.people.has(person) && app.hasRole(person) && Object.keys(await app.store.bindingsOf(person)).length > 0
}

export class PersonSignIn {
  constructor(private readonly app: Cascade) {}

  private key(kind: string, id: string): string { return `${this.app.store.keys.base}cc:${kind}:${id}` }

  /** The person an id or a name (exactly as in people.yaml) means; 'ambiguous' for a name several people have. */
  find(who: string): string | 'ambiguous' | undefined {
    const w = who.trim()
    const people = this.app.cfg.people
    if (people.has(w)) return w
    const named = [...people.values()].filter(p => p.name === w)
    return named.length === 1 ? named[0].id : named.length > 1 ? 'ambiguous' : undefined
  }

  /** Counts one request in a window; the seconds to wait when over `max`, else undefined. */
  private async count(key: string, max: number, windowS: number): Promise<number | undefined> {
    const r = await this.app.store.redis.multi().set(key, '0', 'EX', windowS, 'NX').incr(key).ttl(key).exec()
    return Number(r?.[1]?.[1]) > max ? Math.max(1, Number(r?.[2]?.[1])) : undefined
  }

  /** Sends a new code to the WeChat of the person `who` names; `from` says where the request came from. */
  async request(who: string, address: string, from: string): Promise<Requested> {
    const { app } = this
    // Every request counts on the address, whatever name it gives and whatever its answer.
    const byAddress = await this.count(this.key('codes-from', address), CODES_PER_ADDRESS, CODES_PER_ADDRESS_WINDOW_S)
    if (byAddress !== undefined) return { limited: byAddress }
    const person = this.find(who)
    if (person === undefined || person === 'ambiguous') return { sent: false, why: person ?? 'unknown' }
    if (!app.hasRole(person)) return { sent: false, person, why: 'no-role' }
    const bots = Object.keys(await app.store.bindingsOf(person)).filter(b => app.cfg.bots.has(b))
    if (bots.length === 0) return { sent: false, person, why: 'unbound' }
    // A code that would wait in an offline account's queue is not sent (it would come after it expired).
    if ((await app.store.aliveBots(bots)).size === 0) return { sent: false, person, why: 'offline' }
    if (await this.count(this.key('codes', person), CODES_PER_PERSON, CODES_PER_PERSON_WINDOW_S) !== undefined) return { sent: false, person, why: 'person-limited' }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const key = this.key('code', person)
    await app.store.redis.multi().del(key).hset(key, 'h', hashCode(person, code), 'tries', '0').expire(key, CODE_TTL_SECONDS).exec()
    const text = app.t('signin_code', { name: app.personName(person), code, from, minutes: CODE_TTL_SECONDS / 60 })
    // The text (with the code) is kept out of BullMQ's job data and expires with the code.
    const sent = await app.tell(person, undefined, `signin-${person}-${randomInt(0, 2 ** 47).toString(36)}`, text, PRIORITY.approval, CODE_TTL_SECONDS)
    if (!sent) {
      await app.store.redis.del(key)
      return { sent: false, person, why: 'offline' }
    }
    return { sent: true, person }
  }

  /** Checks a code: `ok` once (it is spent), `wrong` (a try used), `void` (none, expired, used, or too many tries). */
  async check(person: string, code: string): Promise<Checked> {
    const redis = this.app.store.redis
    const key = this.key('code', person)
    const stored = await redis.hget(key, 'h')
    if (!stored) return 'void'
    if (!sameSecret(hashCode(person, code.trim()), stored)) {
      // (A code that expired meanwhile leaves a key without `h` that expires too: EXPIRE NX.)
      const r = await redis.multi().hincrby(key, 'tries', 1).expire(key, CODE_TTL_SECONDS, 'NX').exec()
      const tries = Number(r?.[0]?.[1])
      if (tries >= CODE_TRIES) await redis.del(key)
      return tries >= CODE_TRIES ? 'void' : 'wrong'
    }
    // One use: of two requests with the right code, only the one whose DEL removed it signs in.
    return (await redis.del(key)) === 1 ? 'ok' : 'void'
  }
}
