/**
 * Cases in Redis, under the app's namespace (`{ns}:`). Every change two people could race on is
 * one atomic step: opening (with duplicate suppression) is one Lua script, every state change
 * goes through `PATCH_IF_STATE`, and a verified tip's reward is recorded once (`HSETNX`).
 *
 * | key | type | what |
 * |---|---|---|
 * | `cases` | hash code → JSON | the case records |
 * | `cases:at` | zset | codes by opening time |
 * | `case-dup:<hash>` | string (TTL) | the code of a recent report, per reporter and text |
 * | `case-last:<bot>:<contact>` | string (TTL) | the reporter's latest case (a photo belongs to it) |
 * | `audit:case-<code>` | stream | the case's history (the spine's audit log, `Store.audit`) |
 * | `case-rewards` | hash code → JSON | rewards recorded for verified tips |
 * | `case-open:<bot>:<contact>` | set | the reporter's cases not closed (the per-reporter limit) |
 * | `cases:archive` | hash code → JSON | closed cases moved out of `cases` a while after closing |
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Case, CaseEvent, CaseState } from '../../domain/cases.ts'
import { PATCH_IF_STATE } from '../../store/scripts.ts'
import type { Store } from '../../store/store.ts'

/**
 * openCase — stores a new case unless the same report is recent or the reporter has too many open.
 * KEYS[1] cases, KEYS[2] case-dup:<hash>, KEYS[3] cases:at, KEYS[4] case-last:<bot>:<contact>,
 * KEYS[5] case-open:<bot>:<contact>, KEYS[6] cases:archive
 * ARGV[1] code, ARGV[2] JSON, ARGV[3] duplicate window (ms), ARGV[4] openedAt, ARGV[5] photo window (ms),
 * ARGV[6] most open cases per reporter (0: no limit)
 * Returns {1, code} when opened, {0, existing code} for a duplicate, {2} when the code is taken,
 * {3} when the reporter already has the most open cases. A case counts as open while its record
 * is in `cases` and not closed (found without decoding it: any text must never break this).
 */
const OPEN_CASE = `
local dup = redis.call('GET', KEYS[2])
if dup then return {0, dup} end
local limit = tonumber(ARGV[6])
if limit > 0 then
  local n = 0
  for _, code in ipairs(redis.call('SMEMBERS', KEYS[5])) do
    local raw = redis.call('HGET', KEYS[1], code)
    if raw and not string.find(raw, '"state":"closed"', 1, true) then n = n + 1 else redis.call('SREM', KEYS[5], code) end
  end
  if n >= limit then return {3} end
end
if redis.call('HEXISTS', KEYS[6], ARGV[1]) == 1 then return {2} end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return {2} end
if limit > 0 then redis.call('SADD', KEYS[5], ARGV[1]) end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3]) end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
if tonumber(ARGV[5]) > 0 then redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[5]) end
return {1, ARGV[1]}
`

/**
 * archiveCase — moves a closed case from `cases` to `cases:archive` (its history stays).
 * KEYS[1] cases, KEYS[2] cases:archive, ARGV[1] code. Returns 1 when moved.
 */
