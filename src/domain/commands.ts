/**
 * Chat commands of curators and publishers, parsed from a message text. Pure.
 *
 * Commands start with a Chinese verb; the code and the rest may be separated by spaces or a colon:
 * `通过 A7K2`, `驳回：A7K2 与本村无关`, `修改 A7K2 新的正文`, `进度 a7k2`.
 */
import { ANNOUNCEMENT_CODE_RE, INVITE_CODE_RE, PERSONAL_CODE_RE, type Severity } from './announcement.ts'
import { isBlank, normalizeChat, stripMentions } from './text.ts'
import { COMMAND_SEPARATOR, splitQuoteReply } from './quote.ts'
import { MAX_INBOUND_CHARS } from './limits.ts'

export type Command =
  | { kind: 'publish'; text: string; severity?: Severity }
  | { kind: 'approve'; code: string }
  | { kind: 'reject'; code: string; reason: string }
  | { kind: 'edit'; code: string; text: string }
  | { kind: 'progress'; code: string }
  | { kind: 'bind'; invite: string }
  /** A personal code (given at the first binding) that restores a binding after WeChat gave new ids. */
  | { kind: 'rebind'; personal: string }
  | { kind: 'help' }
  | { kind: 'todo' }
  | { kind: 'classify'; code: string; category: string }
  | { kind: 'update'; code: string; text: string }
  | { kind: 'cancel'; code: string; reason: string }
  /** `定时 <时间> <正文>`: `when` is the time as typed; the app resolves it (see parseWhen). */
  | { kind: 'schedule'; when: string; text: string }
  | { kind: 'drill'; text: string }
  /** `通过 系列 S1`: a curator approves a series once at their nodes (src/features/series/). */
  | { kind: 'approve-series'; id: string }
  /** A known verb with missing or bad arguments: answer with the verb's usage. */
  | { kind: 'malformed'; verb: Verb; problem: 'code' | 'text' | 'reason' }

export type Verb = '发布' | '通过' | '驳回' | '修改' | '进度' | '帮助' | '绑定' | '待办' | '分类' | '更正' | '撤回' | '定时' | '演练'

const VERBS: Verb[] = ['发布', '通过', '驳回', '修改', '进度', '帮助', '绑定', '待办', '分类', '更正', '撤回', '定时', '演练']

/** Severity words a publisher may put before the text. */
const SEVERITY_WORDS: Record<string, Severity> = { 紧急: 'urgent', 一般: 'normal', 参考: 'info' }

/** How each verb is used, for help texts. */
export const USAGE: Record<Verb, string> = {
  发布: '发布 [紧急|一般|参考] <正文>（不写级别即为紧急）',
  通过: '通过 <编号>',
  驳回: '驳回 <编号> <理由>',
  修改: '修改 <编号> <新正文>',
  进度: '进度 <编号>',
  帮助: '帮助',
  绑定: '绑定 <邀请码>',
  待办: '待办',
  分类: '分类 <编号> <类别>',
  更正: '更正 <编号> <新正文>',
  撤回: '撤回 <编号> <理由>',
  定时: '定时 <时间，如 20:30 或 明天 08:00 或 2026-12-01 08:00> <正文>',
  演练: '演练 <正文>',
}

/** Splits `<code> <rest>` after a verb. The code is upper-cased. */
function codeAndRest(args: string): { code?: string; rest: string } {
  const m = /^([A-Za-z0-9Ａ-Ｚａ-ｚ０-９]{4})(?:[\s:：,，]+|$)([\s\S]*)$/.exec(args)
  if (!m) return { rest: args }
  const code = m[1].normalize('NFKC').toUpperCase()
  if (!ANNOUNCEMENT_CODE_RE.test(code)) return { rest: args }
  return { code, rest: m[2].trim() }
}

/**
 * Parses a chat text into a command, or `undefined` when the text is not a command at all
 * (ordinary chat, an acknowledgment, …).
 */
export function parseCommand(raw: string): Command | undefined {
  if (raw.length > MAX_INBOUND_CHARS) return undefined // too long to be a command (the app never passes one)
  const cmd = parseRaw(raw)
  // A text or reason of only zero-width, direction or space characters is none (issue 23, item 6).
  if (cmd && 'text' in cmd && isBlank(cmd.text)) return { kind: 'malformed', verb: VERB_OF[cmd.kind]!, problem: 'text' }
  if (cmd && 'reason' in cmd && isBlank(cmd.reason)) return { kind: 'malformed', verb: VERB_OF[cmd.kind]!, problem: 'reason' }
  return cmd
}

/** The verb of a command that carries free text. */
const VERB_OF: Partial<Record<Command['kind'], Verb>> = { publish: '发布', drill: '演练', schedule: '定时', edit: '修改', update: '更正', reject: '驳回', cancel: '撤回' }

