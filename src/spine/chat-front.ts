/**
 * The chat front: a message from a person in, the replies to send back out. Parses the chat
 * command, authorises it by the sender's binding, dispatches it — the spine's own commands
 * here, a feature's through `command(kind, …)` — then the features' handlers (`use`), then
 * the acknowledgment parser; `帮助` lists what the person may do.
 *
 * Chat handlers return reply texts, which the caller sends through the outbox like everything else.
 */
import { displayName, isBlank, wellFormed } from '../domain/text.ts'
import { MAX_INBOUND_CHARS } from '../domain/limits.ts'
import { answerStrangerOnce, revokeCodesSeenInGroup, staffCommandInGroup, tooLongInbound, type GuardHost } from './guards.ts'
import { parseAck } from '../domain/ack.ts'
import type { Decision, Relay } from '../domain/announcement.ts'
import { parseCommand, parseWhen, USAGE, type Command } from '../domain/commands.ts'
import { clock, dateAndClock, stateZh } from '../domain/status.ts'
import { idPart } from '../queue/outbox.ts'
import type { Store } from '../store/store.ts'
import { withChannel } from '../store/channel.ts'
import type { Logger } from '../infra/log.ts'
import type { Acks } from './acks.ts'
import type { Bindings } from './bindings.ts'
import { publicGroups, type Directory } from './directory.ts'
import type { CommandHandler, CommandKind, HelpAudience, Inbound, InboundHandler } from './inbound.ts'
import type { Progress } from './progress.ts'
import type { Relays } from './relays.ts'
import type { Texts } from './texts.ts'

/** The same group message seen by several accounts arrives within this window. */
const SAME_MESSAGE_WINDOW_MS = 10_000

/** Commands the spine leaves to features (corrections, retraction, 待办, 分类: src/features/curation/). */
type FeatureCommand = Exclude<CommandKind, 'help' | 'bind' | 'rebind' | 'malformed' | 'publish' | 'drill' | 'schedule' | 'approve' | 'edit' | 'reject' | 'progress'>

export interface ChatFrontDeps {
  dir: Directory
  texts: Texts
  store: Store
  relays: Relays
  bindings: Bindings
  acks: Acks
  progress: Progress
  now: () => number
  log: Logger
  /** The app as the abuse guards use it (guards.ts). */
  guards: GuardHost
}

export class ChatFront {
  private readonly handlers: InboundHandler[] = []
  private readonly helpLines: { audiences: HelpAudience[]; usage: string }[] = []
  private readonly commands = new Map<CommandKind, CommandHandler<never>>()
  /** Usage lines of feature commands, shown after the spine's own lines of the same audience. */
  private readonly commandHelp: { audience: 'publisher' | 'approver'; usage: string }[] = []

  constructor(private readonly d: ChatFrontDeps) {}

  /** Adds a feature's inbound handler; handlers run in the order added, after the commands. */
  use(handler: InboundHandler): void { this.handlers.push(handler) }

  /** Adds a line to the `帮助` text of the people it concerns (shown once to someone in several). */
  addHelp(audience: HelpAudience | HelpAudience[], usage: string): void {
    this.helpLines.push({ audiences: Array.isArray(audience) ? audience : [audience], usage })
  }

  /** A feature carries out a chat command of the parser; its usage joins the spine's in `帮助`. */
  command<K extends FeatureCommand>(kind: K, fn: CommandHandler<K>, help?: { audience: 'publisher' | 'approver'; usage: string }): void {
    if (this.commands.has(kind)) throw new Error(`a handler for command "${kind}" is already registered`)
    this.commands.set(kind, fn as unknown as CommandHandler<never>)
    if (help) this.commandHelp.push(help)
  }

  /**
   * Handles one message from a person (never the bot's own). Returns the replies to send
   * back where it came from. Never throws for bad input: bad input gets a help text.
   */
  handleInbound(raw: Inbound): Promise<string[]> { return withChannel('chat', () => this.inbound(raw)) }

  /**
   * Carries out a staff command of a bound person given elsewhere than in chat (the command
   * centre's approve, reject, edit, classify, correct, retract): exactly the chat command's
   * checks, rules and audit; the caller sets the channel (`withChannel`). Returns the replies.
   */
  runCommand(person: string, cmd: Command): Promise<string[]> { return this.execute(person, cmd) }

