/**
 * The groups of one account: found by topic at every login (web-WeChat ids change per login),
 * never guessed.
 *
 * - With the real client (wechat4u) the groups are read in one pass over the loaded contact list,
 *   once it has loaded (`login` comes before it); per-id puppet lookups would retry for ~51 s.
 * - Web WeChat lists only groups saved to contacts (保存到通讯录) or recently active. A configured
 *   group not found is reported with that hint; it is adopted as soon as a message from it arrives.
 * - The other Cascade accounts sitting in a group are recognised by their configured WeChat
 *   nickname (`nickname:` in bots/*.yaml; contact ids are per viewing account) and recorded as
 *   bot contacts, so they are left out of member counts and handlers.
 */
import type { RoomInterface } from 'wechaty/impls'
import { coverageOf } from '../features/coverage/coverage.ts'
import { loadedContacts, type Account } from './account.ts'
import type { DirectoryMember } from './wechat4u.ts'

/** Longest a login waits for the client's contact list before resolving with what it has. */
export const CONTACTS_WAIT_MS = 60_000

export interface ConfiguredGroup { topic: string; node: string; kind: 'public' | 'staff'; level: string }

export class AccountGroups {
  private readonly byTopic = new Map<string, RoomInterface>()
  private readonly topicById = new Map<string, string>()
  private readonly configured = new Map<string, ConfiguredGroup>()
  /** Nicknames of the other Cascade accounts. */
  private readonly peerNicknames: Set<string>
  /** Contact ids (as this account sees them) of the other Cascade accounts. */
  readonly peerContacts = new Set<string>()
  /** Topics of configured groups not found at the last login (or since). */
  missing: string[] = []

  constructor(private readonly acc: Account, private readonly contactsWaitMs = CONTACTS_WAIT_MS) {
    for (const nodeId of acc.bot.nodes) {
      const node = acc.app.cfg.nodes.get(nodeId)
      for (const g of node?.groups ?? []) this.configured.set(g.topic, { topic: g.topic, node: nodeId, kind: g.kind, level: node!.level })
    }
    this.peerNicknames = new Set([...acc.app.cfg.bots.values()].filter(b => b.id !== acc.id).map(b => b.nickname).filter(Boolean))
  }

  get size(): number { return this.byTopic.size }
  get(topic: string): RoomInterface | undefined { return this.byTopic.get(topic) }
  has(topic: string): boolean { return this.byTopic.has(topic) }
  /** The configured topic of a room this account found, by the room's id. */
  topicOf(roomId: string): string | undefined { return this.topicById.get(roomId) }
  isPeerNickname(name: string): boolean { return this.peerNicknames.has(name) }

  /** Finds every configured group of this account's nodes. */
  async resolve(): Promise<void> {
    this.byTopic.clear()
    this.topicById.clear()
    const loaded = loadedContacts(this.acc)
    if (loaded) {
      if (!await loaded.contactsLoaded(this.contactsWaitMs)) {
        this.acc.log.warn('contacts.slow', { waitedMs: this.contactsWaitMs, hint: 'the contact list has not loaded yet: resolving with what is there; missing groups are adopted when they speak' })
      }
      await this.resolveFromDirectory()
    } else {
      await this.resolveByFind()
    }
    this.missing = [...this.configured.keys()].filter(t => !this.byTopic.has(t))
    if (this.missing.length) {
      this.acc.log.warn('groups.missing', { count: this.missing.length, topics: this.missing, hint: '网页版微信只列出“保存到通讯录”的群：在手机上打开该群 → 群聊信息 → 保存到通讯录；并核对群名与配置一致' })
    }
    this.acc.log.info('groups.resolved', { found: this.byTopic.size, missing: this.missing.length })
  }

  /** One pass over the loaded contact list (real client). */
  private async resolveFromDirectory(): Promise<void> {
    const dir = loadedContacts(this.acc)!.directory()
    const seen = new Map<string, number>()
    for (const room of dir.rooms) {
      const group = this.configured.get(room.topic)
      if (!group) continue
      seen.set(room.topic, (seen.get(room.topic) ?? 0) + 1)
      if (seen.get(room.topic)! > 1) continue // two groups of one name: the first found is used, and it is logged below
      this.adopt(loadRoom(this.acc, room.id), room.topic)
      for (const m of room.members) if (this.peerNicknames.has(m.name)) this.peerContacts.add(m.id)
    }
    for (const [topic, n] of seen) if (n > 1) this.acc.log.warn('groups.ambiguous', { topic, count: n, hint: 'two groups of this account have this name: rename one' })
    await this.notePeers()
    const bots = await this.acc.app.store.botContacts() // once for all groups, fresh: this login's ids are in it
    await Promise.all(dir.rooms.filter(r => this.configured.get(r.topic)?.level === 'village' && this.configured.get(r.topic)?.kind === 'public' && this.topicById.get(r.id))
      .map(r => this.recordMembers(r.topic, r.members, bots).catch(err => this.acc.log.warn('members.record-failed', { topic: r.topic, err }))))
  }

