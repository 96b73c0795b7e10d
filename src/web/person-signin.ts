/**
 * Signing in to the command centre as a person of people.yaml, with nothing to remember: the
 * person gives their id or name, a bot sends a one-time code to their bound WeChat contact in a
 * private chat, they type it in. No password is stored anywhere.
 *
 *   a code       6 digits, valid CODE_TTL_SECONDS, one use (taken by DEL: of two tries with it at
 *                once only one signs in), CODE_TRIES wrong tries and it is void; a new request
 *                replaces the previous code. Redis keeps only its hash: `cc:code:<person>`.
 *   requests     CODES_PER_PERSON per person and CODES_PER_ADDRESS per client address in their
 *                windows (`cc:codes:<person>`, `cc:codes-from:<address>`), then refused with the wait.
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

export type Found = { person: string } | { problem: string }
export type Requested = { ok: true; name: string } | { ok: false; problem: string; retryAfter?: number }
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

  /** The person an id or a name (exactly as in people.yaml) means. */
  find(who: string): Found {
    const w = who.trim()
    if (!w) return { problem: '请填写您的编号或姓名。' }
    const people = this.app.cfg.people
    if (people.has(w)) return { person: w }
    const named = [...people.values()].filter(p => p.name === w)
    if (named.length === 1) return { person: named[0].id }
    if (named.length > 1) return { problem: `有 ${named.length} 人叫“${w}”，请填写您的编号（people.yaml 中的 id）。` }
    return { problem: '名单（people.yaml）中没有这个编号或姓名。' }
  }

  /** Counts one request in a window; the seconds to wait when over `max`, else undefined. */
  private async count(key: string, max: number, windowS: number): Promise<number | undefined> {
    const r = await this.app.store.redis.multi().set(key, '0', 'EX', windowS, 'NX').incr(key).ttl(key).exec()
    return Number(r?.[1]?.[1]) > max ? Math.max(1, Number(r?.[2]?.[1])) : undefined
  }

  /** Sends a new code to the person's WeChat; `from` says where the request came from. */
  async request(person: string, address: string, from: string): Promise<Requested> {
    const { app } = this
    const name = app.personName(person)
    // Every request for a known person counts on the address, whatever its answer.
    const byAddress = await this.count(this.key('codes-from', address), CODES_PER_ADDRESS, CODES_PER_ADDRESS_WINDOW_S)
    if (byAddress !== undefined) return { ok: false, problem: `本机请求验证码过于频繁，请 ${Math.ceil(byAddress / 60)} 分钟后再试。`, retryAfter: byAddress }
    if (!app.hasRole(person)) return { ok: false, problem: `${name}在网络中没有职务（network.yaml / households.yaml），无需登录指挥中心。` }
    const bots = Object.keys(await app.store.bindingsOf(person)).filter(b => app.cfg.bots.has(b))
    if (bots.length === 0) return { ok: false, problem: `${name}还没有绑定微信，收不到验证码：请向区指挥部运维要邀请码，私聊值守号绑定后再登录。` }
    // A code that would wait in an offline account's queue is not sent (it would come after it expired).
    if ((await app.store.aliveBots(bots)).size === 0) return { ok: false, problem: `${name}绑定的值守号现在都不在线，验证码发不出去，请稍后再试或联系运维。` }
    const byPerson = await this.count(this.key('codes', person), CODES_PER_PERSON, CODES_PER_PERSON_WINDOW_S)
    if (byPerson !== undefined) return { ok: false, problem: `给${name}发验证码过于频繁，请 ${Math.ceil(byPerson / 60)} 分钟后再试。`, retryAfter: byPerson }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const key = this.key('code', person)
    await app.store.redis.multi().del(key).hset(key, 'h', hashCode(person, code), 'tries', '0').expire(key, CODE_TTL_SECONDS).exec()
    const text = app.t('signin_code', { name, code, from, minutes: CODE_TTL_SECONDS / 60 })
    // The text (with the code) is kept out of BullMQ's job data and expires with the code.
    const sent = await app.tell(person, undefined, `signin-${person}-${randomInt(0, 2 ** 47).toString(36)}`, text, PRIORITY.approval, CODE_TTL_SECONDS)
    if (!sent) {
      await app.store.redis.del(key)
      return { ok: false, problem: `${name}绑定的值守号现在都不在线，验证码发不出去，请稍后再试或联系运维。` }
    }
    return { ok: true, name }
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
