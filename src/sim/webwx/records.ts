/**
 * The contact records the simulated server writes (webwxinit's User and ContactList,
 * webwxgetcontact, webwxbatchgetcontact, webwxsync's ModContactList), and the per-session
 * UserNames they carry.
 */
import { encodeWebName, randomHex } from './protocol.ts'
import { CGI, FILEHELPER, type Session } from './types.ts'
import type { Group, Person, World } from './world.ts'

/**
 * How a group record lists its members: 'full' (every member), 'none' (MemberCount 0, no list:
 * webwxgetcontact's default), 'empty' (the same, as a fault), 'partial' (the real MemberCount,
 * only the first member listed).
 */
export type MemberListing = 'full' | 'none' | 'empty' | 'partial'

/** The UserName session `s` shows for world key `key` (made on first use: `@<hex>`, `@@<hex>` for groups). */
export function userNameIn(world: World, s: Session, key: string): string {
  if (key === FILEHELPER) return FILEHELPER
  let id = s.ids.get(key)
  if (!id) {
    id = world.isGroup(key) ? `@@${randomHex(32)}` : `@${randomHex(16)}`
    if (!world.isGroup(key)) world.person(key)
    s.ids.set(key, id)
    s.keys.set(id, key)
  }
  return id
}

export function personEntry(world: World, s: Session, p: Person): Record<string, unknown> {
  const id = userNameIn(world, s, p.key)
  const friend = world.areFriends(s.account, p.key)
  const remark = world.remarkOf(s.account, p.key)
  return {
    Uin: 0, UserName: id, NickName: encodeWebName(p.nickname),
    HeadImgUrl: `${CGI}/webwxgeticon?seq=${s.iconSeq + (p.key.length % 97)}&username=${id}&skey=${s.skey}`,
    ContactFlag: friend ? 3 : 0, MemberCount: 0, MemberList: [], RemarkName: remark ? encodeWebName(remark) : '',
    HideInputBarFlag: 0, Sex: p.sex, Signature: '', VerifyFlag: 0, OwnerUin: 0, PYInitial: '', PYQuanPin: '',
    RemarkPYInitial: '', RemarkPYQuanPin: '', StarFriend: 0, AppAccountFlag: 0, Statues: 0, AttrStatus: 0,
    Province: '', City: '', Alias: '', SnsFlag: 0, UniFriend: 0, DisplayName: '', ChatRoomId: 0, KeyWord: '',
    EncryChatRoomId: '', IsOwner: 0,
  }
}

function memberEntry(world: World, s: Session, p: Person): Record<string, unknown> {
  return {
    Uin: 0, UserName: userNameIn(world, s, p.key), NickName: encodeWebName(p.nickname), AttrStatus: 0,
    PYInitial: '', PYQuanPin: '', RemarkPYInitial: '', RemarkPYQuanPin: '', MemberStatus: 0, DisplayName: '', KeyWord: '',
  }
}

export function groupEntry(world: World, s: Session, g: Group, listing: MemberListing): Record<string, unknown> {
  const id = userNameIn(world, s, g.key)
  const all = listing === 'full' || listing === 'partial'
    ? g.members.map(k => memberEntry(world, s, world.person(k)))
    : []
  const members = listing === 'partial' ? all.slice(0, 1) : all
  const saved = !g.unsaved.has(s.account)
  return {
    Uin: 0, UserName: id, NickName: encodeWebName(g.topic), HeadImgUrl: `${CGI}/webwxgetheadimg?seq=0&username=${id}&skey=`,
    ContactFlag: saved ? 3 : 0, MemberCount: all.length, MemberList: members, RemarkName: '', HideInputBarFlag: 0,
    Sex: 0, Signature: '', VerifyFlag: 0, OwnerUin: 0, PYInitial: '', PYQuanPin: '', RemarkPYInitial: '',
    RemarkPYQuanPin: '', StarFriend: 0, AppAccountFlag: 0, Statues: saved ? 1 : 0, AttrStatus: 0, Province: '',
    City: '', Alias: '', SnsFlag: 0, UniFriend: 0, DisplayName: '', ChatRoomId: 0, KeyWord: '',
    EncryChatRoomId: listing === 'none' ? '' : `@${randomHex(16)}`, IsOwner: 0,
  }
}

export function filehelperEntry(): Record<string, unknown> {
  return {
    Uin: 0, UserName: FILEHELPER, NickName: '文件传输助手', HeadImgUrl: `${CGI}/webwxgeticon?seq=0&username=filehelper`,
    ContactFlag: 3, MemberCount: 0, MemberList: [], RemarkName: '', HideInputBarFlag: 0, Sex: 0, Signature: '',
    VerifyFlag: 0, OwnerUin: 0, PYInitial: 'WJCSZS', PYQuanPin: 'wenjianchuanshuzhushou', RemarkPYInitial: '',
    RemarkPYQuanPin: '', StarFriend: 0, AppAccountFlag: 0, Statues: 0, AttrStatus: 0, Province: '', City: '',
    Alias: '', SnsFlag: 0, UniFriend: 0, DisplayName: '', ChatRoomId: 0, KeyWord: 'fil', EncryChatRoomId: '', IsOwner: 0,
  }
}

/** The record of `key` (filehelper, a group, or a person) as session `s` sees it. */
export function entryFor(world: World, s: Session, key: string, listing: MemberListing): Record<string, unknown> {
  if (key === FILEHELPER) return filehelperEntry()
  if (world.isGroup(key)) return groupEntry(world, s, world.group(key), listing)
  return personEntry(world, s, world.person(key))
}

/** webwxinit's User: the logged-in account itself. */
export function userRecord(world: World, s: Session): Record<string, unknown> {
  const p = world.person(s.account)
  const id = userNameIn(world, s, s.account)
  return {
    Uin: s.uin, UserName: id, NickName: encodeWebName(p.nickname),
    HeadImgUrl: `${CGI}/webwxgeticon?seq=${s.iconSeq}&username=${id}&skey=${s.skey}`,
    RemarkName: '', PYInitial: '', PYQuanPin: '', RemarkPYInitial: '', RemarkPYQuanPin: '', HideInputBarFlag: 0,
    StarFriend: 0, Sex: p.sex, Signature: '', AppAccountFlag: 0, VerifyFlag: 0, ContactFlag: 0, WebWxPluginSwitch: 0,
    HeadImgFlag: 1, SnsFlag: 17,
  }
}
