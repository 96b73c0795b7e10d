/**
 * Guards against abuse (issue 13): what a stranger, a villager or a single curator can make the
 * bots do. The spine and the features call these at a few hooks; the limits are in
 * src/domain/limits.ts.
 */
import { personalCodesIn } from '../domain/announcement.ts'
import { beijingDay, chatPerContactOf, MAX_INBOUND_CHARS, MAX_OPEN_CASES_PER_REPORTER, REPEAT_ANSWER_TTL_S, STRANGER_ANSWER_TTL_S } from '../domain/limits.ts'
import { idPart, PRIORITY } from '../queue/outbox.ts'
import type { CascadeConfig, GroupKind } from '../config/types.ts'
import type { TemplateKey } from '../domain/templates.ts'
import type { Logger } from '../infra/log.ts'
import type { Outboxes } from '../queue/outbox.ts'
import type { Store } from '../store/store.ts'
import type { Roles } from './directory.ts'
import type { Inbound } from './inbound.ts'
import type { Router } from './router.ts'

/** What the guards use of the app (the Cascade facade provides it). */
export interface GuardHost {
  readonly cfg: CascadeConfig
  readonly store: Store
  readonly outboxes: Outboxes
  readonly router: Router
  readonly log: Logger
  readonly now: () => number
  t(key: TemplateKey, vars?: Record<string, string | number | undefined>): string
  hasRole(person: string): boolean
  rolesOf(person: string): Roles
  personName(id: string): string
  groupOf(topic: string): { node: string; kind: GroupKind } | undefined
  tell(person: string, node: string | undefined, idem: string, text: string, priority?: number): Promise<boolean>
}

/** Every account in a group sees a message; the first to see it acts, for this long. */
const SAME_MESSAGE_WINDOW_MS = 10_000

/**
 * The answer to someone who is not bound ("not bound", "staff only"): once per contact and
 * account a day, then silence, so a stranger writing 45 times gets one answer, not 45.
 */
export async function answerStrangerOnce(app: GuardHost, msg: Pick<Inbound, 'bot' | 'contactId'>, text: string): Promise<string[]> {
  const key = `${app.store.keys.base}stranger:${msg.bot}:${msg.contactId}`
  const first = (await app.store.redis.set(key, '1', 'EX', STRANGER_ANSWER_TTL_S, 'NX')) === 'OK'
  if (!first) app.log.debug('stranger.silenced', { bot: msg.bot })
  return first ? [text] : []
}

/** What an answer given at most once an hour is about: a report's repeat, an empty command. */
export type RepeatKind = 'case-dup-tip' | 'case-dup-help' | 'case-empty-tip' | 'case-empty-help' | 'rumor-check-empty'

/** Per-contact answer counters are kept this long (the day they count on, and the next). */
const CONTACT_SLICE_KEEP_S = 2 * 24 * 3600

/**
 * Takes `n` of the answers the contact may get from this account today (its slice of the chat
 * share, `pacing.chatPerContact`). False when that would go over the slice: nothing is taken and
 * the answer is not given. `always` (a new case's confirmation) is counted but never refused.
 * Counted when the answer is decided, not when it is sent: a refused answer is never queued.
 */
export async function takeContactSlice(app: GuardHost, msg: Pick<Inbound, 'bot' | 'contactId'>, n = 1, always = false): Promise<boolean> {
  const key = `${app.store.keys.base}chat-contact:${msg.bot}:${msg.contactId}:${beijingDay(app.now())}`
  const used = await app.store.redis.incrby(key, n)
  if (used === n) await app.store.redis.expire(key, CONTACT_SLICE_KEEP_S)
  const pacing = app.cfg.bots.get(msg.bot)?.pacing
  if (always || !pacing || used <= chatPerContactOf(pacing)) return true
  await app.store.redis.decrby(key, n)
  app.log.info('chat.contact-slice-spent', { bot: msg.bot, limit: chatPerContactOf(pacing) })
  return false
}

/**
 * Whether to answer a repeat or an empty command: the first of its kind from this contact within
 * REPEAT_ANSWER_TTL_S, whichever account sees it first, and within the contact's slice. A group
 * member is known by group and nickname (web-WeChat contact ids differ between accounts, as for
 * the inbound claims), a DM's sender by account and contact.
 */
