/**
 * Rumor rebuttal in chat (issue 5): answers known rumors in public groups, sends doubtful ones
 * to the curators of the group's node (`S12`), grows the library from their answers, and checks
 * messages villagers forward to a bot in a DM.
 *
 * Every process builds its own matcher from the library file, the curator-added entries and the
 * wordings curators' decisions taught (live-library.ts); a version counter in Redis tells a
 * process that another one changed them. Curators' decisions and broadcasts: desk.ts.
 * All sends go through the outboxes (handler replies via the runtime, the rest via `enqueue`).
 */
import { METRICS, metricsOf } from '../../infra/metrics.ts'
import { looksLikeCheck, parseRumorCommand, quoteStart, RUMOR_USAGE, wordLength, type RumorCommand } from '../../domain/rumor/chat.ts'
import type { RumorMatch } from '../../domain/rumor/matcher.ts'
import { PRIORITY } from '../../queue/outbox.ts'
import type { RumorStore, RumorSuggestion } from './store.ts'
import type { Inbound, InboundContext } from '../../spine/cascade.ts'
import { answerRepeatOnce, answerStrangerOnce, staffCommandInGroup, takeContactSlice } from '../../spine/guards.ts'
import { RumorScopes } from './scope.ts'
import type { LiveRumorLibrary } from './live-library.ts'
import { openRumorDesk, rumorText, type RumorDesk, type RumorsHost } from './desk.ts'

export { LiveRumorLibrary } from './live-library.ts'
export { DEFAULT_COOLDOWN_S, RUMOR_CATEGORY, RumorDesk, type RumorsHost } from './desk.ts'

/** Group messages with fewer letters/digits are chat (收到, 好的, 1): never matched. */
export const MIN_GROUP_MESSAGE_CHARS = 6
/** Every account in a group sees a message; the first to see it acts, for this long. */
const SEEN_WINDOW_MS = 10 * 60 * 1000

/** Matcher reasons that mark a message as a rebuttal or a notice, not a rumor. */
const NOT_FOR_CURATORS = new Set(['refutation cue', 'official notice', 'negated claim'])

/** Installs the feature (see FEATURES in compose.ts). */
export function installRumors(app: RumorsHost): void {
  const feature = new RumorFeature(app)
  const scopes = new RumorScopes(app)
  app.use(ctx => scopes.handle(ctx))
  app.use(ctx => feature.handle(ctx))
  app.addHelp('approver', '推广 <R编号>（把下级审核员写的辟谣用到本级及以下各群）')
  app.addHelp('approver', `${RUMOR_USAGE.confirm} / ${RUMOR_USAGE.rebut} / ${RUMOR_USAGE.dismiss}（处理疑似谣言）`)
  app.addHelp('publisher', `${RUMOR_USAGE.broadcast}（把辟谣作为通知逐级下发）`)
  app.addHelp('anyone-bound', `${RUMOR_USAGE.check}（查一条消息是不是谣言）`)
}

class RumorFeature {
  private readonly rumors: RumorStore
  private readonly library: LiveRumorLibrary
  private readonly cooldownMs: number
  /** Where curator-written entries may answer by themselves (rumor-scope.ts). */
  private readonly scopes: RumorScopes

  private readonly desk: RumorDesk

  constructor(private readonly app: RumorsHost) {
    ({ rumors: this.rumors, library: this.library, scopes: this.scopes, desk: this.desk, cooldownMs: this.cooldownMs } = openRumorDesk(app))
  }

  async handle({ msg, person }: InboundContext): Promise<string[] | undefined> {
    const cmd = parseRumorCommand(msg.text)
    if (cmd && cmd.kind !== 'check') {
      if (person) return msg.topic ? staffCommandInGroup(this.app, msg, person) : this.command(person, cmd)
      return msg.topic ? [] : answerStrangerOnce(this.app, msg, this.app.t('not_bound'))
    }
    if (msg.topic) return this.groupMessage({ ...msg, topic: msg.topic })
    return this.dmCheck(msg, person, cmd?.text)
  }

  // ── group messages ────────────────────────────────────────────────────────

  private async groupMessage(msg: Inbound & { topic: string }): Promise<string[] | undefined> {
    const group = this.app.groupOf(msg.topic)
    if (group?.kind !== 'public' || (await this.app.botContacts()).has(msg.contactId)) return undefined
    const node = group.node
    if (wordLength(msg.text) < MIN_GROUP_MESSAGE_CHARS) return undefined
    const m = await this.match(msg.text, node)
    if (m.action === 'ignore' || !m.rumor) return undefined
    if (m.action === 'reply') {
      if (!await this.rumors.claimCooldown(msg.topic, m.rumor.id, this.cooldownMs)) return []
      this.app.log.info('rumor.replied', { topic: msg.topic, id: m.rumor.id, score: m.score })
      await metricsOf(this.app).inc(METRICS.rumorReplies, { verdict: 'matched' })
      return [rumorText(this.app, 'rumor_reply', msg.text, m.rumor)]
    }
    // A rebuttal or an official notice repeats the claim: nothing for a curator to do.
    if (m.reasons?.some(r => NOT_FOR_CURATORS.has(r))) return undefined
    if (!await this.rumors.firstSight(msg.topic, msg.contactId, msg.text, SEEN_WINDOW_MS)) return []
    await this.suggest({ text: msg.text, node, topic: msg.topic, bot: msg.bot, candidate: m.rumor.id, score: m.score })
    return []
  }