  private async inbound(raw: Inbound): Promise<string[]> {
    const { store, texts } = this.d
    // Every chat feature stores parts of what people write: nothing malformed may reach Redis.
    // A display name is capped (a 200,000-character nickname is not stored whole: issue 23, item 6).
    const msg = { ...raw, text: wellFormed(raw.text), contactName: displayName(raw.contactName) }
    // A personal code seen in any group, however long the message, is no longer a secret: revoked.
    if (msg.topic && msg.kind !== 'image') await revokeCodesSeenInGroup(this.d.guards, { ...msg, topic: msg.topic })
    if (msg.text.length > MAX_INBOUND_CHARS) return tooLongInbound(this.d.guards, msg) // never parsed
    if (msg.topic && !this.d.dir.groupOf(msg.topic)) return [] // a group no node lists is not ours to act in
    if (msg.kind === 'image') {
      const person = await store.personOf(msg.bot, msg.contactId)
      for (const handler of this.handlers) {
        const replies = await handler({ msg, person })
        if (replies) return replies
      }
      return []
    }
    if (msg.topic && !(await this.d.acks.botContacts()).has(msg.contactId)) await store.noteSpeaker(msg.bot, msg.contactId, msg.topic)
    const cmd = parseCommand(msg.text)
    if (!msg.topic && cmd?.kind === 'bind') return this.d.bindings.redeem(msg, cmd.invite)
    if (!msg.topic && cmd?.kind === 'rebind') return this.d.bindings.rebind(msg, cmd.personal)
    // A personal code typed in a group is never acted on (and never echoed back); it was revoked above.
    if (msg.topic && cmd?.kind === 'rebind') return []
    const person = await store.personOf(msg.bot, msg.contactId)
    if (cmd && cmd.kind !== 'bind') {
      if (person) {
        // Staff commands act only in a private chat: a group may hold villagers (see guards.ts).
        if (msg.topic) return staffCommandInGroup(this.d.guards, msg, person)
        return this.execute(person, cmd)
      }
      if (msg.topic) return [] // an unbound member's command in a group is ignored without a word
      this.d.log.info('command.unbound', { bot: msg.bot, command: cmd.kind })
      return answerStrangerOnce(this.d.guards, msg, texts.t('not_bound'))
    }
    for (const handler of this.handlers) {
      const replies = await handler({ msg, person })
      if (replies) return replies
    }
    if (msg.topic) {
      const ack = parseAck(msg.text)
      if (ack.ack && await this.firstToHandle(msg, msg.contactName)) await this.d.acks.recordAck({ ...msg, topic: msg.topic }, ack.code)
      return []
    }
    return person ? [this.helpText(person)] : answerStrangerOnce(this.d.guards, msg, texts.t('not_bound'))
  }

  /**
   * For a group message: true for the first account to handle it. Web-WeChat contact and
   * message ids differ between accounts, so the same message is known by its group, its sender
   * (person id when bound, else group nickname) and its text, for a few seconds.
   */
  private async firstToHandle(msg: Inbound, sender: string): Promise<boolean> {
    const { store } = this.d
    const key = `${store.keys.base}inbound:${idPart(`${msg.topic}\n${sender}\n${msg.text}`)}`
    return (await store.redis.set(key, msg.bot, 'PX', SAME_MESSAGE_WINDOW_MS, 'NX')) === 'OK'
  }

