/**
 * The response mechanism: villagers' tips (举报) and help requests (求助) become tracked cases
 * that always get an answer (群众的每一个呼声和期盼都有回应和着落).
 *
 * - A villager writes `举报 …` / `求助 …` to a bot in a DM or in a village group. The case goes
 *   to the people responsible for the reporter's village (its curators, and the grid worker when
 *   a households module provides one, see `provideGridWorkers`) by DM. In a group the bot answers
 *   briefly, without the reporter's name or the report's text, and continues in a DM.
 * - Staff answer in chat: 接单 / 回复 / 办结 / 转交 / 属实. Only people responsible for that
 *   case may act on it; nothing a villager types can read or close someone else's case.
 * - A case not taken within its SLA escalates step by step (config/cases.yaml); every step is in
 *   the case's history.
 *
 * Installed from `FEATURES` (src/app/compose.ts) when the config has `cases`.
 */
import { METRICS, metricsOf } from '../../infra/metrics.ts'
import type { CasesConfig } from '../../config/cases.ts'
import {
  ACTIVE_STATES, CASE_USAGE, KIND_VERB, WAITING_STATES,
  closeDeadline, durationZh, escalationAt, escalationDue, newCaseCode, normalizeReport, parseCaseCommand,
  type Case, type CaseKind, type Reporter,
} from '../../domain/cases.ts'
import type { TemplateKey } from '../../domain/templates.ts'
import { PRIORITY } from '../../queue/outbox.ts'
import { CaseStore } from './store.ts'
import { CaseStaff } from './chat.ts'
import type { Cascade, Inbound, InboundContext } from '../../spine/cascade.ts'
import { answerRepeatOnce, CASE_ARCHIVE_TIMER, caseNotOpened, refuseCaseFlood, takeContactSlice } from '../../spine/guards.ts'
import { MAX_OPEN_CASES_PER_REPORTER } from '../../domain/limits.ts'

/** What of the spine the cases desk uses. */
export type CasesHost = Pick<Cascade, 'addHelp' | 'cfg' | 'children' | 'groupOf' | 'hasRole' | 'log' | 'nodeName' | 'now' | 'outboxes' | 'personName' | 'rolesOf' | 'router' | 'store' | 't' | 'tell' | 'timers' | 'use'>

/** Timer kinds of this feature. */
export const CASE_TIMERS = { escalate: 'case-escalate', closeDue: 'case-close-due' } as const
const MINUTE_MS = 60_000
/** Attempts at a fresh case code before giving up (32³ codes; collisions are rare). */
const CODE_ATTEMPTS = 50

/**
 * Where a households/grids module plugs in: the grid workers (person ids from people.yaml) who
 * look after this reporter in this village; empty when the roster does not place them.
 */
export interface GridWorkerResolver {
  gridWorkersOf(node: string, reporter: Reporter): Promise<readonly string[]> | readonly string[]
}

const desks = new WeakMap<object, CaseDesk>()
const gridResolvers = new WeakMap<object, GridWorkerResolver>()

/** The installed cases feature of an app (undefined when config/cases.yaml is absent). */
export function casesOf(app: object): CaseDesk | undefined { return desks.get(app) }

/**
 * Makes new cases (and transfers) go also to the reporter's grid worker. Call it from the
 * households feature's install function; the order of FEATURES does not matter.
 */
export function provideGridWorkers(app: object, resolver: GridWorkerResolver): void { gridResolvers.set(app, resolver) }

/** The feature's install function (listed in FEATURES). */
export function installCases(app: CasesHost): void {
  const cfg = app.cfg.cases
  if (!cfg || desks.has(app)) return
  const desk = new CaseDesk(app, cfg)
  desks.set(app, desk)
  // A photo sent in a private chat right after a report belongs to the reporter's open case.
  app.use(ctx => ctx.msg.kind === 'image' ? (ctx.msg.topic ? Promise.resolve(undefined) : desk.attachPhoto(ctx.msg)) : desk.handle(ctx))
  app.timers.handle(CASE_TIMERS.escalate, data => desk.onEscalate(String(data.code), Number(data.generation), Number(data.step)))
  app.timers.handle(CASE_TIMERS.closeDue, data => desk.onCloseDue(String(data.code)))
  app.timers.handle(CASE_ARCHIVE_TIMER, data => desk.store.archive(String(data.code)).then(() => undefined))
  // Cases go to village curators and backups, grid workers, and township curators on escalation.
  for (const verb of ['接单', '回复', '办结', '转交', '属实'] as const) app.addHelp(['approver', 'grid-worker'], CASE_USAGE[verb])
}

