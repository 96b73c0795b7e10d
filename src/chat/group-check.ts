/**
 * A group is never taken for a configured one on its name alone (issue 23, item 1): anyone can
 * name a group 西村村民群 and add the account to it. One that turns up under a configured name is
 * compared with the members recorded when that group was last known (`groupnames:<topic>`, their
 * WeChat names; domain/group-evidence.ts). Taken when most members match; otherwise held: its
 * messages are ignored, the posts for that group wait (visibly), and the node's curators and ops are
 * told; a curator (or backup, or a publisher) who knows it is the group answers 「确认 <群名>」 in a
 * private chat. Two groups of one name that the record cannot tell apart: neither, and it is said.
 *
 * At login, one group of a configured name in the account's own (saved) list, with no record yet,
 * is taken (trust on first use: the account's owner saved it) and its members recorded.
 */
import type { RoomInterface } from 'wechaty/impls'
import { groupEvidence, RECORD_MAX, type Evidence } from '../domain/group-evidence.ts'
import { PRIORITY, idPart } from '../queue/outbox.ts'
import { opsTopic, type Account } from './account.ts'

export interface Candidate { room: RoomInterface; names: string[] }
export interface Held { room: RoomInterface; why: 'different' | 'no record' | 'ambiguous'; evidence?: Evidence }

/** Messages of the confirmation command: 「确认 西村村民群」. */
const CONFIRM = /^\s*确认\s+(\S.*?)\s*$/

export class GroupCheck {
  /** Groups held under a configured name, by topic (per account, for the session's life). */
  private readonly held = new Map<string, Held>()
  /** What was told, so that nobody hears twice of the same room. */
  private readonly told = new Set<string>()
  /** The record last written per topic by this account. */
  private readonly written = new Map<string, string>()

  constructor(private readonly acc: Account) {}

  private key(topic: string): string { return `${this.acc.app.store.keys.base}groupnames:${idPart(topic)}` }

  async recorded(topic: string): Promise<string[]> { return this.acc.app.store.redis.smembers(this.key(topic)) }

  /** Records who is in a group known to be the configured one. */
  async record(topic: string, names: string[]): Promise<void> {
    const list = [...new Set(names.filter(Boolean))].sort().slice(0, RECORD_MAX)
    // Groups are resolved again after every contact load: write only what changed since.
    const same = list.join('\n')
    if (!list.length || this.written.get(topic) === same) return
    await this.acc.app.store.redis.multi().del(this.key(topic)).sadd(this.key(topic), ...list).exec()
    this.written.set(topic, same)
  }

  heldFor(topic: string): Held | undefined { return this.held.get(topic) }
  release(topic: string): void { this.held.delete(topic) }

  /**
   * Which of the groups carrying a configured name is that group, if any can be told: the one
   * whose members match the record; with no record, the only one — when `firstUse` allows it
   * (at login, from the account's own list). Otherwise they are held and it is said.
   */
  async choose(topic: string, candidates: Candidate[], firstUse: boolean): Promise<RoomInterface | undefined> {
    if (!candidates.length) return undefined
    const recorded = await this.recorded(topic)
    const judged = candidates.map(c => ({ c, e: groupEvidence(recorded, c.names) }))
    // The one whose members match the record; of several, the one matching strictly the most (a
    // look-alike in a tiny group may copy one name, not all).
    const same = judged.filter(j => j.e.verdict === 'same').sort((a, b) => b.e.matched - a.e.matched)
    if (same.length === 1 || (same.length > 1 && same[0].e.matched > same[1].e.matched)) {
      this.held.delete(topic)
      return same[0].c.room
    }
    if (recorded.length === 0 && candidates.length === 1 && firstUse) {
      this.acc.log.info('group.first-use', { topic, members: candidates[0].names.length, hint: 'no record of this group yet: taken as found in the account\'s own list, and its members recorded' })
      return candidates[0].room
    }
    const why = candidates.length > 1 ? 'ambiguous' : recorded.length ? 'different' : 'no record'
    const first = judged[0]
    this.held.set(topic, { room: first.c.room, why, evidence: first.e })
    await this.tell(topic, why, candidates.map(c => c.room.id).sort().join(','), first.e)
    return undefined
  }

