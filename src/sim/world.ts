/**
 * A simulated WeChat for the demo and the tests: the district's people, villagers and groups,
 * seen by every bot account through its own mock puppet.
 *
 * wechaty-puppet-mock gives each puppet its own world (a `Mocker`), so a group that two
 * accounts sit in exists once per mocker, with the same room and contact ids. The world keeps
 * them in step: a person's message is said in every copy of the group, and a bot's own post
 * is mirrored into the other accounts' copies, as WeChat would show it to them.
 */
import { FileBox } from 'file-box'
import * as PUPPET from 'wechaty-puppet'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import type { CascadeConfig, GroupConfig } from '../config/types.ts'
import type { VillageHouseholds } from '../domain/households.ts'
import { seeded } from './seeded.ts'

export { seeded } from './seeded.ts'

type Mocker = InstanceType<typeof mock.Mocker>

export interface WorldMessage {
  /** Group topic, for a group message. */
  room?: string
  from: string
  fromName: string
  /** Recipient contact id, for a DM. */
  to?: string
  text: string
  at: number
}

export interface WorldOptions {
  /** Seed for names and group sizes, so a run can be repeated. */
  seed?: number
  /** Villagers in each village public group (min, max). */
  villagersPerGroup?: [number, number]
  /** Residents in district and township public groups. */
  residentsPerGroup?: number
  /**
   * The accounts this world runs (a mocker each); all of the config's by default. A bot process
   * of a bigger simulation holds only its own accounts; the groups and their members are the
   * same in every process (same config and seed), so room and contact ids agree.
   */
  bots?: string[]
}

export interface SimGroup extends GroupConfig { node: string; roomId: string; members: string[] }

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文'
const GIVEN = '秀英桂兰玉梅翠花春燕建国建华志强国庆德明永福金凤淑珍海涛小红丽娟红梅文斌家福长林大勇朝阳光明德华秋菊冬梅玉珍福贵宝山明辉晓燕'


/** In villages with households, every this-many-th villager is not on the roster (unassigned). */
const UNASSIGNED_EVERY = 7

/** Roster member names with the grids taken in turn (a group has members of every grid). */
function rosterInTurns(v: VillageHouseholds): string[] {
  const perGrid = v.grids.map(g => g.households.flatMap(h => h.members))
  const out: string[] = []
  for (let k = 0; perGrid.some(m => k < m.length); k++) for (const m of perGrid) if (k < m.length) out.push(m[k])
  return out
}

export function personContactId(person: string): string { return `wxid_p_${person}` }
export function botContactId(bot: string): string { return `wxid_bot_${bot}` }

/** A complete contact payload (what the mocker's createContact would make, without faker). */
function contactPayload(id: string, name: string): PUPPET.payloads.Contact {
  return { id, name, type: PUPPET.types.Contact.Individual, gender: PUPPET.types.ContactGender.Unknown, avatar: '', friend: true, phone: [], alias: undefined, star: false }
}

export class SimWorld {
  readonly mockers = new Map<string, Mocker>()
  readonly puppets = new Map<string, PuppetMock>()
  readonly groups = new Map<string, SimGroup>()
  /** Contact id → display name, for everyone in the world. */
  readonly names = new Map<string, string>()
  /** Every message said anywhere, in order. */
  readonly transcript: WorldMessage[] = []
  private readonly listeners: ((m: WorldMessage) => void)[] = []
  private readonly random: () => number
  /** Villagers named so far per village with households. */
  private readonly villagersIn = new Map<string, number>()
  /** Groups by room id (a bot's own post is looked up per message). */
  private readonly byRoomId = new Map<string, SimGroup>()
  /** Contact ids of the accounts serving each node. */
  private readonly botsOfNode = new Map<string, string[]>()
  /** Contact ids of everyone with a role (every account knows them). */
  private readonly peopleIds: string[] = []

  constructor(readonly cfg: CascadeConfig, opts: WorldOptions = {}) {
    this.random = seeded(opts.seed ?? 20200128)
    const [minV, maxV] = opts.villagersPerGroup ?? [20, 40]
    for (const person of cfg.people.values()) {
      this.names.set(personContactId(person.id), person.name)
      this.peopleIds.push(personContactId(person.id))
    }
    for (const bot of cfg.bots.values()) {
      this.names.set(botContactId(bot.id), bot.name)
      for (const node of bot.nodes) {
        const list = this.botsOfNode.get(node) ?? []
        list.push(botContactId(bot.id))
        this.botsOfNode.set(node, list)
      }
    }

    let roomNo = 0
    let villagerNo = 0
    for (const node of cfg.nodes.values()) {
      const staff = [...new Set([...node.curators, ...node.backups, ...node.publishers])].map(personContactId)
      let previous: string[] = []
      for (const g of node.groups) {
        const members = [...staff]
        if (g.kind === 'public') {
          const n = node.level === 'village' ? minV + Math.floor(this.random() * (maxV - minV + 1)) : (opts.residentsPerGroup ?? 12)
          // Villages' second groups share about a third of their members with the first.
          const shared = previous.filter(() => this.random() < 0.33)
          members.push(...shared)
          while (members.length - staff.length < n) {
            const id = `wxid_v_${++villagerNo}`
            this.names.set(id, this.villagerNameIn(node.id))
            members.push(id)
          }
          previous = members.slice(staff.length)
        }
        const group: SimGroup = { ...g, node: node.id, roomId: `${++roomNo}${1e7 + roomNo}@chatroom`, members }
        this.groups.set(g.topic, group)
        this.byRoomId.set(group.roomId, group)
      }
    }

    for (const bot of opts.bots ?? cfg.bots.keys()) this.buildMocker(bot)
  }

