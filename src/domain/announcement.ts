/**
 * Announcements, relays and deliveries: the records of the relay spine and their legal moves.
 * Pure: no I/O; times are passed in as epoch milliseconds.
 */

export type Severity = 'urgent' | 'normal' | 'info'
export const SEVERITIES: readonly Severity[] = ['urgent', 'normal', 'info']
export type AnnouncementType = 'alert' | 'update' | 'cancel'
export type AnnouncementStatus = 'actual' | 'exercise'

export interface Announcement {
  /** Short human-typable code, e.g. `A7K2`. */
  code: string
  version: number
  type: AnnouncementType
  /** For update/cancel: the code of the announcement they refer to. */
  references?: string
  originNode: string
  /** Person id of the publisher. */
  author: string
  category: string
  severity: Severity
  status: AnnouncementStatus
  text: string
  createdAt: number
  ackRequired: boolean
  expiresAt?: number
  /** Set when a later `cancel` withdrew this announcement (the cancel's code). */
  cancelledBy?: string
  /** For a scheduled announcement: when it goes out (it is not relayed before). */
  scheduledAt?: number
  /** Whether it has gone out (false only while a scheduled one waits). */
  released?: boolean
  /** A run of a series (src/features/series/): its id, the approved content's hash and the run's key. */
  series?: { id: string; hash: string; run: string }
  /**
   * Handed down by the province (src/features/province/): its name, namespace and code there. Its
   * origin relay (this district's root) waits for the root's curators like any tier's.
   */
  handoff?: Handoff
}

export interface Handoff { province: string; ns: string; code: string }

/** The life of an announcement at one node. Only `pending` may change. */
export type RelayState = 'pending' | 'approved' | 'edited' | 'rejected' | 'expired' | 'withdrawn'
export const RELAY_STATES: readonly RelayState[] = ['pending', 'approved', 'edited', 'rejected', 'expired', 'withdrawn']

export type AutoReason = 'timeout' | 'policy' | 'correction' | 'series'

export interface Relay {
  code: string
  node: string
  parent?: string
  state: RelayState
  /** The text as it came down from the parent. */
  text: string
  /** The text this node forwards (differs from `text` after an edit). */
  finalText?: string
  openedAt: number
  decidedBy?: string
  decidedAt?: number
  reason?: string
  /** Category as classified on the way down (`分类`); tiers below see it. */
  category?: string
  /** Forwarded without review by policy (labelled in the post and recorded in the audit). */
  auto?: boolean
  /** Why it went on without review: the policy's wait ran out, the node takes notices unreviewed (autoForwardAfter 0), or an urgent correction. */
  autoReason?: AutoReason
  /** When its forward ran to the end (posts queued, children opened); recovery re-runs it otherwise. */
  forwardedAt?: number
}

/**
 * queued → sending (the worker took it, atomically) → sent → confirmed; or failed after retries;
 * or withdrawn while still queued (cancelled, expired): a withdrawn post never goes out.
 */
export type DeliveryState = 'queued' | 'sending' | 'sent' | 'confirmed' | 'failed' | 'withdrawn'

/** One post of one announcement version to one group. */
export interface Delivery {
  code: string
  node: string
  topic: string
  state: DeliveryState
  bot: string
  queuedAt: number
  sentAt?: number
  confirmedAt?: number
  error?: string
  /** Members of the group other than bots, counted when the post was sent. */
  members?: number
}

export type Decision =
  | { action: 'approve' }
  | { action: 'edit'; text: string }
  | { action: 'reject'; reason: string }

/** The relay after a curator's decision. The caller makes the change atomic (pending → decided). */
export function decideRelay(relay: Relay, decision: Decision, actor: string, now: number): Relay {
  if (relay.state !== 'pending') throw new Error(`relay ${relay.code}/${relay.node} is ${relay.state}, not pending`)
  const decided = { ...relay, decidedBy: actor, decidedAt: now }
  switch (decision.action) {
    case 'approve': return { ...decided, state: 'approved', finalText: relay.text }
    case 'edit': return { ...decided, state: 'edited', finalText: decision.text }
    case 'reject': return { ...decided, state: 'rejected', reason: decision.reason }
  }
}

