/**
 * The curators' side of rumor rebuttal: deciding a suggestion (`是 S12`, `辟谣 S12 …`, `忽略 S12`)
 * and broadcasting a rebuttal (`广播 …`). One code path for chat and for `cascade rumor decide`
 * (cli-desk.ts). Every decision is evidence for the library (issue 27): 是 adds the message's
 * wording as an example of the rumor, 忽略 records it as a near miss of the candidate, 辟谣 makes
 * a new entry — each with where it came from and who decided, listed for review and undo.
 */
import { METRICS, metricsOf } from '../../infra/metrics.ts'
import { quoteStart, type RumorCommand } from '../../domain/rumor/chat.ts'
import { learnedWording } from '../../domain/rumor/learning.ts'
import type { RumorEntry } from '../../domain/rumor/library.ts'
import { PRIORITY } from '../../queue/outbox.ts'
import type { Cascade } from '../../spine/cascade.ts'
import path from 'node:path'
import { LiveRumorLibrary } from './live-library.ts'
import { RumorScopes } from './scope.ts'
import { RumorStore, type RumorSuggestion, type SuggestionState } from './store.ts'

/** What of the spine the rumor desk uses. */
export type RumorsHost = Pick<Cascade, 'addHelp' | 'approvesFor' | 'botContacts' | 'cfg' | 'groupOf' | 'hasRole' | 'log' | 'nodeName' | 'now' | 'outboxes' | 'personName' | 'publish' | 'rolesOf' | 'router' | 'store' | 't' | 'tell' | 'use'>

/** The category of broadcast rebuttals (network.yaml `categories`). */
export const RUMOR_CATEGORY = '辟谣'
/** Category of entries curators add from chat. */
const CURATOR_CATEGORY = 'curator'
/** Shown when an entry names no source. */
const UNKNOWN_SOURCE = '官方通报'
/** A curator-added entry's claim is the message, cut to this many characters. */
const CLAIM_CHARS = 60

const STATE_ZH: Record<SuggestionState, string> = { open: '待处理', confirmed: '确认是谣言', rebutted: '新建了辟谣', ignored: '忽略' }

/** A decision command. */
export type DecideCommand = Extract<RumorCommand, { kind: 'confirm' | 'rebut' | 'dismiss' }>

/** A rebuttal as the bot posts it (`rumor_reply`), answers a DM or tells an asker. */
export function rumorText(app: Pick<Cascade, 't'>, key: 'rumor_reply' | 'rumor_dm_reply' | 'rumor_dm_answered', message: string, entry: RumorEntry, code?: string): string {
  return app.t(key, { quote: quoteStart(message), rebuttal: entry.rebuttal, source: entry.source || UNKNOWN_SOURCE, id: entry.id, claim: entry.claim, code })
}

/** A rumor is answered at most once per group within this time, unless config says otherwise. */
export const DEFAULT_COOLDOWN_S = 6 * 3600

/** The rumor feature's parts on an app: its Redis state, its live library, the scopes, the desk. */
export function openRumorDesk(app: RumorsHost): { rumors: RumorStore; library: LiveRumorLibrary; scopes: RumorScopes; desk: RumorDesk; cooldownMs: number } {
  const rumors = new RumorStore(app.store.redis, app.store.keys.base)
  const library = new LiveRumorLibrary(app.log, rumors, app.cfg.rumors?.library ?? path.join(app.cfg.configDir, 'rumors.yaml'))
  const scopes = new RumorScopes(app)
  const cooldownMs = (app.cfg.rumors?.cooldownSeconds ?? DEFAULT_COOLDOWN_S) * 1000
  return { rumors, library, scopes, desk: new RumorDesk(app, rumors, library, scopes, cooldownMs), cooldownMs }
}

export class RumorDesk {
  constructor(
    private readonly app: RumorsHost,
    private readonly rumors: RumorStore,
    private readonly library: LiveRumorLibrary,
    private readonly scopes: RumorScopes,
    private readonly cooldownMs: number,
  ) {}

  /** Decides a suggestion as `person` (a curator or backup of its node); the reply in Chinese. */
  async decide(person: string, cmd: DecideCommand): Promise<string> {
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
      // Not that rumor: a message repeating this wording is not answered with it again.
      if (s.candidate) await this.learn(s, 'near-miss', s.candidate, person)
      await this.tellAsker(decided)
      return this.app.t('rumor_dismiss_ok', { code })
    }
    const entry = cmd.kind === 'rebut' ? await this.addRebuttal(s, person, cmd.text) : candidate!
    if (cmd.kind === 'rebut') decided = (await this.rumors.decideSuggestion(code, { entryId: entry.id }, 'rebutted')).suggestion ?? decided
    else await this.learn(s, 'example', entry.id, person)
    await this.answer(decided, entry)
    return cmd.kind === 'confirm'
      ? this.app.t('rumor_confirm_ok', { code, id: entry.id, claim: entry.claim })
      : this.app.t('rumor_rebut_ok', { code, id: entry.id, node: this.app.nodeName(s.node) })
  }

  private async learn(s: RumorSuggestion, kind: 'example' | 'near-miss', rumor: string, person: string): Promise<void> {
    const source = s.topic ?? `私聊（${this.app.nodeName(s.node)}）`
    const r = await this.library.learn({ kind, rumor, text: learnedWording(s.text), source, decidedBy: person, suggestion: s.code, at: this.app.now() })
    this.app.log.info('rumor.learned', { code: r.code, kind, rumor, suggestion: s.code, actor: person })
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
        await this.app.outboxes.enqueue(s.bot, { idem: `rumor-${s.code}-group`, target: { kind: 'group', topic: s.topic }, text: rumorText(this.app, 'rumor_reply', s.text, entry), chat: true }, PRIORITY.reply)
        await metricsOf(this.app).inc(METRICS.rumorReplies, { verdict: 'curator' })
      }
    }
    await this.tellAsker(s, entry)
  }

  /** Tells the villager who asked in a DM what the curator decided. */
  private async tellAsker(s: RumorSuggestion, entry?: RumorEntry): Promise<void> {
    if (!s.asker) return
    const text = entry
      ? rumorText(this.app, 'rumor_dm_answered', s.text, entry, s.code)
      : this.app.t('rumor_dm_dismissed', { quote: quoteStart(s.text), code: s.code })
    await this.app.outboxes.enqueue(s.asker.bot, { idem: `rumor-${s.code}-asker`, target: { kind: 'contact', contactId: s.asker.contactId }, text, chat: true }, PRIORITY.reply)
  }

  /** `广播 S12` / `广播辟谣 R35`: the rebuttal as an announcement of category 辟谣, down the tree. */
  async broadcast(person: string, ref: string): Promise<string> {
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
