/**
 * Messages one account receives: its own (echoes that confirm posts), the other Cascade accounts'
 * (kept as echoes of their posts, nothing else), and people's (handed to the app; the replies go through the outbox).
 * Nothing a person types crashes a bot: a failure is logged, and a DM gets a short apology.
 */
import type { MessageInterface, RoomInterface } from 'wechaty/impls'
import { parseCommand } from '../domain/commands.ts'
import { MAX_INBOUND_CHARS } from '../domain/limits.ts'
import { PRIORITY, type SendTarget } from '../queue/outbox.ts'
import { loadedContacts, type Account } from './account.ts'
import { decodeWebText, echoKey } from './echo.ts'
import { unescapeWebEntities } from '../domain/echo-text.ts'
import type { AccountGroups } from './groups.ts'
import type { AccountIdentity } from './identity.ts'
import type { OutboxWorker } from './outbox-worker.ts'

export class Inbound {
  constructor(
    private readonly acc: Account,
    private readonly groups: AccountGroups,
    private readonly identity: AccountIdentity,
    private readonly outbox: OutboxWorker,
  ) {}

  private get app() { return this.acc.app }

  /** Handles one message; never throws. */
  async handle(msg: MessageInterface): Promise<void> {
    try {
      await this.onMessage(msg)
    } catch (err) {
      await this.failed(msg, err)
    }
  }

  private async onMessage(msg: MessageInterface): Promise<void> {
    const room = msg.room()
    // The real client hands texts over with `&` still escaped: a notice is published as typed.
    const text = loadedContacts(this.acc) ? unescapeWebEntities(msg.text()) : msg.text()
    const found = room ? await this.topicOf(room) : undefined
    // A group carrying a configured name that is not (yet) known to be that group: not ours to hear.
    if (found === null) return
    const topic = found
    if (msg.self()) {
      if (topic) this.outbox.onOwnMessage(topic, text)
      return
    }
    const type = msg.type()
    const kind = type === this.acc.wechaty.Message.Type.Text ? 'text' : type === this.acc.wechaty.Message.Type.Image ? 'image' : undefined
    if (!kind) return
    const talker = msg.talker()
    // Another Cascade account in a shared group: not a villager's message, but a post of ours that
    // this account saw go out — kept as an echo, so a peer settling that account's send (frozen or
    // dead after saying) finds it posted instead of posting it again.
    const peer = this.groups.peerContacts.has(talker.id) || (room !== undefined && this.groups.isPeerNickname(talker.name()))
    if (peer) {
      if (!this.groups.peerContacts.has(talker.id)) await this.groups.notePeer(talker.id)
      if (topic && kind === 'text') await this.app.store.sends.recordEcho(topic, echoKey(text), Date.now())
      return
    }
    // A private 确认: a contact asked after new WeChat ids confirming who they are (identity.ts),
    // or 「确认 西村村民群」, a curator vouching for a group held under that name (group-check.ts).
    if (!topic && kind === 'text') {
      const replies = await this.identity.confirm(talker, text) ?? await this.confirmGroup(talker.id, text)
      if (replies) {
        for (const [i, reply] of replies.entries()) {
          await this.app.outboxes.enqueue(this.acc.id, { idem: `reply-${msg.id}-${i}`, target: { kind: 'contact', contactId: talker.id }, text: reply }, PRIORITY.reply)
        }
        return
      }
    }
    // In a group, the member's group nickname (e.g. 3组-李翠英) places them in a household.
    const contactName = room ? await nickname(room, talker) : talker.name()
    const replies = await this.app.handleInbound({ bot: this.acc.id, contactId: talker.id, contactName, topic, text: kind === 'text' ? text : '', messageId: msg.id, kind })
    if (!topic) {
      const cmd = text.length <= MAX_INBOUND_CHARS ? parseCommand(text)?.kind : undefined
      if (cmd === 'bind' || cmd === 'rebind') {
        const person = await this.app.store.personOf(this.acc.id, talker.id)
        if (person) await this.identity.markBound(talker, person)
      }
    }
    const target: SendTarget = topic ? { kind: 'group', topic } : { kind: 'contact', contactId: talker.id }
    // Answers to people who are not bound are chat: sent on the account's smaller chat budget.
    const chat = replies.length > 0 && !await this.app.store.personOf(this.acc.id, talker.id)
    for (const [i, reply] of replies.entries()) {
      await this.app.outboxes.enqueue(this.acc.id, { idem: `reply-${msg.id}-${i}`, target, text: reply, ...(chat ? { chat } : {}) }, PRIORITY.reply)
    }
  }

  /**
   * The configured topic of a room: by id when found at login; a group not saved to contacts
   * shows up when someone speaks in it, and is taken only with evidence that it is the configured
   * group (groups.consider); null for a group under a configured name that is not known to be it.
   * Other groups keep their name (the spine ignores groups no node lists).
   */
  private async topicOf(room: RoomInterface): Promise<string | null> {
    const known = this.groups.topicOf(room.id)
    if (known) return known
    const topic = decodeWebText(await room.topic())
    if (!this.groups.isConfigured(topic)) return topic
    return await this.groups.consider(room, topic) ? topic : null
  }

  /** 「确认 <群名>」: the held group taken when the sender may vouch for it; the reply, if it was that. */
  private async confirmGroup(contactId: string, text: string): Promise<string[] | undefined> {
    const confirmed = await this.groups.check.confirm(contactId, text)
    if (!confirmed) return undefined
    if (confirmed.room && confirmed.topic) await this.groups.adoptKnown(confirmed.room, confirmed.topic)
    return [confirmed.reply]
  }

  private async failed(msg: MessageInterface, err: unknown): Promise<void> {
    this.acc.log.error('message.failed', { err })
    try {
      if (msg.room() || msg.self()) return
      await this.app.outboxes.enqueue(this.acc.id, { idem: `error-${msg.id}`, target: { kind: 'contact', contactId: msg.talker().id }, text: this.app.t('internal_error'), chat: true }, PRIORITY.reply)
    } catch (e) {
      this.acc.log.error('message.apology-failed', { err: e })
    }
  }
}

/** The member's nickname in the group, else their WeChat name. */
async function nickname(room: RoomInterface, contact: { name(): string }): Promise<string> {
  try {
    return (await room.alias(contact as never)) || contact.name()
  } catch {
    return contact.name()
  }
}