/** Where a case goes: a node, and a note for staff when the village could not be told. */
export interface Route { node: string; note?: string }

export class CaseDesk {
  readonly store: CaseStore
  /** 接单 / 回复 / 办结 / 转交 / 属实 (chat.ts). */
  readonly staff: CaseStaff

  constructor(readonly app: CasesHost, readonly cfg: CasesConfig) {
    this.store = new CaseStore(app.store)
    this.staff = new CaseStaff(this)
  }

  private t(key: TemplateKey, vars: Record<string, string | number | undefined> = {}): string { return this.app.t(key, vars) }

  // ── inbound ───────────────────────────────────────────────────────────────

  /** The inbound handler: case commands of villagers and staff; everything else passes on. */
  async handle(ctx: InboundContext): Promise<string[] | undefined> {
    const { msg } = ctx
    const cmd = parseCaseCommand(msg.text)
    if (!cmd) return undefined
    if (cmd.kind === 'report') return this.report(msg, cmd.caseKind, cmd.text).catch(err => caseNotOpened(this.app, msg, err))
    if (cmd.kind === 'malformed' && (cmd.verb === '举报' || cmd.verb === '求助')) {
      // An empty report: the usage hint, once an hour per contact (it can be sent endlessly).
      const kind = cmd.verb === '举报' ? 'case-empty-tip' : 'case-empty-help'
      return await answerRepeatOnce(this.app, msg, kind) ? [this.t('case_empty', { usage: CASE_USAGE[cmd.verb] })] : []
    }
    return this.staff.handle(ctx, cmd)
  }

  // ── opening ───────────────────────────────────────────────────────────────

  /** Opens a case (or finds the same recent one) and answers the reporter. */
  async report(msg: Inbound, kind: CaseKind, text: string): Promise<string[]> {
    const reporter: Reporter = { bot: msg.bot, contactId: msg.contactId, name: msg.contactName }
    const route = await this.route(msg)
    const now = this.app.now()
    const base: Omit<Case, 'code'> = {
      kind, text, state: 'open', node: route.node, reporter, openedAt: now,
      responsible: await this.responsibleFor(route.node, reporter),
      generation: 0, slaFrom: now, escalations: 0, photos: 0,
      ...(msg.topic ? { topic: msg.topic } : {}), ...(route.note ? { routeNote: route.note } : {}),
    }
    const normalized = normalizeReport(text)
    for (let i = 0; i < CODE_ATTEMPTS; i++) {
      const c: Case = { ...base, code: newCaseCode() }
      const res = await this.store.open(c, normalized, this.cfg.duplicateWindowMinutes * MINUTE_MS, this.cfg.photoWindowMinutes * MINUTE_MS, MAX_OPEN_CASES_PER_REPORTER)
      if ('duplicateOf' in res) return this.duplicate(msg, res.duplicateOf)
      if ('tooMany' in res) return refuseCaseFlood(this.app, msg)
      if (res.opened) return this.opened(msg, res.case)
    }
    throw new Error('no free case code after many attempts')
  }

  private async opened(msg: Inbound, c: Case): Promise<string[]> {
    await this.store.log(c.code, { kind: 'open', at: c.openedAt, node: c.node, text: c.routeNote })
    this.app.log.info('case.opened', { code: c.code, kind: c.kind, node: c.node, via: msg.topic ? 'group' : 'dm' })
    await metricsOf(this.app).add(METRICS.openCases, { node: c.node }, +1)
    await this.assign(c)
    await this.scheduleTimers(c)
    const sla = this.cfg.kinds[c.kind]
    const text = this.t(c.kind === 'tip' ? 'case_opened_tip' : 'case_opened_help', { code: c.code, node: this.app.nodeName(c.node), take_within: durationZh(sla.takeWithinMinutes) })
    // A new case is always answered: counted on the reporter's slice of chat, never refused by it.
    await takeContactSlice(this.app, msg, msg.topic ? 2 : 1, true)
    return this.answerReporter(msg, c, 'opened', text)
  }

