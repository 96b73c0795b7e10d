/**
 * The world's group events as the real server shows them to member accounts: the group's new
 * record (ModContactList) and a system message (MsgType 10000 from the group, plain text, the
 * service's quote style: `"A"将"B"移出了群聊`, `"A"修改群名为“新名”`).
 */
import type { WebWxCore } from './core.ts'

function memberAccounts(core: WebWxCore, groupKey: string): string[] {
  return core.world.group(groupKey).members.filter(m => core.accounts.has(m))
}

/** `byKey` removes `memberKey` from the group; the removed account is told, the others see it. */
export function removeFromGroup(core: WebWxCore, groupKey: string, memberKey: string, byKey: string): void {
  const g = core.world.group(groupKey)
  const member = core.world.person(memberKey)
  const by = core.world.person(byKey).nickname
  const i = g.members.indexOf(memberKey)
  if (i < 0) throw new Error(`${memberKey} is not in group ${groupKey}`)
  g.members.splice(i, 1)
  g.lastActive = Date.now()
  if (core.accounts.has(memberKey)) core.pushSystem(memberKey, groupKey, `你被"${by}"移出群聊`)
  for (const m of memberAccounts(core, groupKey)) {
    core.pushContact(m, groupKey)
    core.pushSystem(m, groupKey, `"${by}"将"${member.nickname}"移出了群聊`)
  }
}

/** `byKey` invites `memberKey` into the group; every member account (the new one too) gets the record and the notice. */
export function addToGroup(core: WebWxCore, groupKey: string, memberKey: string, byKey: string): void {
  const g = core.world.group(groupKey)
  const member = core.world.person(memberKey)
  const by = core.world.person(byKey).nickname
  if (g.members.includes(memberKey)) throw new Error(`${memberKey} is already in group ${groupKey}`)
  g.members.push(memberKey)
  g.lastActive = Date.now()
  for (const m of memberAccounts(core, groupKey)) {
    core.pushContact(m, groupKey)
    core.pushSystem(m, groupKey, `"${by}"邀请"${member.nickname}"加入了群聊`)
  }
}

/** Renames the group: member accounts get its record, and with `byKey` the notice `"A"修改群名为“topic”`. */
export function setTopic(core: WebWxCore, groupKey: string, topic: string, byKey?: string): void {
  const g = core.world.group(groupKey)
  const by = byKey === undefined ? undefined : core.world.person(byKey).nickname
  g.topic = topic
  if (by !== undefined) g.lastActive = Date.now()
  for (const m of memberAccounts(core, groupKey)) {
    core.pushContact(m, groupKey)
    if (by !== undefined) core.pushSystem(m, groupKey, `"${by}"修改群名为“${topic}”`)
  }
}
