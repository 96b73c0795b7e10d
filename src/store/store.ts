/**
 * Cascade's domain state in Redis: announcements, relays, deliveries, acknowledgments,
 * invites and bindings. Every change that two actors could race on is one atomic step.
 */
import { Cluster, Redis } from 'ioredis'
import type { Announcement, Delivery, DeliveryState, Relay, RelayState } from '../domain/announcement.ts'
import { Keys } from './keys.ts'
import { withVia } from './channel.ts'
import { PERSONAL_CODE_FIELD, PersonalCodes } from './personal-codes.ts'
import { Sends } from './sends.ts'
import { Durability, type ReplicaAck } from './durable.ts'
import { BEGIN_POST, CREATE_ANNOUNCEMENT, DELETE_IF_OWNER, PATCH_IF_STATE, RECORD_ACK, SET_LATEST_IF_NEWER } from './scripts.ts'

/** What a `once` key holds when it was called off before anything was published under it. */
export const ONCE_CALLED_OFF = '-'
/** How long the group a contact last spoke in is remembered. */
const SPOKE_IN_TTL_S = 30 * 24 * 3600
export interface AckRecord { topic: string; name: string; at: number; code: string }

export interface AuditEvent {
  kind: string
  node?: string
  actor?: string
  at: number
  [field: string]: string | number | undefined
}

interface ScriptCommands {
  patchIfState(key: string, field: string, states: string, patch: string, bot?: string): Promise<[number, string | null]>
  recordAck(acks: string, counts: string, member: string, rec: string, topic: string): Promise<number>
  setLatestIfNewer(key: string, code: string, at: string): Promise<number>
  beginPost(deliveries: string, cancelled: string, topic: string, now: string, expiresAt: string): Promise<string>
  deleteIfOwner(key: string, owner: string): Promise<number>
  createAnnouncement(ann: string, anns: string, corrections: string, originalCancelled: string, cancelled: string, once: string, json: string, createdAt: number, code: string, isCorrection: string, useOnce: string): Promise<number | string>
}

export class Store {
  readonly keys: Keys
  /** Personal codes (re-binding after new WeChat ids): set, use, revoke (personal-codes.ts). */
  readonly personalCodes: PersonalCodes
  /** Send claims and the echoes that settle them (sends.ts). */
  readonly sends: Sends
  /** Writes that must survive a failover wait for a replica (durable.ts; Sentinel mode). */
  readonly durability: Durability
  private readonly lua: ScriptCommands

  constructor(readonly redis: Redis, ns: string, replicaAck?: ReplicaAck, onShortfall?: (got: number, want: number) => void) {
    this.keys = new Keys(ns)
    this.personalCodes = new PersonalCodes(redis, this.keys)
    redis.defineCommand('patchIfState', { numberOfKeys: 1, lua: PATCH_IF_STATE })
    redis.defineCommand('recordAck', { numberOfKeys: 2, lua: RECORD_ACK })
    redis.defineCommand('setLatestIfNewer', { numberOfKeys: 1, lua: SET_LATEST_IF_NEWER })
    redis.defineCommand('beginPost', { numberOfKeys: 2, lua: BEGIN_POST })
    redis.defineCommand('deleteIfOwner', { numberOfKeys: 1, lua: DELETE_IF_OWNER })
    redis.defineCommand('createAnnouncement', { numberOfKeys: 6, lua: CREATE_ANNOUNCEMENT })
    this.lua = redis as unknown as ScriptCommands
    this.durability = new Durability(redis, replicaAck, onShortfall)
    this.sends = new Sends(redis, this.keys, this.durability)
  }

  // ── announcements ─────────────────────────────────────────────────────────