  /**
   * The same report again: the existing code, by DM only (the group saw the first answer), once an
   * hour per reporter and kind; further repeats are silent. Another account's copy of a group
   * message: silence.
   */
  private async duplicate(msg: Inbound, code: string): Promise<string[]> {
    const c = await this.store.get(code)
    if (!c) return []
    if (msg.topic && c.topic === msg.topic && c.reporter.bot !== msg.bot) return []
    if (!await answerRepeatOnce(this.app, msg, c.kind === 'tip' ? 'case-dup-tip' : 'case-dup-help')) return []
    await this.store.log(code, { kind: 'duplicate', at: this.app.now() })
    const text = this.t('case_duplicate', { code })
    if (!msg.topic) return [text]
    await this.tellReporter(c, `dup-${msg.messageId}`, text)
    return []
  }

  /** In a DM: the answer itself. In a group: a brief note there, the answer by DM. */
  private async answerReporter(msg: Inbound, c: Case, idem: string, text: string): Promise<string[]> {
    if (!msg.topic) return [text]
    await this.tellReporter(c, idem, text)
    return [this.t('case_group_ack', { kind: KIND_VERB[c.kind] })]
  }

  // ── routing ───────────────────────────────────────────────────────────────

  /**
   * The reporter's node: the group's node; for a DM the village whose group they last spoke in,
   * else the only village this account serves, else the bound person's node, else the district
   * (with a note asking its curator to transfer the case).
   */
  async route(msg: Inbound): Promise<Route> {
    const byTopic = msg.topic ? this.app.groupOf(msg.topic)?.node : undefined
    if (byTopic) return { node: byTopic }
    const lastGroup = await this.app.store.lastGroupOf(msg.bot, msg.contactId)
    const seen = lastGroup ? this.app.groupOf(lastGroup)?.node : undefined
    if (seen && this.app.cfg.nodes.get(seen)?.level === 'village') return { node: seen }
    const villages = (this.app.cfg.bots.get(msg.bot)?.nodes ?? []).filter(n => this.app.cfg.nodes.get(n)?.level === 'village')
    if (villages.length === 1) return { node: villages[0] }
    const person = await this.app.store.personOf(msg.bot, msg.contactId)
    const roles = person ? this.app.rolesOf(person) : undefined
    const own = roles && [...roles.curator, ...roles.backup, ...roles.publisher][0]
    if (own) return { node: own }
    return { node: this.app.cfg.rootId, note: '（未能确定反映人所在的村/社区，请核实后转交。）\n' }
  }

  /** Who a case at `node` goes to: the reporter's grid workers (when the roster places them), then the node's curators. */
  async responsibleFor(node: string, reporter: Reporter): Promise<string[]> {
    const grid = (await gridResolvers.get(this.app)?.gridWorkersOf(node, reporter)) ?? []
    const curators = this.app.cfg.nodes.get(node)?.curators ?? []
    return unique([...grid.filter(p => this.app.cfg.people.has(p)), ...curators])
  }

  /** DMs the case to everyone responsible for it. */
  async assign(c: Case, note = c.routeNote ?? ''): Promise<void> {
    const sla = this.cfg.kinds[c.kind]
    const text = this.t('case_assigned', {
      code: c.code, kind: KIND_VERB[c.kind], node: this.app.nodeName(c.node), reporter: this.reporterText(c),
      text: c.text, take_within: durationZh(sla.takeWithinMinutes), note,
    })
    for (const person of c.responsible) await this.tellStaff(c, person, `assign-${c.generation}-${person}`, text)
    await this.store.log(c.code, { kind: 'assign', at: this.app.now(), node: c.node, text: c.responsible.join(',') })
  }

  private reporterText(c: Case): string {
    return `${c.reporter.name}（${c.topic ? `在群“${c.topic}”中反映` : '私信反映'}）`
  }

  // ── sends ─────────────────────────────────────────────────────────────────

  /** A DM to the reporter, through the account they wrote to. */
  async tellReporter(c: Case, idem: string, text: string): Promise<void> {
    await this.app.outboxes.enqueue(c.reporter.bot, { idem: `case-${c.code}-${idem}`, target: { kind: 'contact', contactId: c.reporter.contactId }, text, chat: true }, PRIORITY.reply)
  }

  /** A DM to a staff member through an account they are bound to; recorded when they cannot be reached. */
  private async tellStaff(c: Case, person: string, idem: string, text: string): Promise<void> {
    const bot = await this.app.router.botForPerson(person, c.node)
    if (!bot) {
      this.app.log.warn('case.staff-unreachable', { code: c.code, person })
      await this.store.log(c.code, { kind: 'unreachable', at: this.app.now(), actor: person })
      return
    }
    // Chat, ranked below urgent posts: a flood of cases never holds up a notice.
    await this.app.outboxes.enqueue(bot, { idem: `case-${c.code}-${idem}`, target: { kind: 'person', person }, text, chat: true }, PRIORITY.reply)
  }