  private async match(text: string, node: string): Promise<RumorMatch> {
    const m = await this.library.match(text)
    // A curator-written rebuttal answers by itself only within its scope; elsewhere a curator decides.
    return m.action === 'reply' && m.rumor && !await this.scopes.covers(m.rumor.id, node) ? { ...m, action: 'suggest' } : m
  }

  // ── DM checks ─────────────────────────────────────────────────────────────

  /** `explicit` is the text of a `核实 …` command; other DMs are checked only when they look forwarded. */
  private async dmCheck(msg: Inbound, person: string | undefined, explicit?: string): Promise<string[] | undefined> {
    const text = explicit ?? msg.text
    if (wordLength(text) < MIN_GROUP_MESSAGE_CHARS) {
      if (explicit === undefined) return undefined
      // An empty 核实: the usage hint once an hour per contact (a bound person always gets it).
      return person || await answerRepeatOnce(this.app, msg, 'rumor-check-empty') ? [this.app.t('rumor_check_usage')] : []
    }
    const m = await this.match(text, await this.nodeForDm(msg, person))
    if (m.action === 'ignore' && explicit === undefined && !looksLikeCheck(text)) return undefined
    // A villager's checks (answer and curators asked) come out of their slice of the chat share.
    if (!person && !await takeContactSlice(this.app, msg)) return []
    if (m.action === 'reply' && m.rumor) return [rumorText(this.app, 'rumor_dm_reply', text, m.rumor)]
    const node = await this.nodeForDm(msg, person)
    const s = await this.suggest({
      text, node, bot: msg.bot, asker: { bot: msg.bot, contactId: msg.contactId },
      candidate: m.rumor?.id, score: m.score,
    })
    return [this.app.t('rumor_dm_forwarded', { quote: quoteStart(text), code: s.code, node: this.app.nodeName(node) })]
  }

  /**
   * Whose curators check a villager's DM: the node of the group they last spoke in, else their
   * own node (staff), else the first node this account serves that has curators.
   */
  private async nodeForDm(msg: Inbound, person: string | undefined): Promise<string> {
    const topic = await this.app.store.lastGroupOf(msg.bot, msg.contactId)
    const group = topic ? this.app.groupOf(topic) : undefined
    const fromGroup = group?.kind === 'public' ? group.node : undefined
    if (fromGroup) return fromGroup
    const own = person ? [...this.app.approvesFor(person), ...this.app.rolesOf(person).publisher][0] : undefined
    if (own) return own
    const served = this.app.cfg.bots.get(msg.bot)?.nodes ?? []
    return served.find(n => (this.app.cfg.nodes.get(n)?.curators.length ?? 0) > 0) ?? this.app.cfg.rootId
  }

  // ── suggestions ───────────────────────────────────────────────────────────

  private async suggest(input: Omit<RumorSuggestion, 'code' | 'state' | 'createdAt'>): Promise<RumorSuggestion> {
    const s = await this.rumors.createSuggestion({ ...input, createdAt: this.app.now() })
    const candidate = s.candidate ? (await this.library.matcher()).get(s.candidate) : undefined
    const text = this.app.t('rumor_suggest', {
      code: s.code, text: s.text,
      where: s.topic ? this.app.t('rumor_where_group', { topic: s.topic }) : this.app.t('rumor_where_dm', { node: this.app.nodeName(s.node) }),
      candidate: candidate
        ? this.app.t('rumor_suggest_candidate', { id: candidate.id, score: s.score.toFixed(2), claim: candidate.claim })
        : this.app.t('rumor_suggest_no_candidate'),
    })
    const asked = await this.askCurators(s, text)
    this.app.log.info('rumor.suggested', { code: s.code, node: s.node, candidate: s.candidate, score: s.score, asked })
    return s
  }

  /** DMs the node's curators (its backups when no curator is reachable); the number asked. */
  private async askCurators(s: RumorSuggestion, text: string): Promise<number> {
    const node = this.app.cfg.nodes.get(s.node)
    let asked = 0
    for (const people of [node?.curators ?? [], node?.backups ?? []]) {
      for (const person of people) {
        const bot = await this.app.router.botForPerson(person, s.node)
        if (!bot) continue
        await this.app.outboxes.enqueue(bot, { idem: `rumor-${s.code}-ask-${person}`, target: { kind: 'person', person }, text, chat: true }, PRIORITY.reply)
        asked++
      }
      if (asked) return asked
    }
    this.app.log.warn('rumor.curator-unreachable', { code: s.code, node: s.node, hint: 'no curator or backup of the node has redeemed an invite' })
    return 0
  }

  // ── curator and publisher commands ────────────────────────────────────────

  private async command(person: string, cmd: Exclude<RumorCommand, { kind: 'check' }>): Promise<string[]> {
    switch (cmd.kind) {
      case 'malformed': return [this.app.t('malformed', { usage: cmd.usage })]
      case 'broadcast': return [await this.desk.broadcast(person, cmd.ref)]
      default: return [await this.desk.decide(person, cmd)]
    }
  }
}