  private logHeld(topic: string, candidates: number, why: Held['why'], e: Evidence): void {
    this.acc.log.warn('group.held', {
      topic, candidates, why, matched: e.matched, recorded: e.recorded, members: e.candidate,
      hint: why === 'ambiguous' ? 'two groups carry this name: neither is used; rename the wrong one' : 'not taken on its name alone: a curator confirms it with 「确认 <群名>」 in a private chat',
    })
  }

  /** Why the configured group cannot be posted to while one of its name is held, in staff's words. */
  whyHeld(topic: string): string | undefined {
    const h = this.held.get(topic)
    if (!h) return undefined
    return h.why === 'ambiguous'
      ? `值守号 ${this.acc.id} 有两个群都叫“${topic}”，无法分辨哪个是配置中的群：两个都不发，请把不对的那个改名`
      : `值守号 ${this.acc.id} 找到一个叫“${topic}”的群，但不能只凭群名确认它就是配置中的群：等审核员私聊回复“确认 ${topic}”`
  }

  /** The node's curators (bound to this account) and ops hear of a held group, once per set of rooms. */
  private async tell(topic: string, why: Held['why'], rooms: string, e: Evidence): Promise<void> {
    const once = `${topic}\n${rooms}\n${why}`
    if (this.told.has(once)) return
    this.told.add(once)
    this.logHeld(topic, rooms.split(',').length, why, e)
    const { app, bot, id } = this.acc
    const group = app.groupOf(topic)
    const evidence = e.recorded ? `成员中只有 ${e.matched} 人是记录中的 ${e.recorded} 人之一` : '还没有这个群的成员记录'
    const key = why === 'ambiguous' ? 'group_ambiguous' : 'group_unconfirmed'
    const text = app.t(key, { bot: bot.nickname || bot.name, topic, evidence })
    const at = Date.now()
    const node = group ? app.cfg.nodes.get(group.node) : undefined
    const staff = [...new Set([...node?.curators ?? [], ...node?.backups ?? []])]
    for (const person of staff) {
      if (!(await app.store.bindingsOf(person))[id]) continue
      await app.outboxes.enqueue(id, { idem: `group-held-${id}-${idPart(topic)}-${person}-${at}`, target: { kind: 'person', person }, text }, PRIORITY.urgent)
    }
    const ops = opsTopic(app)
    if (ops && ops !== topic) {
      await app.outboxes.enqueue(id, { idem: `group-held-ops-${id}-${idPart(topic)}-${at}`, target: { kind: 'group', topic: ops }, text: `【值守提醒】${text}` }, PRIORITY.urgent)
    }
  }

  /**
   * 「确认 <群名>」 from a person in a private chat: the held group is taken when the person may
   * speak for that group (a curator or backup of its node, or a publisher). The reply, or
   * undefined when the text is not this command or nothing of that name is held here.
   */
  async confirm(contactId: string, text: string): Promise<{ reply: string; topic?: string; room?: RoomInterface } | undefined> {
    const m = CONFIRM.exec(text)
    if (!m) return undefined
    const topic = m[1]
    const held = this.held.get(topic)
    if (!held) return undefined
    const { app } = this.acc
    const person = await app.store.personOf(this.acc.id, contactId)
    if (!person) return undefined // a stranger: answered as any stranger is
    const group = app.groupOf(topic)
    const roles = app.rolesOf(person)
    const may = roles.publisher.length > 0 || (group && [...roles.curator, ...roles.backup].includes(group.node))
    if (!may) return { reply: app.t('group_confirm_not_yours', { topic }) }
    if (held.why === 'ambiguous') return { reply: app.t('group_confirm_ambiguous', { topic }) }
    this.held.delete(topic)
    this.acc.log.warn('group.confirmed', { topic, by: person })
    return { reply: app.t('group_confirmed', { topic }), topic, room: held.room }
  }
}
