/**
 * Cases: villagers' tips (举报) and help requests (求助) that always get an answer. Pure: the
 * case record and its legal moves, case codes, the chat commands of villagers and staff, SLA
 * deadlines and escalation steps. Times are epoch milliseconds passed in by the caller.
 *
 * A case is `open` when reported, `taken` when a responsible person took it (接单), `transferred`
 * when handed to another node (转交; it waits to be taken there, like `open`), and `closed` (办结).
 */
import { normalizeChat, stripMentions } from './text.ts'

export type CaseKind = 'tip' | 'help'
export const CASE_KINDS: readonly CaseKind[] = ['tip', 'help']

export type CaseState = 'open' | 'taken' | 'transferred' | 'closed'
export const CASE_STATES: readonly CaseState[] = ['open', 'taken', 'transferred', 'closed']

/** States in which a case still waits to be taken (its take-SLA runs). */
export const WAITING_STATES: readonly CaseState[] = ['open', 'transferred']
/** States in which staff may still act on a case (reply, close, transfer). */
export const ACTIVE_STATES: readonly CaseState[] = ['open', 'taken', 'transferred']

/** The villager's word for each kind, as typed in chat. */
export const KIND_VERB = { tip: '举报', help: '求助' } as const satisfies Record<CaseKind, string>

/** Who reported: a contact as seen by the account that received the message (villagers are not bound). */
export interface Reporter {
  bot: string
  contactId: string
  name: string
}

export interface Case {
  /** e.g. `C3F9KX`: `C` and five characters of the unambiguous alphabet (`C3F9` before issue 13). */
  code: string
  kind: CaseKind
  text: string
  state: CaseState
  /** The node responsible now (the reporter's village, or where it was transferred to). */
  node: string
  reporter: Reporter
  /** Where it came in: the group's topic, absent for a DM. Never shown in the group again. */
  topic?: string
  openedAt: number
  /** Person ids who may act on the case (assignees, plus those reached by escalation). */
  responsible: string[]
  /** Why the routing is uncertain (e.g. the village could not be told), shown to staff. */
  routeNote?: string
  /** Bumped at each transfer: timers of an earlier generation do nothing. */
  generation: number
  /** When the current take-SLA started (opening, or the last transfer). */
  slaFrom: number
  /** Escalation steps already taken in this generation. */
  escalations: number
  photos: number
  takenBy?: string
  takenAt?: number
  closedBy?: string
  closedAt?: number
  result?: string
  transferredFrom?: string
  verifiedBy?: string
  verifiedAt?: number
}

/** One line of a case's history (kept in Redis as a stream per case). */
export interface CaseEvent {
  kind: 'open' | 'assign' | 'unreachable' | 'escalate' | 'take' | 'reply' | 'close' | 'transfer' | 'verify' | 'photo' | 'overdue' | 'duplicate'
  at: number
  actor?: string
  node?: string
  text?: string
  step?: number
}

// ── codes ───────────────────────────────────────────────────────────────────

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789' // no I, O, 0, 1
/**
 * A case code: `C` then five characters of the unambiguous alphabet (32⁵ ≈ 33 million, so the
 * space never fills and codes are not guessed); codes of three, given before, are still read.
 */
export const CASE_CODE_RE = /^C(?:[A-HJ-NP-Z2-9]{5}|[A-HJ-NP-Z2-9]{3})$/
/** Characters after the `C` of a new code. */
export const CASE_CODE_CHARS = 5

export function newCaseCode(random: () => number = Math.random): string {
  let code = 'C'
  for (let i = 0; i < CASE_CODE_CHARS; i++) code += CODE_ALPHABET[Math.floor(random() * CODE_ALPHABET.length)]
  return code
}

// ── chat commands ───────────────────────────────────────────────────────────

export type StaffVerb = '接单' | '回复' | '办结' | '转交' | '属实'
const STAFF_VERBS: StaffVerb[] = ['接单', '回复', '办结', '转交', '属实']
/** Verbs whose code must be followed by text (the reply, the result, the target node). */
const NEEDS_TEXT: ReadonlySet<StaffVerb> = new Set(['回复', '办结', '转交'])

/** How each command is used, for help texts and malformed input. */
export const CASE_USAGE: Record<StaffVerb | '举报' | '求助', string> = {
  举报: '举报 <情况>，如：举报 村口有外地车辆进村',
  求助: '求助 <需要什么>，如：求助 孩子的特殊奶粉快没了',
  接单: '接单 <事项编号>',
  回复: '回复 <事项编号> <告诉反映人的话>',
  办结: '办结 <事项编号> <办理结果>',
  转交: '转交 <事项编号> <单位名称或编号>',
  属实: '属实 <事项编号>（举报经核实属实）',
}

