/**
 * The case desk's staff commands in chat: 接单 / 回复 / 办结 / 转交 / 属实, from a bound person in
 * a private chat, only on cases they are responsible for (docs/CASES.md). Cut from cases.ts, which
 * opens cases and routes them; this file acts on them.
 */
import { METRICS, metricsOf } from '../../infra/metrics.ts'
import type { CasesConfig } from '../../config/cases.ts'
import { ACTIVE_STATES, CASE_STATES, CASE_USAGE, WAITING_STATES, type Case, type CaseCommand, type Reporter } from '../../domain/cases.ts'
import type { TemplateKey } from '../../domain/templates.ts'
import { CASE_ARCHIVE_AFTER_DAYS } from '../../domain/limits.ts'
import type { CaseStore } from './store.ts'
import type { Cascade, Inbound, InboundContext } from '../../spine/cascade.ts'
import { answerStrangerOnce, CASE_ARCHIVE_TIMER, staffCommandInGroup } from '../../spine/guards.ts'

const MINUTE_MS = 60_000

/** What of the spine the staff commands use. */
export type StaffHost = Pick<Cascade, 'cfg' | 'children' | 'groupOf' | 'hasRole' | 'log' | 'nodeName' | 'now' | 'outboxes' | 'personName' | 'rolesOf' | 'router' | 'store' | 't' | 'tell' | 'timers'>

/** What of the case desk (cases.ts) the staff commands use: its records and how it tells people. */
export interface StaffDesk {
  readonly app: StaffHost
  readonly store: CaseStore
  readonly cfg: CasesConfig
  tellReporter(c: Case, idem: string, text: string): Promise<void>
  assign(c: Case, note?: string): Promise<void>
  scheduleEscalation(c: Case, step: number): Promise<void>
  responsibleFor(node: string, reporter: Reporter): Promise<string[]>
}

/** A case command that is not a villager's report. */
export type StaffCaseCommand = Exclude<CaseCommand, { kind: 'report' }>

export class CaseStaff {
  constructor(private readonly desk: StaffDesk) {}

  private get app(): StaffHost { return this.desk.app }
  private get store(): CaseStore { return this.desk.store }
  private t(key: TemplateKey, vars: Record<string, string | number | undefined> = {}): string { return this.app.t(key, vars) }

  /**
   * A staff verb from anyone: an unbound sender is told "staff only" (in a DM, once a day), a
   * command typed in a group is answered privately, a bound person's is carried out.
   */
  async handle({ msg, person }: InboundContext, cmd: StaffCaseCommand): Promise<string[]> {
    if (!person) return msg.topic ? [] : answerStrangerOnce(this.app, msg, this.t('case_staff_only'))
    if (msg.topic) return staffCommandInGroup(this.app, msg, person)
    if (cmd.kind === 'malformed') return [this.t('malformed', { usage: CASE_USAGE[cmd.verb] })]
    return [await this.staffCommand(person, cmd, msg)]
  }

  /** 接单 / 回复 / 办结 / 转交 / 属实 from a bound person; returns the answer for them. */
  async staffCommand(person: string, cmd: Exclude<CaseCommand, { kind: 'report' | 'malformed' }>, msg: Pick<Inbound, 'messageId'>): Promise<string> {
    const c = await this.store.get(cmd.code)
    // A code that exists elsewhere and one never given are answered alike: codes are not enumerable.
    if (!c || !c.responsible.includes(person)) {
      this.app.log.info('case.refused', { code: cmd.code, person, command: cmd.kind, exists: !!c })
      return this.t('case_unknown', { code: cmd.code })
    }
    switch (cmd.kind) {
      case 'take': return this.take(c, person)
      case 'reply': return this.reply(c, person, cmd.text, msg.messageId)
      case 'close': return this.close(c, person, cmd.result)
      case 'transfer': return this.transfer(c, person, cmd.to)
      case 'verify': return this.verify(c, person)
    }
  }

  /** Why an action on a case that moved on did nothing. */
  private settled(c: Case): string {
    if (c.state === 'closed') return this.t('case_already_closed', { code: c.code, actor: this.app.personName(c.closedBy ?? '') })
    return this.t('case_already_taken', { code: c.code, actor: this.app.personName(c.takenBy ?? '') })
  }

  private async take(c: Case, person: string, tell = true): Promise<string> {
    const at = this.app.now()
    const res = await this.store.transition(c.code, WAITING_STATES, { state: 'taken', takenBy: person, takenAt: at })
    if (!res.changed) return res.case ? this.settled(res.case) : this.t('case_unknown', { code: c.code })
    await this.store.log(c.code, { kind: 'take', at, actor: person, node: c.node })
    this.app.log.info('case.taken', { code: c.code, person })
    if (tell) await this.desk.tellReporter(c, `taken-${c.generation}`, this.t('case_taken_reporter', { code: c.code, node: this.app.nodeName(c.node) }))
    return this.t('case_taken_ok', { code: c.code })
  }