  // ── timers ────────────────────────────────────────────────────────────────

  private async scheduleTimers(c: Case): Promise<void> {
    await this.scheduleEscalation(c, 0)
    const due = closeDeadline(c, this.cfg.kinds[c.kind])
    if (due !== undefined && c.generation === 0) await this.app.timers.schedule(CASE_TIMERS.closeDue, c.code, due, { code: c.code })
  }

  async scheduleEscalation(c: Case, step: number): Promise<void> {
    const at = escalationAt(c, this.cfg.kinds[c.kind], this.cfg.escalation, step)
    if (at === undefined) return
    await this.app.timers.schedule(CASE_TIMERS.escalate, `${c.code}-${c.generation}-${step}`, at, { code: c.code, generation: c.generation, step })
  }

  /** A take deadline (or a later step) passed: remind, widen who may take it, schedule the next step. */
  async onEscalate(code: string, generation: number, step: number): Promise<void> {
    const c = await this.store.get(code)
    const def = this.cfg.escalation[step]
    if (!c || !def || !escalationDue(c, generation, step)) return
    const target = def.to === 'node' ? c.node : this.app.cfg.nodes.get(c.node)?.parent
    const n = target ? this.app.cfg.nodes.get(target) : undefined
    const people = n ? unique([...n.curators, ...n.backups]) : []
    const res = await this.store.transition(code, WAITING_STATES, { escalations: step + 1, responsible: unique([...c.responsible, ...people]) })
    if (!res.changed || !res.case) return
    const now = this.app.now()
    const text = this.t('case_escalated', {
      code, kind: KIND_VERB[c.kind], node: this.app.nodeName(c.node), reporter: this.reporterText(c), text: c.text,
      overdue: durationZh((now - c.slaFrom) / MINUTE_MS),
    })
    for (const person of people) await this.tellStaff(res.case, person, `esc-${generation}-${step}-${person}`, text)
    await this.store.log(code, { kind: 'escalate', at: now, step: step + 1, node: target, text: people.join(',') || '（无人可升级）' })
    this.app.log.info('case.escalated', { code, step: step + 1, node: target })
    await this.scheduleEscalation(res.case, step + 1)
  }

  /** The close deadline passed: remind whoever took it (or everyone responsible). */
  async onCloseDue(code: string): Promise<void> {
    const c = await this.store.get(code)
    const hours = this.cfg.kinds[c?.kind ?? 'help'].closeWithinHours
    if (!c || c.state === 'closed' || hours === undefined) return
    const text = this.t('case_close_overdue', { code, kind: KIND_VERB[c.kind], node: this.app.nodeName(c.node), hours })
    for (const person of c.takenBy ? [c.takenBy] : c.responsible) await this.tellStaff(c, person, `overdue-${person}`, text)
    await this.store.log(code, { kind: 'overdue', at: this.app.now(), node: c.node })
  }

  // ── photos ────────────────────────────────────────────────────────────────

  /**
   * A photo from a contact: it belongs to their latest case when that was opened within the
   * photo window and is not closed. Returns the answer for the reporter, or undefined when the
   * photo belongs to no case. Called by the chat adapter once it passes image messages.
   */
  async attachPhoto(msg: Pick<Inbound, 'bot' | 'contactId' | 'messageId'>): Promise<string[] | undefined> {
    const code = await this.store.lastOf(msg.bot, msg.contactId)
    const c = code ? await this.store.get(code) : undefined
    if (!c || c.state === 'closed') return undefined
    const res = await this.store.transition(c.code, ACTIVE_STATES, { photos: c.photos + 1 })
    if (!res.changed || !res.case) return undefined
    await this.store.log(c.code, { kind: 'photo', at: this.app.now(), text: msg.messageId })
    const text = this.t('case_photo_staff', { code: c.code, count: res.case.photos })
    for (const person of c.takenBy ? [c.takenBy] : c.responsible) await this.tellStaff(c, person, `photo-${msg.messageId}-${person}`, text)
    return [this.t('case_photo_added', { code: c.code })]
  }
}

function unique<T>(xs: T[]): T[] { return [...new Set(xs)] }
