/**
 * Recognizes a villager's acknowledgment (收到) of a notice. Pure.
 *
 * An acknowledgment is a whole short message: 收到 / 已收到 / 收到了 / 收到！/ 1 / 好的收到 / 👌,
 * optionally naming the notice's code (收到A7K2, A7K2 收到). A question (收到没？ 你们收到了吗)
 * or 收到 inside longer chat is not one.
 *
 * A reply that quotes the notice (wechaty 1.x puts the quote in the text:
 * `「<name>：<quoted text>」\n- - - - - - - - - - - - - - -\n<reply>`) is judged by its reply
 * part, and acknowledges the notice whose code (`编号 A7K2`) is in the quoted text.
 */
import { normalizeChat, stripMentions } from './text.ts'
import { ACK_SEPARATOR, splitQuoteReply } from './quote.ts'
import { MAX_INBOUND_CHARS } from './limits.ts'

export type AckParse = { ack: false } | { ack: true; code?: string }

/** Emoji that mean "got it" on their own. */
const ACK_EMOJI = /^(?:👌|👍|🙏|✅|🆗|👌🏻|👍🏻|🙏🏻)+$/u
/** Words that may come before or after 收到 without changing its meaning. */
const LEAD = '(?:好的|好|嗯|嗯嗯|ok|OK|Ok|是的)?'
const TAIL = '(?:了|啦|咯|喽|哈|谢谢|谢谢通知|明白|明白了|了解|知道了|马上落实|会落实)?'
const ACK_WORDS = new RegExp(`^${LEAD}[,，]?(?:已|已经)?(?:收到|收悉)[,，!！。]?${TAIL}$`)
const QUESTION = /[?？吗嘛么没不]/
const TRAILING = /[\s!！。.~～,，、:：👌👍🙏✅]+$/u
const CODE_ANYWHERE = /(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]{3}(?![A-Za-z0-9])/

/** The name in a quoted message as wechaty 1.x renders it: `「name：quoted」`, a dashed line, the reply (quote.ts). */
const QUOTED_NAME = /^[^：:」]*[：:]/
/** The code line of a posted notice (`—— 朝天区 · 编号 A7K2`). */
const POSTED_CODE = /编号\s*([A-Za-z][A-Za-z0-9]{3})(?![A-Za-z0-9])/

export function parseAck(raw: string): AckParse {
  if (raw.length > MAX_INBOUND_CHARS) return { ack: false } // too long to be an acknowledgment
  const split = splitQuoteReply(raw, ACK_SEPARATOR, true)
  const named = split && QUOTED_NAME.exec(split.quoted)
  const quote = split && named && [raw, '', split.quoted.slice(named[0].length), split.reply]
  if (quote) {
    const reply = parseAck(quote[3])
    if (!reply.ack || reply.code) return reply
    const quoted = POSTED_CODE.exec(quote[2])?.[1].toUpperCase()
    return quoted ? { ack: true, code: quoted } : reply
  }
  return parsePlain(raw)
}

function parsePlain(raw: string): AckParse {
  let text = stripMentions(normalizeChat(raw))
  if (text === '' || text.length > 24) return { ack: false }
  if (ACK_EMOJI.test(text.replace(/\s/g, ''))) return { ack: true }
  if (QUESTION.test(text)) return { ack: false }
  let code: string | undefined
  const m = CODE_ANYWHERE.exec(text)
  if (m) {
    code = m[0].toUpperCase()
    text = text.replace(CODE_ANYWHERE, ' ')
  }
  text = text.replace(/编号/g, '').replace(/^[\s:：,，]+/, '').replace(TRAILING, '').replace(/\s+/g, '')
  if (text === '1' || text === '1️⃣') return code ? { ack: true, code } : { ack: true }
  if (ACK_WORDS.test(text)) return code ? { ack: true, code } : { ack: true }
  return { ack: false }
}
