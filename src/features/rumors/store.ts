/**
 * The rumor feature's state in Redis, under the app's namespace (`{ns}:rumor:…`):
 * library entries curators added from chat (they survive restarts and reach every process),
 * suggestions waiting for a curator (`S12`), and the per-group reply cooldown.
 *
 * | key | type | what |
 * |---|---|---|
 * | `rumor:entries` | hash id → JSON | curator-added library entries |
 * | `rumor:version` | string (counter) | bumped on every change of the library (entry, learned wording, undo): other processes reload |
 * | `rumor:learned` | hash code → JSON | wordings learned from curators' 是 / 忽略 (`L12`, domain/rumor/learning.ts) |
 * | `rumor:learnseq` | string (counter) | next learned-wording number |
 * | `rumor:entryseq` / `rumor:sugseq` | string (counter) | next entry number / suggestion number |
 * | `rumor:sugs` | hash code → JSON | suggestions and their decisions |
 * | `rumor:cool:<group>:<id>` | string (TTL) | a rebuttal was posted in this group lately |
 * | `rumor:seen:<hash>` | string (TTL) | this group message was already handled (several accounts see it) |
 */
import type { Redis } from 'ioredis'
import type { RumorEntry } from '../../domain/rumor/library.ts'
import type { LearnedRecord } from '../../domain/rumor/learning.ts'
import { idPart } from '../../queue/outbox.ts'
import { PATCH_IF_STATE } from '../../store/scripts.ts'

/** Where a suggestion stands: open until a curator confirms, writes a rebuttal or dismisses it. */
export type SuggestionState = 'open' | 'confirmed' | 'rebutted' | 'ignored'

/** A message the matcher was unsure about, waiting for a curator of its node. */
export interface RumorSuggestion {
  /** `S12` */
  code: string
  state: SuggestionState
  /** The message as it was sent. */
  text: string
  /** The node whose curators decide. */
  node: string
  /** The group it was said in (absent for a villager's DM check). */
  topic?: string
  /** The account that saw it (and can post in that group). */
  bot: string
  /** A villager who asked in a DM and is to be told the answer. */
  asker?: { bot: string; contactId: string }
  /** The closest known rumor, if any. */
  candidate?: string
  score: number
  createdAt: number
  decidedBy?: string
  decidedAt?: number
  /** The library entry the message was answered with (candidate, or the new entry). */
  entryId?: string
}

/** A curator-added entry with who added it and when. */
export interface StoredRumor extends RumorEntry {
  addedBy: string
  addedAt: number
  /** The suggestion it was written for. */
  fromSuggestion?: string
  /** Undone from the review list: the matcher no longer has it. */
  removed?: { by: string; at: number }
}

/** How long a contact's last group is remembered for routing their DM checks. */

/**
 * nextNumber — a counter that never hands out a number at or below a floor (the highest number
 * already used in the config file). KEYS[1] counter, ARGV[1] floor. Returns the number.
 */
const NEXT_NUMBER = `
local n = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if n <= floor then
  n = floor + 1
  redis.call('SET', KEYS[1], n)
end
return n
`

interface RumorScripts {
  rumorPatchIfState(key: string, field: string, states: string, patch: string): Promise<[number, string | null]>
  rumorNextNumber(key: string, floor: string): Promise<number>
}

export class RumorStore {
  private readonly lua: RumorScripts

  /** `base` is the app's key prefix (`app.store.keys.base`, e.g. `{cascade}:`). */
  constructor(readonly redis: Redis, private readonly base: string) {
    redis.defineCommand('rumorPatchIfState', { numberOfKeys: 1, lua: PATCH_IF_STATE })
    redis.defineCommand('rumorNextNumber', { numberOfKeys: 1, lua: NEXT_NUMBER })
    this.lua = redis as unknown as RumorScripts
  }

  private key(rest: string): string { return `${this.base}rumor:${rest}` }

  // ── curator-added entries ────────────────────────────────────────────────

  /** The next free entry id (`R35`), above every `R<n>` id of the config library. */
  async nextEntryId(configFloor: number): Promise<string> {
    return `R${await this.lua.rumorNextNumber(this.key('entryseq'), String(configFloor))}`
  }

  /** Stores an entry once and bumps the version other processes watch; false if the id is taken. */
  async addEntry(entry: StoredRumor): Promise<boolean> {
    const created = await this.redis.hsetnx(this.key('entries'), entry.id, JSON.stringify(entry))
    if (created) await this.redis.incr(this.key('version'))
    return created === 1
  }

  async entries(): Promise<StoredRumor[]> {
    const all = await this.redis.hgetall(this.key('entries'))
    return Object.values(all).map(raw => JSON.parse(raw) as StoredRumor).sort((a, b) => a.addedAt - b.addedAt)
  }

