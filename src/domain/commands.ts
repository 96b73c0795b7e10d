/**
 * Chat commands of curators and publishers, parsed from a message text. Pure.
 *
 * Commands start with a Chinese verb; the code and the rest may be separated by spaces or a colon:
 * `通过 A7K2`, `驳回：A7K2 与本村无关`, `修改 A7K2 新的正文`, `进度 a7k2`.
 */
import { ANNOUNCEMENT_CODE_RE, INVITE_CODE_RE } from './announcement.ts'
import { normalizeChat, stripMentions } from './text.ts'

export type Command =
  | { kind: 'publish'; text: string }
  | { kind: 'approve'; code: string }
  | { kind: 'reject'; code: string; reason: string }
  | { kind: 'edit'; code: string; text: string }
  | { kind: 'progress'; code: string }
  | { kind: 'bind'; invite: string }
  | { kind: 'help' }
  /** A known verb with missing or bad arguments: answer with the verb's usage. */
  | { kind: 'malformed'; verb: Verb; problem: 'code' | 'text' | 'reason' }

export type Verb = '发布' | '通过' | '驳回' | '修改' | '进度' | '帮助' | '绑定'

const VERBS: Verb[] = ['发布', '通过', '驳回', '修改', '进度', '帮助', '绑定']

/** How each verb is used, for help texts. */
export const USAGE: Record<Verb, string> = {
  发布: '发布 <正文>',
  通过: '通过 <编号>',
  驳回: '驳回 <编号> <理由>',
  修改: '修改 <编号> <新正文>',
  进度: '进度 <编号>',
  帮助: '帮助',
  绑定: '绑定 <邀请码>',
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
  const head = stripMentions(normalizeChat(raw))
  if (INVITE_CODE_RE.test(head.toUpperCase())) return { kind: 'bind', invite: normalizeInvite(head) }
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
    case '发布': return args ? { kind: 'publish', text: args } : { kind: 'malformed', verb, problem: 'text' }
    case '绑定': {
      const invite = args.toUpperCase()
      return INVITE_CODE_RE.test(invite) ? { kind: 'bind', invite: normalizeInvite(invite) } : { kind: 'malformed', verb, problem: 'code' }
    }
  }
  const { code, rest } = codeAndRest(args)
  if (!code) return { kind: 'malformed', verb, problem: 'code' }
  switch (verb) {
    case '通过': return rest === '' ? { kind: 'approve', code } : { kind: 'malformed', verb, problem: 'code' }
    case '进度': return rest === '' ? { kind: 'progress', code } : { kind: 'malformed', verb, problem: 'code' }
    case '驳回': return rest ? { kind: 'reject', code, reason: rest } : { kind: 'malformed', verb, problem: 'reason' }
    case '修改': return rest ? { kind: 'edit', code, text: rest } : { kind: 'malformed', verb, problem: 'text' }
  }
}

/** `k7p2qx9m` and `K7P2-QX9M` are the same invite. */
export function normalizeInvite(text: string): string {
  const bare = text.toUpperCase().replace(/[^A-Z0-9]/g, '')
  return `${bare.slice(0, 4)}-${bare.slice(4, 8)}`
}
