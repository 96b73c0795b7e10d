/**
 * Guards against abuse (issue 13): what a stranger, a villager or a single curator can make the
 * bots do. The spine and the features call these at a few hooks; the limits are in
 * src/domain/limits.ts.
 */
import { STRANGER_ANSWER_TTL_S } from '../domain/limits.ts'
import { idPart } from '../queue/outbox.ts'
import type { Cascade, Inbound } from './cascade.ts'

/** Every account in a group sees a message; the first to see it acts, for this long. */
const SAME_MESSAGE_WINDOW_MS = 10_000

/**
 * The answer to someone who is not bound ("not bound", "staff only"): once per contact and
 * account a day, then silence, so a stranger writing 45 times gets one answer, not 45.
 */
export async function answerStrangerOnce(app: Cascade, msg: Pick<Inbound, 'bot' | 'contactId'>, text: string): Promise<string[]> {
  const key = `${app.store.keys.base}stranger:${msg.bot}:${msg.contactId}`
  const first = (await app.store.redis.set(key, '1', 'EX', STRANGER_ANSWER_TTL_S, 'NX')) === 'OK'
  if (!first) app.log.debug('stranger.silenced', { bot: msg.bot })
  return first ? [text] : []
}

/**
 * A staff command (发布, 通过, 待办, 进度, 接单, 辟谣 …) typed in a group: not acted on, and nothing
 * said in the group (it may hold villagers: no pending text, no rejection reason). The person is
 * told in a private chat, once per message whichever account sees it first.
 */
export async function staffCommandInGroup(app: Cascade, msg: Inbound & { topic?: string }, person: string): Promise<string[]> {
  const topic = msg.topic ?? ''
  const key = `${app.store.keys.base}groupcmd:${idPart(`${topic}\n${person}\n${msg.text}`)}`
  if ((await app.store.redis.set(key, msg.bot, 'PX', SAME_MESSAGE_WINDOW_MS, 'NX')) !== 'OK') return []
  app.log.info('command.in-group', { bot: msg.bot, person })
  if (app.hasRole(person)) await app.tell(person, app.groupOf(topic)?.node, `private-only-${msg.bot}-${msg.messageId}`, app.t('command_private_only', { topic }))
  return []
}