  /** Room.find per topic (the mock puppet answers at once). */
  private async resolveByFind(): Promise<void> {
    const bots = await this.acc.app.store.botContacts()
    for (const group of this.configured.values()) {
      const room = await this.acc.wechaty.Room.find({ topic: group.topic })
      if (!room) continue
      this.adopt(room, group.topic)
      if (group.level === 'village' && group.kind === 'public') {
        await this.recordRoomMembers(group.topic, room, bots).catch(err => this.acc.log.warn('members.record-failed', { topic: group.topic, err }))
      }
    }
  }

  /** Takes a room as the configured group of that topic (also a missing group that just spoke). */
  adopt(room: RoomInterface, topic: string): void {
    this.byTopic.set(topic, room)
    this.topicById.set(room.id, topic)
    if (this.missing.includes(topic)) {
      this.missing = this.missing.filter(t => t !== topic)
      this.acc.log.info('groups.found-late', { topic })
      void this.acc.health.recordMissing(this.acc.id, { groups: this.missing }).catch(() => undefined)
    }
  }

  /**
   * Looks a configured group up again in the loaded contact list (it may have appeared since
   * login: a group that became active, or a contact list that was still loading).
   */
  async refind(topic: string): Promise<RoomInterface | undefined> {
    const loaded = loadedContacts(this.acc)
    if (!loaded || !this.configured.has(topic)) return this.byTopic.get(topic)
    const room = loaded.directory().rooms.find(r => r.topic === topic)
    if (room) this.adopt(loadRoom(this.acc, room.id), topic)
    return this.byTopic.get(topic)
  }

  /** Records a contact id as another Cascade account (seen speaking under a peer's nickname). */
  async notePeer(contactId: string): Promise<void> {
    if (this.peerContacts.has(contactId)) return
    this.peerContacts.add(contactId)
    await this.notePeers()
  }

  private async notePeers(): Promise<void> {
    await Promise.all([...this.peerContacts].map(id => this.acc.app.store.addBotContact(id)))
  }

  /** Tells the households feature who is in a village group (nicknames included). */
  private async recordMembers(topic: string, members: DirectoryMember[], bots: Set<string>): Promise<void> {
    const coverage = coverageOf(this.acc.app)
    if (!coverage) return
    await coverage.recordGroupMembers(topic, members.filter(m => !bots.has(m.id) && !this.peerContacts.has(m.id)).map(m => ({ id: m.id, name: m.groupAlias || m.name })))
  }

  private async recordRoomMembers(topic: string, room: RoomInterface, bots: Set<string>): Promise<void> {
    if (!coverageOf(this.acc.app)) return
    const members = await room.memberAll()
    await this.recordMembers(topic, await Promise.all(members.map(async c => ({ id: c.id, name: c.name(), groupAlias: await room.alias(c).catch(() => undefined) ?? undefined }))), bots)
  }

  /**
   * Members of a group, bots excluded: from the room's member id list (loading every member's
   * contact, as `memberAll()` does, cost a tenth of a send at 140 members).
   */
  async memberCount(room: RoomInterface): Promise<number> {
    const bots = await this.acc.app.botContacts()
    const loaded = loadedContacts(this.acc)
    const ids = loaded
      ? loaded.room(room.id)?.members.map(m => m.id) ?? []
      : room.payload?.memberIdList ?? (await room.memberAll()).map(c => c.id)
    return ids.filter(id => !bots.has(id) && !this.peerContacts.has(id)).length
  }
}

/**
 * A room by id without loading it: `Room.find` would load every member's contact through the
 * puppet (O(members × contacts) with wechat4u); posting needs only the id, members come from
 * the loaded contact list.
 */
function loadRoom(acc: Account, id: string): RoomInterface {
  return (acc.wechaty.Room as unknown as { load(id: string): RoomInterface }).load(id)
}