const ARCHIVE_CASE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw or not string.find(raw, '"state":"closed"', 1, true) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], raw)
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`

interface CaseScripts {
  openCase(cases: string, dup: string, byTime: string, last: string, open: string, archive: string, code: string, json: string, dupMs: string, at: string, lastMs: string, limit: string): Promise<[number, string?]>
  archiveCase(cases: string, archive: string, code: string): Promise<number>
  casePatchIfState(key: string, field: string, states: string, patch: string): Promise<[number, string | null]>
}

export type OpenResult = { opened: true; case: Case } | { opened: false; duplicateOf: string } | { opened: false; codeTaken: true } | { opened: false; tooMany: true }

export interface RewardRecord { code: string; by: string; at: number; reward: string }

export class CaseStore {
  private readonly lua: CaseScripts

  readonly redis: Redis
  /** The app's key prefix, e.g. `{cascade}:`. */
  readonly base: string

  /** Cases live next to the spine's records, under the same namespace. */
  constructor(private readonly store: Store) {
    const redis = this.redis = store.redis
    this.base = store.keys.base
    redis.defineCommand('openCase', { numberOfKeys: 6, lua: OPEN_CASE })
    redis.defineCommand('archiveCase', { numberOfKeys: 2, lua: ARCHIVE_CASE })
    redis.defineCommand('casePatchIfState', { numberOfKeys: 1, lua: PATCH_IF_STATE })
    this.lua = redis as unknown as CaseScripts
  }

  private get casesKey() { return `${this.base}cases` }
  private get byTimeKey() { return `${this.base}cases:at` }
  private get rewardsKey() { return `${this.base}case-rewards` }
  private get archiveKey() { return `${this.base}cases:archive` }
  private openKey(bot: string, contactId: string) { return `${this.base}case-open:${bot}:${contactId}` }
  private dupKey(contactId: string, kind: string, normalized: string) {
    return `${this.base}case-dup:${createHash('sha1').update(`${contactId}\n${kind}\n${normalized}`).digest('hex').slice(0, 16)}`
  }
  private lastKey(bot: string, contactId: string) { return `${this.base}case-last:${bot}:${contactId}` }
  /** The audit log's name for a case (announcement codes and case codes may look alike). */
  private logName(code: string) { return `case-${code}` }

  /**
   * Opens the case unless the same reporter sent the same (normalized) text within the window:
   * then the existing code. Atomic, so two accounts seeing the same group message open one case.
   */
  async open(c: Case, normalized: string, duplicateWindowMs: number, photoWindowMs: number, maxOpen = 0): Promise<OpenResult> {
    const [status, code] = await this.lua.openCase(
      this.casesKey, this.dupKey(c.reporter.contactId, c.kind, normalized), this.byTimeKey, this.lastKey(c.reporter.bot, c.reporter.contactId),
      this.openKey(c.reporter.bot, c.reporter.contactId), this.archiveKey,
      c.code, JSON.stringify(c), String(Math.round(duplicateWindowMs)), String(c.openedAt), String(Math.round(photoWindowMs)), String(maxOpen),
    )
    if (status === 1) return { opened: true, case: c }
    if (status === 0 && code) return { opened: false, duplicateOf: code }
    if (status === 3) return { opened: false, tooMany: true }
    return { opened: false, codeTaken: true }
  }

  /** A case by code, archived ones included. */
  async get(code: string): Promise<Case | undefined> {
    const raw = await this.redis.hget(this.casesKey, code) ?? await this.redis.hget(this.archiveKey, code)
    return raw ? fromJson(raw) : undefined
  }

  /** Moves a closed case to the archive (out of `all()`); false when it is not closed or not there. */
  async archive(code: string): Promise<boolean> {
    return await this.lua.archiveCase(this.casesKey, this.archiveKey, code) === 1
  }

  /** Every case, newest first. */
  async all(): Promise<Case[]> {
    const all = await this.redis.hvals(this.casesKey)
    return all.map(fromJson).sort((a, b) => b.openedAt - a.openedAt)
  }

  /**
   * Changes a case only if its state is one of `from`, atomically (`PATCH_IF_STATE`).
   * `changed: false` with the current record when someone else got there first.
   */
  async transition(code: string, from: readonly CaseState[], patch: Partial<Case>): Promise<{ changed: boolean; case?: Case }> {
    const [ok, raw] = await this.lua.casePatchIfState(this.casesKey, code, from.join(','), JSON.stringify(patch))
    // Not in `cases`: an archived case (closed) is returned as it is, so the caller says so.
    return { changed: ok === 1, case: raw ? fromJson(raw) : await this.get(code) }
  }

  /** The reporter's latest case, if opened within the photo window. */
  async lastOf(bot: string, contactId: string): Promise<string | undefined> {
    return (await this.redis.get(this.lastKey(bot, contactId))) ?? undefined
  }

  /** Records the reward of a verified tip once; false when it was already recorded. */
  async recordReward(r: RewardRecord): Promise<boolean> {
    return (await this.redis.hsetnx(this.rewardsKey, r.code, JSON.stringify(r))) === 1
  }

  async reward(code: string): Promise<RewardRecord | undefined> {
    const raw = await this.redis.hget(this.rewardsKey, code)
    return raw ? JSON.parse(raw) as RewardRecord : undefined
  }

  /** Appends one step to the case's history. */
  async log(code: string, e: CaseEvent): Promise<void> {
    await this.store.audit(this.logName(code), { ...e })
  }

  async history(code: string): Promise<CaseEvent[]> {
    return (await this.store.auditLog(this.logName(code))).map(e => ({ ...e, ...(e.step !== undefined ? { step: Number(e.step) } : {}) }) as CaseEvent)
  }
}

/** Lua's cjson writes an empty list as `{}`: lists are made lists again on the way back. */
function fromJson(raw: string): Case {
  const c = JSON.parse(raw) as Case
  if (!Array.isArray(c.responsible)) c.responsible = []
  return c
}