export async function answerRepeatOnce(app: GuardHost, msg: Inbound, kind: RepeatKind): Promise<boolean> {
  const who = msg.topic ? `group\n${msg.topic}\n${msg.contactName}` : `dm\n${msg.bot}\n${msg.contactId}`
  const key = `${app.store.keys.base}answered:${kind}:${idPart(who)}`
  if ((await app.store.redis.set(key, msg.bot, 'EX', REPEAT_ANSWER_TTL_S, 'NX')) !== 'OK') {
    app.log.debug('repeat.silenced', { bot: msg.bot, kind })
    return false
  }
  return takeContactSlice(app, msg)
}

/**
 * A staff command (发布, 通过, 待办, 进度, 接单, 辟谣 …) typed in a group: not acted on, and nothing
 * said in the group (it may hold villagers: no pending text, no rejection reason). The person is
 * told in a private chat, once per message whichever account sees it first.
 */
export async function staffCommandInGroup(app: GuardHost, msg: Inbound & { topic?: string }, person: string): Promise<string[]> {
  const topic = msg.topic ?? ''
  const key = `${app.store.keys.base}groupcmd:${idPart(`${topic}\n${person}\n${msg.text}`)}`
  if ((await app.store.redis.set(key, msg.bot, 'PX', SAME_MESSAGE_WINDOW_MS, 'NX')) !== 'OK') return []
  app.log.info('command.in-group', { bot: msg.bot, person })
  if (app.hasRole(person)) await app.tell(person, app.groupOf(topic)?.node, `private-only-${msg.bot}-${msg.messageId}`, app.t('command_private_only', { topic }))
  return []
}

/** Timer kind that moves a closed case to the archive (src/app/cases.ts schedules it at 办结). */
export const CASE_ARCHIVE_TIMER = 'case-archive'
/** A reporter over the open-case limit is told so at most once in this time. */
const CASE_FLOOD_ANSWER_TTL_S = 3600

/** In a DM the text itself; in a group nothing there, the text by DM (chat) to the sender. */
async function toSender(app: GuardHost, msg: Inbound, idem: string, text: string): Promise<string[]> {
  if (!msg.topic) return [text]
  await app.outboxes.enqueue(msg.bot, { idem, target: { kind: 'contact', contactId: msg.contactId }, text, chat: true }, PRIORITY.reply)
  return []
}

/**
 * A reporter who already has the most open cases: a polite refusal (by DM), at most once an hour;
 * nothing is opened and nobody else is told.
 */
export async function refuseCaseFlood(app: GuardHost, msg: Inbound): Promise<string[]> {
  const key = `${app.store.keys.base}caseflood:${msg.bot}:${msg.contactId}`
  app.log.info('case.refused-flood', { bot: msg.bot, limit: MAX_OPEN_CASES_PER_REPORTER })
  if ((await app.store.redis.set(key, '1', 'EX', CASE_FLOOD_ANSWER_TTL_S, 'NX')) !== 'OK' || !await takeContactSlice(app, msg)) return []
  return toSender(app, msg, `case-flood-${msg.bot}-${msg.messageId}`, app.t('case_too_many', { limit: MAX_OPEN_CASES_PER_REPORTER }))
}

/** Opening a case failed (Redis, a bug): the reporter is told plainly to try again; the error is logged without the text. */
export async function caseNotOpened(app: GuardHost, msg: Inbound, err: unknown): Promise<string[]> {
  app.log.error('case.open-failed', { bot: msg.bot, err: err instanceof Error ? err.message : String(err) })
  return toSender(app, msg, `case-failed-${msg.bot}-${msg.messageId}`, app.t('case_failed'))
}

/**
 * A message longer than MAX_INBOUND_CHARS: never parsed. A bound person in a private chat is told
 * the limit; anyone else gets nothing (a group, a stranger).
 */
export async function tooLongInbound(app: GuardHost, msg: Inbound): Promise<string[]> {
  app.log.info('inbound.too-long', { bot: msg.bot, chars: msg.text.length })
  if (msg.topic || !await app.store.personOf(msg.bot, msg.contactId)) return []
  return [app.t('message_too_long', { max: MAX_INBOUND_CHARS - 100 })]
}