/** True when a relay's decision sends the announcement on to the node's groups and children. */
export function forwards(state: RelayState): boolean {
  return state === 'approved' || state === 'edited'
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789' // no I, O, 0, 1: easy to read aloud and type
const CODE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ'

/** A new announcement code: a letter, then three of letters/digits (e.g. `A7K2`). */
export function newAnnouncementCode(random: () => number = Math.random): string {
  let code = CODE_LETTERS[Math.floor(random() * CODE_LETTERS.length)]
  for (let i = 0; i < 3; i++) code += CODE_ALPHABET[Math.floor(random() * CODE_ALPHABET.length)]
  return code
}

/** A one-time invite code, e.g. `K7P2-QX9M`: 8 characters of the unambiguous alphabet, digits among them. */
export function newInviteCode(random: () => number = Math.random): string {
  let code = ''
  while (!/\d/.test(code)) {
    code = ''
    for (let i = 0; i < 8; i++) code += CODE_ALPHABET[Math.floor(random() * CODE_ALPHABET.length)]
  }
  return `${code.slice(0, 4)}-${code.slice(4)}`
}

export const ANNOUNCEMENT_CODE_RE = /^[A-Z][A-Z0-9]{3}$/
export const INVITE_CODE_RE = /^[A-Z0-9]{4}-?[A-Z0-9]{4}$/
export const PERSONAL_CODE_RE = /^[A-Z0-9]{4}-?[A-Z0-9]{4}-?[A-Z0-9]{4}$/

/**
 * A person's own code, e.g. `K7P2-QX9M-4TRW`, given once at binding (12 characters, ~59 bits
 * from the caller's cryptographic source): after WeChat gives new contact ids, the person proves who they
 * are by sending it. Only its hash is stored.
 */
export function newPersonalCode(bytes: Uint8Array): string {
  if (bytes.length < 12) throw new Error('a personal code needs 12 random bytes')
  let code = ''
  for (const b of bytes.subarray(0, 12)) code += CODE_ALPHABET[b % CODE_ALPHABET.length]
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`
}

/** At most this many candidates are taken from one message (each is looked up once). */
export const MAX_CODE_CANDIDATES = 256
/** How far into a message a code is looked for (a message may be long; a code is typed near the start). */
export const MAX_CODE_SCAN_CHARS = 10_000

/** The codes' characters, by char code (ASCII only). */
const IN_ALPHABET: boolean[] = Array.from({ length: 128 }, (_, c) => CODE_ALPHABET.includes(String.fromCharCode(c)))
/** What people put between a code's characters (spaces of every kind, dashes, dots, underscores). */
const SEPARATOR = /[\s\u200b-\u200d\uFEFF\-_.·\u2010-\u2015－＿．]/
const isSeparator = (c: number) => c === 32 || (c < 128 ? c === 45 || c === 95 || c === 46 || (c >= 9 && c <= 13) : SEPARATOR.test(String.fromCharCode(c)))

/** A character as a code would read it: upper case, full-width letters and digits as ASCII (as NFKC does). */
function codeChar(c: number): number {
  if (c >= 0xFF10 && c <= 0xFF5A) c -= 0xFEE0 // full-width ０-９, Ａ-Ｚ, ａ-ｚ (and what lies between)
  return c >= 97 && c <= 122 ? c - 32 : c
}

/**
 * Every string in a text that could be a personal code, normalised (`K7P2-QX9M-4TRW`): a code
 * typed in a group is found inside a longer message too — in lower case, full-width, or with
 * spaces or dashes anywhere in it. Separators are skipped, and each 12 characters in a row from
 * the codes' alphabet is a candidate (a run of 15 gives 4), the first MAX_CODE_CANDIDATES of them,
 * in the first MAX_CODE_SCAN_CHARS characters (five times what a command may be). One pass.
 */
export function personalCodesIn(text: string): string[] {
  const out = new Set<string>()
  let win = '' // the last (up to) 12 characters of the current run
  let tried = 0
  const end = Math.min(text.length, MAX_CODE_SCAN_CHARS)
  for (let i = 0; i < end && tried < MAX_CODE_CANDIDATES; i++) {
    const c = codeChar(text.charCodeAt(i))
    if (c < 128 && IN_ALPHABET[c]) {
      win = (win.length === 12 ? win.slice(1) : win) + String.fromCharCode(c)
      if (win.length === 12) {
        out.add(`${win.slice(0, 4)}-${win.slice(4, 8)}-${win.slice(8)}`)
        tried++
      }
    } else if (win && !isSeparator(c)) win = ''
  }
  return [...out]
}
