/**
 * Re-binding without the personal code, where the evidence is strong (docs/ARCHITECTURE.md,
 * "Identity"). After a login that gave new contact ids, a bound person not found by their remark
 * has one candidate contact when exactly one member of the staff groups of their nodes — as this
 * account sees them — carries the nickname recorded at their binding, and that member is not
 * bound to anyone, not a Cascade account, and not the candidate of another missing person. That
 * contact is asked, in a private chat, to confirm; only its answer binds it (identity.ts).
 *
 * Pure: it reads the loaded directory and what the caller gathered; the same plan is made again
 * when the answer comes, so a contact that left the staff group, was renamed, or now shares the
 * nickname with another member, is not bound.
 */
import { displayName } from '../domain/text.ts'
import type { CascadeConfig } from '../config/types.ts'
import type { Roles } from '../spine/directory.ts'
import type { Directory } from './wechat4u.ts'

/** Why a missing person gets a confirmation request, or why not (then: their personal code). */
export type RebindOutcome =
  | { kind: 'ask'; contactId: string; nickname: string }
  | { kind: 'code'; why: 'no-nickname' | 'shared-nickname' | 'no-staff-group' | 'no-candidate' | 'several-candidates' | 'not-a-friend' | 'contested' }

export interface RebindEvidence {
  cfg: CascadeConfig
  rolesOf(person: string): Roles
  /** person → nickname recorded at binding, on this account (every person bound here). */
  recorded: Map<string, string>
  /** Contact ids bound to someone on this account. */
  boundContacts: Set<string>
  /** Contact ids of the Cascade accounts, as far as known. */
  botContacts: Set<string>
  /** Nicknames of the Cascade accounts (members carrying one are taken for them). */
  botNicknames: Set<string>
}

/** The staff group topics of a person's nodes (every role, grid workers' villages too). */
export function staffTopicsOf(cfg: CascadeConfig, roles: Roles): string[] {
  const nodes = new Set([...roles.curator, ...roles.backup, ...roles.publisher, ...roles.gridWorker])
  const topics = new Set<string>()
  for (const node of nodes) {
    for (const g of cfg.nodes.get(node)?.groups ?? []) if (g.kind === 'staff') topics.add(g.topic)
  }
  return [...topics]
}

/** For each missing person: one contact to ask, or the reason they must send their code. */
export function planRebinds(dir: Directory, missing: string[], ev: RebindEvidence): Map<string, RebindOutcome> {
  const out = new Map<string, RebindOutcome>()
  // A nickname that two people bound here had says nothing about which of them a contact is.
  const holders = new Map<string, number>()
  for (const nick of ev.recorded.values()) holders.set(nick, (holders.get(nick) ?? 0) + 1)
  // A topic carried by two rooms: which is the staff group is unknown (anyone can name a group).
  const roomsByTopic = new Map<string, Directory['rooms']>()
  for (const room of dir.rooms) roomsByTopic.set(room.topic, [...roomsByTopic.get(room.topic) ?? [], room])
  const claimedBy = new Map<string, string[]>()
  for (const person of missing) {
    const nickname = ev.recorded.get(person)
    if (!nickname) { out.set(person, { kind: 'code', why: 'no-nickname' }); continue }
    if ((holders.get(nickname) ?? 0) > 1) { out.set(person, { kind: 'code', why: 'shared-nickname' }); continue }
    const rooms = staffTopicsOf(ev.cfg, ev.rolesOf(person)).map(t => roomsByTopic.get(t) ?? []).filter(r => r.length === 1).map(r => r[0])
    if (!rooms.length) { out.set(person, { kind: 'code', why: 'no-staff-group' }); continue }
    const candidates = new Set<string>()
    for (const room of rooms) {
      for (const m of room.members) {
        // Names are recorded capped (domain/text.ts displayName): compared the same way.
        if (displayName(m.name) !== nickname || ev.boundContacts.has(m.id) || ev.botContacts.has(m.id) || ev.botNicknames.has(m.name)) continue
        candidates.add(m.id)
      }
    }
    if (candidates.size === 0) { out.set(person, { kind: 'code', why: 'no-candidate' }); continue }
    if (candidates.size > 1) { out.set(person, { kind: 'code', why: 'several-candidates' }); continue }
    const [contactId] = candidates
    // A private message to someone not among the account's contacts may not be delivered.
    if (!dir.contacts.has(contactId)) { out.set(person, { kind: 'code', why: 'not-a-friend' }); continue }
    out.set(person, { kind: 'ask', contactId, nickname })
    claimedBy.set(contactId, [...claimedBy.get(contactId) ?? [], person])
  }
  // One contact, one person: a contact that two missing people would ask is asked by neither.
  for (const people of claimedBy.values()) {
    if (people.length > 1) for (const person of people) out.set(person, { kind: 'code', why: 'contested' })
  }
  return out
}

/** An answer that confirms a request: 确认 or 是 (a final 。 or ！ allowed). */
export function isConfirmation(text: string): boolean {
  return /^(确认|是)[。.!！]?$/.test(text.trim())
}
