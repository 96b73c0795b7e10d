/**
 * Rumor rebuttal in chat (issue 5): answers known rumors in public groups, sends doubtful ones
 * to the curators of the group's node (`S12`), grows the library from their answers, and checks
 * messages villagers forward to a bot in a DM.
 *
 * Every process builds its own `RumorMatcher` from the library file and the curator-added
 * entries in Redis; a version counter in Redis tells a process that another one added an entry.
 * All sends go through the outboxes (handler replies via the runtime, the rest via `enqueue`).
 */
import { METRICS, metricsOf } from '../../infra/metrics.ts'
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { CascadeConfig } from '../../config/types.ts'
import { looksLikeCheck, parseRumorCommand, quoteStart, RUMOR_USAGE, wordLength, type RumorCommand } from '../../domain/rumor/chat.ts'
import { loadRumorLibrary, type RumorEntry } from '../../domain/rumor/library.ts'
import { RumorMatcher, type RumorMatch } from '../../domain/rumor/matcher.ts'
import { PRIORITY } from '../../queue/outbox.ts'
import { RumorStore, type RumorSuggestion, type StoredRumor, type SuggestionState } from './store.ts'
import type { Cascade, Inbound, InboundContext } from '../../spine/cascade.ts'
import type { Logger } from '../../infra/log.ts'
import { answerRepeatOnce, answerStrangerOnce, staffCommandInGroup, takeContactSlice } from '../../spine/guards.ts'
import { RumorScopes } from './scope.ts'

/** What of the spine the rumor desk uses. */
export type RumorsHost = Pick<Cascade, 'addHelp' | 'approvesFor' | 'botContacts' | 'cfg' | 'groupOf' | 'hasRole' | 'log' | 'nodeName' | 'now' | 'outboxes' | 'personName' | 'publish' | 'rolesOf' | 'router' | 'store' | 't' | 'tell' | 'use'>

/** A rumor is answered at most once per group within this time, unless config says otherwise. */
export const DEFAULT_COOLDOWN_S = 6 * 3600
/** Group messages with fewer letters/digits are chat (收到, 好的, 1): never matched. */
export const MIN_GROUP_MESSAGE_CHARS = 6
/** Every account in a group sees a message; the first to see it acts, for this long. */
const SEEN_WINDOW_MS = 10 * 60 * 1000
/** The category of broadcast rebuttals (network.yaml `categories`). */
export const RUMOR_CATEGORY = '辟谣'
/** Category of entries curators add from chat. */
const CURATOR_CATEGORY = 'curator'
/** Shown when an entry names no source. */
const UNKNOWN_SOURCE = '官方通报'
/** A curator-added entry's claim is the message, cut to this many characters. */
const CLAIM_CHARS = 60

/** Matcher reasons that mark a message as a rebuttal or a notice, not a rumor. */
const NOT_FOR_CURATORS = new Set(['refutation cue', 'official notice', 'negated claim'])

const STATE_ZH: Record<SuggestionState, string> = { open: '待处理', confirmed: '确认是谣言', rebutted: '新建了辟谣', ignored: '忽略' }

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

/**
 * The library as this process sees it: the config file plus the curator-added entries in Redis,
 * reloaded when the version in Redis moves.
 */
export class LiveRumorLibrary {
  private loading?: Promise<RumorMatcher>
  private loadedVersion = -1
  /** Highest `R<n>` in the file: curator entries are numbered above it. */
  private fileFloor = 0

  constructor(private readonly log: Logger, private readonly rumors: RumorStore, private readonly file: string) {}

  /** The matcher, brought up to date with Redis. */
  async matcher(): Promise<RumorMatcher> {
    const m = await (this.loading ??= this.load())
    const version = await this.rumors.version()
    if (version !== this.loadedVersion) {
      this.loadedVersion = version
      this.addAll(m, await this.rumors.entries())
    }
    return m
  }

  /** Adds a curator's entry here and in Redis (where the other processes find it). */
  async add(entry: Omit<StoredRumor, 'id'>): Promise<StoredRumor> {
    const m = await this.matcher()
    for (;;) {
      const stored: StoredRumor = { ...entry, id: await this.rumors.nextEntryId(this.fileFloor) }
      if (m.get(stored.id)) continue
      if (await this.rumors.addEntry(stored)) {
        m.add(stored)
        return stored
      }
    }
  }