/**
 * A contact bound as `person` on `bot` has just bound as someone else: `person` lost that binding
 * (the store cleared it). Recorded, and they are told to re-bind — by DM through another account
 * they are bound to, and in the staff groups of their nodes (the contact they had on `bot` is now
 * someone else's, so it is never used).
 */
export async function tellDisplaced(app: GuardHost, person: string, bot: string): Promise<void> {
  const at = app.now()
  app.log.warn('person.displaced', { bot, person })
  await app.store.audit('bindings', { kind: 'unbind', actor: person, at, bot, why: 'contact bound as another person' })
  const vars = { name: app.personName(person), bot: app.cfg.bots.get(bot)?.name ?? bot }
  await app.tell(person, undefined, `displaced-${bot}-${person}-${at}`, app.t('rebind_displaced', vars))
  await tellStaffOf(app, person, `displaced-${bot}-${person}-${at}`, app.t('rebind_displaced_staff', vars))
}

/**
 * A group message holding someone's personal code (typed there by mistake, or pasted, alone or
 * inside a longer text): the code is revoked at once, so whoever read it cannot use it. Nothing
 * is said in the group; the person is told privately and their nodes' staff groups are told
 * (a person not re-bound after new ids cannot be reached privately). Every account in the group
 * sees the message; the one whose take finds the code tells. A new code comes with their next
 * binding (a new invite, or a confirmed nickname: src/spine/bindings.ts).
 */
export async function revokeCodesSeenInGroup(app: GuardHost, msg: Inbound & { topic: string }): Promise<void> {
  const candidates = personalCodesIn(msg.text)
  if (!candidates.length) return
  const people = await Promise.all(candidates.map(code => app.store.personalCodes.take(code)))
  for (const person of new Set(people.filter((p): p is string => p !== undefined))) {
    const at = app.now()
    app.log.warn('personal-code.revoked', { bot: msg.bot, person, why: 'seen in a group' })
    await app.store.audit('bindings', { kind: 'code-revoked', actor: person, at, bot: msg.bot, topic: msg.topic, why: 'seen in a group' })
    const vars = { name: app.personName(person), topic: msg.topic }
    await app.tell(person, app.groupOf(msg.topic)?.node, `code-revoked-${person}-${at}`, app.t('personal_code_revoked', vars))
    await tellStaffOf(app, person, `code-revoked-${person}-${at}`, app.t('personal_code_revoked_staff', vars))
  }
}

/**
 * `person` was just bound on `bot` as `contactId` by their personal code. Unless that contact was
 * theirs already, every contact they had before (`before`: account → contact) is told — if it
 * was not them, they learn at once — and so are the staff groups of their nodes. A contact gone
 * with new WeChat ids is not reached; the staff group is.
 */
export async function tellRebindByCode(app: GuardHost, person: string, bot: string, contactId: string, before: Record<string, string>): Promise<void> {
  if (before[bot] === contactId) return // the same contact sent its own code again: nothing moved
  const at = app.now()
  const vars = { name: app.personName(person), bot: app.cfg.bots.get(bot)?.name ?? bot }
  const text = app.t('rebind_elsewhere', vars)
  for (const [via, previous] of Object.entries(before)) {
    if (!app.cfg.bots.has(via)) continue
    await app.outboxes.enqueue(via, { idem: `rebound-elsewhere-${via}-${person}-${at}`, target: { kind: 'contact', contactId: previous }, text }, PRIORITY.reply)
  }
  await tellStaffOf(app, person, `rebound-elsewhere-${person}-${at}`, app.t('rebind_elsewhere_staff', vars))
}

/** Posts `text` in the staff group of each node where the person curates, backs up or publishes. */
async function tellStaffOf(app: GuardHost, person: string, idem: string, text: string): Promise<void> {
  const r = app.rolesOf(person)
  for (const node of new Set([...r.curator, ...r.backup, ...r.publisher])) {
    const staff = app.cfg.nodes.get(node)?.groups.find(g => g.kind === 'staff')?.topic
    if (!staff) continue
    const via = await app.router.botForNode(node, 'urgent')
    await app.outboxes.enqueue(via, { idem: `${idem}-${idPart(staff)}`, target: { kind: 'group', topic: staff }, text }, PRIORITY.reply)
  }
}