  /**
   * Stores a new announcement; false when the code is taken. A correction is listed under its
   * original, and is born retracted when the original already is (see CREATE_ANNOUNCEMENT).
   * With `once`, at most one announcement per key: what the key holds already is returned instead
   * (the code stored under it, or `ONCE_CALLED_OFF`).
   */
  async createAnnouncement(a: Announcement, once?: string): Promise<boolean | { existing: string }> {
    const correction = a.type === 'update' && a.references !== undefined
    const original = correction ? a.references! : a.code
    const k = this.keys
    const r = await this.lua.createAnnouncement(
      k.announcement(a.code), k.announcements(), k.corrections(original), k.cancelled(original), k.cancelled(a.code),
      once === undefined ? k.once('') : k.once(once), JSON.stringify(a), a.createdAt, a.code, correction ? '1' : '0', once === undefined ? '0' : '1',
    )
    return typeof r === 'string' ? { existing: r } : r === 1
  }

  /** Marks `once` called off unless something was published under it; returns what it holds now. */
  async callOffOnce(once: string): Promise<string> {
    const key = this.keys.once(once)
    // Not SET NX GET (Redis 7.0): a key set once is never changed, so the GET after a refused SET NX reads what refused it.
    if (await this.redis.set(key, ONCE_CALLED_OFF, 'NX')) return ONCE_CALLED_OFF
    return (await this.redis.get(key)) ?? ONCE_CALLED_OFF
  }

  /** The codes of the corrections made of an announcement. */
  async corrections(code: string): Promise<string[]> {
    return this.redis.smembers(this.keys.corrections(code))
  }

  async announcement(code: string): Promise<Announcement | undefined> {
    const raw = await this.redis.get(this.keys.announcement(code))
    return raw ? JSON.parse(raw) as Announcement : undefined
  }

  /** Codes of the newest announcements, newest first. */
  async recentCodes(limit = 20): Promise<string[]> {
    return this.redis.zrevrange(this.keys.announcements(), 0, limit - 1)
  }

  // ── relays ────────────────────────────────────────────────────────────────

  /** Opens a relay once; a second open (a retry) changes nothing and returns false. */
  async openRelay(r: Relay): Promise<boolean> {
    const created = await this.redis.hsetnx(this.keys.relays(r.code), r.node, JSON.stringify(r))
    if (created && r.state === 'pending') await this.redis.sadd(this.keys.pending(r.node), r.code)
    return created === 1
  }

  async relays(code: string): Promise<Map<string, Relay>> {
    const all = await this.redis.hgetall(this.keys.relays(code))
    return new Map(Object.entries(all).map(([node, raw]) => [node, JSON.parse(raw) as Relay]))
  }

  async relay(code: string, node: string): Promise<Relay | undefined> {
    const raw = await this.redis.hget(this.keys.relays(code), node)
    return raw ? JSON.parse(raw) as Relay : undefined
  }

  /**
   * Moves a relay out of one of `from` into the state in `patch`, atomically.
   * `changed: false` with the current record when someone else got there first.
   */
  async transitionRelay(code: string, node: string, from: RelayState[], patch: Partial<Relay>): Promise<{ changed: boolean; relay?: Relay }> {
    const [ok, raw] = await this.durability.after(this.lua.patchIfState(this.keys.relays(code), node, from.join(','), JSON.stringify(patch)))
    if (ok === 1 && patch.state && patch.state !== 'pending') await this.redis.srem(this.keys.pending(node), code)
    return { changed: ok === 1, relay: raw ? JSON.parse(raw) as Relay : undefined }
  }

  async pendingCodes(node: string): Promise<string[]> {
    return this.redis.smembers(this.keys.pending(node))
  }

  // ── deliveries ────────────────────────────────────────────────────────────

  /** Records a post as queued once; false when this group already has this announcement. */
  async queueDelivery(d: Delivery): Promise<boolean> {
    return (await this.durability.after(this.redis.hsetnx(this.keys.deliveries(d.code), d.topic, JSON.stringify(d)))) === 1
  }

  async patchDelivery(code: string, topic: string, from: DeliveryState[], patch: Partial<Delivery>, ifBot = ''): Promise<boolean> {
    const [ok] = await this.durability.after(this.lua.patchIfState(this.keys.deliveries(code), topic, from.join(','), JSON.stringify(patch), ifBot))
    return ok === 1
  }