  private async execute(person: string, cmd: Command): Promise<string[]> {
    const { texts, dir } = this.d
    // A text of label words only (发布 【紧急通知】) leaves a post with nothing of its own: refused as blank.
    if ((cmd.kind === 'publish' || cmd.kind === 'drill' || cmd.kind === 'schedule' || cmd.kind === 'edit') && isBlank(texts.body(cmd.text))) {
      return [texts.t('malformed', { usage: USAGE[cmd.kind === 'publish' ? '发布' : cmd.kind === 'drill' ? '演练' : cmd.kind === 'edit' ? '修改' : '定时'] })]
    }
    switch (cmd.kind) {
      case 'help': return [this.helpText(person)]
      case 'bind': case 'rebind': return [texts.t('bind_bad')]
      case 'malformed': return [texts.t('malformed', { usage: USAGE[cmd.verb] })]
      case 'publish': case 'drill': case 'schedule': {
        const origin = dir.rolesOf(person).publisher[0]
        if (!origin) return [texts.t('not_publisher')]
        const at = cmd.kind === 'schedule' ? parseWhen(cmd.when, this.d.now()) : undefined
        if (cmd.kind === 'schedule' && at === undefined) return [texts.t('malformed', { usage: USAGE.定时 })]
        const severity = cmd.kind === 'publish' ? cmd.severity : undefined
        const a = await this.d.relays.publish({ node: origin, author: person, text: cmd.text, severity, status: cmd.kind === 'drill' ? 'exercise' : 'actual', at })
        if (cmd.kind === 'schedule') return [texts.t('schedule_ok', { code: a.code, time: dateAndClock(a.scheduledAt ?? a.createdAt) })]
        const n = dir.node(origin)
        return [texts.t('publish_ok', { code: a.code, groups: publicGroups(n).length, children: dir.children(origin).length })]
      }
      case 'approve': return [await this.decideByChat(person, cmd.code, { action: 'approve' })]
      case 'edit': return [await this.decideByChat(person, cmd.code, { action: 'edit', text: cmd.text })]
      case 'reject': return [await this.decideByChat(person, cmd.code, { action: 'reject', reason: cmd.reason })]
      case 'progress': {
        const text = await this.d.progress.statusText(cmd.code)
        return [text ?? texts.t('unknown_code', { code: cmd.code })]
      }
      default: {
        const fn = this.commands.get(cmd.kind) as CommandHandler<typeof cmd.kind> | undefined
        if (!fn) throw new Error(`no handler for command "${cmd.kind}" in this process`)
        return fn(person, cmd)
      }
    }
  }

  /** A curator's decision given in chat; returns the reply for them. */
  private async decideByChat(person: string, code: string, decision: Decision): Promise<string> {
    const { store, dir, texts } = this.d
    const a = await store.announcement(code)
    if (!a) return texts.t('unknown_code', { code })
    const mine = dir.approvesFor(person)
    const relays = await store.relays(code)
    const here = mine.map(n => relays.get(n)).filter((r): r is Relay => r !== undefined)
    const pending = here.find(r => r.state === 'pending')
    if (!pending) {
      const done = here[0]
      if (done) return texts.t('already_decided', { code, node: dir.nodeName(done.node), state: stateZh(done.state), actor: done.decidedBy ? dir.personName(done.decidedBy) : '系统', time: done.decidedAt ? clock(done.decidedAt) : '' })
      return texts.t('not_your_node', { code, nodes: mine.map(n => dir.nodeName(n)).join('、') || '无' })
    }
    const result = await this.d.relays.decide(a, pending.node, person, decision)
    if (!result.changed) {
      const r = result.relay
      return texts.t('already_decided', { code, node: dir.nodeName(pending.node), state: r ? stateZh(r.state) : '处理', actor: r?.decidedBy ? dir.personName(r.decidedBy) : '系统', time: r?.decidedAt ? clock(r.decidedAt) : '' })
    }
    const node = dir.node(pending.node)
    const counts = { code, groups: publicGroups(node).length, children: dir.children(node.id).length }
    return decision.action === 'approve' ? texts.t('approve_ok', counts) : decision.action === 'edit' ? texts.t('edit_ok', counts) : texts.t('reject_ok', { code })
  }

  helpText(person: string): string {
    const r = this.d.dir.rolesOf(person)
    const audiences = new Set<HelpAudience>(['anyone-bound'])
    if (r.publisher.length) audiences.add('publisher')
    if (r.curator.length || r.backup.length) audiences.add('approver')
    if (r.gridWorker.length) audiences.add('grid-worker')
    const featureLines = (a: 'publisher' | 'approver') => this.commandHelp.filter(h => h.audience === a).map(h => h.usage)
    const lines: string[] = []
    if (audiences.has('publisher')) lines.push(USAGE.发布, USAGE.演练, USAGE.定时, ...featureLines('publisher'))
    if (audiences.has('approver')) lines.push(USAGE.通过, USAGE.驳回, USAGE.修改, ...featureLines('approver'))
    lines.push(USAGE.进度)
    for (const h of this.helpLines) if (h.audiences.some(a => audiences.has(a))) lines.push(h.usage)
    lines.push(USAGE.帮助)
    return this.d.texts.t('help', { commands: lines.join('\n') })
  }
}