  private async reply(c: Case, person: string, text: string, messageId: string): Promise<string> {
    if (c.state === 'closed') return this.settled(c)
    if (WAITING_STATES.includes(c.state)) await this.take(c, person, false) // answering the reporter takes the case
    await this.desk.tellReporter(c, `reply-${messageId}`, this.t('case_reply_reporter', { code: c.code, node: this.app.nodeName(c.node), actor: this.app.personName(person), text }))
    await this.store.log(c.code, { kind: 'reply', at: this.app.now(), actor: person, text })
    return this.t('case_reply_ok', { code: c.code })
  }

  private async close(c: Case, person: string, result: string): Promise<string> {
    const at = this.app.now()
    const res = await this.store.transition(c.code, ACTIVE_STATES, { state: 'closed', closedBy: person, closedAt: at, result })
    if (!res.changed) return res.case ? this.settled(res.case) : this.t('case_unknown', { code: c.code })
    await this.store.log(c.code, { kind: 'close', at, actor: person, text: result })
    this.app.log.info('case.closed', { code: c.code, person })
    await metricsOf(this.app).add(METRICS.openCases, { node: res.case?.node ?? c.node }, -1)
    await this.desk.tellReporter(c, 'closed', this.t('case_closed_reporter', { code: c.code, result }))
    await this.app.timers.schedule(CASE_ARCHIVE_TIMER, c.code, at + CASE_ARCHIVE_AFTER_DAYS * 24 * 60 * MINUTE_MS, { code: c.code })
    return this.t('case_closed_ok', { code: c.code })
  }

  private async transfer(c: Case, person: string, to: string): Promise<string> {
    if (c.state === 'closed') return this.settled(c)
    const node = this.findNode(to)
    if (!node) return this.t('case_transfer_unknown', { name: to, nodes: this.nearbyNodes(c.node) })
    const at = this.app.now()
    const patch: Partial<Case> = {
      state: 'transferred', node, transferredFrom: c.node, generation: c.generation + 1, slaFrom: at, escalations: 0,
      responsible: await this.desk.responsibleFor(node, c.reporter),
    }
    // Only from the state we saw: of two transfers at once, one wins.
    const res = await this.store.transition(c.code, [c.state], patch)
    if (!res.changed || !res.case) return res.case ? this.settled(res.case) : this.t('case_unknown', { code: c.code })
    const moved = res.case
    await this.store.log(c.code, { kind: 'transfer', at, actor: person, node, text: c.node })
    this.app.log.info('case.transferred', { code: c.code, from: c.node, to: node })
    await metricsOf(this.app).add(METRICS.openCases, { node: c.node }, -1)
    await metricsOf(this.app).add(METRICS.openCases, { node }, +1)
    await this.desk.assign(moved, `（由${this.app.nodeName(c.node)}${this.app.personName(person)}转来）\n`)
    await this.desk.scheduleEscalation(moved, 0)
    await this.desk.tellReporter(c, `transferred-${moved.generation}`, this.t('case_transferred_reporter', { code: c.code, node: this.app.nodeName(node) }))
    return this.t('case_transfer_ok', { code: c.code, node: this.app.nodeName(node) })
  }

  private async verify(c: Case, person: string): Promise<string> {
    if (c.kind !== 'tip') return this.t('case_not_tip', { code: c.code })
    const at = this.app.now()
    if (!await this.store.recordReward({ code: c.code, by: person, at, reward: this.desk.cfg.reward })) {
      const r = await this.store.reward(c.code)
      return this.t('case_already_verified', { code: c.code, actor: this.app.personName(r?.by ?? '') })
    }
    await this.store.transition(c.code, CASE_STATES, { verifiedBy: person, verifiedAt: at })
    await this.store.log(c.code, { kind: 'verify', at, actor: person, text: this.desk.cfg.reward })
    this.app.log.info('case.verified', { code: c.code, person })
    await this.desk.tellReporter(c, 'verified', this.t('case_verified_reporter', { code: c.code, reward: this.desk.cfg.reward }))
    return this.t('case_verified_ok', { code: c.code })
  }

  /** A node by id or by name (exact, then unique partial match). */
  findNode(text: string): string | undefined {
    const q = text.trim()
    const nodes = [...this.app.cfg.nodes.values()]
    const exact = nodes.find(n => n.id === q || n.name === q)
    if (exact) return exact.id
    const partial = nodes.filter(n => n.name.includes(q) || q.includes(n.name))
    return partial.length === 1 ? partial[0].id : undefined
  }

  /** Names of the nodes near `node` (its parent's children and the parent), as examples. */
  private nearbyNodes(node: string): string {
    const parent = this.app.cfg.nodes.get(node)?.parent
    const ids = parent ? [parent, ...this.app.children(parent)] : this.app.children(node)
    return ids.map(id => this.app.nodeName(id)).join('、')
  }
}
