/**
 * The simulated WeChat's world: people (accounts that bots log in as, and ordinary users),
 * groups, friendships, remarks, and the record of everything said. No protocol here: the
 * server (server.ts) shows this world to each logged-in account through its own ids.
 */

export interface Person {
  key: string
  nickname: string
  /** An account a bot logs in as (has a uin, can scan a QR code). */
  account: boolean
  /** The account's fixed uin (accounts only; 0 for others, as the web protocol shows them). */
  uin: number
  sex: number
}

export interface Group {
  key: string
  topic: string
  members: string[]
  /** Account keys for which this group is not saved to contacts (not in webwxgetcontact). */
  unsaved: Set<string>
  /** Last time anything was said in the group (ms). */
  lastActive: number
}

export interface GroupMessage { from: string; text: string; at: number; msgId: string; revoked?: boolean }
export interface DirectMessage { from: string; to: string; text: string; at: number; msgId: string; revoked?: boolean }

export class World {
  readonly people = new Map<string, Person>()
  readonly groups = new Map<string, Group>()
  private readonly friends = new Map<string, Set<string>>()
  /** account key → contact key → remark */
  readonly remarks = new Map<string, Map<string, string>>()
  readonly groupLog = new Map<string, GroupMessage[]>()
  readonly dmLog: DirectMessage[] = []
  private nextUin = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000)

  addPerson(key: string, nickname: string, account: boolean): Person {
    this.checkFreeKey(key)
    const p: Person = { key, nickname, account, uin: account ? this.nextUin++ : 0, sex: 0 }
    this.people.set(key, p)
    return p
  }

  addGroup(key: string, topic: string, members: string[], unsaved: string[] = []): Group {
    this.checkFreeKey(key)
    for (const m of members) this.person(m)
    for (const a of unsaved) {
      if (!this.person(a).account) throw new Error(`unsaved: ${a} is not an account`)
    }
    const g: Group = { key, topic, members: [...new Set(members)], unsaved: new Set(unsaved), lastActive: 0 }
    this.groups.set(key, g)
    this.groupLog.set(key, [])
    return g
  }

  private checkFreeKey(key: string): void {
    if (!key) throw new Error('empty key')
    if (this.people.has(key) || this.groups.has(key)) throw new Error(`key in use: ${key}`)
  }

  person(key: string): Person {
    const p = this.people.get(key)
    if (!p) throw new Error(`no such person: ${key}`)
    return p
  }

  group(key: string): Group {
    const g = this.groups.get(key)
    if (!g) throw new Error(`no such group: ${key}`)
    return g
  }

  isGroup(key: string): boolean { return this.groups.has(key) }

  befriend(a: string, b: string): void {
    this.person(a); this.person(b)
    if (a === b) return
    this.friendSet(a).add(b)
    this.friendSet(b).add(a)
  }

  private friendSet(k: string): Set<string> {
    let s = this.friends.get(k)
    if (!s) { s = new Set(); this.friends.set(k, s) }
    return s
  }

  areFriends(a: string, b: string): boolean { return this.friends.get(a)?.has(b) ?? false }

  friendsOf(k: string): string[] { return [...(this.friends.get(k) ?? [])] }

  /** Groups `account` is in and has saved to its contacts. */
  savedGroupsOf(account: string): Group[] {
    return [...this.groups.values()].filter(g => g.members.includes(account) && !g.unsaved.has(account))
  }

  groupsOf(k: string): Group[] {
    return [...this.groups.values()].filter(g => g.members.includes(k))
  }

  remarkOf(account: string, contact: string): string | undefined {
    return this.remarks.get(account)?.get(contact)
  }

  setRemark(account: string, contact: string, remark: string): void {
    let m = this.remarks.get(account)
    if (!m) { m = new Map(); this.remarks.set(account, m) }
    if (remark) m.set(contact, remark)
    else m.delete(contact)
  }
}
