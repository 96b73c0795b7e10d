/**
 * What re-binding by nickname keeps (src/chat/nickname-rebind.ts): the nickname each bound
 * person's contact had on an account, and the confirmation requests sent after new WeChat ids.
 * Neither binds anyone by itself: a request only names the person a contact may confirm as.
 */
import { displayName } from '../domain/text.ts'
import type { Store } from './store.ts'

/** How long a contact asked to confirm who they are may answer. */
export const REBIND_ASK_TTL_S = 24 * 3600

export class RebindRecords {
  constructor(private readonly store: Store) {}

  private get redis() { return this.store.redis }
  private get keys() { return this.store.keys }

  /** Remembers the nickname a person's contact on `bot` has now. */
  async recordNickname(bot: string, person: string, nickname: string): Promise<void> {
    if (nickname) await this.redis.hset(this.keys.boundNicknames(bot), person, displayName(nickname))
  }

  /** person → nickname, as recorded on `bot`. */
  async nicknames(bot: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.keys.boundNicknames(bot))))
  }

  /** Updates several recorded nicknames at once (a login that saw people renamed). */
  async recordNicknames(bot: string, changed: Map<string, string>): Promise<void> {
    if (changed.size) await this.redis.hset(this.keys.boundNicknames(bot), Object.fromEntries([...changed].map(([p, n]) => [p, displayName(n)])))
  }

  /** Records that `contactId` was asked to confirm being `person`; false when it already was. */
  async ask(bot: string, contactId: string, person: string): Promise<boolean> {
    const key = this.keys.rebindAsk(bot, contactId)
    const before = await this.redis.set(key, person, 'EX', REBIND_ASK_TTL_S, 'GET')
    return before !== person
  }

  /** Takes the request a contact was sent (once: a second answer finds nothing). */
  async takeAsk(bot: string, contactId: string): Promise<string | undefined> {
    return (await this.redis.getdel(this.keys.rebindAsk(bot, contactId))) ?? undefined
  }
}
