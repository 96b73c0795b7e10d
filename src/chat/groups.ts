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
import type { ContactInterface, RoomInterface } from 'wechaty/impls'
import { coverageOf } from '../features/coverage/coverage.ts'
import { loadedContacts, type Account } from './account.ts'
import { GroupCheck, type Candidate } from './group-check.ts'
import type { DirectoryMember, DirectoryRoom } from './wechat4u.ts'

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
  /** Whether a group under a configured name is that group (never on its name alone). */
  readonly check: GroupCheck
  /** Groups this account was removed from (by room id, for the session's life): never adopted again. */
  private readonly removed = new Map<string, { topic: string; by: string; at: number }>()
  /** Whether the last resolve saw a loaded contact list (a group not found is then really not listed). */
  listLoaded = true
  /** Groups of this account without a name: they can never match a configured topic. */
  unnamed = 0

  constructor(private readonly acc: Account, private readonly contactsWaitMs = CONTACTS_WAIT_MS) {
    this.check = new GroupCheck(acc)
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
  /** The configured group of a topic (its node, kind, level). */
  configuredGroup(topic: string): ConfiguredGroup | undefined { return this.configured.get(topic) }

  /** Finds every configured group of this account's nodes (the found set is swapped in whole). */
  async resolve(): Promise<void> {
    const found = new Map<string, RoomInterface>()
    const loaded = loadedContacts(this.acc)
    if (loaded) {
      if (!await loaded.contactsLoaded(this.contactsWaitMs)) {
        this.acc.log.warn('contacts.slow', { waitedMs: this.contactsWaitMs, hint: 'the contact list has not loaded yet: resolving with what is there; it is loaded again until it comes, and groups are resolved again then' })
      }
      this.listLoaded = loaded.contactListLoaded()
      await this.resolveFromDirectory(found)
    } else {
      this.listLoaded = true
      await this.resolveByFind(found)
    }
    this.byTopic.clear()
    this.topicById.clear()
    for (const [topic, room] of found) { this.byTopic.set(topic, room); this.topicById.set(room.id, topic) }
    this.missing = [...this.configured.keys()].filter(t => !this.byTopic.has(t))
    if (this.missing.length && this.listLoaded) {
      this.acc.log.warn('groups.missing', { count: this.missing.length, topics: this.missing, unnamed: this.unnamed, hint: this.missingHint() })
    } else if (this.missing.length) {
      this.acc.log.warn('groups.not-yet', { count: this.missing.length, hint: 'the contact list has not loaded: these groups may be in it; nothing is reported missing until it has' })
    }
    this.acc.log.info('groups.resolved', { found: this.byTopic.size, missing: this.missing.length })
  }

  /** What ops should do about missing groups. */
  missingHint(): string {
    const unnamed = this.unnamed ? `；本号另有 ${this.unnamed} 个群没有群名，网页版微信按群名识别群：请给它们起与配置一致的群名` : ''
    return `网页版微信只列出“保存到通讯录”的群：在手机上打开该群 → 群聊信息 → 保存到通讯录；并核对群名与配置一致${unnamed}`
  }

  /** Why a configured group cannot be posted to by this account, in staff's words. */
  whyMissing(topic: string): string {
    const held = this.check.whyHeld(topic)
    if (held) return held
    const removed = [...this.removed.values()].find(r => r.topic === topic)
    if (removed) return `值守号 ${this.acc.id} 已被“${removed.by}”移出群“${topic}”：请把它拉回群里`
    if (!this.listLoaded) return `值守号 ${this.acc.id} 的通讯录还没有加载完成，正在重试；加载后会自动发送`
    return `群“${topic}”在值守号 ${this.acc.id} 中找不到：请在手机上把该群保存到通讯录`
  }

  /** The account was removed from a group: it is missing at once. Returns its configured topic. */
  markRemoved(roomId: string, by: string): string | undefined {
    const topic = this.topicById.get(roomId)
    this.removed.set(roomId, { topic: topic ?? '', by, at: Date.now() })
    if (!topic) return undefined
    this.byTopic.delete(topic)
    this.topicById.delete(roomId)
    if (!this.missing.includes(topic)) this.missing = [...this.missing, topic]
    void this.acc.health.recordMissing(this.acc.id, { groups: this.missing }).catch(() => undefined)
    return topic
  }

  /** The account was added back to a group it had been removed from. */
  unmarkRemoved(roomId: string): void { this.removed.delete(roomId) }

  /** One pass over the loaded contact list (real client). */
  private async resolveFromDirectory(found: Map<string, RoomInterface>): Promise<void> {
    const dir = loadedContacts(this.acc)!.directory()
    this.unnamed = 0
    // A group found before in this session keeps its place by id, even renamed since (ops are
    // told of the new name; a fresh login, with new ids, finds groups by topic only).
    const ids = new Set(dir.rooms.map(r => r.id))
    for (const [topic, room] of this.byTopic) if (ids.has(room.id) && !this.removed.has(room.id)) found.set(topic, room)
    const kept = new Set([...found.values()].map(r => r.id))
    const byName = new Map<string, DirectoryRoom[]>()
    for (const room of dir.rooms) {
      if (this.removed.has(room.id)) continue
      if (!room.topic.trim()) this.unnamed++
      for (const m of room.members) if (this.peerNicknames.has(m.name)) this.peerContacts.add(m.id)
      if (!this.configured.has(room.topic) || found.has(room.topic) || kept.has(room.id)) continue
      byName.set(room.topic, [...byName.get(room.topic) ?? [], room])
    }
    // A configured name carried by one group (taken at first use), or by one whose members match
    // the record; else held and said (group-check.ts).
    await Promise.all([...byName].map(async ([topic, rooms]) => {
      const chosen = await this.check.choose(topic, rooms.map(r => this.candidate(r)), true)
      if (chosen) found.set(topic, chosen)
    }))
    if (this.unnamed) this.acc.log.warn('groups.unnamed', { count: this.unnamed, hint: '有群没有群名：网页版微信按群名识别群，请在手机上给群起名（与配置一致）' })
    await this.notePeers()
    const bots = await this.acc.app.store.botContacts() // once for all groups, fresh: this login's ids are in it
    const byId = new Map(dir.rooms.map(r => [r.id, r]))
    // Who is in each group known to be the configured one: the record a look-alike is compared with.
    await Promise.all([...found].map(([topic, room]) => this.check.record(topic, this.memberNames(byId.get(room.id)?.members ?? []))))
    await Promise.all([...found].filter(([topic]) => this.configured.get(topic)?.level === 'village' && this.configured.get(topic)?.kind === 'public')
      .map(([topic, room]) => this.recordMembers(topic, byId.get(room.id)?.members ?? [], bots).catch(err => this.acc.log.warn('members.record-failed', { topic, err }))))
  }

  /** Room.find per topic (the mock puppet answers at once). */
  private async resolveByFind(found: Map<string, RoomInterface>): Promise<void> {
    const bots = await this.acc.app.store.botContacts()
    for (const group of this.configured.values()) {
      const room = await this.acc.wechaty.Room.find({ topic: group.topic })
      if (!room) continue
      found.set(group.topic, room)
      const members = await room.memberAll().catch(() => [])
      await this.check.record(group.topic, this.namesOf(members.map(c => c.name())))
      if (group.level === 'village' && group.kind === 'public') {
        await this.recordRoomMembers(group.topic, room, members, bots).catch(err => this.acc.log.warn('members.record-failed', { topic: group.topic, err }))
      }
    }
  }

  /** Takes a room as the configured group of that topic (also a missing group that just spoke). */
  adopt(room: RoomInterface, topic: string): void {
    if (this.removed.has(room.id)) return
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
    if (!loaded || !this.configured.has(topic) || this.byTopic.has(topic)) return this.byTopic.get(topic)
    const rooms = loaded.directory().rooms.filter(r => r.topic === topic && !this.removed.has(r.id))
    const chosen = await this.check.choose(topic, rooms.map(r => this.candidate(r)), false)
    if (chosen) await this.adoptKnown(chosen, topic)
    return this.byTopic.get(topic)
  }

  /**
   * A group under a configured name spoke and is not the one found: it is taken only when the
   * configured group is missing and the evidence says it is that group (never on its name alone).
   */
  async consider(room: RoomInterface, topic: string): Promise<boolean> {
    if (!this.configured.has(topic) || this.removed.has(room.id)) return false
    if (this.topicById.get(room.id) === topic) return true
    if (this.byTopic.has(topic)) {
      this.acc.log.warn('group.look-alike', { topic, hint: 'a second group carries the name of a group already found: its messages are ignored' })
      return false
    }
    const loaded = loadedContacts(this.acc)
    const candidates: Candidate[] = loaded
      ? loaded.directory().rooms.filter(r => r.topic === topic && !this.removed.has(r.id)).map(r => this.candidate(r))
      : []
    if (!candidates.some(c => c.room.id === room.id)) {
      candidates.push({ room, names: loaded ? this.memberNames(loaded.room(room.id)?.members ?? []) : await this.mockNames(room) })
    }
    const chosen = await this.check.choose(topic, candidates, false)
    if (chosen) await this.adoptKnown(chosen, topic)
    return this.topicById.get(room.id) === topic
  }

  /** A group known to be the configured one (evidence, or a curator's 确认): taken, its members recorded. */
  async adoptKnown(room: RoomInterface, topic: string): Promise<void> {
    this.check.release(topic)
    this.adopt(room, topic)
    const loaded = loadedContacts(this.acc)
    await this.check.record(topic, loaded ? this.memberNames(loaded.room(room.id)?.members ?? []) : await this.mockNames(room))
  }

  isConfigured(topic: string): boolean { return this.configured.has(topic) }

  private candidate(r: DirectoryRoom): Candidate { return { room: loadRoom(this.acc, r.id), names: this.memberNames(r.members) } }

  /** Members' WeChat names, Cascade accounts left out. */
  private namesOf(names: string[]): string[] {
    const own = this.acc.bot.nickname || this.acc.bot.name
    return names.filter(n => n && n !== own && !this.peerNicknames.has(n))
  }

  private memberNames(members: DirectoryMember[]): string[] { return this.namesOf(members.map(m => m.name)) }

  private async mockNames(room: RoomInterface): Promise<string[]> {
    return this.namesOf((await room.memberAll().catch(() => [])).map(c => c.name()))
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

  private async recordRoomMembers(topic: string, room: RoomInterface, members: ContactInterface[], bots: Set<string>): Promise<void> {
    if (!coverageOf(this.acc.app)) return
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