  /**
   * A fresh mock puppet for one account, seeing the same contacts and groups (as after a restart).
   * Contacts and rooms are made from complete payloads: the mocker's own `createContact` /
   * `createRoom` fill in random fields with faker and shuffle every known contact per room,
   * which at thousands of members per account took seconds.
   */
  buildMocker(bot: string): PuppetMock {
    const cfg = this.cfg
    const botCfg = cfg.bots.get(bot)
    if (!botCfg) throw new Error(`no bot "${bot}" in this world`)
    const mocker = new mock.Mocker()
    const puppet = new PuppetMock({ mocker })
    this.mockers.set(bot, mocker)
    this.puppets.set(bot, puppet)
    const self = botContactId(bot)
    const serves = new Set(botCfg.nodes)
    const inRooms = [...this.groups.values()].filter(g => serves.has(g.node))
    const contacts = new Set<string>([self, ...this.peopleIds])
    for (const g of inRooms) {
      g.members.forEach(m => contacts.add(m))
      this.botsIn(g).forEach(b => contacts.add(b))
    }
    // Villagers get only their payload (what the puppet reads); the mock's contact object, an
    // event emitter each, is made when one of them first says something (see `contact`).
    for (const id of contacts) {
      const payload = contactPayload(id, this.names.get(id) ?? id)
      if (id.startsWith('wxid_v_')) mocker.cacheContactPayload.set(id, payload)
      else mocker.ContactMock.create(payload)
    }
    for (const g of inRooms) {
      mocker.RoomMock.create({ id: g.roomId, topic: g.topic, memberIdList: [...new Set([...this.botsIn(g), ...g.members])], adminIdList: [], avatar: '' })
    }
    puppet.on('message', ({ messageId }) => this.onPuppetMessage(bot, mocker, messageId))
    return puppet
  }

  /** Contact ids of the accounts sitting in a group. */
  botsIn(g: SimGroup): string[] {
    return this.botsOfNode.get(g.node) ?? []
  }

  /**
   * A villager's name in a village of config/households.yaml: the next roster member (grids
   * taken in turn), else a grid nickname (`2组-王秀英`) where the village reads nicknames; every
   * UNASSIGNED_EVERY-th keeps a plain random name (a member placed in no household). The random
   * draws are the same as without households, so the rest of the world does not change.
   */
  private villagerNameIn(node: string): string {
    const name = this.villagerName()
    const v = this.cfg.households?.villages.get(node)
    if (!v) return name
    const n = (this.villagersIn.get(node) ?? 0) + 1
    this.villagersIn.set(node, n)
    if (n % UNASSIGNED_EVERY === 0) return name
    const i = n - 1 - Math.floor(n / UNASSIGNED_EVERY)
    const roster = rosterInTurns(v)
    if (i < roster.length) return roster[i]
    const grid = v.grids[i % v.grids.length]
    if (!v.nickname || !grid) return name
    const plain = `${grid.id}组-${name}`
    return v.nickname.test(plain) ? plain : `${grid.id}组${i + 1}号-${name}`
  }

  private villagerName(): string {
    const s = SURNAMES[Math.floor(this.random() * SURNAMES.length)]
    const i = Math.floor(this.random() * (GIVEN.length / 2)) * 2
    return s + GIVEN.slice(i, i + 2)
  }

  /** The mock contact that says things in one account's world, made on first use. */
  private contact(m: Mocker, id: string): ReturnType<Mocker['ContactMock']['load']> {
    try {
      return m.ContactMock.load(id)
    } catch {
      const payload = m.cacheContactPayload.get(id)
      if (!payload) throw new Error(`no contact "${id}" in this account's world`)
      return m.ContactMock.create(payload)
    }
  }

  puppet(bot: string): PuppetMock {
    const p = this.puppets.get(bot)
    if (!p) throw new Error(`no bot "${bot}" in this world`)
    return p
  }

  /** Logs a bot account in (after its Wechaty has started). */
  login(bot: string): void {
    const mocker = this.mockers.get(bot)!
    mocker.login(mocker.ContactMock.load(botContactId(bot)))
  }