  /** queued → sending, atomically with cancellation and expiry; see BEGIN_POST. */
  async beginPost(code: string, topic: string, now: number, expiresAt?: number): Promise<string> {
    return this.durability.after(this.lua.beginPost(this.keys.deliveries(code), this.keys.cancelled(code), topic, String(now), expiresAt === undefined ? '' : String(expiresAt)))
  }

  /** Marks an announcement cancelled (by the cancel `by`); false when it already was. */
  async markCancelled(code: string, by: string): Promise<boolean> {
    return (await this.redis.set(this.keys.cancelled(code), by, 'NX')) === 'OK'
  }

  async cancelledBy(code: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.cancelled(code))) ?? undefined
  }

  /** Replaces a stored announcement (the code must exist). */
  async saveAnnouncement(a: Announcement): Promise<void> {
    await this.redis.set(this.keys.announcement(a.code), JSON.stringify(a), 'XX')
  }

  async deliveries(code: string): Promise<Delivery[]> {
    const all = await this.redis.hvals(this.keys.deliveries(code))
    return all.map(raw => JSON.parse(raw) as Delivery)
  }

  async delivery(code: string, topic: string): Promise<Delivery | undefined> {
    const raw = await this.redis.hget(this.keys.deliveries(code), topic)
    return raw ? JSON.parse(raw) as Delivery : undefined
  }

  // ── acknowledgments ───────────────────────────────────────────────────────

  /** Records one acknowledgment per member and announcement; false for a repeat. */
  async recordAck(code: string, member: string, rec: AckRecord): Promise<boolean> {
    return (await this.lua.recordAck(this.keys.acks(code), this.keys.ackCounts(code), member, JSON.stringify(rec), rec.topic)) === 1
  }

  async ackCounts(code: string): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(this.keys.ackCounts(code))
    return new Map(Object.entries(all).map(([topic, n]) => [topic, Number(n)]))
  }

  async acks(code: string): Promise<Map<string, AckRecord>> {
    const all = await this.redis.hgetall(this.keys.acks(code))
    return new Map(Object.entries(all).map(([m, raw]) => [m, JSON.parse(raw) as AckRecord]))
  }

  async setLatestInGroup(topic: string, code: string, createdAt: number): Promise<void> {
    await this.lua.setLatestIfNewer(this.keys.latestInGroup(topic), code, String(createdAt))
  }

  async latestInGroup(topic: string): Promise<{ code: string; createdAt: number } | undefined> {
    const raw = await this.redis.get(this.keys.latestInGroup(topic))
    const m = raw ? /^(\d+):(.+)$/.exec(raw) : null
    return m ? { code: m[2], createdAt: Number(m[1]) } : undefined
  }

  // ── invites and bindings ──────────────────────────────────────────────────

  async createInvite(code: string, person: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(this.keys.invite(code), person, 'EX', ttlSeconds, 'NX')) === 'OK'
  }

  /** Takes an invite: the person it was for, once; undefined when unknown, used or expired. */
  async takeInvite(code: string): Promise<string | undefined> {
    return (await this.redis.getdel(this.keys.invite(code))) ?? undefined
  }

  /**
   * Binds a contact of an account to a person. One contact, one person: when the contact was
   * another person's, that person's binding on this account is cleared too, and their id is
   * returned (they must re-bind; issue 13, item 13).
   */
  async bind(bot: string, contactId: string, person: string): Promise<string | undefined> {
    const [previous, before] = await Promise.all([this.redis.hget(this.keys.personBindings(person), bot), this.redis.get(this.keys.contactBinding(bot, contactId))])
    const displaced = before && before !== person && await this.redis.hget(this.keys.personBindings(before), bot) === contactId ? before : undefined
    const tx = this.redis.multi()
    if (previous && previous !== contactId) tx.del(this.keys.contactBinding(bot, previous))
    if (displaced) tx.hdel(this.keys.personBindings(displaced), bot)
    tx.set(this.keys.contactBinding(bot, contactId), person)
    tx.hset(this.keys.personBindings(person), bot, contactId)
    await tx.exec()
    return displaced
  }

  async personOf(bot: string, contactId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.contactBinding(bot, contactId))) ?? undefined
  }

  /** bot id → contact id of a person. */
  async bindingsOf(person: string): Promise<Record<string, string>> {
    const all = await this.redis.hgetall(this.keys.personBindings(person))
    delete all[PERSONAL_CODE_FIELD]
    return all
  }

  /** Remembers the group a contact was seen speaking in (web-WeChat ids are per account). */
  async noteSpeaker(bot: string, contactId: string, topic: string): Promise<void> {
    await this.redis.set(this.keys.spokeIn(bot, contactId), topic, 'EX', SPOKE_IN_TTL_S)
  }

  async lastGroupOf(bot: string, contactId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.spokeIn(bot, contactId))) ?? undefined
  }

  // ── bot accounts ──────────────────────────────────────────────────────────

  async heartbeat(bot: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.botAlive(bot), String(Date.now()), 'EX', ttlSeconds)
  }

  async setOffline(bot: string): Promise<void> {
    await this.redis.del(this.keys.botAlive(bot))
  }

  async aliveBots(bots: string[]): Promise<Set<string>> {
    if (bots.length === 0) return new Set()
    const vals = await this.redis.mget(bots.map(b => this.keys.botAlive(b)))
    return new Set(bots.filter((_, i) => vals[i] !== null))
  }

  /** One account at a time may take over some of `bot`'s waiting posts; the lock expires after `ms`. */
  async lockTakeOver(bot: string, taker: string, ms: number): Promise<boolean> {
    return (await this.redis.set(this.keys.takeOver(bot), taker, 'PX', ms, 'NX')) === 'OK'
  }

  async unlockTakeOver(bot: string, taker: string): Promise<void> {
    await this.lua.deleteIfOwner(this.keys.takeOver(bot), taker)
  }

  async addBotContact(contactId: string): Promise<void> {
    await this.redis.sadd(this.keys.botContacts(), contactId)
  }

  async botContacts(): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.keys.botContacts()))
  }

  // ── audit ─────────────────────────────────────────────────────────────────

  /** Appends one event to the announcement's append-only log (with its channel, `via`: channel.ts). */
  async audit(code: string, event: AuditEvent): Promise<void> {
    const fields: string[] = []
    for (const [k, v] of Object.entries(withVia(event))) if (v !== undefined) fields.push(k, String(v))
    await this.redis.xadd(this.keys.audit(code), '*', ...fields)
  }

  /** Appends an event only the first time `what` happens for this code (timers may fire twice). */
  async auditOnce(code: string, what: string, event: AuditEvent): Promise<boolean> {
    const first = await this.redis.set(this.keys.auditOnce(code, what), '1', 'EX', 30 * 24 * 3600, 'NX')
    if (first === 'OK') await this.audit(code, event)
    return first === 'OK'
  }

  async auditLog(code: string): Promise<AuditEvent[]> {
    const entries = await this.redis.xrange(this.keys.audit(code), '-', '+')
    return entries.map(([, fields]) => {
      const e: Record<string, string | number> = {}
      for (let i = 0; i < fields.length; i += 2) e[fields[i]] = fields[i + 1]
      return { ...e, at: Number(e.at) } as AuditEvent
    })
  }

  // ── housekeeping ──────────────────────────────────────────────────────────

  /** Deletes every key of this namespace, BullMQ's included. For tests and the demo. */
  async clearNamespace(): Promise<number> {
    let n = 0
    for (const node of scanTargets(this.redis)) {
      let cursor = '0'
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', this.keys.pattern(), 'COUNT', 1000)
        cursor = next
        if (keys.length) n += await this.redis.unlink(...keys)
      } while (cursor !== '0')
    }
    return n
  }
}

/** Where a SCAN must go: the client itself, or on a Redis Cluster each master (SCAN sees one node's keys). */
export function scanTargets(redis: Redis): Redis[] {
  const r: unknown = redis
  return r instanceof Cluster ? r.nodes('master') as unknown as Redis[] : [redis]
}

/** Every key matching `pattern`, from every node that may hold one (scanTargets). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = []
  for (const node of scanTargets(redis)) {
    let cursor = '0'
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
  }
  return keys
}
