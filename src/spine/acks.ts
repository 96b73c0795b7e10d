/**
 * Acknowledgments: a villager's 收到 counted once against the right notice, and the bot
 * accounts' own contact ids (never counted, never handled).
 */
import type { Store } from '../store/store.ts'
import type { Logger } from '../infra/log.ts'
import type { EventBus } from './events.ts'
import type { Inbound } from './inbound.ts'

/** An acknowledgment counts for the latest notice of a group within this window. */
export const ACK_WINDOW_MS = 72 * 3600 * 1000
/** How long the bot accounts' contact ids are cached (they change only at a login). */
export const BOT_CONTACTS_TTL_MS = 5_000

export class Acks {
  private botContactsCache?: { at: number; ids: Promise<Set<string>> }

  constructor(private readonly d: { store: Store; events: EventBus; now: () => number; log: Logger }) {}

  /**
   * The bot accounts' contact ids, read from Redis at most every BOT_CONTACTS_TTL_MS: they
   * change only when an account logs in, and reading them per group message cost a round trip
   * per acknowledgment (bench/acks-bench.ts).
   */
  botContacts(): Promise<Set<string>> {
    // Wall-clock, not `this.now`: a cache must expire even where tests fix the domain's clock.
    if (!this.botContactsCache || Date.now() - this.botContactsCache.at > BOT_CONTACTS_TTL_MS) {
      this.botContactsCache = { at: Date.now(), ids: this.d.store.botContacts() }
    }
    return this.botContactsCache.ids
  }

  /**
   * Records a villager's 收到 against the announcement named in it, or the latest
   * acknowledgment-required one posted in that group within the window. Silent.
   */
  async recordAck(msg: Inbound & { topic: string }, named?: string): Promise<boolean> {
    const { store } = this.d
    if ((await this.botContacts()).has(msg.contactId)) return false
    let code: string | undefined
    if (named && await store.delivery(named, msg.topic)) code = named
    if (!code) {
      const latest = await store.latestInGroup(msg.topic)
      if (!latest || this.d.now() - latest.createdAt > ACK_WINDOW_MS) return false
      code = latest.code
    }
    const at = this.d.now()
    const recorded = await store.recordAck(code, msg.contactId, { topic: msg.topic, name: msg.contactName, at, code })
    this.d.log.debug('ack', { code, topic: msg.topic, recorded })
    if (recorded) await this.d.events.emit('ack', { code, topic: msg.topic, contactId: msg.contactId, name: msg.contactName, at })
    return recorded
  }
}