  onMessage(fn: (m: WorldMessage) => void): () => void {
    this.listeners.push(fn)
    return () => { this.listeners.splice(this.listeners.indexOf(fn), 1) }
  }

  private emit(m: WorldMessage): void {
    this.transcript.push(m)
    for (const fn of [...this.listeners]) fn(m)
  }

  /** A bot's own send in its mocker: record it and show it to the other accounts in that group. */
  private onPuppetMessage(bot: string, mocker: Mocker, messageId: string): void {
    const payload = mocker.messagePayload(messageId) as { talkerId: string; roomId?: string; listenerId?: string; text?: string }
    const self = botContactId(bot)
    if (payload.talkerId !== self) return
    const group = payload.roomId ? this.byRoomId.get(payload.roomId) : undefined
    const text = payload.text ?? ''
    if (group) {
      for (const other of this.botsIn(group)) {
        const m = this.mockers.get(other.slice('wxid_bot_'.length))
        if (other === self || !m || !m.cacheRoomPayload.has(group.roomId)) continue
        this.contact(m, self).say(text).to(m.RoomMock.load(group.roomId))
      }
    }
    this.emit({ room: group?.topic, from: self, fromName: this.names.get(self) ?? bot, to: payload.listenerId, text, at: Date.now() })
  }

  /**
   * A post another process's account made in a group (a bigger simulation in several processes):
   * shown to this world's accounts in that group, as WeChat would; not in this world's transcript.
   */
  mirrorPost(fromBot: string, topic: string, text: string): void {
    const g = this.groups.get(topic)
    const from = botContactId(fromBot)
    if (!g) return
    for (const other of this.botsIn(g)) {
      const m = this.mockers.get(other.slice('wxid_bot_'.length))
      if (other === from || !m || !m.cacheRoomPayload.has(g.roomId)) continue
      this.contact(m, from).say(text).to(m.RoomMock.load(g.roomId))
    }
  }

  /** A person says something in a group: every account in the group sees it. */
  sayInGroup(contactId: string, topic: string, text: string): void {
    const g = this.groups.get(topic)
    if (!g) throw new Error(`no group "${topic}"`)
    this.emit({ room: topic, from: contactId, fromName: this.names.get(contactId) ?? contactId, text, at: Date.now() })
    for (const m of this.mockers.values()) {
      if (!m.cacheRoomPayload.has(g.roomId)) continue
      this.contact(m, contactId).say(text).to(m.RoomMock.load(g.roomId))
    }
  }

  /** A person writes to a bot account in a DM. */
  sayToBot(contactId: string, bot: string, text: string): void {
    const m = this.mockers.get(bot)
    if (!m) throw new Error(`no bot "${bot}"`)
    if (!m.cacheContactPayload.has(contactId)) m.createContact({ id: contactId, name: this.names.get(contactId) ?? contactId })
    this.emit({ from: contactId, fromName: this.names.get(contactId) ?? contactId, to: botContactId(bot), text, at: Date.now() })
    this.contact(m, contactId).say(text).to(m.ContactMock.load(botContactId(bot)))
  }

  /** A person sends a photo to a bot account in a DM. */
  sendPhotoToBot(contactId: string, bot: string, name = 'photo.jpg'): void {
    const m = this.mockers.get(bot)
    if (!m) throw new Error(`no bot "${bot}"`)
    this.emit({ from: contactId, fromName: this.names.get(contactId) ?? contactId, to: botContactId(bot), text: `[图片 ${name}]`, at: Date.now() })
    // A URL file box: the mock can store it (a buffer one cannot be serialised); nothing is fetched.
    this.contact(m, contactId).say(FileBox.fromUrl(`https://photos.invalid/${name}`, { name })).to(m.ContactMock.load(botContactId(bot)))
  }

  /** Renames a contact in every account's view (anyone can rename themselves in WeChat). */
  rename(contactId: string, name: string): void {
    this.names.set(contactId, name)
    for (const m of this.mockers.values()) {
      const p = m.cacheContactPayload.get(contactId)
      if (p) m.cacheContactPayload.set(contactId, { ...p, name })
    }
  }

  /** Adds a new contact (e.g. an impostor) known to every account. */
  addContact(id: string, name: string): void {
    this.names.set(id, name)
    for (const m of this.mockers.values()) if (!m.cacheContactPayload.has(id)) m.createContact({ id, name })
  }

  /** Bot posts in a group that contain a given text (e.g. an announcement code). */
  postsIn(topic: string, containing: string): WorldMessage[] {
    return this.transcript.filter(m => m.room === topic && m.from.startsWith('wxid_bot_') && m.text.includes(containing))
  }

  /** DMs a contact received from any bot. */
  dmsTo(contactId: string): WorldMessage[] {
    return this.transcript.filter(m => m.to === contactId && m.from.startsWith('wxid_bot_'))
  }

  villagersOf(topic: string): string[] {
    return (this.groups.get(topic)?.members ?? []).filter(id => id.startsWith('wxid_v_'))
  }
}