  private async load(): Promise<RumorMatcher> {
    let entries: RumorEntry[] = []
    if (existsSync(this.file)) {
      try {
        entries = await loadRumorLibrary(this.file)
      } catch (err) {
        // A broken library must not silence the bot: it keeps the curator-added entries.
        this.log.error('rumor.library-invalid', { file: this.file, error: (err as Error).message })
      }
    } else this.log.warn('rumor.library-missing', { file: this.file })
    for (const e of entries) {
      const n = /^R(\d+)$/.exec(e.id)
      if (n) this.fileFloor = Math.max(this.fileFloor, Number(n[1]))
    }
    const m = new RumorMatcher(entries)
    this.log.info('rumor.library-loaded', { file: this.file, entries: entries.length })
    return m
  }

  private addAll(m: RumorMatcher, stored: readonly StoredRumor[]): void {
    for (const e of stored) {
      if (m.get(e.id)) continue
      m.add(e)
      this.log.info('rumor.entry-loaded', { id: e.id })
    }
  }
}

class RumorFeature {
  private readonly rumors: RumorStore
  private readonly library: LiveRumorLibrary
  private readonly cooldownMs: number
  /** Where curator-written entries may answer by themselves (rumor-scope.ts). */
  private readonly scopes: RumorScopes

  constructor(private readonly app: RumorsHost) {
    this.scopes = new RumorScopes(app)
    const cfg: CascadeConfig = app.cfg
    this.rumors = new RumorStore(app.store.redis, app.store.keys.base)
    const file = cfg.rumors?.library ?? path.join(cfg.configDir, 'rumors.yaml')
    this.library = new LiveRumorLibrary(app.log, this.rumors, file)
    this.cooldownMs = (cfg.rumors?.cooldownSeconds ?? DEFAULT_COOLDOWN_S) * 1000
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
      return [this.rumorText('rumor_reply', msg.text, m.rumor)]
    }
    // A rebuttal or an official notice repeats the claim: nothing for a curator to do.
    if (m.reasons?.some(r => NOT_FOR_CURATORS.has(r))) return undefined
    if (!await this.rumors.firstSight(msg.topic, msg.contactId, msg.text, SEEN_WINDOW_MS)) return []
    await this.suggest({ text: msg.text, node, topic: msg.topic, bot: msg.bot, candidate: m.rumor.id, score: m.score })
    return []
  }

  private async match(text: string, node: string): Promise<RumorMatch> {
    const m = (await this.library.matcher()).match(text)
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
    if (m.action === 'reply' && m.rumor) return [this.rumorText('rumor_dm_reply', text, m.rumor)]
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
      case 'broadcast': return [await this.broadcast(person, cmd.ref)]
      default: return [await this.decide(person, cmd)]
    }
  }

  private async decide(person: string, cmd: Extract<RumorCommand, { kind: 'confirm' | 'rebut' | 'dismiss' }>): Promise<string> {
    const { code } = cmd
    const s = await this.rumors.suggestion(code)
    if (!s) return this.app.t('rumor_unknown_code', { code })
    if (!this.app.approvesFor(person).includes(s.node)) return this.app.t('rumor_not_your_node', { code, node: this.app.nodeName(s.node) })
    if (s.state !== 'open') return this.alreadyDecided(s)
    const matcher = await this.library.matcher()
    const candidate = s.candidate ? matcher.get(s.candidate) : undefined
    if (cmd.kind === 'confirm' && !candidate) return this.app.t('rumor_confirm_nothing', { code })

    const state: SuggestionState = cmd.kind === 'confirm' ? 'confirmed' : cmd.kind === 'rebut' ? 'rebutted' : 'ignored'
    const result = await this.rumors.decideSuggestion(code, { state, decidedBy: person, decidedAt: this.app.now(), entryId: candidate && cmd.kind === 'confirm' ? candidate.id : undefined })
    if (!result.changed || !result.suggestion) return result.suggestion ? this.alreadyDecided(result.suggestion) : this.app.t('rumor_unknown_code', { code })
    let decided = result.suggestion
    this.app.log.info('rumor.decided', { code, state, actor: person })

    if (cmd.kind === 'dismiss') {
      await this.tellAsker(decided)
      return this.app.t('rumor_dismiss_ok', { code })
    }
    const entry = cmd.kind === 'rebut' ? await this.addRebuttal(s, person, cmd.text) : candidate!
    if (cmd.kind === 'rebut') decided = (await this.rumors.decideSuggestion(code, { entryId: entry.id }, 'rebutted')).suggestion ?? decided
    await this.answer(decided, entry)
    return cmd.kind === 'confirm'
      ? this.app.t('rumor_confirm_ok', { code, id: entry.id, claim: entry.claim })
      : this.app.t('rumor_rebut_ok', { code, id: entry.id, node: this.app.nodeName(s.node) })
  }

  /** A new library entry from the suggested message and the curator's rebuttal. */
  private async addRebuttal(s: RumorSuggestion, person: string, rebuttal: string): Promise<RumorEntry> {
    const entry = await this.library.add({
      claim: quoteStart(s.text, CLAIM_CHARS), rebuttal, examples: [s.text], urls: [],
      category: CURATOR_CATEGORY, source: `${this.app.nodeName(s.node)}${this.app.personName(person)}核实`,
      addedBy: person, addedAt: this.app.now(), fromSuggestion: s.code,
    })
    await this.scopes.limit(entry.id, s.node, person) // until someone above widens it
    return entry
  }

  private alreadyDecided(s: RumorSuggestion): string {
    return this.app.t('rumor_already_decided', { code: s.code, actor: s.decidedBy ? this.app.personName(s.decidedBy) : '系统', state: STATE_ZH[s.state] })
  }

  /** The rebuttal goes where the message came from: its group, and the villager who asked. */
  private async answer(s: RumorSuggestion, entry: RumorEntry): Promise<void> {
    if (s.topic) {
      // The group may just have had this rebuttal (another message, another account): once is enough.
      if (await this.rumors.claimCooldown(s.topic, entry.id, this.cooldownMs)) {
        await this.app.outboxes.enqueue(s.bot, { idem: `rumor-${s.code}-group`, target: { kind: 'group', topic: s.topic }, text: this.rumorText('rumor_reply', s.text, entry), chat: true }, PRIORITY.reply)
        await metricsOf(this.app).inc(METRICS.rumorReplies, { verdict: 'curator' })
      }
    }
    await this.tellAsker(s, entry)
  }

  /** Tells the villager who asked in a DM what the curator decided. */
  private async tellAsker(s: RumorSuggestion, entry?: RumorEntry): Promise<void> {
    if (!s.asker) return
    const text = entry
      ? this.rumorText('rumor_dm_answered', s.text, entry, s.code)
      : this.app.t('rumor_dm_dismissed', { quote: quoteStart(s.text), code: s.code })
    await this.app.outboxes.enqueue(s.asker.bot, { idem: `rumor-${s.code}-asker`, target: { kind: 'contact', contactId: s.asker.contactId }, text, chat: true }, PRIORITY.reply)
  }

  private rumorText(key: 'rumor_reply' | 'rumor_dm_reply' | 'rumor_dm_answered', message: string, entry: RumorEntry, code?: string): string {
    return this.app.t(key, { quote: quoteStart(message), rebuttal: entry.rebuttal, source: entry.source || UNKNOWN_SOURCE, id: entry.id, claim: entry.claim, code })
  }

  /** `广播 S12` / `广播辟谣 R35`: the rebuttal as an announcement of category 辟谣, down the tree. */
  private async broadcast(person: string, ref: string): Promise<string> {
    const origin = this.app.rolesOf(person).publisher[0] ?? (this.app.approvesFor(person).includes(this.app.cfg.rootId) ? this.app.cfg.rootId : undefined)
    if (!origin) return this.app.t('rumor_broadcast_denied')
    let id = ref
    if (ref.startsWith('S')) {
      const s = await this.rumors.suggestion(ref)
      if (!s) return this.app.t('rumor_unknown_code', { code: ref })
      if (!s.entryId) return this.app.t('rumor_broadcast_undecided', { code: ref })
      id = s.entryId
    }
    const entry = (await this.library.matcher()).get(id)
    if (!entry) return this.app.t('rumor_unknown_entry', { id })
    const text = this.app.t('rumor_broadcast_text', { claim: entry.claim, rebuttal: entry.rebuttal, source: entry.source || UNKNOWN_SOURCE, id: entry.id })
    const a = await this.app.publish({ node: origin, author: person, text, category: RUMOR_CATEGORY, severity: 'normal', ackRequired: false })
    this.app.log.info('rumor.broadcast', { id: entry.id, code: a.code, actor: person })
    await this.scopes.widen(entry.id, origin, person) // a publisher's or district curator's explicit word
    return this.app.t('rumor_broadcast_ok', { id: entry.id, code: a.code })
  }
}
