/** What reaches the spine from chat, and the shapes of the handlers features add to it. */
import type { Command } from '../domain/commands.ts'

/** A message that reached one of the bots. */
export interface Inbound {
  bot: string
  contactId: string
  contactName: string
  /** Set for a group message: the group's topic. */
  topic?: string
  text: string
  /** The platform's message id (for reply idempotency). */
  messageId: string
  /** Text (the default) or an image (its `text` is empty): only feature handlers see images. */
  kind?: 'text' | 'image'
}

/** What a feature's inbound handler sees: the message and, when bound, the sender's person id. */
export interface InboundContext { msg: Inbound; person?: string }
/**
 * A feature's handler of inbound messages (rumor checks, cases, curator commands, …).
 * Returns the replies when the message was its business, `undefined` to pass it on.
 */
export type InboundHandler = (ctx: InboundContext) => Promise<string[] | undefined>

/** Who a help line is shown to. */
export type HelpAudience = 'publisher' | 'approver' | 'grid-worker' | 'anyone-bound'

/** A command kind of the chat parser (domain/commands.ts), and its command. */
export type CommandKind = Command['kind']
export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>
/** Carries out one parsed command of a bound person; returns the replies. */
export type CommandHandler<K extends CommandKind> = (person: string, cmd: CommandOf<K>) => Promise<string[]>