function parseRaw(raw: string): Command | undefined {
  const quote = splitQuoteReply(raw.trim(), COMMAND_SEPARATOR)
  if (quote) return parseQuoteReply(quote.quoted, quote.reply)
  const head = stripMentions(normalizeChat(raw))
  if (INVITE_CODE_RE.test(head.toUpperCase())) return { kind: 'bind', invite: normalizeInvite(head) }
  if (PERSONAL_CODE_RE.test(head.toUpperCase())) return { kind: 'rebind', personal: normalizePersonalCode(head) }
  // Verbs and codes are read from the normalized text; free text (正文, 理由) keeps the
  // curator's own characters, full-width punctuation and line breaks included.
  const text = stripMentions(raw.trim())
  const verb = VERBS.find(v => text.startsWith(v))
  if (!verb) return undefined
  // A verb runs into ordinary words (通过了村口, 发布会) only in chat, never in a command.
  const next = text.charAt(verb.length)
  if (next && !/[\s:：A-Za-z0-9Ａ-Ｚａ-ｚ０-９]/.test(next)) return undefined
  const args = text.slice(verb.length).replace(/^[\s:：]+/, '')
  switch (verb) {
    case '帮助': return args === '' ? { kind: 'help' } : undefined
    case '待办': return args === '' ? { kind: 'todo' } : undefined
    case '演练': return args ? { kind: 'drill', text: args } : { kind: 'malformed', verb, problem: 'text' }
    case '定时': {
      const m = WHEN.exec(args)
      return m && m[2].trim() ? { kind: 'schedule', when: m[1].trim(), text: m[2].trim() } : { kind: 'malformed', verb, problem: 'text' }
    }
    case '发布': {
      const level = /^(紧急|一般|参考)[\s:：]+([\s\S]+)$/.exec(args)
      if (level) return { kind: 'publish', text: level[2].trim(), severity: SEVERITY_WORDS[level[1]] }
      return args ? { kind: 'publish', text: args } : { kind: 'malformed', verb, problem: 'text' }
    }
    case '绑定': {
      const invite = args.toUpperCase()
      if (PERSONAL_CODE_RE.test(invite)) return { kind: 'rebind', personal: normalizePersonalCode(invite) }
      return INVITE_CODE_RE.test(invite) ? { kind: 'bind', invite: normalizeInvite(invite) } : { kind: 'malformed', verb, problem: 'code' }
    }
  }
  const series = verb === '通过' ? /^系列[\s:：]*([A-Za-z][A-Za-z0-9]{0,7})$/.exec(args.normalize('NFKC')) : null
  if (series) return { kind: 'approve-series', id: series[1].toUpperCase() }
  const { code, rest } = codeAndRest(args)
  if (!code) return { kind: 'malformed', verb, problem: 'code' }
  switch (verb) {
    case '通过': return rest === '' ? { kind: 'approve', code } : { kind: 'malformed', verb, problem: 'code' }
    case '进度': return rest === '' ? { kind: 'progress', code } : { kind: 'malformed', verb, problem: 'code' }
    case '驳回': return rest ? { kind: 'reject', code, reason: rest } : { kind: 'malformed', verb, problem: 'reason' }
    case '修改': return rest ? { kind: 'edit', code, text: rest } : { kind: 'malformed', verb, problem: 'text' }
    case '分类': return rest ? { kind: 'classify', code, category: rest } : { kind: 'malformed', verb, problem: 'text' }
    case '更正': return rest ? { kind: 'update', code, text: rest } : { kind: 'malformed', verb, problem: 'text' }
    case '撤回': return rest ? { kind: 'cancel', code, reason: rest } : { kind: 'malformed', verb, problem: 'reason' }
  }
}

/** `k7p2qx9m4trw` and `K7P2-QX9M-4TRW` are the same personal code. */
export function normalizePersonalCode(text: string): string {
  const bare = text.toUpperCase().replace(/[^A-Z0-9]/g, '')
  return `${bare.slice(0, 4)}-${bare.slice(4, 8)}-${bare.slice(8, 12)}`
}

/** `k7p2qx9m` and `K7P2-QX9M` are the same invite. */
export function normalizeInvite(text: string): string {
  const bare = text.toUpperCase().replace(/[^A-Z0-9]/g, '')
  return `${bare.slice(0, 4)}-${bare.slice(4, 8)}`
}

/**
 * A quote reply as WeChat (web) renders it: `「名字：被引用的消息」`, a dashed line, the reply.
 * Replying `通过` (or `驳回 理由`, …) to an approval request takes the code from the quoted request.
 */
const QUOTED_CODE = /编号\s*([A-Z][A-Z0-9]{3})/

function parseQuoteReply(quoted: string, reply: string): Command | undefined {
  const direct = parseCommand(reply)
  if (direct?.kind !== 'malformed' || direct.problem !== 'code') return direct
  const code = QUOTED_CODE.exec(quoted)?.[1]
  if (!code) return direct
  const text = stripMentions(reply.trim())
  return parseCommand(`${direct.verb} ${code} ${text.slice(direct.verb.length).trim()}`)
}

/** `20:30 正文`, `明天 08:00 正文`, `2026-12-01 08:00 正文`, `12-01 08:00 正文`. */
const WHEN = /^((?:今天|明天|后天|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2})?\s*\d{1,2}[:：]\d{2})\s+([\s\S]*)$/

const BEIJING_MS = 8 * 3600 * 1000

/**
 * Resolves a time as typed (Beijing time) to epoch ms, or undefined when it cannot be read.
 * A bare `HH:MM` already past today means tomorrow.
 */
export function parseWhen(when: string, now: number): number | undefined {
  const m = /^(今天|明天|后天|(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})-(\d{1,2}))?\s*(\d{1,2})[:：](\d{2})$/.exec(when.normalize('NFKC').trim())
  if (!m) return undefined
  const [hh, mm] = [Number(m[7]), Number(m[8])]
  if (hh > 23 || mm > 59) return undefined
  const local = new Date(now + BEIJING_MS)
  let [y, mo, d] = [local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()]
  if (m[2]) [y, mo, d] = [Number(m[2]), Number(m[3]) - 1, Number(m[4])]
  else if (m[5]) [mo, d] = [Number(m[5]) - 1, Number(m[6])]
  else if (m[1] === '明天') d += 1
  else if (m[1] === '后天') d += 2
  let at = Date.UTC(y, mo, d, hh, mm) - BEIJING_MS
  if (!m[1] && at <= now) at += 24 * 3600 * 1000
  return at
}