export type CaseCommand =
  | { kind: 'report'; caseKind: CaseKind; text: string }
  | { kind: 'take'; code: string }
  | { kind: 'reply'; code: string; text: string }
  | { kind: 'close'; code: string; result: string }
  | { kind: 'transfer'; code: string; to: string }
  | { kind: 'verify'; code: string }
  | { kind: 'malformed'; verb: StaffVerb | '举报' | '求助' }

/**
 * Parses a chat text into a case command, or `undefined` when it is not one. Villagers may write
 * `举报村口有人聚集` without a space; staff verbs must be followed by a space, colon or the code.
 */
export function parseCaseCommand(raw: string): CaseCommand | undefined {
  const text = stripMentions(raw.trim())
  for (const caseKind of CASE_KINDS) {
    const verb = KIND_VERB[caseKind]
    if (!text.startsWith(verb)) continue
    const body = text.slice(verb.length).replace(/^[\s:：,，。.!！]+/, '').trim()
    return body ? { kind: 'report', caseKind, text: body } : { kind: 'malformed', verb }
  }
  const verb = STAFF_VERBS.find(v => text.startsWith(v))
  if (!verb) return undefined
  const next = text.charAt(verb.length)
  if (next && !/[\s:：A-Za-z0-9Ａ-Ｚａ-ｚ０-９]/.test(next)) return undefined
  const m = /^[\s:：]*([A-Za-z0-9Ａ-Ｚａ-ｚ０-９]{6}|[A-Za-z0-9Ａ-Ｚａ-ｚ０-９]{4})(?=[\s:：,，]|$)[\s:：,，]*([\s\S]*)$/.exec(text.slice(verb.length))
  const code = m?.[1].normalize('NFKC').toUpperCase()
  if (!m || !code || !CASE_CODE_RE.test(code)) return { kind: 'malformed', verb }
  const rest = m[2].trim()
  if (NEEDS_TEXT.has(verb) !== (rest !== '')) return { kind: 'malformed', verb }
  switch (verb) {
    case '接单': return { kind: 'take', code }
    case '属实': return { kind: 'verify', code }
    case '回复': return { kind: 'reply', code, text: rest }
    case '办结': return { kind: 'close', code, result: rest }
    case '转交': return { kind: 'transfer', code, to: rest }
  }
}

/**
 * The text as compared for duplicates: width-normalized, lower-case, without spaces, mentions
 * and punctuation, so `举报：村口 有人！` and `举报 村口有人` are the same report.
 */
export function normalizeReport(text: string): string {
  return stripMentions(normalizeChat(text)).toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '')
}

// ── SLAs and escalation ─────────────────────────────────────────────────────

export interface KindSla {
  /** A case of this kind must be taken within this many minutes (may be fractional). */
  takeWithinMinutes: number
  /** And closed within this many hours of opening, when set. */
  closeWithinHours?: number
}

/** Who an escalation step reaches: the case's own node (curators and backups) or the node above. */
export type EscalationTarget = 'node' | 'parent'

export interface EscalationStep {
  to: EscalationTarget
  /** Minutes after the previous step (the first: after the take deadline). */
  afterMinutes: number
}

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000

/** When the case must be taken by (in its current generation). */
export function takeDeadline(c: Pick<Case, 'slaFrom'>, sla: KindSla): number {
  return c.slaFrom + sla.takeWithinMinutes * MINUTE_MS
}

/** When the case must be closed by, or undefined when its kind has no close SLA. */
export function closeDeadline(c: Pick<Case, 'openedAt'>, sla: KindSla): number | undefined {
  return sla.closeWithinHours === undefined ? undefined : c.openedAt + sla.closeWithinHours * HOUR_MS
}

/** The time of escalation step `step` (0-based) for a case not taken, or undefined past the last step. */
export function escalationAt(c: Pick<Case, 'slaFrom'>, sla: KindSla, steps: readonly EscalationStep[], step: number): number | undefined {
  if (step < 0 || step >= steps.length) return undefined
  let at = takeDeadline(c, sla)
  for (let i = 0; i <= step; i++) at += steps[i].afterMinutes * MINUTE_MS
  return at
}

/** Whether a timer of (generation, step) still applies to the case as it is now. */
export function escalationDue(c: Case, generation: number, step: number): boolean {
  return WAITING_STATES.includes(c.state) && c.generation === generation && c.escalations === step
}

/** `10 分钟`, `2 小时`, `1.5 小时`, `30 秒` — a duration for chat texts. */
export function durationZh(minutes: number): string {
  if (minutes < 1) return `${Math.max(1, Math.round(minutes * 60))} 秒`
  if (minutes < 60) return `${round1(minutes)} 分钟`
  if (minutes < 48 * 60) return `${round1(minutes / 60)} 小时`
  return `${round1(minutes / 1440)} 天`
}

function round1(x: number): number { return Math.round(x * 10) / 10 }

/** Chinese name of a state, for chat and the command line. */
export function caseStateZh(s: CaseState): string {
  return { open: '待接单', taken: '处理中', transferred: '已转交待接单', closed: '已办结' }[s]
}
