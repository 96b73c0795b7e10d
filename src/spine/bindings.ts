/**
 * Who is behind a WeChat contact: one-time invites that bind a person to an account, and the
 * personal code that binds them again after WeChat gave new ids. Display names are never consulted.
 * A personal code is spent by its use (a new one is given then), revoked when seen in a group
 * (guards.ts), and given anew with every invite.
 */
import { tellDisplaced, tellRebindByCode, type GuardHost } from './guards.ts'
import { randomBytes } from 'node:crypto'
import { newInviteCode, newPersonalCode } from '../domain/announcement.ts'
import type { Store } from '../store/store.ts'
import type { Logger } from '../infra/log.ts'
import type { Deliveries } from './deliveries.ts'
import type { Directory } from './directory.ts'
import type { EventBus } from './events.ts'
import type { Inbound } from './inbound.ts'
import type { Relays } from './relays.ts'
import type { Texts } from './texts.ts'

/** Wrong invite or personal codes one contact may send per day; after that they get no answer. */
const MAX_WRONG_CODES_PER_DAY = 5
/** Invite codes expire after this long unless `cascade invite --ttl` says otherwise. */
export const INVITE_TTL_HOURS = 72

export interface BindingsDeps {
  dir: Directory
  texts: Texts
  store: Store
  events: EventBus
  relays: Relays
  deliveries: Deliveries
  now: () => number
  random: () => number
  log: Logger
  /** The app as the abuse guards use it (guards.ts). */
  guards: GuardHost
}

export class Bindings {
  constructor(private readonly d: BindingsDeps) {}

  /** A one-time code that binds the person who sends it to a bot in a DM. */
  async createInvite(person: string, ttlHours = INVITE_TTL_HOURS): Promise<string> {
    if (!this.d.dir.cfg.people.has(person)) throw new Error(`unknown person "${person}"`)
    for (;;) {
      const code = newInviteCode(this.d.random)
      if (await this.d.store.createInvite(code, person, Math.round(ttlHours * 3600))) return code
    }
  }

  /** Wrong codes a contact may send per day before its codes are no longer even checked. */
  private async tooManyWrongCodes(msg: Inbound, wrong: boolean): Promise<boolean> {
    const { store } = this.d
    const key = `${store.keys.base}bindfail:${msg.bot}:${msg.contactId}`
    if (!wrong) return Number(await store.redis.get(key) ?? 0) >= MAX_WRONG_CODES_PER_DAY
    const n = await store.redis.incr(key)
    if (n === 1) await store.redis.expire(key, 24 * 3600)
    return n > MAX_WRONG_CODES_PER_DAY
  }

  /** An invite code sent in a DM: binds this contact to the invite's person. */
  async redeem(msg: Inbound, invite: string): Promise<string[]> {
    const { store, texts, dir, log } = this.d
    if (await this.tooManyWrongCodes(msg, false)) return []
    const person = await store.takeInvite(invite)
    if (!person) {
      log.info('invite.rejected', { bot: msg.bot })
      return await this.tooManyWrongCodes(msg, true) ? [] : [texts.t('bind_bad')]
    }
    const displaced = await store.bind(msg.bot, msg.contactId, person)
    if (displaced) await tellDisplaced(this.d.guards, displaced, msg.bot) // one contact, one person
    await store.audit('bindings', { kind: 'bind', actor: person, at: this.d.now(), bot: msg.bot })
    log.info('invite.redeemed', { bot: msg.bot, person })
    // The person's own key to their role after WeChat gives new ids (see rebind).
    const personal = await this.newCode(person)
    return [texts.t('bind_ok', { name: dir.personName(person), roles: dir.rolesText(person) }), texts.t('personal_code', { code: personal }), ...await this.askPending(person)]
  }

  /** Gives the person a new personal code (the previous one, if any, stops working). */
  private async newCode(person: string): Promise<string> {
    const code = newPersonalCode(randomBytes(12))
    await this.d.store.personalCodes.set(person, code)
    return code
  }

  /** Approval requests that could not reach this person before they were bound go out now. */
  private async askPending(person: string): Promise<string[]> {
    const { store } = this.d
    const pending = await this.d.relays.pendingFor(person)
    if (!pending.length) return []
    for (const { code, node } of pending) {
      const [a, relay] = [await store.announcement(code), await store.relay(code, node)]
      if (a && relay?.state === 'pending') await this.d.deliveries.requestApproval(a, relay, person)
    }
    return [this.d.texts.t('bind_pending', { count: pending.length })]
  }

  /**
   * A personal code sent in a DM: binds this contact to the code's person again (after a WeChat
   * login that gave new contact ids, when the remark was not kept). Names are never consulted.
   * The code is spent (two contacts sending it at once: one is bound) and a new one is sent back;
   * the person's earlier contacts and their staff groups are told (guards.ts, tellRebindByCode).
   */
  async rebind(msg: Inbound, code: string): Promise<string[]> {
    const { store, texts, dir, log } = this.d
    if (await this.tooManyWrongCodes(msg, false)) return []
    const person = await store.personalCodes.take(code)
    if (!person || !dir.cfg.people.has(person)) {
      log.info('rebind.rejected', { bot: msg.bot })
      return await this.tooManyWrongCodes(msg, true) ? [] : [texts.t('rebind_bad')]
    }
    const before = await store.bindingsOf(person)
    const displaced = await store.bind(msg.bot, msg.contactId, person)
    await tellRebindByCode(this.d.guards, person, msg.bot, msg.contactId, before)
    const fresh = texts.t('personal_code_rotated', { code: await this.newCode(person) })
    return this.rebound(msg.bot, person, 'personal-code', displaced, [fresh])
  }

  /**
   * A contact asked, after new WeChat ids, to confirm that it is `person` (a unique nickname
   * among the members of their staff group, src/chat/nickname-rebind.ts) answered 确认: bound.
   * The chat adapter checked the evidence again before calling this. A person whose code was
   * revoked (seen in a group) gets a new one now.
   */
  async confirmRebind(bot: string, contactId: string, person: string): Promise<string[]> {
    const { store, texts } = this.d
    const displaced = await store.bind(bot, contactId, person)
    const fresh = await store.personalCodes.has(person) ? [] : [texts.t('personal_code', { code: await this.newCode(person) })]
    return this.rebound(bot, person, 'nickname-confirmed', displaced, fresh)
  }

  private async rebound(bot: string, person: string, by: string, displaced: string | undefined, fresh: string[]): Promise<string[]> {
    const { store, texts, dir, log } = this.d
    if (displaced) await tellDisplaced(this.d.guards, displaced, bot) // one contact, one person
    await store.audit('bindings', { kind: 'rebind', actor: person, at: this.d.now(), bot, by })
    log.info('person.rebound', { bot, person, by })
    await this.d.events.emit('rebound', { bot, person })
    return [texts.t('rebind_ok', { name: dir.personName(person), roles: dir.rolesText(person) }), ...fresh, ...await this.askPending(person)]
  }
}