  /** Marks a curator's entry as undone (it leaves every matcher); false when unknown or already undone. */
  async removeEntry(id: string, by: string, at: number): Promise<boolean> {
    const raw = await this.redis.hget(this.key('entries'), id)
    if (!raw) return false
    const entry = JSON.parse(raw) as StoredRumor
    if (entry.removed) return false
    await this.redis.hset(this.key('entries'), id, JSON.stringify({ ...entry, removed: { by, at } }))
    await this.redis.incr(this.key('version'))
    return true
  }

  // ── wordings learned from curators' decisions ────────────────────────────

  /** Stores what a decision taught under a fresh `L12` and bumps the version. */
  async learn(record: Omit<LearnedRecord, 'code'>): Promise<LearnedRecord> {
    const full: LearnedRecord = { ...record, code: `L${await this.lua.rumorNextNumber(this.key('learnseq'), '0')}` }
    await this.redis.hset(this.key('learned'), full.code, JSON.stringify(full))
    await this.redis.incr(this.key('version'))
    return full
  }

  /** Every learned wording, oldest first (undone ones too, marked). */
  async learned(): Promise<LearnedRecord[]> {
    return (await this.redis.hvals(this.key('learned'))).map(raw => JSON.parse(raw) as LearnedRecord).sort((a, b) => a.at - b.at || Number(a.code.slice(1)) - Number(b.code.slice(1)))
  }

  /** Undoes a learned wording; false when unknown or already undone. */
  async undoLearned(code: string, by: string, at: number): Promise<boolean> {
    const raw = await this.redis.hget(this.key('learned'), code)
    if (!raw) return false
    const record = JSON.parse(raw) as LearnedRecord
    if (record.undone) return false
    await this.redis.hset(this.key('learned'), code, JSON.stringify({ ...record, undone: { by, at } }))
    await this.redis.incr(this.key('version'))
    return true
  }

  /** Changes whenever the library changes (0 before the first change). */
  async version(): Promise<number> {
    return Number(await this.redis.get(this.key('version')) ?? 0)
  }

  // ── suggestions ──────────────────────────────────────────────────────────

  /** Stores a new suggestion under a fresh code and returns it. */
  async createSuggestion(s: Omit<RumorSuggestion, 'code' | 'state'>): Promise<RumorSuggestion> {
    const code = `S${await this.lua.rumorNextNumber(this.key('sugseq'), '0')}`
    const full: RumorSuggestion = { ...s, code, state: 'open' }
    await this.redis.hset(this.key('sugs'), code, JSON.stringify(full))
    return full
  }

  /** Every suggestion (for the command centre's view). */
  async suggestions(): Promise<RumorSuggestion[]> {
    return (await this.redis.hvals(this.key('sugs'))).map(raw => JSON.parse(raw) as RumorSuggestion)
  }

  async suggestion(code: string): Promise<RumorSuggestion | undefined> {
    const raw = await this.redis.hget(this.key('sugs'), code)
    return raw ? JSON.parse(raw) as RumorSuggestion : undefined
  }

  /**
   * Decides a suggestion that is still in state `from` (open by default), atomically: of two
   * curators answering at once, one wins. Returns the changed record, or `{ changed: false }`
   * with the current one.
   */
  async decideSuggestion(code: string, patch: Partial<RumorSuggestion>, from: SuggestionState = 'open'): Promise<{ changed: boolean; suggestion?: RumorSuggestion }> {
    const [changed, raw] = await this.lua.rumorPatchIfState(this.key('sugs'), code, from, JSON.stringify(patch))
    return { changed: changed === 1, suggestion: raw ? JSON.parse(raw) as RumorSuggestion : undefined }
  }

  // ── cooldown, de-duplication, routing hints ──────────────────────────────

  /** Takes the group's cooldown for one rumor: true when no rebuttal of it was posted there lately. */
  async claimCooldown(topic: string, rumorId: string, ms: number): Promise<boolean> {
    return await this.redis.set(this.key(`cool:${idPart(topic)}:${rumorId}`), '1', 'PX', ms, 'NX') === 'OK'
  }

  /**
   * True the first time a group message is seen: every account sitting in the group receives it,
   * only one should act on it. Keyed by group, sender and text, kept for `ms`.
   */
  async firstSight(topic: string, contactId: string, text: string, ms: number): Promise<boolean> {
    return await this.redis.set(this.key(`seen:${idPart(`${topic}\n${contactId}\n${text}`)}`), '1', 'PX', ms, 'NX') === 'OK'
  }

}
